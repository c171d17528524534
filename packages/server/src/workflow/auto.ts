/**
 * The automatic transitions (actor null): files stored → 'uploaded', a convert job succeeded
 * → 'segmented'. Events, not conditions: each is tried when its event happens (and both when
 * a case is submitted, to catch up with what happened while it was a draft). They never
 * throw: the upload or the job they follow has succeeded whatever happens here.
 */
import type { FastifyBaseLogger } from 'fastify';
import { ruleFor, isCaseState, type CaseState } from '@scan2print/core';
import type { Services } from '../context.js';
import { errorForLog, HttpError } from '../http/errors.js';
import { caseChanged } from '../routes/events.js';
import { applyTransition, type TransitionDone } from './engine.js';
import { sendMails } from './notify.js';

type Log = Pick<FastifyBaseLogger, 'warn' | 'error' | 'info'>;

async function tryAuto(s: Services, c: { id: string; org_id: string }, to: CaseState, log: Log, modelVersionId?: string): Promise<TransitionDone | undefined> {
  try {
    const row = await s.db.selectFrom('cases').select('status').where('id', '=', c.id).executeTakeFirst();
    if (!row || !isCaseState(row.status) || !ruleFor(row.status, to)?.auto) return undefined;
    const done = await applyTransition(s, { caseId: c.id, orgId: c.org_id, to, actor: null, ...(modelVersionId ? { modelVersionId } : {}) });
    caseChanged(s.db, c.org_id);
    void sendMails(s, done.mails, log as FastifyBaseLogger);
    return done;
  } catch (e) {
    // Another request moved the case first, or what it needs is not there (yet): not an error.
    if (e instanceof HttpError && e.status === 409) return undefined;
    log.warn({ err: errorForLog(e), caseId: c.id, to }, 'automatic case transition failed; the case keeps its state (a user may take the step by hand)');
    return undefined;
  }
}

/** Files were stored in the case: submitted → uploaded. */
export async function filesStored(s: Services, c: { id: string; org_id: string }, log: Log): Promise<void> {
  await tryAuto(s, c, 'uploaded', log);
}

/** A convert job of the case succeeded: uploaded | changes-requested → segmented. */
export async function convertSucceeded(s: Services, job: { id: string; case_id: string; org_id: string; kind: string }, log: Log): Promise<void> {
  if (job.kind !== 'convert') return;
  await tryAuto(s, { id: job.case_id, org_id: job.org_id }, 'segmented', log, job.id);
}

/** After a submit: what already happened while the case was a draft (files, a convert). */
export async function catchUp(s: Services, c: { id: string; org_id: string }, log: Log): Promise<void> {
  if (await tryAuto(s, c, 'uploaded', log)) await tryAuto(s, c, 'segmented', log);
}
