/**
 * Who is calling: a bearer token (`Authorization: Bearer s2p_…`) or the browser session
 * cookie (then unsafe methods also need the CSRF token in `X-CSRF-Token`: a cookie alone,
 * sent by another site's form, must not act).
 */
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database, Role } from '../db/schema.js';
import { HttpError } from '../http/errors.js';
import { sameSecret, secretHash } from './secrets.js';

export interface Principal {
  userId: string;
  /** Null only for the installation admin. */
  orgId: string | null;
  role: Role;
  email: string;
  via: 'token' | 'session';
  /**
   * False for a token someone else made for this user (or one from before tokens recorded
   * their maker): it acts as the user but may not sign. Absent: the server's own principal.
   */
  personal?: boolean;
  /** Who is behind the call: the token's maker (null: unknown), else the user. Tokens made with this call inherit it. */
  madeBy?: string | null;
}

export const SESSION_COOKIE = 's2p_session';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export async function authenticate(db: Kysely<Database>, req: FastifyRequest): Promise<Principal | undefined> {
  // A public route (health, login) needs nobody: a stale session cookie or an old token must
  // not lock a browser out of logging in again, nor fail a load balancer's health check.
  if (req.routeOptions.config?.access === 'public') return undefined;
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    if (!m) throw new HttpError(401, 'UNAUTHENTICATED', 'Authorization must be "Bearer <token>"');
    const row = await db
      .selectFrom('tokens')
      .innerJoin('users', 'users.id', 'tokens.user_id')
      .select(['users.id as userId', 'users.org_id as orgId', 'users.role', 'users.email', 'users.disabled_at as disabled'])
      .select(['tokens.id as tokenId', 'tokens.created_by as madeBy', 'tokens.expires_at as expires', 'tokens.revoked_at as revoked', 'tokens.last_used_at as used'])
      .where('tokens.token_hash', '=', secretHash(m[1]!))
      .executeTakeFirst();
    if (!row) throw new HttpError(401, 'UNAUTHENTICATED', 'unknown token');
    if (row.revoked) throw new HttpError(401, 'UNAUTHENTICATED', `token ${row.tokenId} was revoked on ${iso(row.revoked)}`);
    if (row.expires && new Date(row.expires).getTime() <= Date.now()) {
      throw new HttpError(401, 'UNAUTHENTICATED', `token ${row.tokenId} expired on ${iso(row.expires)}; make a new one`);
    }
    if (row.disabled) throw new HttpError(401, 'UNAUTHENTICATED', `account ${row.email} is disabled`);
    // Last use to the minute: one write a minute per token at most, not one per request.
    if (!row.used || Date.now() - new Date(row.used).getTime() > 60_000) {
      await db.updateTable('tokens').set({ last_used_at: new Date() }).where('id', '=', row.tokenId).execute();
    }
    const p = { userId: row.userId, orgId: row.orgId, role: row.role, email: row.email, via: 'token' as const };
    return { ...p, personal: row.madeBy === row.userId, madeBy: row.madeBy };
  }
  const sid = req.cookies?.[SESSION_COOKIE];
  if (!sid) return undefined;
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['users.id as userId', 'users.org_id as orgId', 'users.role', 'users.email', 'sessions.csrf_token as csrf', 'sessions.expires_at as expires'])
    .where('sessions.session_hash', '=', secretHash(sid))
    .where('users.disabled_at', 'is', null)
    .executeTakeFirst();
  if (!row || new Date(row.expires).getTime() < Date.now()) throw new HttpError(401, 'UNAUTHENTICATED', 'session expired; log in again');
  if (UNSAFE.has(req.method)) {
    const sent = req.headers['x-csrf-token'];
    if (typeof sent !== 'string' || !sameSecret(sent, row.csrf)) {
      throw new HttpError(403, 'CSRF', 'missing or wrong X-CSRF-Token header (returned by POST /api/session)');
    }
  }
  return { userId: row.userId, orgId: row.orgId, role: row.role, email: row.email, via: 'session', personal: true, madeBy: row.userId };
}

const iso = (d: Date | string) => new Date(d).toISOString();

/**
 * A signature (approving a model, signing a gate) is the signer's own act: refused to a token
 * someone else made for the user, however the user's role stands (four eyes would mean nothing
 * if an org-admin could sign as a reviewer with a token made for them).
 */
export function requirePersonal(p: Principal, what: string): void {
  if (p.personal === false) {
    throw new HttpError(403, 'NOT_PERSONAL', `${what} needs ${p.email}'s own credentials: this token was not made by them; log in, or use a token they made themselves`);
  }
}

/** The caller's organisation; the installation admin has none and so sees no clinical data. */
export function orgOf(p: Principal): string {
  if (p.orgId === null) throw new HttpError(403, 'NO_ORGANISATION', 'the installation admin belongs to no organisation and holds no cases');
  return p.orgId;
}
