/**
 * Short codes for approved model versions: 8 characters of Crockford base32 (no I, L, O, U,
 * so a code read off a print is not misread), 40 random bits. The code goes on the label's
 * QR (`<origin>/q/<code>`) and leads back to the case, the model's SHA-256 and its audit entry.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Services } from '../context.js';
import type { Principal } from '../auth/principal.js';
import { HttpError } from '../http/errors.js';
import { appendAudit } from '../audit/index.js';

export const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const CODE_LENGTH = 8;

/** A fresh random code: 5 random bytes, 8 groups of 5 bits. */
export function randomCode(bytes: Uint8Array = randomBytes(5)): string {
  let bits = 0n;
  for (const b of bytes.subarray(0, 5)) bits = (bits << 8n) | BigInt(b);
  let out = '';
  for (let i = CODE_LENGTH - 1; i >= 0; i--) out += CODE_ALPHABET[Number((bits >> BigInt(5 * i)) & 31n)];
  return out;
}

/**
 * A code as a person may type it (lower case, hyphens or spaces, I/L for 1, O for 0:
 * Crockford's decoding rules), in its stored form; undefined when it cannot be one.
 */
export function normaliseCode(typed: string): string | undefined {
  const c = typed.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  return c.length === CODE_LENGTH && [...c].every((ch) => CODE_ALPHABET.includes(ch)) ? c : undefined;
}

export interface IssueInput {
  orgId: string;
  caseId: string;
  jobId: string;
  actor: Principal | null;
}

/** The 3MF model of a model job (its sha256 is what the code vouches for), or 409. */
async function modelOf(db: Kysely<Database>, i: IssueInput) {
  const job = await db
    .selectFrom('jobs')
    .select(['id', 'state'])
    .where('id', '=', i.jobId)
    .where('case_id', '=', i.caseId)
    .where('org_id', '=', i.orgId)
    // Serialises issuing for one job: a second caller waits here, then finds the first's code.
    .forUpdate()
    .executeTakeFirst();
  if (!job) throw new HttpError(404, 'NOT_FOUND', `job ${i.jobId} is not a job of case ${i.caseId}`);
  const model = await db
    .selectFrom('artifacts')
    .select(['name', 'sha256'])
    .where('job_id', '=', i.jobId)
    .where('kind', '=', 'model')
    .where('name', 'like', '%.3mf')
    .orderBy('name')
    .executeTakeFirst();
  if (job.state !== 'succeeded' || !model) {
    throw new HttpError(409, 'NO_MODEL', `job ${i.jobId} is ${job.state} and has no 3MF model: only a succeeded model version gets a code`);
  }
  return model;
}

async function issueIn(s: Services, tx: Kysely<Database>, i: IssueInput): Promise<{ code: string }> {
  const model = await modelOf(tx, i);
  const existing = await tx.selectFrom('model_codes').select('code').where('job_id', '=', i.jobId).executeTakeFirst();
  if (existing) return { code: existing.code };
  // 2^40 codes: a collision is rare, and retried with a new draw.
  for (let attempt = 0; attempt < 8; attempt++) {
    const code = randomCode();
    const taken = await tx.selectFrom('model_codes').select('code').where('code', '=', code).executeTakeFirst();
    if (taken) continue;
    const entry = await appendAudit(s, tx, {
      action: 'model-code-issued',
      actor: i.actor,
      orgId: i.orgId,
      caseId: i.caseId,
      details: { code, jobId: i.jobId, sha256: model.sha256 },
    });
    // ON CONFLICT DO NOTHING: a unique violation would abort the caller's transaction.
    const row = await tx
      .insertInto('model_codes')
      .values({ code, org_id: i.orgId, case_id: i.caseId, job_id: i.jobId, sha256: model.sha256, audit_seq: entry.seq })
      .onConflict((oc) => oc.doNothing())
      .returning('code')
      .executeTakeFirst();
    // Another transaction took the code between the check and the insert: give up this one
    // (the audit entry rolls back with it) rather than record a code twice.
    if (!row) throw new HttpError(503, 'CODE_TAKEN', `model code ${code} was taken at the same moment; try again`);
    return { code };
  }
  throw new HttpError(500, 'NO_FREE_CODE', 'no free model code after 8 draws');
}

/**
 * Gives a model version (job) its code, once: a second call returns the first code.
 * `db` may be a transaction (the approval's): the code and its audit entry then commit or
 * roll back with it; otherwise a transaction of its own is opened.
 */
export async function issueModelCode(s: Services, db: Kysely<Database>, i: IssueInput): Promise<{ code: string }> {
  if (db.isTransaction) return issueIn(s, db, i);
  return db.transaction().execute((tx) => issueIn(s, tx, i));
}
