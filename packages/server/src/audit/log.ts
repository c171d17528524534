/**
 * Appending to and reading the audit log. Entries are gapless over the installation: the
 * writer takes a transaction-scoped advisory lock, reads the last entry (and the case's
 * last), and inserts the next, all in the caller's transaction when it gives one, so the
 * entry commits or rolls back with the action it records.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import { AUDIT_ZERO_HASH, sealAuditEntry, type AuditEntry, type AuditKey } from '@scan2print/core';
import type { Principal } from '../auth/principal.js';
import type { Services } from '../context.js';
import type { Database } from '../db/schema.js';
import type { AuditLogTable } from '../db/schema-audit.js';
import type { AuditAction } from './actions.js';
import { auditSigner, retiredKeys } from './keys.js';
import { nodeSign } from './native.js';

/** pg_advisory_xact_lock key of the audit writer ('s2paudit' as 8 bytes, below 2^63). */
const AUDIT_LOCK = 0x7332706175646974n;

export interface AuditInput {
  action: AuditAction;
  actor: Principal | null;
  orgId: string | null;
  caseId?: string | null;
  details?: Record<string, unknown>;
}

/**
 * Appends one signed entry. `db` may be a Kysely transaction: then the entry commits or rolls
 * back with the action. Given the root Kysely it opens its own transaction. On PGlite (one
 * connection) a caller inside a transaction must pass that transaction, not s.db.
 */
export async function appendAudit(s: Services, db: Kysely<Database>, e: AuditInput): Promise<AuditEntry> {
  if (!db.isTransaction) return db.transaction().execute((tx) => appendAudit(s, tx, e));
  const signer = auditSigner(s.config.dataDir);
  await sql`select pg_advisory_xact_lock(${sql.lit(AUDIT_LOCK.toString())}::bigint)`.execute(db);
  const last = await db.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  const caseId = e.caseId ?? null;
  let casePrevHash: string | null = null;
  if (caseId !== null) {
    const c = await db.selectFrom('audit_log').select('hash').where('case_id', '=', caseId).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    casePrevHash = c?.hash ?? AUDIT_ZERO_HASH;
  }
  const entry = sealAuditEntry(
    {
      seq: (last?.seq ?? 0) + 1,
      at: new Date().toISOString(),
      orgId: e.orgId,
      caseId,
      actor: e.actor ? { id: e.actor.userId, email: e.actor.email, role: e.actor.role } : null,
      action: e.action,
      details: e.details ?? {},
      prevHash: last?.hash ?? AUDIT_ZERO_HASH,
      casePrevHash,
    },
    signer.secretKey,
    nodeSign,
  );
  await db
    .insertInto('audit_log')
    .values({
      seq: entry.seq,
      at: entry.at,
      org_id: entry.orgId,
      case_id: entry.caseId,
      actor_id: entry.actor?.id ?? null,
      actor_email: entry.actor?.email ?? null,
      actor_role: entry.actor?.role ?? null,
      action: entry.action,
      details: JSON.stringify(entry.details),
      prev_hash: entry.prevHash,
      case_prev_hash: entry.casePrevHash,
      hash: entry.hash,
      key_id: entry.keyId,
      signature: entry.signature,
    })
    .execute();
  return entry;
}

/** A stored row as the entry that was hashed. */
export function entryOfRow(r: Selectable<AuditLogTable>): AuditEntry {
  return {
    seq: Number(r.seq),
    at: r.at,
    orgId: r.org_id,
    caseId: r.case_id,
    actor: r.actor_id === null && r.actor_email === null && r.actor_role === null ? null : { id: r.actor_id ?? '', email: r.actor_email ?? '', role: r.actor_role ?? '' },
    action: r.action,
    details: JSON.parse(r.details) as Record<string, unknown>,
    prevHash: r.prev_hash,
    casePrevHash: r.case_prev_hash,
    hash: r.hash,
    keyId: r.key_id,
    signature: r.signature,
  };
}

/** Entries in seq order: of one case or organisation, after a seq, at most `limit` (all when not given). */
export async function auditEntries(db: Kysely<Database>, q: { caseId?: string; orgId?: string; afterSeq?: number; limit?: number }): Promise<AuditEntry[]> {
  let query = db.selectFrom('audit_log').selectAll().orderBy('seq');
  if (q.caseId !== undefined) query = query.where('case_id', '=', q.caseId);
  if (q.orgId !== undefined) query = query.where('org_id', '=', q.orgId);
  if (q.afterSeq !== undefined) query = query.where('seq', '>', q.afterSeq);
  if (q.limit !== undefined) query = query.limit(q.limit);
  return (await query.execute()).map(entryOfRow);
}

/** The keys this server trusts: its current signing key and the retired ones it was given. */
export function auditKeys(s: Services): AuditKey[] {
  const current = auditSigner(s.config.dataDir).key;
  return [current, ...retiredKeys().filter((k) => k.keyId !== current.keyId)];
}
