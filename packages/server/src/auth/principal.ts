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
      .select(['users.id as userId', 'users.org_id as orgId', 'users.role', 'users.email', 'tokens.id as tokenId'])
      .where('tokens.token_hash', '=', secretHash(m[1]!))
      .executeTakeFirst();
    if (!row) throw new HttpError(401, 'UNAUTHENTICATED', 'unknown or revoked token');
    return { userId: row.userId, orgId: row.orgId, role: row.role, email: row.email, via: 'token' };
  }
  const sid = req.cookies?.[SESSION_COOKIE];
  if (!sid) return undefined;
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['users.id as userId', 'users.org_id as orgId', 'users.role', 'users.email', 'sessions.csrf_token as csrf', 'sessions.expires_at as expires'])
    .where('sessions.session_hash', '=', secretHash(sid))
    .executeTakeFirst();
  if (!row || new Date(row.expires).getTime() < Date.now()) throw new HttpError(401, 'UNAUTHENTICATED', 'session expired; log in again');
  if (UNSAFE.has(req.method)) {
    const sent = req.headers['x-csrf-token'];
    if (typeof sent !== 'string' || !sameSecret(sent, row.csrf)) {
      throw new HttpError(403, 'CSRF', 'missing or wrong X-CSRF-Token header (returned by POST /api/session)');
    }
  }
  return { userId: row.userId, orgId: row.orgId, role: row.role, email: row.email, via: 'session' };
}

/** The caller's organisation; the installation admin has none and so sees no clinical data. */
export function orgOf(p: Principal): string {
  if (p.orgId === null) throw new HttpError(403, 'NO_ORGANISATION', 'the installation admin belongs to no organisation and holds no cases');
  return p.orgId;
}
