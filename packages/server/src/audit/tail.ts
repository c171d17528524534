/**
 * The chain alone cannot show that its newest entries were deleted: what is left still links
 * up. But rows written in the same transaction as an entry keep its seq (a transition, a gate
 * signature, a model code): one pointing past the last entry shows the log lost its tail.
 */
import type { Kysely } from 'kysely';
import type { AuditEntry, AuditVerifyResult } from '@scan2print/core';
import type { Database } from '../db/schema.js';

const REFERRERS = ['case_transitions', 'gate_signatures', 'model_codes'] as const;

export async function checkTail(db: Kysely<Database>, entries: readonly AuditEntry[], r: AuditVerifyResult, caseId?: string): Promise<AuditVerifyResult> {
  if (!r.ok) return r;
  const last = entries.reduce((m, e) => Math.max(m, e.seq), 0);
  for (const table of REFERRERS) {
    let q = db.selectFrom(table).select((eb) => eb.fn.max('audit_seq').as('top'));
    if (caseId) q = q.where('case_id', '=', caseId);
    const top = Number((await q.executeTakeFirst())?.top ?? 0);
    if (top > last) {
      const message = `${table} rows refer to audit entry seq ${top}, but the log ends at seq ${last}: its newest entries were deleted`;
      return { ok: false, checked: r.checked, firstBad: { seq: last + 1, fault: 'deleted', message } };
    }
  }
  return r;
}
