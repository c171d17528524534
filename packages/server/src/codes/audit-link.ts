/**
 * The audit functions codes and bundles use (helper audit's packages/server/src/audit/).
 * A stand-in until that module lands, so issue.ts compiles against the API.md signature;
 * it refuses, rather than issue a code that no signed entry records.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Services } from '../context.js';
import type { Principal } from '../auth/principal.js';

export interface AuditInputLike {
  action: 'model-code-issued' | 'bundle-exported';
  actor: Principal | null;
  orgId: string | null;
  caseId?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditEntryLike {
  seq: number;
  [k: string]: unknown;
}

export async function appendAudit(_s: Services, _db: Kysely<Database>, _e: AuditInputLike): Promise<AuditEntryLike> {
  throw new Error('the audit log (packages/server/src/audit/) is not there yet');
}
