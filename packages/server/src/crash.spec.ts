/**
 * kill -9 of the embedded server (the built CLI, `scan2print serve --data DIR`: PGlite under
 * DIR/db, files under DIR/objects, in-process worker), then a restart on the same folder:
 * the job that was running finishes on its second attempt, no artifact is listed before
 * its job succeeded, every listed artifact downloads with its checksum, no uploaded file
 * is lost, and an upload request killed half-way leaves none or all of its batch, never a
 * row without its object. A second server on a folder in use is refused (two PGlite
 * processes on one database corrupt it). Real CT, real processes, loopback HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../../../test/data.js';
import { seedEmbeddedDatabase } from '../../../test/server/seed-db.js';
import { anonymisedSeries, formOf } from '../../../test/server/dicom-files.js';
import { LOCK_FILE } from './data-lock.js';

const SERIES = 'ge-head-tilt-variable-spacing';
/**
 * Resampled to 2 mm: the same job path and the same eight outputs at about a third of a full-resolution
 * convert's CPU (13 s instead of 46 s, measured on the job's thread). After its first output the job
 * still spends about 4 s of CPU on the others (STL, preview, label map, volumes, report pictures):
 * the window in which the kill lands.
 */
const PARAMS = { isotropic: 2 };
/** The job is killed once it has written its first output; its saved progress (heartbeat, every LEASE_S / 4) is past this by then. */
const KILL_AT_PROGRESS = 0.5;
/** A short lease makes the heartbeat save progress every 500 ms: the shorter job's progress is saved while it is past KILL_AT_PROGRESS. */
const LEASE_S = '2';

interface Served {
  proc: ChildProcess;
  url: string;
  /** From spawn to the "serving" line on stderr. */
  startMs: number;
  exited: Promise<number | null>;
}

const dir = mkdtempSync(join(tmpdir(), 's2p-crash-'));
const live = new Set<ChildProcess>();
const log = (line: string) => process.stdout.write(`[crash.spec] ${line}\n`);

function serverEnv(): NodeJS.ProcessEnv {
  // Embedded mode whatever the caller's shell holds: no DATABASE_URL, no S3.
  const env: NodeJS.ProcessEnv = { ...process.env, SCAN2PRINT_WORKERS: '1', SCAN2PRINT_LOG_LEVEL: 'warn', SCAN2PRINT_JOB_LEASE_S: LEASE_S };
  for (const k of Object.keys(env)) if (k === 'DATABASE_URL' || k.startsWith('S3_')) delete env[k];
  return env;
}

function spawnServe(): { proc: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, [CLI, 'serve', '--data', dir, '--port', '0'], { env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  let err = '';
  let out = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  // Drained, or a full pipe would stall the server's logger; the tail helps a failure message.
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-4000)));
  const exited = new Promise<number | null>((r) =>
    proc.on('exit', (code) => {
      live.delete(proc);
      r(code);
    }),
  );
  return { proc, stderr: () => `${err}\n${out}`, exited };
}

async function serve(): Promise<Served> {
  const t0 = performance.now();
  const { proc, stderr, exited } = spawnServe();
  let dead = false;
  void exited.then(() => (dead = true));
  for (;;) {
    const m = /serving (http:\/\/\S+)\/api /.exec(stderr());
    if (m) return { proc, url: m[1]!, startMs: performance.now() - t0, exited };
    if (dead) throw new Error(`scan2print serve exited before serving:\n${stderr()}`);
    await sleep(25);
  }
}

async function kill9(s: Served): Promise<void> {
  s.proc.kill('SIGKILL');
  expect(await s.exited).toBe(null);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 240_000, every = 100): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(every);
  }
}

let s: Served;
let adminToken: string;
let token: string;

async function call(method: string, path: string, body?: unknown, t = token): Promise<Response> {
  return fetch(s.url + path, {
    method,
    headers: { authorization: `Bearer ${t}`, ...(body !== undefined && !(body instanceof FormData) ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: body instanceof FormData ? body : JSON.stringify(body) } : {}),
  });
}

async function json<T = any>(method: string, path: string, body?: unknown, t = token): Promise<T> {
  const r = await call(method, path, body, t);
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path} → ${r.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Every file under the data folder whose name ends in .partial (a write that never finished). */
function partialsOnDisk(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.partial')) out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out;
}

/** Whole objects (not temporary .partial files) in a folder of the store. */
const stored = (d: string) => (existsSync(d) ? readdirSync(d).filter((n) => n.endsWith('.dcm')).length : 0);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const starts: number[] = [];

beforeAll(async () => {
  // The migrated database test/global-setup.ts made, as startTestServer uses it: no initdb (WASM, seconds of CPU) in this run.
  seedEmbeddedDatabase(dir);
  s = await serve();
  starts.push(s.startMs);
  adminToken = readFileSync(join(dir, 'admin.token'), 'utf8').trim();
  const org = await json<{ id: string }>('POST', '/api/orgs', { name: 'Crash Test Hospital' }, adminToken);
  // A script account (no password): the admin makes its token.
  const user = await json<{ id: string }>('POST', `/api/orgs/${org.id}/users`, { email: 'eng@crash.example.org', role: 'engineer' }, adminToken);
  token = (await json<{ token: string }>('POST', `/api/users/${user.id}/tokens`, { name: 'crash spec' }, adminToken)).token;
});

afterAll(async () => {
  for (const p of live) p.kill('SIGKILL');
  log(`embedded server start (spawn → serving): first ${starts[0]?.toFixed(0)} ms; later ${starts.slice(1).map((x) => x.toFixed(0)).join(', ')} ms`);
  rmSync(dir, { recursive: true, force: true });
});

describe('embedded server: one process per data folder', () => {
  it('refuses a second serve on a folder in use, naming the holder, and the first keeps serving', async () => {
    const holder = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'));
    expect(holder.pid).toBe(s.proc.pid);
    const second = spawnServe();
    const code = await second.exited;
    expect(code, second.stderr()).toBe(2);
    expect(second.stderr()).toContain(`in use by another scan2print server (process ${s.proc.pid}`);
    expect(second.stderr()).not.toContain('serving');
    expect(await json('GET', '/api/health')).toEqual({ status: 'ok', database: 'ok', storage: 'ok' });
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).nonce).toBe(holder.nonce);
  });
});

describe('kill -9 of the embedded server, then restart', () => {
  let caseId: string;
  let jobId: string;
  let uploaded: Array<{ name: string; bytes: Uint8Array }>;

  it('kill -9 mid-job: after restart the job finishes (attempt 2), nothing listed before that, checksums match, no upload lost', async () => {
    uploaded = await anonymisedSeries(SERIES);
    caseId = (await json<{ id: string }>('POST', '/api/cases', { purpose: 'crash test', anatomy: 'skull' })).id;
    const up = await json('POST', `/api/cases/${caseId}/files`, formOf(uploaded));
    expect(up).toMatchObject({ received: uploaded.length, added: uploaded.length });
    jobId = (await json<{ id: string }>('POST', `/api/cases/${caseId}/jobs`, { kind: 'convert', params: PARAMS })).id;

    // The sharpest moment: the first attempt has written one whole output (bone.3mf) and is
    // making the others; that output must never be listed.
    const attempt1 = join(dir, 'objects', 'jobs', jobId, '1');
    const t0 = performance.now();
    let polls = 0;
    await until('the first output of attempt 1 on disk', async () => {
      if (existsSync(attempt1) && readdirSync(attempt1).some((n) => !n.endsWith('.partial'))) return true;
      if (polls++ % 25 === 0) {
        const j = await json('GET', `/api/jobs/${jobId}`);
        if (j.state !== 'queued' && j.state !== 'running') throw new Error(`job ended before the kill: ${JSON.stringify(j)}`);
      }
      return undefined;
    }, 600_000, 20);
    const running = await json('GET', `/api/jobs/${jobId}`);
    expect(running).toMatchObject({ state: 'running', attempts: 1 });
    expect(running.progress).toBeGreaterThan(KILL_AT_PROGRESS);
    expect(await json('GET', `/api/cases/${caseId}/artifacts`)).toEqual([]);
    await kill9(s);
    const firstAttemptMs = performance.now() - t0;
    log(`killed at progress ${running.progress.toFixed(2)} (${running.stage}) after ${(firstAttemptMs / 1000).toFixed(1)} s, outputs of attempt 1 on disk: ${readdirSync(attempt1).join(', ')}`);
    // Dead: the lock still names the killed process; the restart must take it over.
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(s.proc.pid);

    s = await serve();
    starts.push(s.startMs);
    const t1 = performance.now();
    // From the first answer on: an artifact of the job is listed only once the job has succeeded.
    polls = 0;
    let sawUnfinished = false;
    const done = await until('the job to finish after the restart', async () => {
      const arts = (await json<Array<{ jobId: string }>>('GET', `/api/cases/${caseId}/artifacts`)).filter((a) => a.jobId === jobId);
      const j = await json('GET', `/api/jobs/${jobId}`);
      if (polls++ === 0) expect(arts, 'listed right after the restart').toEqual([]);
      if (arts.length > 0) expect(j.state).toBe('succeeded');
      if (j.state !== 'succeeded') {
        expect(arts).toEqual([]);
        sawUnfinished = true;
      }
      return ['succeeded', 'failed', 'cancelled'].includes(j.state) ? j : undefined;
    }, 600_000, 200);
    log(`attempt 2 finished ${((performance.now() - t1) / 1000).toFixed(1)} s after the restart`);
    expect(sawUnfinished).toBe(true);
    expect(done.state, done.error).toBe('succeeded');
    expect(done.attempts).toBe(2);
    expect(done.progress).toBe(1);

    const arts = await json<Array<{ id: string; jobId: string; name: string; sha256: string; bytes: number }>>('GET', `/api/cases/${caseId}/artifacts`);
    expect(arts.map((a) => a.name).sort()).toEqual(['bone.3mf', 'bone.stl', 'labels.nii.gz', 'preview.stl', 'report.html', 'report.json', 'volume-preview.nii.gz', 'volume.nii.gz']);
    for (const a of arts) {
      expect(a.jobId).toBe(jobId);
      const r = await call('GET', `/api/artifacts/${a.id}`);
      expect(r.status, a.name).toBe(200);
      const bytes = new Uint8Array(await r.arrayBuffer());
      expect(bytes.length, a.name).toBe(a.bytes);
      expect(sha(bytes), a.name).toBe(a.sha256);
    }
    const c = await json('GET', `/api/cases/${caseId}`);
    expect(c.series).toEqual([expect.objectContaining({ files: uploaded.length })]);
    for (const f of uploaded) expect(existsSync(join(dir, 'objects', 'cases', caseId, 'files', `${sha(f.bytes)}.dcm`)), f.name).toBe(true);
    // Two converts (one killed late, one whole): well within the default 300 s on a quiet 2-core machine;
    // kept generous for a heavily loaded one (load 18 and more seen). A limit, not a check.
  }, 1_200_000);

  /**
   * An upload request killed (a) while its body is still arriving and (b) once the server
   * has begun storing its files: after the restart the case holds none or all of the batch,
   * and sending the batch again completes it.
   */
  for (const when of ['body in flight', 'storing'] as const) {
    it(`kill -9 during an upload request (${when}): none or all of the batch after restart, then the retry completes it`, async () => {
      const key = `crash spec ${when} 0123456789`;
      // Two copies of the series under other anonymisation keys: 56 distinct files, one request.
      const batch = [...(await anonymisedSeries(SERIES, `${key} a`)), ...(await anonymisedSeries(SERIES, `${key} b`))];
      const id = (await json<{ id: string }>('POST', '/api/cases', { purpose: `upload crash (${when})`, anatomy: 'skull' })).id;
      const req = new Request(s.url, { method: 'POST', body: formOf(batch) });
      const body = new Uint8Array(await req.arrayBuffer());
      const type = req.headers.get('content-type')!;
      const half = body.length >> 1;
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        async pull(ctl) {
          // The rest never comes: the request stays open until the kill.
          if (when === 'body in flight' && sent >= half) return new Promise<void>(() => {});
          const n = Math.min(1 << 20, (when === 'body in flight' ? half : body.length) - sent);
          ctl.enqueue(body.subarray(sent, sent + n));
          sent += n;
          if (sent === body.length) ctl.close();
        },
      });
      const inFlight = fetch(`${s.url}/api/cases/${id}/files`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': type },
        body: stream,
        duplex: 'half',
      } as RequestInit).then(
        (r) => `answered ${r.status}`,
        () => 'connection lost',
      );
      const filesDir = join(dir, 'objects', 'cases', id, 'files');
      if (when === 'body in flight') await until('half the body sent', async () => (sent >= half ? true : undefined), 60_000, 20);
      // Part-way through storing the batch's objects (the upload written before its rows, whatever order ingest keeps).
      else await until('stored objects of the batch', async () => (stored(filesDir) >= 3 ? true : undefined), 120_000, 5);
      await kill9(s);
      const outcome = await inFlight;
      // A loaded machine may let the server finish the request before the kill lands: then it must hold all.
      if (when === 'body in flight') expect(outcome).toBe('connection lost');
      else expect(['connection lost', 'answered 201']).toContain(outcome);
      log(`upload (${when}): ${outcome}; killed with ${stored(filesDir)} whole objects of ${batch.length} stored`);

      s = await serve();
      starts.push(s.startMs);
      const c = await json('GET', `/api/cases/${id}`);
      const held = (c.series as Array<{ files: number }>).reduce((n, x) => n + x.files, 0);
      expect(outcome === 'answered 201' ? [batch.length] : [0, batch.length], `files of the batch held after the restart`).toContain(held);
      const again = await json('POST', `/api/cases/${id}/files`, formOf(batch));
      expect(again).toMatchObject({ received: batch.length, added: batch.length - held });
      const after = await json('GET', `/api/cases/${id}`);
      expect((after.series as Array<{ files: number }>).reduce((n, x) => n + x.files, 0)).toBe(batch.length);
    });
  }

  it('after a clean stop: every file and artifact row names a whole object on disk, none a .partial', async () => {
    s.proc.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(existsSync(join(dir, LOCK_FILE)), 'the lock is released on a clean stop').toBe(false);
    const { PGlite } = await import('@electric-sql/pglite');
    const pg = new PGlite(join(dir, 'db'));
    try {
      const files = (await pg.query<{ object_key: string; sha256: string; bytes: number }>('select object_key, sha256, bytes::int as bytes from files')).rows;
      const arts = (await pg.query<{ object_key: string; sha256: string; bytes: number }>('select object_key, sha256, bytes::int as bytes from artifacts')).rows;
      expect(files.length).toBeGreaterThanOrEqual(uploaded.length);
      // The eight outputs of a convert job (models, preview, labels, volume and its preview, reports).
      expect(arts.length).toBe(8);
      // Only the second attempt's outputs are listed; the first one's stay unlisted bytes under its own prefix.
      expect(arts.map((a) => a.object_key.split('/').slice(0, 3).join('/'))).toEqual(Array(8).fill(`jobs/${jobId}/2`));
      for (const row of [...files, ...arts]) {
        expect(row.object_key).not.toMatch(/\.partial$/);
        const path = join(dir, 'objects', row.object_key);
        expect(existsSync(path), row.object_key).toBe(true);
        const bytes = readFileSync(path);
        expect(bytes.length, row.object_key).toBe(row.bytes);
        expect(sha(bytes), row.object_key).toBe(row.sha256);
      }
    } finally {
      await pg.close();
    }
    // Temporary files of writes cut short by the kills: never listed (checked above); counted for the record.
    log(`leftover .partial files on disk (unlisted): ${partialsOnDisk().length}`);
  });
});
