/** The audit chain's data types (issue 11): one row exactly as hashed, the keys, the verdict. */

export interface AuditActor {
  id: string;
  email: string;
  role: string;
}

/** One entry, exactly as hashed: JSON over the wire, one line of jsonl in a case bundle. */
export interface AuditEntry {
  /** 1, 2, 3… gapless over the whole installation. */
  seq: number;
  /** ISO 8601 UTC with milliseconds, stored as text and hashed as is. */
  at: string;
  orgId: string | null;
  caseId: string | null;
  /** Null: the system (a worker, an automatic transition). */
  actor: AuditActor | null;
  action: string;
  /** JSON values only (no undefined, no Dates, no NaN). */
  details: Record<string, unknown>;
  /** Hash of entry seq-1; 64 zeros for seq 1. */
  prevHash: string;
  /** Hash of the previous entry of the same case (64 zeros for its first); null without a case. */
  casePrevHash: string | null;
  /** Hex SHA-256 of the RFC 8785 canonical JSON of the fields above. */
  hash: string;
  /** First 16 hex digits of SHA-256 of the raw 32-byte public key. */
  keyId: string;
  /** Base64 Ed25519 signature over the 32 raw bytes of `hash`. */
  signature: string;
}

/** The fields an entry's hash covers. */
export type AuditEntryBody = Pick<AuditEntry, 'seq' | 'at' | 'orgId' | 'caseId' | 'actor' | 'action' | 'details' | 'prevHash' | 'casePrevHash'>;

export interface AuditKey {
  keyId: string;
  /** Base64 of the raw 32-byte Ed25519 public key. */
  publicKey: string;
}

export type AuditFault = 'modified' | 'deleted' | 'inserted' | 'reordered' | 'bad-signature' | 'unknown-key';

export interface AuditVerifyResult {
  ok: boolean;
  /** Entries looked at (all of them when ok). */
  checked: number;
  firstBad?: { seq: number; fault: AuditFault; message: string };
}

export type AuditScope = 'all' | { caseId: string };

/** prevHash of seq 1 and casePrevHash of a case's first entry. */
export const AUDIT_ZERO_HASH = '0'.repeat(64);
