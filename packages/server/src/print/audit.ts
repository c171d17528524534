/**
 * Audit entries of print management. The action names are listed here: AUDIT_ACTIONS
 * (audit/actions.ts) does not hold them yet, so they are cast to AuditAction; once they are
 * added there the cast is a no-op. The log stores any action name; verification does not
 * depend on the list.
 */
import type { Kysely } from 'kysely';
import type { Principal } from '../auth/principal.js';
import type { Services } from '../context.js';
import type { Database } from '../db/schema.js';
import { appendAudit, type AuditAction } from '../audit/index.js';

export const PRINT_AUDIT_ACTIONS = ['print-catalogue-changed', 'printer-added', 'printer-status-changed', 'print-job-created', 'print-quoted'] as const;
export type PrintAuditAction = (typeof PRINT_AUDIT_ACTIONS)[number];

export function auditPrint(
  s: Services,
  db: Kysely<Database>,
  e: { action: PrintAuditAction; actor: Principal; orgId: string; caseId?: string | null; details: Record<string, unknown> },
) {
  return appendAudit(s, db, { ...e, action: e.action as string as AuditAction });
}
