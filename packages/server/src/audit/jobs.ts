/** A job's end and its audit entry in one transaction: the entry exists exactly when the job's state changed. */
import type { Job } from '../db/schema.js';
import type { Services } from '../context.js';
import { settle } from '../jobs/queue.js';
import { appendAudit } from './log.js';

type Settled = 'succeeded' | 'failed' | 'cancelled' | 'queued';

/**
 * settle() with a 'job-failed' / 'job-cancelled' entry (actor null: the worker) when the
 * job ended; a job put back in the queue is no entry (its next attempt starts another).
 */
export async function settleAudited(
  s: Services,
  job: Pick<Job, 'id' | 'org_id' | 'case_id' | 'kind' | 'attempts'>,
  owner: string,
  state: Settled,
  fields: { error?: string; summary?: unknown; deferSeconds?: number } = {},
): Promise<boolean> {
  return s.db.transaction().execute(async (tx) => {
    const done = await settle(tx, job.id, owner, state, fields);
    if (done && (state === 'failed' || state === 'cancelled')) {
      await appendAudit(s, tx, {
        action: state === 'failed' ? 'job-failed' : 'job-cancelled',
        actor: null,
        orgId: job.org_id,
        caseId: job.case_id,
        details: { jobId: job.id, kind: job.kind, attempt: job.attempts, ...(fields.error !== undefined ? { error: fields.error } : {}) },
      });
    }
    return done;
  });
}
