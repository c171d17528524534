/**
 * The PACS spool in scale mode: two `scan2print serve` processes, A and B, on one PostgreSQL
 * database and one S3-compatible bucket (s3rver), with a short spool lease
 * (SCAN2PRINT_PACS_SPOOL_LEASE_S). A takes, on one association from dcmtk's storescu, two
 * instances of a study and an identifiable original (refused: the organisation does not
 * anonymise on the server), and is killed with SIGKILL while that association is still open (an
 * hour's quiet time: only the kill ends it). B, running since before the kill, takes the study
 * over once A's lease has run out: one case of the two instances, whose reception says one
 * instance was refused, word for word as the same sending to a live server does, and that the
 * server stopped (PACS_RECOVERED_AT_START); nothing of it left in the spool. A started again
 * takes nothing: no second case.
 *
 * B's quiet time is short (2 s): a study taken over waits for the quiet time of the process
 * that took it, counted from its last instance (study-assembler.ts restore), so with A's hour
 * B would make the case an hour after the kill; with 2 s it makes it as soon as it takes it.
 *
 * The association is held open as in pacs-refusal-kill.spec.ts: storescu's last file is a named
 * pipe, opened only once every earlier instance was answered. Real CT (the GE head series),
 * real processes, real PostgreSQL and S3 on loopback; waits are polls with generous limits.
 *
 * Then a stall instead of a kill: A is stopped (SIGSTOP) with two instances of a study acknowledged,
 * B takes the study over and makes its case, and A, continued (SIGCONT), is sent two more
 * instances of the same study. A no longer holds the study: it must not spool them under it (B
 * has read that study and removes it whole), nor make the study's case again; they become a case
 * of their own. Every acknowledged instance ends in one case: none lost, none twice.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymisedSeries, seriesFiles } from '../../../test/server/dicom-files.js';
import { apiJson as json, heldOpen, receptionsWhen as receptionsOf, routedOrg, run, serveProcess, type Reception, sleep } from '../../../test/server/serve-process.js';
import { freshDatabase } from '../../../test/services/postgres.js';
import { serverS3Env, startS3, type S3TestServer } from '../../../test/services/s3.js';
import { configFromEnv } from './config.js';

const SERIES = 'ge-head-tilt-variable-spacing';
const CALLING = 'PG-SPOOL-SENDER';
/** Seconds: renewed every third of it, so A's lease runs out a few seconds after the kill. */
const LEASE_S = 4;
const dir = mkdtempSync(join(tmpdir(), 's2p-pacs-spool-pg-'));
const live = new Set<ChildProcess>();
let db: Awaited<ReturnType<typeof freshDatabase>>;
let s3: S3TestServer;

beforeAll(async () => {
  db = await freshDatabase('pacs_spool_pg');
  s3 = await startS3();
});

afterAll(async () => {
  for (const p of live) p.kill('SIGKILL');
  await s3?.stop();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** A serve process on the shared database and bucket; `data` holds only what is local (admin.token on the first start). */
const serve = (data: string, quietSeconds: number) =>
  serveProcess({ data, quietSeconds, live, env: { DATABASE_URL: db.url, ...serverS3Env(s3), SCAN2PRINT_PACS_SPOOL_LEASE_S: String(LEASE_S) } });

/** Every file sent whatever was refused (storescu otherwise stops at the first refusal). */
const storescu = (port: number, paths: string[]) => run('storescu', ['--no-halt', '-aet', CALLING, '-aec', 'SCAN2PRINT', '127.0.0.1', String(port), ...paths]);

/** Two instances of a study anonymised under `key`, then the identifiable original: the association's files. */
async function sending(key: string): Promise<string[]> {
  const files = (await anonymisedSeries(SERIES, key)).slice(0, 2);
  const paths = files.map((f, i) => {
    const p = join(dir, `${key.split(' ')[0]}-${i}.dcm`);
    writeFileSync(p, f.bytes);
    return p;
  });
  const original = join(dir, 'identifiable-original.dcm');
  writeFileSync(original, seriesFiles(SERIES)[20]!.bytes);
  return [...paths, original];
}

/** `f()` once it is not undefined, polled; throws after `ms` saying what was awaited. */
async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 180_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`after ${ms / 1000} s still waiting for ${what}`);
    await sleep(250);
  }
}

/** Rows of the spool tables on the shared database. */
async function spoolCounts(c: pg.Client): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ['pacs_spool_studies', 'pacs_spool_instances', 'pacs_spool_notes']) out[t] = (await c.query<{ n: number }>(`select count(*)::int as n from ${t}`)).rows[0]!.n;
  return out;
}

/** The spooled objects in the bucket (s3rver keeps each object as a file named after its key). */
function spooledObjects(): string[] {
  const root = join(s3.directory, 'buckets', s3.bucket, 'pacs-spool');
  try {
    return (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.dcm._S3rver_object'));
  } catch {
    return [];
  }
}

describe('PostgreSQL: a serve process killed with a study in its spool', () => {
  it('another running process takes the study over after the lease and makes its one case, refusal and all', async () => {
    const c = new pg.Client({ connectionString: db.url });
    const dataA = join(dir, 'a');
    let a = await serve(dataA, 3600);
    await c.connect();
    try {
      const token = await routedOrg(a, dataA, { name: 'Spool Scale Hospital', email: 'pacs@spool-pg.example.org', callingAe: CALLING });
      // Started before the kill: it takes the study over as a running process, not at its start.
      const b = await serve(join(dir, 'b'), 2);

      // Every earlier instance answered, the association open (the last file a named pipe).
      const { writer, sent } = await heldOpen(dir, await sending('kilo scale spool key 0123456789'), (paths) => storescu(a.dicomPort, paths));
      // Acknowledged (the bytes in the bucket, listed), the refusal noted, and no case yet.
      expect(await spoolCounts(c)).toEqual({ pacs_spool_studies: 1, pacs_spool_instances: 2, pacs_spool_notes: 1 });
      expect(spooledObjects()).toHaveLength(2);
      expect((await json<{ receptions: Reception[] }>(a, token, 'GET', '/api/pacs/receptions')).receptions).toEqual([]);
      a.proc.kill('SIGKILL');
      expect(await a.exited).toBe(null);
      await writer.close();
      expect((await sent).out).toMatch(/Bad DICOM file: \S*held-open\.dcm/);

      // B's lease timer finds A's lease run out and takes the study: its case comes without any request.
      const [taken] = (await receptionsOf<Reception>(b, token, 1)) as [Reception];
      expect(b.log()).toMatch(/taken back from the spool/);
      expect([taken.status, taken.instances, taken.refusedInstances], JSON.stringify(taken)).toEqual(['case-created', 2, 1]);
      expect(taken.findings.map((f) => f.code)).toEqual(['PACS_INSTANCES_REFUSED', 'PACS_RECOVERED_AT_START']);
      expect(await spoolCounts(c)).toEqual({ pacs_spool_studies: 0, pacs_spool_instances: 0, pacs_spool_notes: 0 });
      // The bytes go after the reception's commit: polled.
      await until('the spooled objects to be removed from the bucket', async () => (spooledObjects().length === 0 ? true : undefined));

      // A again: it must not take the study again. Then the same sending to it, released: what a live server says.
      a = await serve(dataA, 2);
      const again = await storescu(a.dicomPort, await sending('lima scale spool key 0123456789'));
      expect(again.out).not.toMatch(/Association (Abort|Reject)/);
      const liveOne = await until('the live sending\'s reception', async () =>
        (await json<{ receptions: Reception[] }>(a, token, 'GET', '/api/pacs/receptions')).receptions.find((g) => g.id !== taken.id),
      );
      expect([liveOne.status, liveOne.instances, liveOne.refusedInstances], JSON.stringify(liveOne)).toEqual(['case-created', 2, 1]);
      expect(liveOne.findings.map((f) => f.code)).toEqual(['PACS_INSTANCES_REFUSED']);
      const said = (g: Reception) => g.findings.find((f) => f.code === 'PACS_INSTANCES_REFUSED')?.message;
      // Word for word: the third instance of the association, identifiable.
      expect(said(liveOne)).toMatch(new RegExp(`^1 instance\\(s\\) of this sender refused: IDENTIFIABLE: C-STORE instance 3 from ${CALLING}\\b`));
      expect(said(taken)).toBe(said(liveOne));
      const caseTaken = await json(b, token, 'GET', `/api/cases/${taken.caseId}`);
      expect(caseTaken.files).toBe(2);
      expect(caseTaken.notes).toContain(said(taken));

      // The restarted A took nothing back (its start claims before it serves): two receptions, two cases, each made once.
      expect(a.log()).not.toMatch(/taken back from the spool/);
      expect((await json<{ receptions: Reception[] }>(a, token, 'GET', '/api/pacs/receptions')).receptions.map((g) => g.id).sort()).toEqual([taken.id, liveOne.id].sort());
      const created = await c.query<{ case_id: string; details: string | { refused: number } }>("select case_id, details from audit_log where action = 'case-created' order by case_id");
      expect(created.rows.map((r) => r.case_id)).toEqual([taken.caseId, liveOne.caseId].sort());
      for (const r of created.rows) expect((typeof r.details === 'string' ? (JSON.parse(r.details) as { refused: number }) : r.details).refused).toBe(1);
      expect(await spoolCounts(c)).toEqual({ pacs_spool_studies: 0, pacs_spool_instances: 0, pacs_spool_notes: 0 });

      for (const p of [a, b]) p.proc.kill('SIGTERM');
      expect(await Promise.all([a.exited, b.exited])).toEqual([0, 0]);
    } finally {
      await c.end();
    }
  }, 600_000);
});

/**
 * A stalled (SIGSTOP) with two instances of a study acknowledged; B takes the study over; A,
 * continued, is sent two more of it. `bDone`: B has made its case before A continues (B's
 * quiet time 2 s); else B still holds the study pending then (20 s), the spool rows A would
 * write under it read by no one and removed with it. A's quiet time (30 s) outlasts the stall.
 */
async function stalled(n: number, bDone: boolean): Promise<void> {
  const c = new pg.Client({ connectionString: db.url });
  // The first scenario's data folder: its admin.token (written when the database was seeded).
  const dataA = join(dir, 'a');
  const a = await serve(dataA, 30);
  const b = await serve(join(dir, `b-stalled-${n}`), bDone ? 2 : 20);
  await c.connect();
  try {
    const calling = `PG-STALL-${n}`;
    const token = await routedOrg(a, dataA, { name: `Spool Stall Hospital ${n}`, email: `pacs${n}@spool-stall.example.org`, callingAe: calling });
    const files = (await anonymisedSeries(SERIES, `mike stalled spool key ${n} 0123456789`)).slice(0, 4);
    const paths = files.map((f, i) => {
      const p = join(dir, `stalled-${n}-${i}.dcm`);
      writeFileSync(p, f.bytes);
      return p;
    });
    const send = (ps: string[]) => run('storescu', ['-aet', calling, '-aec', 'SCAN2PRINT', '127.0.0.1', String(a.dicomPort), ...ps]);
    const first = await send(paths.slice(0, 2));
    expect(first.code, first.out).toBe(0);
    expect(await spoolCounts(c)).toMatchObject({ pacs_spool_studies: 1, pacs_spool_instances: 2 });

    a.proc.kill('SIGSTOP');
    // B takes the study over once A's lease has run out (and, with its short quiet time, makes its case).
    if (bDone) await receptionsOf<Reception>(b, token, 1);
    else await until('B to take the study over', async () => (/taken back from the spool/.test(b.log()) ? true : undefined));
    a.proc.kill('SIGCONT');

    // Sent to A after the take-over, on a new association: each answered success (storescu exits 1 on a failed store).
    const second = await send(paths.slice(2));
    expect(second.code, second.out).toBe(0);
    expect(second.out).not.toMatch(/Failed|Abort|Reject|Error/i);
    const got = await receptionsOf<Reception>(a, token, 2);
    const taken = got.find((g) => g.findings.some((f) => f.code === 'PACS_RECOVERED_AT_START'));
    const theirs = got.find((g) => g !== taken);
    if (!taken || !theirs) throw new Error(`B's reception and A's new one expected: ${JSON.stringify(got)}`);
    expect([taken.status, taken.instances, theirs.status, theirs.instances], JSON.stringify(got)).toEqual(['case-created', 2, 'case-created', 2]);
    expect(a.log()).toMatch(/taken over by another server process/);
    // The receipt of the later case names the earlier one: the same study, sent on.
    const names = (g: Reception, other: Reception) => g.findings.some((f) => f.code === 'PACS_DUPLICATE_STUDY' && f.message.includes(other.caseId!));
    expect(names(theirs, taken) || names(taken, theirs), JSON.stringify(got)).toBe(true);

    // Four acknowledged, four in cases: two in B's, two in A's new one; each case made once, nothing recorded twice.
    const held = await Promise.all([taken, theirs].map((g) => json<{ files: number }>(a, token, 'GET', `/api/cases/${g.caseId}`)));
    expect(held.map((h) => h.files)).toEqual([2, 2]);
    const named = await c.query<{ n: number }>('select count(distinct sop_instance_uid)::int as n from files where case_id = any($1)', [[taken.caseId, theirs.caseId]]);
    expect(named.rows[0]!.n).toBe(4);
    const created = await c.query<{ case_id: string }>("select case_id from audit_log where action = 'case-created' and case_id = any($1)", [[taken.caseId, theirs.caseId]]);
    expect(created.rows.map((r) => r.case_id).sort()).toEqual([taken.caseId, theirs.caseId].sort());
    expect(await spoolCounts(c)).toEqual({ pacs_spool_studies: 0, pacs_spool_instances: 0, pacs_spool_notes: 0 });
    await until('the spooled objects to be removed from the bucket', async () => (spooledObjects().length === 0 ? true : undefined));
    expect((await receptionsOf<Reception>(a, token, 2)).map((g) => g.id).sort()).toEqual([taken.id, theirs.id].sort());

    for (const p of [a, b]) p.proc.kill('SIGTERM');
    expect(await Promise.all([a.exited, b.exited])).toEqual([0, 0]);
  } finally {
    await c.end();
    // A failed run's processes must not take the next scenario's study over.
    for (const p of [a, b]) if (live.has(p.proc)) p.proc.kill('SIGKILL');
  }
}

describe('PostgreSQL: a serve process stalled past its lease with a study pending', () => {
  it('keeps what it acknowledges after the take-over apart from the study taken and completed: none lost, none twice', () => stalled(1, true), 600_000);
  it('keeps it apart from the study still pending in the process that took it: none lost, none twice', () => stalled(2, false), 600_000);
});

describe('SCAN2PRINT_PACS_SPOOL_LEASE_S', () => {
  it('is 120 s unless set; a number of seconds above 0 and at most a day, anything else refused at start naming it', () => {
    expect(configFromEnv({}, {}).pacsSpoolLeaseSeconds).toBe(120);
    expect(configFromEnv({}, { SCAN2PRINT_PACS_SPOOL_LEASE_S: '2.5' }).pacsSpoolLeaseSeconds).toBe(2.5);
    expect(configFromEnv({}, { SCAN2PRINT_PACS_SPOOL_LEASE_S: '86400' }).pacsSpoolLeaseSeconds).toBe(86_400);
    for (const bad of ['0', '-3', 'two', 'Infinity', '86401', '7000000']) {
      expect(() => configFromEnv({}, { SCAN2PRINT_PACS_SPOOL_LEASE_S: bad })).toThrow(
        `SCAN2PRINT_PACS_SPOOL_LEASE_S: expected a number of seconds above 0 and at most 86400 (a day), got "${bad}"`,
      );
    }
  });
});
