import { describe, expect, it } from 'vitest';
import { AUDIT_ZERO_HASH, auditKeyOf, newAuditSecretKey, nobleSign, nobleVerify, sealAuditEntry, verifyAuditChain, type AuditEntry } from '@scan2print/core';
import { nodeSign, nodeVerify } from './native.js';

describe('node:crypto Ed25519 for the audit chain', () => {
  it('signs the same bytes as @noble and verifies alike (a flipped bit fails both)', () => {
    for (let i = 0; i < 20; i++) {
      const k = newAuditSecretKey();
      const msg = Uint8Array.from({ length: 32 }, (_, j) => (i * 31 + j * 7) & 255);
      const sig = nodeSign(msg, k);
      expect(sig).toEqual(nobleSign(msg, k));
      const pub = Buffer.from(auditKeyOf(k).publicKey, 'base64');
      expect(nodeVerify(sig, msg, pub)).toBe(true);
      const bad = sig.slice();
      bad[i % 64]! ^= 1;
      expect(nodeVerify(bad, msg, pub)).toBe(false);
      expect(nobleVerify(bad, msg, pub)).toBe(false);
    }
  });

  it('verifyAuditChain with nodeVerify gives the same verdicts as with the default', () => {
    const k = newAuditSecretKey();
    const chain: AuditEntry[] = [];
    for (let seq = 1; seq <= 12; seq++) {
      chain.push(sealAuditEntry({ seq, at: new Date(seq * 1000).toISOString(), orgId: 'o', caseId: null, actor: null, action: 'comment', details: { seq }, prevHash: chain.at(-1)?.hash ?? AUDIT_ZERO_HASH, casePrevHash: null }, k, nodeSign));
    }
    const keys = [auditKeyOf(k)];
    expect(verifyAuditChain(chain, keys, { verifySignature: nodeVerify })).toEqual({ ok: true, checked: 12 });
    const tampered = chain.map((e) => ({ ...e }));
    tampered[6] = { ...tampered[6]!, signature: tampered[5]!.signature };
    tampered.splice(3, 1);
    expect(verifyAuditChain(tampered, keys, { verifySignature: nodeVerify })).toEqual(verifyAuditChain(tampered, keys));
    expect(verifyAuditChain(tampered, keys).firstBad).toMatchObject({ seq: 4, fault: 'deleted' });
  });
});
