/**
 * GET /api/events: one server-sent event stream per logged-in user for their organisation.
 * Event `case`, data = the case's row as GET /api/cases gives it, whenever anything in the
 * row changes (status, the latest job's state, progress or stage, assignee, review).
 * With ?activity=1 also event `case-activity`, data = {id, comments, signatures, voided,
 * transitions, prints, at} (caseActivity below): first for every case, then whenever a comment
 * is added, a gate signed or voided, or a print job of the case queued, started, printed,
 * failed or withdrawn, which the row does not show. A case page follows it to show another
 * user's signature, comment or print without a reload; the list does not ask for it.
 *
 * Why polling the database: job progress is written by whichever worker holds the job (this
 * process, or `scan2print worker` processes in scale mode), so the database is the one
 * place every change shows. One feed per organisation polls it (five queries a second, and a
 * sixth while a stream follows activity, however many browsers follow it) and sends each
 * subscriber only the rows that changed;
 * a route of this process that changes a row pokes the feed so the event goes out at once.
 */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { api, caller } from '../http/route.js';
import { orgOf } from '../auth/principal.js';
import type { Database } from '../db/schema.js';
import type { Services } from '../context.js';
import { caseRows, type CaseRowJson } from './cases.js';

const POLL_MS = 1000;

/** What happened on a case beyond its row: the counts change when something is added or voided. */
export interface CaseActivityJson {
  id: string;
  comments: number;
  /** Gate signatures ever made, and how many of them were voided since. */
  signatures: number;
  voided: number;
  transitions: number;
  /**
   * The case's print jobs by state: every change of a job's state (queued from approval on,
   * started on a machine, printed, failed, withdrawn as cancelled) moves one between them.
   */
  prints: PrintCounts;
  /** The latest of those events, ISO 8601; null when there was none. */
  at: string | null;
}

export interface PrintCounts {
  queued: number;
  printing: number;
  printed: number;
  failed: number;
  cancelled: number;
}

/**
 * The activity of the organisation's cases (each, with zeros for none, so a client reads the
 * first event of a case as "as loaded"; the newest 1000, as caseRows): one query.
 */
export async function caseActivity(db: Kysely<Database>, orgId: string): Promise<CaseActivityJson[]> {
  type Count = number | string | null;
  type Row = { id: string; comments: number; signatures: number; voided: number; transitions: number; at: Date | string | null } & Record<keyof PrintCounts, Count>;
  // A cancel has no time of its own: the transition that withdrew the job is in `at` already.
  const { rows } = await sql<Row>`
    select c.id, coalesce(cm.n, 0) as comments, coalesce(g.n, 0) as signatures, coalesce(g.v, 0) as voided,
      coalesce(t.n, 0) as transitions, pj.queued, pj.printing, pj.printed, pj.failed, pj.cancelled,
      greatest(cm.at, g.at, t.at, pj.at) as at
    from cases c
    left join (select case_id, count(*)::int as n, max(created_at) as at from comments where org_id = ${orgId} group by case_id) cm on cm.case_id = c.id
    left join (select case_id, count(*)::int as n, count(voided_at)::int as v, greatest(max(created_at), max(voided_at)) as at
      from gate_signatures where org_id = ${orgId} group by case_id) g on g.case_id = c.id
    left join (select case_id, count(*)::int as n, max(created_at) as at from case_transitions where org_id = ${orgId} group by case_id) t on t.case_id = c.id
    left join (select case_id, count(*) filter (where status = 'queued')::int as queued,
        count(*) filter (where status = 'printing')::int as printing, count(*) filter (where status = 'printed')::int as printed,
        count(*) filter (where status = 'failed')::int as failed, count(*) filter (where status = 'cancelled')::int as cancelled,
        greatest(max(created_at), max(started_at), max(finished_at)) as at
      from print_jobs where org_id = ${orgId} group by case_id) pj on pj.case_id = c.id
    where c.org_id = ${orgId}
    order by c.created_at desc, c.id
    limit 1000
  `.execute(db);
  return rows.map((r) => ({
    id: r.id,
    comments: Number(r.comments),
    signatures: Number(r.signatures),
    voided: Number(r.voided),
    transitions: Number(r.transitions),
    prints: { queued: Number(r.queued ?? 0), printing: Number(r.printing ?? 0), printed: Number(r.printed ?? 0), failed: Number(r.failed ?? 0), cancelled: Number(r.cancelled ?? 0) },
    at: r.at === null ? null : new Date(r.at).toISOString(),
  }));
}
const KEEP_ALIVE_MS = 15_000;

interface Subscriber {
  rows: (rows: CaseRowJson[]) => void;
  /** Set for a stream that asked for activity (?activity=1). */
  activity?: (acts: CaseActivityJson[]) => void;
}

interface Feed {
  subs: Set<Subscriber>;
  /** Each case's row as last sent, as JSON. */
  last: Map<string, string>;
  /** Each case's activity as last sent, as JSON; kept (and queried) only while a subscriber wants it. */
  lastActivity: Map<string, string>;
  timer?: NodeJS.Timeout;
  busy: boolean;
  again: boolean;
}

/** The feeds of one database (one app); routes that change a row poke through it. */
const FEEDS = new WeakMap<Kysely<Database>, Map<string, Feed>>();

function feedsOf(db: Kysely<Database>): Map<string, Feed> {
  let m = FEEDS.get(db);
  if (!m) FEEDS.set(db, (m = new Map()));
  return m;
}

/** A route changed a case of this organisation: send the change now instead of at the next poll. */
export function caseChanged(db: Kysely<Database>, orgId: string): void {
  const f = feedsOf(db).get(orgId);
  if (f) void poll(db, orgId, f);
}

async function poll(db: Kysely<Database>, orgId: string, f: Feed): Promise<void> {
  if (f.busy) {
    f.again = true;
    return;
  }
  f.busy = true;
  try {
    do {
      f.again = false;
      let rows: CaseRowJson[];
      try {
        rows = await caseRows(db, orgId);
      } catch {
        return; // the database is not answering: the next poll tries again
      }
      const changed = changedOf(f.last, rows);
      if (changed.length) for (const s of f.subs) s.rows(changed);
      const followers = [...f.subs].filter((s) => s.activity);
      if (followers.length === 0) continue;
      let acts: CaseActivityJson[];
      try {
        acts = await caseActivity(db, orgId);
      } catch {
        return;
      }
      const moved = changedOf(f.lastActivity, acts);
      if (moved.length) for (const s of followers) s.activity?.(moved);
    } while (f.again);
  } finally {
    f.busy = false;
  }
}

/** The items of `items` whose JSON differs from `last` (which is updated to them). */
function changedOf<T extends { id: string }>(last: Map<string, string>, items: T[]): T[] {
  const out: T[] = [];
  for (const it of items) {
    const json = JSON.stringify(it);
    if (last.get(it.id) !== json) {
      last.set(it.id, json);
      out.push(it);
    }
  }
  return out;
}

const byId = <T extends { id: string }>(items: T[]) => new Map(items.map((r) => [r.id, JSON.stringify(r)]));

/** What the feed saw that `first` (read by the connecting stream before it joined) did not. */
function newerThan<T>(last: Map<string, string>, first: Map<string, string>): T[] {
  return [...last].filter(([id, json]) => first.get(id) !== json).map(([, json]) => JSON.parse(json) as T);
}

interface First {
  rows: CaseRowJson[];
  activity?: CaseActivityJson[];
}

function subscribe(db: Kysely<Database>, orgId: string, s: Subscriber, first: First): () => void {
  const feeds = feedsOf(db);
  let f = feeds.get(orgId);
  const followed = (x: Feed) => [...x.subs].some((y) => y.activity);
  if (!f) {
    const feed: Feed = { subs: new Set(), last: byId(first.rows), lastActivity: new Map(), busy: false, again: false };
    feed.timer = setInterval(() => void poll(db, orgId, feed), POLL_MS);
    feeds.set(orgId, (f = feed));
  } else {
    // The feed may have polled since `first` was read: send what it saw that `first` did not.
    const newer = newerThan<CaseRowJson>(f.last, byId(first.rows));
    if (newer.length) s.rows(newer);
  }
  if (first.activity) {
    // A feed nobody followed for activity has none kept: this stream's first read is the start.
    if (!followed(f)) f.lastActivity = byId(first.activity);
    else {
      const newer = newerThan<CaseActivityJson>(f.lastActivity, byId(first.activity));
      if (newer.length) s.activity?.(newer);
    }
  }
  f.subs.add(s);
  const feed = f;
  return () => {
    feed.subs.delete(s);
    if (!followed(feed)) feed.lastActivity.clear();
    if (feed.subs.size === 0) {
      clearInterval(feed.timer);
      if (feeds.get(orgId) === feed) feeds.delete(orgId);
    }
  };
}

export function eventRoutes(app: FastifyInstance, s: Services): void {
  const r = api(app);
  const { db } = s;
  const open = new Set<() => void>();
  // Streams never end by themselves: close them before the server waits for its connections.
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  const query = z.object({ activity: z.enum(['0', '1']).optional() }).strict();
  r.get('/api/events', { config: { access: 'any' }, schema: { querystring: query } }, async (req, reply) => {
    const orgId = orgOf(caller(req));
    const wantsActivity = req.query.activity === '1';
    // Every row first: a change between the client's GET /api/cases and this connect is not lost.
    const first: First = { rows: await caseRows(db, orgId), ...(wantsActivity ? { activity: await caseActivity(db, orgId) } : {}) };
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-content-type-options': 'nosniff' });
    const out = (event: string) => (items: unknown[]) => {
      for (const it of items) res.write(`event: ${event}\ndata: ${JSON.stringify(it)}\n\n`);
    };
    const sub: Subscriber = { rows: out('case'), ...(wantsActivity ? { activity: out('case-activity') } : {}) };
    sub.rows(first.rows);
    if (first.activity) sub.activity?.(first.activity);
    const unsubscribe = subscribe(db, orgId, sub, first);
    const beat = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    const end = () => {
      if (!open.delete(end)) return;
      clearInterval(beat);
      unsubscribe();
      res.end();
    };
    open.add(end);
    res.on('close', end);
  });
}
