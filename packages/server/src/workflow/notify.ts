/**
 * Notifications: an in-app row for each user who can act next (by role, from the case's new
 * state), and for the requester when their order is approved, rejected or delivered. Rows are
 * written in the transition's transaction; the e-mails go out after it commits, when
 * SCAN2PRINT_SMTP_URL is set. A mail that fails is logged and never undoes the transition.
 * No comment goes into a mail: free text may say more than an inbox should hold.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import nodemailer, { type Transporter } from 'nodemailer';
import { GATE_RULES, rolesToAct, rulesFrom, type CaseState, type Gate } from '@scan2print/core';
import type { Database, Role } from '../db/schema.js';
import type { Services } from '../context.js';
import { errorForLog } from '../http/errors.js';
import { appendAudit } from '../audit/index.js';

export interface PendingMail {
  notificationId: string;
  userId: string;
  orgId: string;
  caseId: string;
  to: string;
  subject: string;
  text: string;
}

interface CaseRef {
  id: string;
  org_id: string;
  created_by: string;
  anatomy: string;
}

const REQUESTER_HEARS: readonly CaseState[] = ['approved', 'rejected', 'delivered'];
const short = (id: string) => id.slice(0, 8);

/** Users of the organisation with these roles (the org-admin only when no one else has the role). */
async function usersWith(db: Kysely<Database>, orgId: string, roles: readonly string[]) {
  const wanted = roles.filter((r) => r !== 'org-admin');
  const list = wanted.length ? wanted : roles;
  if (list.length === 0) return [];
  return db.selectFrom('users').select(['id', 'email']).where('org_id', '=', orgId).where('role', 'in', list as Role[]).execute();
}

async function insert(
  db: Kysely<Database>,
  c: CaseRef,
  users: Array<{ id: string; email: string }>,
  n: { kind: string; title: string; body: string; transitionId?: string | null },
): Promise<PendingMail[]> {
  const out: PendingMail[] = [];
  for (const u of users) {
    const id = randomUUID();
    await db
      .insertInto('notifications')
      .values({ id, org_id: c.org_id, user_id: u.id, case_id: c.id, transition_id: n.transitionId ?? null, kind: n.kind, title: n.title, body: n.body })
      .execute();
    out.push({ notificationId: id, userId: u.id, orgId: c.org_id, caseId: c.id, to: u.email, subject: n.title, text: `${n.body}\n\nOpen the case: /cases/${c.id}\n` });
  }
  return out;
}

/** Rows for a transition into `to`: who can act next, and the requester on approval, rejection, delivery. */
export async function notifyTransition(
  db: Kysely<Database>,
  c: CaseRef,
  t: { from: CaseState; to: CaseState; label: string; actorId: string | null; actorEmail: string | null; transitionId: string },
): Promise<PendingMail[]> {
  const users = new Map((await usersWith(db, c.org_id, rolesToAct(t.to))).map((u) => [u.id, u]));
  if (REQUESTER_HEARS.includes(t.to)) {
    const r = await db.selectFrom('users').select(['id', 'email']).where('id', '=', c.created_by).executeTakeFirst();
    if (r) users.set(r.id, r);
  }
  if (t.actorId) users.delete(t.actorId);
  const who = t.actorEmail ?? 'scan2print (automatic)';
  const next = rulesFrom(t.to)
    .filter((r) => !['cancelled', 'rejected', 'changes-requested'].includes(r.to))
    .map((r) => r.label.toLowerCase());
  return insert(db, c, [...users.values()], {
    kind: 'transition',
    title: `Case ${short(c.id)} (${c.anatomy}): ${t.to}`,
    body: `${who}: ${t.label} — case ${short(c.id)} moved from ${t.from} to ${t.to}.${next.length ? ` Next: ${next.join('; ')}.` : ''}`,
    transitionId: t.transitionId,
  });
}

/** Rows for a signed gate: those whose next step needed it. */
export async function notifyGate(db: Kysely<Database>, c: CaseRef, g: { gate: Gate; state: CaseState; signerId: string; signerEmail: string }): Promise<PendingMail[]> {
  const roles = new Set<string>();
  for (const r of rulesFrom(g.state)) if (r.requires.includes(`gate:${g.gate}`)) r.roles.forEach((x) => roles.add(x));
  const users = (await usersWith(db, c.org_id, [...roles])).filter((u) => u.id !== g.signerId);
  return insert(db, c, users, {
    kind: 'gate',
    title: `Case ${short(c.id)} (${c.anatomy}): gate ${g.gate} signed`,
    body: `${g.signerEmail} signed the gate "${GATE_RULES[g.gate].label}" of case ${short(c.id)}.`,
  });
}

const TRANSPORTS = new Map<string, Transporter>();

function transportFor(url: string): Transporter {
  let t = TRANSPORTS.get(url);
  if (!t) TRANSPORTS.set(url, (t = nodemailer.createTransport(url)));
  return t;
}

/**
 * Sends the mails (when SMTP is configured), marks each sent row and audits it; never throws.
 * Returns when all are done, so a caller may wait (tests) or not (routes).
 */
export async function sendMails(s: Services, mails: PendingMail[], log: FastifyBaseLogger): Promise<void> {
  const url = s.config.smtpUrl;
  if (!url || mails.length === 0) return;
  const transport = transportFor(url);
  for (const m of mails) {
    try {
      await transport.sendMail({ from: s.config.mailFrom, to: m.to, subject: m.subject, text: m.text });
    } catch (e) {
      log.warn({ err: errorForLog(e), notification: m.notificationId }, 'could not send a notification e-mail; the in-app notification stays');
      continue;
    }
    try {
      await s.db.transaction().execute(async (tx) => {
        await tx.updateTable('notifications').set({ emailed_at: new Date() }).where('id', '=', m.notificationId).execute();
        await appendAudit(s, tx, { action: 'notification-sent', actor: null, orgId: m.orgId, caseId: m.caseId, details: { notificationId: m.notificationId, userId: m.userId, channel: 'email' } });
      });
    } catch (e) {
      log.warn({ err: errorForLog(e), notification: m.notificationId }, 'a notification e-mail went out but could not be recorded');
    }
  }
}
