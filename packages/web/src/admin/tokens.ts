/**
 * API tokens as the server keeps them (routes/tokens.ts): listed, made (the secret comes back
 * once, in the answer to POST, and is never stored) and revoked; and who may make one for
 * whom: a person makes their own; an org-admin (the admin: anyone) makes them only for a
 * script account, which has no password and cannot log in to make its own.
 */
import { api } from '../api/client.js';

const enc = encodeURIComponent;

export interface ApiToken {
  id: string;
  name: string;
  createdAt: string | null;
  /** Who made it: the user (personal: may sign) or their org-admin; null when not known (older tokens). */
  madeBy: { id: string; email: string | null } | null;
  personal: boolean;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface MadeToken {
  id: string;
  /** The secret: shown once. */
  token: string;
  expiresAt: string;
  personal: boolean;
}

/** The server's default and longest lifetime (TOKEN_DAYS). */
export const TOKEN_DAYS = { default: 90, max: 365 } as const;

export const listTokens = (userId: string) => api<ApiToken[]>('GET', `/api/users/${enc(userId)}/tokens`);
export const makeToken = (userId: string, name: string, expiresInDays: number) =>
  api<MadeToken>('POST', `/api/users/${enc(userId)}/tokens`, { name, expiresInDays });
export const revokeToken = (userId: string, tokenId: string) => api<void>('DELETE', `/api/users/${enc(userId)}/tokens/${enc(tokenId)}`);

/**
 * Whether the caller may make a token for `user` (the server's rule, OWN_TOKENS): their own
 * always; someone else's only as their org-admin or the admin, and only for a script account.
 * `passwordLogin` unknown (an older server): only one's own.
 */
export function mayMakeToken(me: { id: string; role: string }, user: { id: string; passwordLogin?: boolean }): boolean {
  if (user.id === me.id) return true;
  if (me.role !== 'org-admin' && me.role !== 'admin') return false;
  return user.passwordLogin === false;
}

/** A token's state in words, at `now`. */
export function tokenState(t: ApiToken, now: Date): 'revoked' | 'expired' | 'active' {
  if (t.revokedAt) return 'revoked';
  if (t.expiresAt && new Date(t.expiresAt).getTime() <= now.getTime()) return 'expired';
  return 'active';
}
