/** Reading model codes: who owns one (the route's scope), the row of a version, the label's inputs. */
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { HttpError } from '../http/errors.js';
import { normaliseCode } from './issue.js';
import type { LabelInput } from './label.js';

/** The organisation of a code as typed in a URL (undefined: no such code). */
export async function codeOwner(db: Kysely<Database>, typed: string): Promise<string | undefined> {
  const code = normaliseCode(typed);
  if (!code) return undefined;
  return (await db.selectFrom('model_codes').select('org_id').where('code', '=', code).executeTakeFirst())?.org_id;
}

/** `<scheme>://<host>` the caller reached us by (X-Forwarded-* only when trustProxy says so): what the QR points to. */
export function originOf(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}`;
}

/** The code row of a model version of a case: 404 for a job that is not the case's, 409 when it has no code yet. */
export async function codeOfVersion(db: Kysely<Database>, caseId: string, jobId: string) {
  const job = await db.selectFrom('jobs').select(['id', 'state']).where('id', '=', jobId).where('case_id', '=', caseId).executeTakeFirst();
  if (!job) throw new HttpError(404, 'NOT_FOUND', `job ${jobId} is not a model version of case ${caseId}`);
  const row = await db.selectFrom('model_codes').selectAll().where('job_id', '=', jobId).executeTakeFirst();
  if (!row) throw new HttpError(409, 'NO_CODE', `model version ${jobId} (${job.state}) has no code yet: a code and its label come with the version's approval`);
  return row;
}

export function labelInputOf(origin: string, row: { code: string; case_id: string; sha256: string; created_at: Date }): LabelInput {
  return {
    url: `${origin}/q/${row.code}`,
    code: row.code,
    caseId: row.case_id,
    sha256: row.sha256,
    date: new Date(row.created_at).toISOString().slice(0, 10),
  };
}
