/**
 * Passwords are argon2id (@node-rs/argon2, OWASP's parameters); API tokens and session
 * ids are 256-bit random strings stored only as SHA-256 (a leaked table grants nothing,
 * and a token is looked up by its hash in one indexed query).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

const ARGON2 = { algorithm: 2 /* Algorithm.Argon2id (a const enum) */, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string) => hash(password, ARGON2);

export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  // Same work whether or not the user exists: no timing oracle for e-mail addresses.
  dummy ??= hash('no such user', ARGON2);
  const h = stored ?? (await dummy);
  const ok = await verify(h, password).catch(() => false);
  return ok && stored !== null;
}
let dummy: Promise<string> | undefined;

export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
