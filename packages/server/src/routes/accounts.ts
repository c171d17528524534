/**
 * Organisations, users, API tokens and browser sessions. The installation admin creates
 * organisations; an org-admin manages the users of their own organisation only.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { ROLES } from '../db/schema.js';
import { api, caller } from '../http/route.js';
import { HttpError, notFound } from '../http/errors.js';
import { hashPassword, newSecret, secretHash, verifyPassword } from '../auth/secrets.js';
import { tokenRoutes } from './tokens.js';
import { LoginGuard } from '../auth/login-guard.js';
import { SESSION_COOKIE, type Principal } from '../auth/principal.js';
import type { Services } from '../context.js';
import { appendAudit } from '../audit/index.js';
import { auditAddressLimit } from '../auth/address-limit-audit.js';

const Id = z.object({ id: z.uuid() });
const SESSION_HOURS = 12;

/** admin: any organisation; org-admin: their own; others: none. Another org is a 404. */
function manageOrg(p: Principal, orgId: string): void {
  if (p.role === 'admin') return;
  if (p.role === 'org-admin' && p.orgId === orgId) return;
  if (p.orgId !== orgId) throw notFound('organisation');
  throw new HttpError(403, 'FORBIDDEN', `role ${p.role} may not manage this organisation`);
}

export function accountRoutes(app: FastifyInstance, s: Services): void {
  const r = api(app);
  const { db } = s;
  const guard = new LoginGuard();
  tokenRoutes(app, s);

  r.post(
    '/api/orgs',
    {
      config: { access: ['admin'] },
      schema: { body: z.object({ name: z.string().trim().min(1).max(200), serverAnonymise: z.boolean().optional() }).strict() },
    },
    async (req, reply) => {
      const id = randomUUID();
      const exists = await db.selectFrom('orgs').select('id').where('name', '=', req.body.name).executeTakeFirst();
      if (exists) throw new HttpError(409, 'EXISTS', `an organisation named ${JSON.stringify(req.body.name)} exists`);
      await db
        .insertInto('orgs')
        .values({ id, name: req.body.name, server_anonymise: req.body.serverAnonymise ?? false, anonymise_key: randomBytes(32).toString('hex') })
        .execute();
      await appendAudit(s, db, { action: 'org-created', actor: caller(req), orgId: id, details: { name: req.body.name, serverAnonymise: req.body.serverAnonymise ?? false } });
      return reply.code(201).send({ id });
    },
  );

  r.get('/api/orgs/:orgId', { config: { access: 'any', scopedBy: 'org' }, schema: { params: z.object({ orgId: z.uuid() }) } }, async (req) => {
    const p = caller(req);
    if (p.role !== 'admin' && p.orgId !== req.params.orgId) throw notFound('organisation');
    const org = await db.selectFrom('orgs').select(['id', 'name', 'server_anonymise']).where('id', '=', req.params.orgId).executeTakeFirst();
    if (!org) throw notFound('organisation');
    return { id: org.id, name: org.name, serverAnonymise: org.server_anonymise };
  });

  r.patch(
    '/api/orgs/:orgId',
    {
      config: { access: ['admin', 'org-admin'], scopedBy: 'org' },
      schema: { params: z.object({ orgId: z.uuid() }), body: z.object({ serverAnonymise: z.boolean() }).strict() },
    },
    async (req) => {
      manageOrg(caller(req), req.params.orgId);
      const r = await db.updateTable('orgs').set({ server_anonymise: req.body.serverAnonymise }).where('id', '=', req.params.orgId).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw notFound('organisation');
      await appendAudit(s, db, { action: 'org-settings-changed', actor: caller(req), orgId: req.params.orgId, details: { serverAnonymise: req.body.serverAnonymise } });
      return { id: req.params.orgId, serverAnonymise: req.body.serverAnonymise };
    },
  );

  r.post(
    '/api/orgs/:orgId/users',
    {
      config: { access: ['admin', 'org-admin'], scopedBy: 'org' },
      schema: {
        params: z.object({ orgId: z.uuid() }),
        body: z
          .object({
            email: z.email().max(320),
            role: z.enum(ROLES).exclude(['admin']),
            password: z.string().min(12, 'a password has at least 12 characters').max(1024).optional(),
          })
          .strict(),
      },
    },
    async (req, reply) => {
      manageOrg(caller(req), req.params.orgId);
      const org = await db.selectFrom('orgs').select('id').where('id', '=', req.params.orgId).executeTakeFirst();
      if (!org) throw notFound('organisation');
      const email = req.body.email.toLowerCase();
      const taken = await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
      if (taken) throw new HttpError(409, 'EXISTS', `a user ${email} exists`);
      const id = randomUUID();
      const password_hash = req.body.password ? await hashPassword(req.body.password) : null;
      await db.insertInto('users').values({ id, org_id: req.params.orgId, email, role: req.body.role, password_hash }).execute();
      await appendAudit(s, db, { action: 'user-created', actor: caller(req), orgId: req.params.orgId, details: { userId: id, email, role: req.body.role } });
      return reply.code(201).send({ id });
    },
  );

  // The assignee picker: the caller's organisation's users; the installation admin sees every user.
  // Those who manage the accounts (admin, org-admin) also read whether each is disabled and
  // whether it logs in with a password (a person, who makes their own tokens) or not (a script
  // account, whose tokens its org-admin makes): the users page offers what the server allows.
  r.get('/api/users', { config: { access: 'any' } }, async (req) => {
    const p = caller(req);
    let q = db.selectFrom('users').select(['id', 'email', 'role', 'org_id', 'disabled_at', 'password_hash']).orderBy('email');
    if (p.role !== 'admin') q = q.where('org_id', '=', p.orgId);
    const users = await q.execute();
    const manager = p.role === 'admin' || p.role === 'org-admin';
    return users.map((u) => ({
      id: u.id,
      email: u.email,
      role: u.role,
      ...(p.role === 'admin' ? { orgId: u.org_id } : {}),
      ...(manager ? { disabled: u.disabled_at !== null, passwordLogin: u.password_hash !== null } : {}),
    }));
  });

  // An org-admin changes the roles of their organisation's users (the admin: anyone's) and
  // disables or enables them (a leaver: their sessions end and their tokens stop at once); never their own.
  r.patch(
    '/api/users/:id',
    {
      config: { access: ['admin', 'org-admin'], scopedBy: 'user' },
      schema: {
        params: Id,
        body: z
          .object({ role: z.enum(ROLES).exclude(['admin']).optional(), disabled: z.boolean().optional() })
          .strict()
          .refine((b) => b.role !== undefined || b.disabled !== undefined, 'give role or disabled'),
      },
    },
    async (req) => {
      const p = caller(req);
      const user = await db.selectFrom('users').select(['id', 'org_id', 'email', 'role', 'disabled_at']).where('id', '=', req.params.id).executeTakeFirst();
      if (!user || (p.role !== 'admin' && user.org_id !== p.orgId)) throw notFound('user');
      if (user.role === 'admin') throw new HttpError(409, 'ADMIN_ROLE', 'the installation admin keeps its role and stays enabled');
      if (user.id === p.userId) throw new HttpError(409, 'OWN_ROLE', 'nobody changes their own role or account; ask another org-admin or the installation admin');
      const role = req.body.role ?? user.role;
      const disabled = req.body.disabled ?? user.disabled_at !== null;
      await db.transaction().execute(async (tx) => {
        if (role !== user.role) {
          await tx.updateTable('users').set({ role }).where('id', '=', user.id).execute();
          await appendAudit(s, tx, { action: 'role-changed', actor: p, orgId: user.org_id, details: { userId: user.id, email: user.email, from: user.role, to: role } });
        }
        if (disabled !== (user.disabled_at !== null)) {
          await tx.updateTable('users').set({ disabled_at: disabled ? new Date() : null }).where('id', '=', user.id).execute();
          if (disabled) await tx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
          await appendAudit(s, tx, { action: disabled ? 'user-disabled' : 'user-enabled', actor: p, orgId: user.org_id, details: { userId: user.id, email: user.email } });
        }
      });
      return { id: user.id, email: user.email, role, disabled };
    },
  );

  r.get('/api/me', { config: { access: 'any' } }, async (req) => {
    const p = caller(req);
    return { id: p.userId, email: p.email, role: p.role, orgId: p.orgId };
  });

  r.post(
    '/api/session',
    {
      config: { access: 'public', rateLimit: { max: 10, timeWindow: 60_000, onExceeded: auditAddressLimit(s, db, 60_000) } },
      schema: { body: z.object({ email: z.email(), password: z.string().max(1024) }).strict() },
    },
    async (req, reply) => {
      const email = req.body.email.toLowerCase();
      const user = await db
        .selectFrom('users')
        .select(['id', 'password_hash', 'role', 'org_id', 'disabled_at'])
        .where('email', '=', email)
        .executeTakeFirst();
      const failed = { email, ...(user ? { userId: user.id } : {}) };
      const wait = guard.waitMs(email);
      if (wait > 0) {
        await appendAudit(s, db, { action: 'sign-in-failed', actor: null, orgId: user?.org_id ?? null, details: { ...failed, throttled: true } });
        void reply.header('retry-after', String(Math.ceil(wait / 1000)));
        throw new HttpError(429, 'TOO_MANY_ATTEMPTS', `too many wrong passwords for this account: try again in ${Math.ceil(wait / 60_000)} min`);
      }
      const ok = await verifyPassword(user?.password_hash ?? null, req.body.password);
      if (!user || !ok) {
        guard.failed(email);
        await appendAudit(s, db, { action: 'sign-in-failed', actor: null, orgId: user?.org_id ?? null, details: failed });
        throw new HttpError(401, 'BAD_LOGIN', 'wrong e-mail or password');
      }
      guard.succeeded(email);
      if (user.disabled_at) throw new HttpError(401, 'DISABLED', 'this account is disabled; ask your organisation\'s admin');
      const sid = newSecret('sess');
      const csrf = randomBytes(32).toString('base64url');
      const expires = new Date(Date.now() + SESSION_HOURS * 3600_000);
      await db.insertInto('sessions').values({ id: randomUUID(), user_id: user.id, session_hash: secretHash(sid), csrf_token: csrf, expires_at: expires }).execute();
      const who = { userId: user.id, orgId: user.org_id, role: user.role, email: req.body.email.toLowerCase(), via: 'session' as const };
      await appendAudit(s, db, { action: 'sign-in', actor: who, orgId: user.org_id, details: {} });
      reply.setCookie(SESSION_COOKIE, sid, {
        httpOnly: true,
        sameSite: 'strict',
        secure: req.protocol === 'https',
        path: '/',
        expires,
      });
      return { userId: user.id, role: user.role, orgId: user.org_id, csrfToken: csrf };
    },
  );

  r.delete('/api/session', { config: { access: 'any' } }, async (req, reply) => {
    const sid = req.cookies?.[SESSION_COOKIE];
    if (sid) await db.deleteFrom('sessions').where('session_hash', '=', secretHash(sid)).execute();
    await appendAudit(s, db, { action: 'sign-out', actor: caller(req), orgId: caller(req).orgId, details: {} });
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });
}
