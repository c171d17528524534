/**
 * Verifies an audit chain and says where it first breaks and how. Each tampering leaves
 * its own trace (the chain of prevHash links, the gapless seq, the recomputed hash and the
 * signature over the stored hash):
 * - modified: the recomputed hash differs from the stored one; or the hash was rewritten
 *   too, and then the signature fails and the next entry still links to the old hash;
 * - deleted: a seq gap, or an intact entry whose predecessor is not in the list (also when
 *   later rows were renumbered: the entry's signed hash then recomputes at a higher seq);
 * - inserted: dropping the entry restores the chain (the next entry links to the one before);
 * - reordered: an entry links to a hash that comes later in the list, or seq goes backwards;
 * - bad-signature / unknown-key: everything recomputes but the signature does not verify,
 *   or was made with a key that is not trusted (a forged entry appended at the end, or a
 *   retired key the verifier was not given).
 * Deleting the newest entries leaves no trace in the chain itself: compare the last seq
 * with one kept elsewhere (the bundle's manifest, a printed record) for that.
 */
import { auditEntryHash, auditKeyMap, auditSignatureState, type Ed25519Verify } from './crypto.js';
import { AUDIT_ZERO_HASH, type AuditEntry, type AuditFault, type AuditKey, type AuditScope, type AuditVerifyResult } from './types.js';

/** How far a renumbering after a deletion is looked for (rows shifted down by up to this many). */
const RENUMBER_LOOKAHEAD = 64;

function hashOf(e: AuditEntry): string | undefined {
  try {
    return auditEntryHash(e);
  } catch {
    return undefined; // not JSON (a field of the wrong type): counts as modified
  }
}

export function verifyAuditChain(
  entries: readonly AuditEntry[],
  keys: readonly AuditKey[],
  /** verifySignature: a faster native Ed25519 check (default @noble's). */
  opts: { scope?: AuditScope; verifySignature?: Ed25519Verify } = {},
): AuditVerifyResult {
  const scope = opts.scope ?? 'all';
  const whole = scope === 'all';
  const list = whole ? entries : entries.filter((e) => e.caseId === scope.caseId);
  const keyMap = auditKeyMap(keys);
  const link = whole ? (e: AuditEntry) => e.prevHash : (e: AuditEntry) => e.casePrevHash;
  // Stored hash → the positions holding it (a duplicated row holds it twice).
  const where = new Map<string, number[]>();
  list.forEach((e, i) => where.set(e.hash, [...(where.get(e.hash) ?? []), i]));

  let prev: AuditEntry | undefined;
  for (let i = 0; i < list.length; i++) {
    const e = list[i]!;
    const expectSeq = prev ? prev.seq + 1 : 1;
    const expectLink = prev ? prev.hash : AUDIT_ZERO_HASH;
    const seqOk = whole ? e.seq === expectSeq : !prev || e.seq > prev.seq;
    const linkOk = link(e) === expectLink;
    const hashOk = hashOf(e) === e.hash;
    const sig = auditSignatureState(e, keyMap, opts.verifySignature);
    if (seqOk && linkOk && hashOk && sig === 'ok') {
      prev = e;
      continue;
    }
    const bad = (seq: number, fault: AuditFault, message: string) => ({ ok: false, checked: i + 1, firstBad: { seq, fault, message } });
    const here = whole ? expectSeq : e.seq;
    const next = list[i + 1];
    const prevName = prev ? `seq ${prev.seq}` : 'the start of the chain';
    const linkName = whole ? 'prevHash' : 'casePrevHash';

    // Its predecessor comes later in the list: two entries changed places.
    if (!linkOk && (where.get(link(e) ?? '') ?? []).some((j) => j > i)) {
      return bad(here, 'reordered', `entry ${e.seq} at the place of seq ${here} links to an entry that comes after it: entries were reordered`);
    }
    // Leaving this entry out restores the chain: it was put in.
    if (next && link(next) === expectLink) {
      return bad(e.seq, 'inserted', `entry ${e.seq} does not belong to the chain: the entry after it links straight to ${prevName}`);
    }
    if (prev && e.seq <= prev.seq) {
      return bad(here, 'reordered', `seq ${e.seq} comes after seq ${prev.seq}: entries are out of order`);
    }
    if (whole && e.seq > expectSeq && !linkOk) {
      const last = e.seq - 1;
      return bad(expectSeq, 'deleted', `entr${last > expectSeq ? `ies ${expectSeq}..${last} are` : `y ${expectSeq} is`} missing: the chain goes from ${prevName} to seq ${e.seq}`);
    }
    if (!linkOk && sig === 'ok' && (hashOk || authenticAtHigherSeq(e))) {
      return bad(here, 'deleted', `the entry before seq ${e.seq} is missing: its ${linkName} does not match ${prevName}${hashOk ? '' : ' (later entries were renumbered)'}`);
    }
    if (!hashOk) {
      const stored = e.seq !== here ? ` (its seq now reads ${e.seq})` : '';
      return bad(here, 'modified', `entry ${here} was modified${stored}: its content does not hash to its stored hash`);
    }
    if (!seqOk || !linkOk) return bad(here, 'deleted', `the chain breaks before seq ${e.seq}: its ${linkName} or seq does not follow ${prevName}`);
    // The content and its hash agree but the signature does not: rewritten (hash included) or forged.
    if (next && link(next) !== e.hash) {
      return bad(e.seq, 'modified', `entry ${e.seq} was rewritten with a new hash: its signature fails and the next entry links to the original`);
    }
    if (sig === 'unknown-key') {
      return bad(e.seq, 'unknown-key', `entry ${e.seq} is signed with key ${e.keyId}, which is not trusted (a forged entry, or a retired key not given)`);
    }
    return bad(e.seq, 'bad-signature', `entry ${e.seq}'s signature does not verify with key ${e.keyId}`);
  }
  return { ok: true, checked: list.length };
}

/** The stored (signed) hash recomputes with a higher seq: rows after a deletion were renumbered down. */
function authenticAtHigherSeq(e: AuditEntry): boolean {
  for (let d = 1; d <= RENUMBER_LOOKAHEAD; d++) if (hashOf({ ...e, seq: e.seq + d }) === e.hash) return true;
  return false;
}
