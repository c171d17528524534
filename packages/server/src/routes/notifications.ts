/**
 * In-app notifications (written by the workflow: workflow/notify.ts). GET /api/notifications:
 * the caller's own, newest first, with the unread count; POST /api/notifications/:id/read
 * marks one read (idempotent). Another user's notification, of this organisation or another,
 * does not exist for the caller (404).
 */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { api, caller } from '../http/route.js';
import { notFound } from '../http/errors.js';
import { orgOf } from '../auth/principal.js';
import type { Services } from '../context.js';

const LIMIT = 100;

export function notificationRoutes(app: FastifyInstance, s: Services): void {
  const r = api(app);
  const { db } = s;
  /** The organisation a notification belongs to (the route table's scope check). */
  const ownerOf = async (id: string) => {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    return (await db.selectFrom('notifications').select('org_id').where('id', '=', id).executeTakeFirst())?.org_id;
  };

  r.get('/api/notifications', { config: { access: 'any' }, schema: { querystring: z.object({ unread: z.enum(['1', 'true']).optional() }) } }, async (req) => {
    const p = caller(req);
    let q = db
      .selectFrom('notifications')
      .select(['id', 'case_id', 'transition_id', 'kind', 'title', 'body', 'read_at', 'emailed_at', 'created_at'])
      .where('user_id', '=', p.userId);
    if (req.query.unread) q = q.where('read_at', 'is', null);
    const rows = await q.orderBy('created_at', 'desc').orderBy('id').limit(LIMIT).execute();
    const unread = await db
      .selectFrom('notifications')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('user_id', '=', p.userId)
      .where('read_at', 'is', null)
      .executeTakeFirstOrThrow();
    return {
      unread: Number(unread.n),
      items: rows.map((n) => ({
        id: n.id,
        caseId: n.case_id,
        transitionId: n.transition_id,
        kind: n.kind,
        title: n.title,
        body: n.body,
        read: n.read_at !== null,
        readAt: n.read_at ? new Date(n.read_at).toISOString() : null,
        emailed: n.emailed_at !== null,
        createdAt: new Date(n.created_at).toISOString(),
      })),
    };
  });

  r.post(
    '/api/notifications/:id/read',
    { config: { access: 'any', scopedBy: 'notification', ownerOf }, schema: { params: z.object({ id: z.uuid() }) } },
    async (req) => {
      const p = caller(req);
      // The installation admin belongs to no organisation and gets no case notifications.
      orgOf(p);
      const n = await db.selectFrom('notifications').select(['id', 'read_at']).where('id', '=', req.params.id).where('user_id', '=', p.userId).executeTakeFirst();
      if (!n) throw notFound('notification');
      const readAt = n.read_at ?? new Date();
      if (!n.read_at) await db.updateTable('notifications').set({ read_at: readAt }).where('id', '=', n.id).execute();
      return { id: n.id, read: true, readAt: new Date(readAt).toISOString() };
    },
  );
}
