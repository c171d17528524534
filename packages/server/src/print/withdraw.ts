/**
 * Print jobs of a case that no longer stands approved leave the schedule: requesting changes
 * voids the model gate (the version they print is no longer the signed one), and a case that
 * is cancelled or rejected needs no prints. Queued jobs only; a part already on a printer is
 * the technician's to stop. (A delivered case's jobs were printed, not cancelled: they stay as
 * they are.) Runs inside the transition's transaction.
 */
import type { Kysely } from 'kysely';
import type { Principal } from '../auth/principal.js';
import type { Services } from '../context.js';
import type { Database } from '../db/schema.js';
import { appendAudit } from '../audit/index.js';
import { replan } from './plan.js';

export async function withdrawPrintJobs(
  s: Services,
  tx: Kysely<Database>,
  c: { id: string; org_id: string },
  why: { actor: Principal | null; transitionId: string; to: string },
): Promise<string[]> {
  const gone = await tx
    .updateTable('print_jobs')
    .set({ status: 'cancelled' })
    .where('case_id', '=', c.id)
    .where('status', '=', 'queued')
    .returning('id')
    .execute();
  if (gone.length === 0) return [];
  const ids = gone.map((g) => g.id).sort();
  await appendAudit(s, tx, { action: 'print-job-cancelled', actor: why.actor, orgId: c.org_id, caseId: c.id, details: { printJobIds: ids, transitionId: why.transitionId, caseState: why.to } });
  await replan(tx, c.org_id);
  return ids;
}
