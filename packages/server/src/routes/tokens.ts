/**
 * API tokens: made, listed and revoked. A person makes their own tokens (logged in, or with a
 * token they made); an org-admin (the admin: anyone) makes them only for a script account, one
 * without a password, which cannot log in to make its own. A token made by someone else acts
 * as its user but may not sign (auth/principal.ts requirePersonal), so no token lets one person
 * approve as another. Tokens expire (default 90 days) and can be revoked at once.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { api, caller } from '../http/route.js';
import { HttpError, notFound } from '../http/errors.js';
import { newSecret, secretHash } from '../auth/secrets.js';
import type { Principal } from '../auth/principal.js';
import type { Services } from '../context.js';
import { appendAudit } from '../audit/index.js';

const Id = z.object({ id: z.uuid() });
export const TOKEN_DAYS = { default: 90, max: 365 } as const;

/** The user, if the caller may manage their tokens: themselves, their org-admin, the admin. */
async function managedUser(s: Services, p: Principal, id: string) {
  const user = await s.db.selectFrom('users').select(['id', 'org_id', 'email', 'password_hash']).where('id', '=', id).executeTakeFirst();
  if (!user || (p.role !== 'admin' && user.org_id !== p.orgId)) throw notFound('user');
  const manager = p.role === 'admin' || (p.role === 'org-admin' && user.org_id === p.orgId);
  if (user.id !== p.userId && !manager) throw new HttpError(403, 'FORBIDDEN', "only the user, their org-admin or the admin manage a user's tokens");
  return user;
}

export function tokenRoutes(app: FastifyInstance, s: Services): void {
  const r = api(app);
  const { db } = s;

  r.post(
    '/api/users/:id/tokens',
    {
      config: { access: 'any', scopedBy: 'user' },
      schema: {
        params: Id,
        body: z.object({ name: z.string().trim().min(1).max(200), expiresInDays: z.number().int().min(1).max(TOKEN_DAYS.max).optional() }).strict(),
      },
    },
    async (req, reply) => {
      const p = caller(req);
      const user = await managedUser(s, p, req.params.id);
      if (user.id !== p.userId && user.password_hash !== null) {
        throw new HttpError(403, 'OWN_TOKENS', `${user.email} logs in with a password: a person makes their own tokens (log in, then POST /api/users/${user.id}/tokens); an org-admin makes tokens only for script accounts, which have no password`);
      }
      const token = newSecret('s2p');
      const id = randomUUID();
      const days = req.body.expiresInDays ?? TOKEN_DAYS.default;
      const expires = new Date(Date.now() + days * 86_400_000);
      // Made with a token someone else made: the new one is theirs too, not the user's own.
      const madeBy = user.id === p.userId ? (p.madeBy ?? null) : p.userId;
      await db.insertInto('tokens').values({ id, user_id: user.id, name: req.body.name, token_hash: secretHash(token), last_used_at: null, created_by: madeBy, expires_at: expires }).execute();
      await appendAudit(s, db, { action: 'token-created', actor: p, orgId: user.org_id, details: { tokenId: id, userId: user.id, name: req.body.name, madeBy, expiresAt: expires.toISOString() } });
      return reply.code(201).send({ id, token, expiresAt: expires.toISOString(), personal: madeBy === user.id });
    },
  );

  r.get('/api/users/:id/tokens', { config: { access: 'any', scopedBy: 'user' }, schema: { params: Id } }, async (req) => {
    const user = await managedUser(s, caller(req), req.params.id);
    const rows = await db
      .selectFrom('tokens')
      .leftJoin('users as maker', 'maker.id', 'tokens.created_by')
      .select(['tokens.id', 'tokens.name', 'tokens.created_at', 'tokens.created_by', 'maker.email as makerEmail', 'tokens.expires_at', 'tokens.revoked_at', 'tokens.last_used_at'])
      .where('tokens.user_id', '=', user.id)
      .orderBy('tokens.created_at')
      .orderBy('tokens.id')
      .execute();
    const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
    return rows.map((t) => ({
      id: t.id,
      name: t.name,
      createdAt: iso(t.created_at),
      madeBy: t.created_by ? { id: t.created_by, email: t.makerEmail } : null,
      personal: t.created_by === user.id,
      expiresAt: iso(t.expires_at),
      revokedAt: iso(t.revoked_at),
      lastUsedAt: iso(t.last_used_at),
    }));
  });

  r.delete(
    '/api/users/:id/tokens/:tokenId',
    { config: { access: 'any', scopedBy: 'user' }, schema: { params: z.object({ id: z.uuid(), tokenId: z.uuid() }) } },
    async (req, reply) => {
      const p = caller(req);
      const user = await managedUser(s, p, req.params.id);
      const done = await db
        .updateTable('tokens')
        .set({ revoked_at: new Date() })
        .where('id', '=', req.params.tokenId)
        .where('user_id', '=', user.id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (Number(done.numUpdatedRows) === 0) {
        const held = await db.selectFrom('tokens').select('id').where('id', '=', req.params.tokenId).where('user_id', '=', user.id).executeTakeFirst();
        if (!held) throw notFound('token');
        return reply.code(204).send();
      }
      await appendAudit(s, db, { action: 'token-revoked', actor: p, orgId: user.org_id, details: { tokenId: req.params.tokenId, userId: user.id } });
      return reply.code(204).send();
    },
  );
}
