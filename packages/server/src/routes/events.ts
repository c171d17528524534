/**
 * GET /api/events: one server-sent event stream per logged-in user for their organisation.
 * Event `case`, data = the case's row as GET /api/cases gives it, whenever anything in the
 * row changes (status, the latest job's state, progress or stage, assignee, review).
 *
 * Why polling the database: job progress is written by whichever worker holds the job (this
 * process, or `scan2print worker` processes in scale mode), so the database is the one
 * place every change shows. One feed per organisation polls it (five queries a second,
 * however many browsers follow it) and sends each subscriber only the rows that changed;
 * a route of this process that changes a row pokes the feed so the event goes out at once.
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { api, caller } from '../http/route.js';
import { orgOf } from '../auth/principal.js';
import type { Database } from '../db/schema.js';
import type { Services } from '../context.js';
import { caseRows, type CaseRowJson } from './cases.js';

const POLL_MS = 1000;
const KEEP_ALIVE_MS = 15_000;

type Subscriber = (rows: CaseRowJson[]) => void;

interface Feed {
  subs: Set<Subscriber>;
  /** Each case's row as last sent, as JSON. */
  last: Map<string, string>;
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
      const changed: CaseRowJson[] = [];
      for (const row of rows) {
        const json = JSON.stringify(row);
        if (f.last.get(row.id) !== json) {
          f.last.set(row.id, json);
          changed.push(row);
        }
      }
      if (changed.length) for (const s of f.subs) s(changed);
    } while (f.again);
  } finally {
    f.busy = false;
  }
}

function subscribe(db: Kysely<Database>, orgId: string, s: Subscriber, first: CaseRowJson[]): () => void {
  const feeds = feedsOf(db);
  let f = feeds.get(orgId);
  if (!f) {
    const feed: Feed = { subs: new Set(), last: new Map(first.map((r) => [r.id, JSON.stringify(r)])), busy: false, again: false };
    feed.timer = setInterval(() => void poll(db, orgId, feed), POLL_MS);
    feeds.set(orgId, (f = feed));
  } else {
    // The feed may have polled since `first` was read: send what it saw that `first` did not.
    const had = new Map(first.map((r) => [r.id, JSON.stringify(r)]));
    const newer = [...f.last].filter(([id, json]) => had.get(id) !== json).map(([, json]) => JSON.parse(json) as CaseRowJson);
    if (newer.length) s(newer);
  }
  f.subs.add(s);
  const feed = f;
  return () => {
    feed.subs.delete(s);
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

  r.get('/api/events', { config: { access: 'any' } }, async (req, reply) => {
    const orgId = orgOf(caller(req));
    // Every row first: a change between the client's GET /api/cases and this connect is not lost.
    const first = await caseRows(db, orgId);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-content-type-options': 'nosniff' });
    const send = (rows: CaseRowJson[]) => {
      for (const row of rows) res.write(`event: case\ndata: ${JSON.stringify(row)}\n\n`);
    };
    send(first);
    const unsubscribe = subscribe(db, orgId, send, first);
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
