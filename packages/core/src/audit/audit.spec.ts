import { describe, expect, it } from 'vitest';
import { yieldEvery } from '../parallel/yield.js';
import {
  AUDIT_ZERO_HASH,
  auditCanonicalBody,
  auditEntryHash,
  auditKeyOf,
  fromBase64,
  newAuditSecretKey,
  sealAuditEntry,
  toBase64,
  verifyAuditChain,
  type AuditEntry,
  type AuditFault,
} from '../index.js';

const KEY = newAuditSecretKey();
const KEYS = [auditKeyOf(KEY)];
const OTHER = newAuditSecretKey();
const CASES = ['case-a', 'case-b', null];

/** Seeded PRNG (mulberry32): the fuzz is the same on every run. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A chain of n entries as the server writes it (case links included). */
function chain(n: number, pick: () => number = rng(1), key = KEY): AuditEntry[] {
  const out: AuditEntry[] = [];
  const lastOfCase = new Map<string, string>();
  for (let seq = 1; seq <= n; seq++) {
    const caseId = CASES[Math.floor(pick() * CASES.length)]!;
    const e = sealAuditEntry(
      {
        seq,
        at: new Date(Date.UTC(2026, 10, 30, 10, 0, seq)).toISOString(),
        orgId: 'org-1',
        caseId,
        actor: seq % 4 === 0 ? null : { id: `u${seq % 3}`, email: `u${seq % 3}@example.org`, role: 'engineer' },
        action: ['case-created', 'files-uploaded', 'job-succeeded', 'review'][seq % 4]!,
        details: { n: seq, note: `é ${seq}`, list: [1.5, true, null], nested: { z: 1, a: 'x' } },
        prevHash: out.at(-1)?.hash ?? AUDIT_ZERO_HASH,
        casePrevHash: caseId === null ? null : (lastOfCase.get(caseId) ?? AUDIT_ZERO_HASH),
      },
      key,
    );
    if (caseId) lastOfCase.set(caseId, e.hash);
    out.push(e);
  }
  return out;
}

const copy = (c: AuditEntry[]) => c.map((e) => structuredClone(e));

describe('audit entries', () => {
  it('hash the RFC 8785 canonical form of exactly the body fields (key order does not matter)', () => {
    const [e] = chain(1);
    const body = auditCanonicalBody(e!);
    expect(body.startsWith('{"action":')).toBe(true);
    expect(body).not.toContain('"hash"');
    expect(body).toContain('"nested":{"a":"x","z":1}');
    const shuffled = { ...e!, details: { nested: { a: 'x', z: 1 }, list: [1.5, true, null], note: e!.details.note, n: 1 } };
    expect(auditEntryHash(shuffled)).toBe(e!.hash);
    expect(e!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(e!.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(fromBase64(e!.signature)!.length).toBe(64);
  });

  it('drop undefined and turn Dates into text before hashing (what the database gives back)', () => {
    const e = sealAuditEntry(
      { seq: 1, at: '2026-11-30T10:00:00.000Z', orgId: null, caseId: null, actor: null, action: 'x', details: { a: undefined, d: new Date(0) }, prevHash: AUDIT_ZERO_HASH, casePrevHash: null },
      KEY,
    );
    expect(e.details).toEqual({ d: '1970-01-01T00:00:00.000Z' });
    expect(verifyAuditChain([JSON.parse(JSON.stringify(e))], KEYS).ok).toBe(true);
  });

  it('base64 round trips every length', () => {
    for (let n = 0; n < 10; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 97 + n) & 255);
      expect(fromBase64(toBase64(b))).toEqual(b);
      expect(toBase64(b)).toBe(Buffer.from(b).toString('base64'));
    }
  });
});

describe('verifyAuditChain', () => {
  it('passes the untampered chain, whole and per case, and an empty one', () => {
    const c = chain(30);
    expect(verifyAuditChain(c, KEYS)).toEqual({ ok: true, checked: 30 });
    const a = c.filter((e) => e.caseId === 'case-a').length;
    expect(a).toBeGreaterThan(3);
    expect(verifyAuditChain(c, KEYS, { scope: { caseId: 'case-a' } })).toEqual({ ok: true, checked: a });
    expect(verifyAuditChain([], KEYS)).toEqual({ ok: true, checked: 0 });
  });

  const cases: [string, (c: AuditEntry[]) => AuditEntry[], number, AuditFault][] = [
    ['a changed field', (c) => ((c[4]!.details = { n: 99 }), c), 5, 'modified'],
    ['a changed actor', (c) => ((c[0]!.actor = { id: 'x', email: 'x@x', role: 'admin' }), c), 1, 'modified'],
    ['a field and its hash rewritten', (c) => rehash(c, 6, KEY, true), 7, 'modified'],
    ['a field rewritten and re-signed with another key', (c) => rehash(c, 6, OTHER, false), 7, 'modified'],
    ['a deleted row', (c) => (c.splice(9, 1), c), 10, 'deleted'],
    ['two deleted rows', (c) => (c.splice(9, 2), c), 10, 'deleted'],
    ['the first row deleted', (c) => c.slice(1), 1, 'deleted'],
    ['a deleted row, later rows renumbered', (c) => renumber(c.filter((_, i) => i !== 9), 9, -1), 10, 'deleted'],
    ['two rows swapped (all but seq, as in a table)', (c) => swapContent(c, 3, 4), 4, 'reordered'],
    ['two distant rows swapped', (c) => swapContent(c, 3, 12), 4, 'reordered'],
    ['two lines swapped (as in a jsonl file)', (c) => ([c[3], c[4]] = [c[4]!, c[3]!], c), 4, 'reordered'],
    ['a forged row inserted, later rows renumbered', (c) => insertForged(c, 7), 8, 'inserted'],
    ['a forged row inserted with a duplicate seq', (c) => insertForged(c, 7, false), 7, 'inserted'],
    ['a forged row appended, signed with another key', (c) => [...c, forgedAfter(c)], 21, 'unknown-key'],
    ['the last entry re-signed with a wrong signature', (c) => ((c[19]!.signature = c[18]!.signature), c), 20, 'bad-signature'],
  ];
  for (const [name, tamper, seq, fault] of cases) {
    it(`finds ${name}: seq ${seq}, ${fault}`, () => {
      const r = verifyAuditChain(tamper(copy(chain(20))), KEYS);
      expect(r.ok).toBe(false);
      expect(r.firstBad).toMatchObject({ seq, fault });
      expect(r.firstBad!.message).toMatch(/\d/);
    });
  }

  it('says unknown-key for a genuine chain when its key is not given', () => {
    const r = verifyAuditChain(chain(3), [auditKeyOf(OTHER)]);
    expect(r.firstBad).toMatchObject({ seq: 1, fault: 'unknown-key' });
  });

  it('in case scope follows casePrevHash: a deleted case entry is found at the case entry after it', () => {
    const c = copy(chain(30));
    const ofA = c.filter((e) => e.caseId === 'case-a');
    const gone = ofA[2]!;
    const rest = c.filter((e) => e !== gone);
    const r = verifyAuditChain(rest, KEYS, { scope: { caseId: 'case-a' } });
    expect(r.firstBad).toMatchObject({ seq: ofA[3]!.seq, fault: 'deleted' });
    // Another case's entries do not matter to this scope.
    const other = c.filter((e) => e.caseId === 'case-b')[1]!;
    other.details = { tampered: true };
    expect(verifyAuditChain(c, KEYS, { scope: { caseId: 'case-a' } }).ok).toBe(true);
    expect(verifyAuditChain(c, KEYS).firstBad).toMatchObject({ seq: other.seq, fault: 'modified' });
  });

  it('fuzz: every random tampering of a random chain is detected at or before the tampered place', async () => {
    const r = rng(42);
    const int = (n: number) => Math.floor(r() * n);
    const fields = ['seq', 'at', 'orgId', 'caseId', 'actor', 'action', 'details', 'prevHash', 'casePrevHash', 'hash', 'keyId', 'signature'] as const;
    const kinds = new Map<string, number>();
    // ~6 s of synchronous signing in all: the test process answers vitest between rounds
    const breathe = yieldEvery();
    for (let round = 0; round < 120; round++) {
      await breathe();
      const n = 3 + int(25);
      const c = copy(chain(n, rng(round + 1)));
      expect(verifyAuditChain(c, KEYS).ok).toBe(true);
      const kind = ['modify', 'delete', 'swap', 'insert', 'duplicate', 'rehash'][int(6)]!;
      let at: number;
      let t: AuditEntry[];
      if (kind === 'modify') {
        at = int(n);
        const f = fields[int(fields.length)]!;
        const e = c[at]! as unknown as Record<string, unknown>;
        e[f] = f === 'seq' ? (e.seq as number) + 1 + int(3) : f === 'actor' || f === 'details' ? { x: round } : typeof e[f] === 'string' ? `${String(e[f]).slice(0, -1)}${String(e[f]).endsWith('0') ? '1' : '0'}` : 'x';
        t = c;
      } else if (kind === 'delete') {
        at = int(n - 1); // the newest entry's deletion leaves no trace in the chain (see verify.ts)
        t = c.filter((_, i) => i !== at);
      } else if (kind === 'swap') {
        at = int(n - 1);
        t = r() < 0.5 ? swapContent(c, at, at + 1 + int(n - at - 1)) : (([c[at], c[at + 1]] = [c[at + 1]!, c[at]!]), c);
      } else if (kind === 'insert') {
        at = int(n + 1);
        t = at === n ? [...c, forgedAfter(c)] : insertForged(c, at, r() < 0.5);
      } else if (kind === 'duplicate') {
        at = int(n);
        t = [...c.slice(0, at + 1), structuredClone(c[at]!), ...c.slice(at + 1)];
      } else {
        at = int(n);
        t = rehash(c, at, r() < 0.5 ? KEY : OTHER, r() < 0.5);
      }
      const v = verifyAuditChain(t, KEYS);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      expect(v.ok, `${kind} at ${at} of ${n}`).toBe(false);
      expect(v.firstBad!.seq, `${kind} at ${at} of ${n}: ${v.firstBad!.message}`).toBeLessThanOrEqual(at + 2);
      if (kind === 'delete') expect(v.firstBad!.fault).toBe('deleted');
      if (kind === 'insert' && at < n) expect(v.firstBad!.fault).toBe('inserted');
    }
    expect(kinds.size).toBe(6);
  });
});

/** Changes entry i's details and recomputes its hash; signs it with `key` (keyId of that key) unless keepSig. */
function rehash(c: AuditEntry[], i: number, key: Uint8Array, keepSig: boolean): AuditEntry[] {
  const e = c[i]!;
  const sealed = sealAuditEntry({ ...e, details: { ...e.details, forged: true } }, key);
  c[i] = keepSig ? { ...sealed, keyId: e.keyId, signature: e.signature } : sealed;
  return c;
}

function renumber(c: AuditEntry[], from: number, d: number): AuditEntry[] {
  return c.map((e, i) => (i >= from ? { ...e, seq: e.seq + d } : e));
}

/** What a swap of two table rows gives when read back by seq: the contents change places, seq stays. */
function swapContent(c: AuditEntry[], i: number, j: number): AuditEntry[] {
  const [a, b] = [c[i]!, c[j]!];
  c[i] = { ...b, seq: a.seq };
  c[j] = { ...a, seq: b.seq };
  return c;
}

/** A forged entry signed with another key, put in at index i (later rows renumbered, or its seq duplicated). */
function insertForged(c: AuditEntry[], i: number, shift = true): AuditEntry[] {
  const seq = i + 1;
  const forged = sealAuditEntry(
    { seq: shift ? seq : seq - 1 || 1, at: c[i]!.at, orgId: 'org-1', caseId: null, actor: null, action: 'review', details: { forged: true }, prevHash: c[i - 1]?.hash ?? AUDIT_ZERO_HASH, casePrevHash: null },
    OTHER,
  );
  const tail = shift ? renumber(c.slice(i), 0, 1) : c.slice(i);
  return [...c.slice(0, i), forged, ...tail];
}

function forgedAfter(c: AuditEntry[]): AuditEntry {
  const last = c.at(-1)!;
  return sealAuditEntry({ ...last, seq: last.seq + 1, prevHash: last.hash, action: 'review', details: { forged: true } }, OTHER);
}
