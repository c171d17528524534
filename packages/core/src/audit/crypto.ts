/**
 * Hashing and signing of audit entries: RFC 8785 canonical JSON (the `canonicalize`
 * package), SHA-256 and Ed25519 from @noble (pure JS: the same code verifies in a browser).
 */
import canonicalize from 'canonicalize';
import { sha256 } from '@noble/hashes/sha2.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import type { AuditEntry, AuditEntryBody, AuditKey } from './types.js';

/**
 * Ed25519 primitives a host may swap for faster native ones (the server passes node:crypto's,
 * about 10× faster); the defaults are @noble's, which run anywhere.
 */
export type Ed25519Sign = (message: Uint8Array, secretKey: Uint8Array) => Uint8Array;
export type Ed25519Verify = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean;
export const nobleSign: Ed25519Sign = (m, k) => ed25519.sign(m, k);
export const nobleVerify: Ed25519Verify = (s, m, p) => ed25519.verify(s, m, p);

const HEX = '0123456789abcdef';

export function toHex(b: Uint8Array): string {
  let s = '';
  for (const v of b) s += HEX[v >> 4]! + HEX[v & 15]!;
  return s;
}

/** Null when `h` is not lower- or upper-case hex of an even length. */
export function fromHex(h: string): Uint8Array | null {
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) return null;
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function toBase64(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 3) {
    const n = (b[i]! << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    s += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]!;
    s += i + 1 < b.length ? B64[(n >> 6) & 63]! : '=';
    s += i + 2 < b.length ? B64[n & 63]! : '=';
  }
  return s;
}

/** Null when `s` is not standard, padded base64. */
export function fromBase64(s: string): Uint8Array | null {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null;
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const n = [0, 1, 2, 3].reduce((acc, k) => (acc << 6) | Math.max(0, B64.indexOf(s[i + k]!)), 0);
    for (const shift of [16, 8, 0]) if (o < out.length) out[o++] = (n >> shift) & 255;
  }
  return out;
}

const utf8 = new TextEncoder();

/** The bytes an entry's hash is taken over: canonical JSON of exactly the body fields. */
export function auditCanonicalBody(e: AuditEntryBody): string {
  const body: AuditEntryBody = {
    seq: e.seq,
    at: e.at,
    orgId: e.orgId,
    caseId: e.caseId,
    actor: e.actor,
    action: e.action,
    details: e.details,
    prevHash: e.prevHash,
    casePrevHash: e.casePrevHash,
  };
  const text = canonicalize(body);
  if (text === undefined) throw new Error('audit entry is not JSON');
  return text;
}

export function auditEntryHash(e: AuditEntryBody): string {
  return toHex(sha256(utf8.encode(auditCanonicalBody(e))));
}

/** The key id of a raw 32-byte Ed25519 public key: first 16 hex of its SHA-256. */
export function auditKeyId(publicKey: Uint8Array): string {
  return toHex(sha256(publicKey)).slice(0, 16);
}

/** A new random Ed25519 secret key (32 bytes). */
export function newAuditSecretKey(): Uint8Array {
  return ed25519.utils.randomSecretKey();
}

export function auditKeyOf(secretKey: Uint8Array): AuditKey {
  const pub = ed25519.getPublicKey(secretKey);
  return { keyId: auditKeyId(pub), publicKey: toBase64(pub) };
}

/**
 * Normalises details to what JSON can carry (undefined dropped, Dates as ISO text), so the
 * hash taken now is the hash recomputed from the stored text later.
 */
export function jsonOnly(details: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(details)) as Record<string, unknown>;
}

/** Hashes and signs a body: the complete entry to store. */
export function sealAuditEntry(body: AuditEntryBody, secretKey: Uint8Array, sign: Ed25519Sign = nobleSign): AuditEntry {
  const clean: AuditEntryBody = { ...body, details: jsonOnly(body.details) };
  const hash = auditEntryHash(clean);
  const key = auditKeyOf(secretKey);
  const signature = toBase64(sign(fromHex(hash)!, secretKey));
  return { ...clean, hash, keyId: key.keyId, signature };
}

/** 'ok', 'unknown-key' or 'bad' for an entry's signature over its stored hash. */
export function auditSignatureState(
  e: Pick<AuditEntry, 'hash' | 'keyId' | 'signature'>,
  keys: ReadonlyMap<string, Uint8Array>,
  verify: Ed25519Verify = nobleVerify,
): 'ok' | 'unknown-key' | 'bad' {
  const pub = keys.get(e.keyId);
  if (!pub) return 'unknown-key';
  const msg = fromHex(e.hash);
  const sig = fromBase64(e.signature);
  if (!msg || msg.length !== 32 || !sig || sig.length !== 64) return 'bad';
  try {
    return verify(sig, msg, pub) ? 'ok' : 'bad';
  } catch {
    return 'bad';
  }
}

/** keyId → raw public key, for the keys whose id matches their bytes (a mislabelled key is ignored). */
export function auditKeyMap(keys: readonly AuditKey[]): Map<string, Uint8Array> {
  const m = new Map<string, Uint8Array>();
  for (const k of keys) {
    const pub = fromBase64(k.publicKey);
    if (pub && pub.length === 32 && auditKeyId(pub) === k.keyId) m.set(k.keyId, pub);
  }
  return m;
}
