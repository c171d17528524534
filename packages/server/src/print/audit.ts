/** Audit entries of print management (their names are in AUDIT_ACTIONS, audit/actions.ts). */
import type { Kysely } from 'kysely';
import type { Principal } from '../auth/principal.js';
import type { Services } from '../context.js';
import type { Database } from '../db/schema.js';
import { appendAudit, type AuditAction } from '../audit/index.js';

export type PrintAuditAction = Extract<AuditAction, 'print-catalogue-changed' | 'printer-added' | 'printer-status-changed' | 'print-job-created' | 'print-quoted' | 'print-job-cancelled' | 'print-job-started' | 'print-job-printed' | 'print-job-failed'>;

export function auditPrint(
  s: Services,
  db: Kysely<Database>,
  e: { action: PrintAuditAction; actor: Principal; orgId: string; caseId?: string | null; details: Record<string, unknown> },
) {
  return appendAudit(s, db, e);
}
