/**
 * The server's Ed25519 audit key: SCAN2PRINT_AUDIT_KEY_FILE, else `<data dir>/audit-key.pem`
 * made (0600, PKCS#8 PEM) on first use. Never in the database: whoever can write the
 * database must not be able to sign. Processes sharing one PostgreSQL database (API nodes,
 * `scan2print worker`s) must share the key file, or each signs with its own key and the
 * others' entries verify only when their public keys are given (SCAN2PRINT_AUDIT_RETIRED_KEYS).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { auditKeyId, auditKeyOf, fromBase64, newAuditSecretKey, type AuditKey } from '@scan2print/core';

/** DER of a PKCS#8 Ed25519 private key, less its last 32 bytes (the key). */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface AuditSigner {
  file: string;
  secretKey: Uint8Array;
  key: AuditKey;
}

export function auditKeyFile(dataDir: string, env: Record<string, string | undefined> = process.env): string {
  return env.SCAN2PRINT_AUDIT_KEY_FILE || join(dataDir, 'audit-key.pem');
}

export function keyToPem(secretKey: Uint8Array): string {
  const der = Buffer.concat([PKCS8_PREFIX, Buffer.from(secretKey)]);
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64')}\n-----END PRIVATE KEY-----\n`;
}

/** A PKCS#8 PEM Ed25519 key, 64 hex digits, or the raw 32 bytes. */
export function parseKeyFile(bytes: Buffer, file: string): Uint8Array {
  const text = bytes.toString('latin1').trim();
  const pem = /-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END PRIVATE KEY-----/.exec(text);
  if (pem) {
    const der = Buffer.from(pem[1]!.replace(/\s+/g, ''), 'base64');
    if (der.length === 48 && der.subarray(0, 16).equals(PKCS8_PREFIX)) return new Uint8Array(der.subarray(16));
  } else if (/^[0-9a-fA-F]{64}$/.test(text)) {
    return new Uint8Array(Buffer.from(text, 'hex'));
  } else if (bytes.length === 32) {
    return new Uint8Array(bytes);
  }
  throw new Error(`${file} is not an Ed25519 private key (PKCS#8 PEM, 64 hex digits or 32 raw bytes)`);
}

const loaded = new Map<string, AuditSigner>();

/** The signing key, read once per file; made with 0600 when missing (an exclusive create: two starting processes agree). */
export function auditSigner(dataDir: string, env: Record<string, string | undefined> = process.env): AuditSigner {
  const file = auditKeyFile(dataDir, env);
  const have = loaded.get(file);
  if (have) return have;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, keyToPem(newAuditSecretKey()), { mode: 0o600, flag: 'wx' });
      // Several processes on one PostgreSQL database each making their own key: their entries would not verify on the others.
      if (env.DATABASE_URL && !env.SCAN2PRINT_AUDIT_KEY_FILE) {
        process.stderr.write(`scan2print: made the audit signing key ${file}; every process on this database must sign with one key: set SCAN2PRINT_AUDIT_KEY_FILE to a shared copy\n`);
      }
    } catch (w) {
      if ((w as NodeJS.ErrnoException).code !== 'EEXIST') throw w;
    }
    bytes = readFileSync(file);
  }
  const secretKey = parseKeyFile(bytes, file);
  const signer = { file, secretKey, key: auditKeyOf(secretKey) };
  loaded.set(file, signer);
  return signer;
}

/** Public keys of retired (or other processes') signing keys: base64 raw keys, comma-separated. */
export function retiredKeys(env: Record<string, string | undefined> = process.env): AuditKey[] {
  return (env.SCAN2PRINT_AUDIT_RETIRED_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '')
    .map((k) => {
      const pub = fromBase64(k);
      if (!pub || pub.length !== 32) throw new Error(`SCAN2PRINT_AUDIT_RETIRED_KEYS: ${k} is not a base64 32-byte Ed25519 public key`);
      return { keyId: auditKeyId(pub), publicKey: k };
    });
}
