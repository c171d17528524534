/**
 * Print jobs of a case that no longer stands approved leave the schedule: requesting changes
 * voids the model gate (the version they print is no longer the signed one), and a case that
 * is cancelled or rejected needs no prints. Queued jobs only are cancelled. A job printing now
 * is left on its machine (stopping a print half way is the technician's call, who then marks
 * it failed); the audit entry names it so nobody thinks it was withdrawn. Printed and failed
 * jobs are history and stay as they are; so do a delivered case's, which reaches 'delivered'
 * only through qc-passed and never comes here. Runs inside the transition's transaction, so
 * the event feed is poked by whoever commits it (the transition route, workflow/auto.ts): the
 * case's `case-activity` event then counts these jobs as cancelled (routes/events.ts).
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
  const printing = await tx.selectFrom('print_jobs').select('id').where('case_id', '=', c.id).where('status', '=', 'printing').orderBy('id').execute();
  await appendAudit(s, tx, {
    action: 'print-job-cancelled',
    actor: why.actor,
    orgId: c.org_id,
    caseId: c.id,
    details: { printJobIds: ids, transitionId: why.transitionId, caseState: why.to, ...(printing.length ? { leftPrinting: printing.map((x) => x.id) } : {}) },
  });
  await replan(tx, c.org_id);
  return ids;
}
