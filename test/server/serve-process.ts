/**
 * `scan2print serve` as its own process, for the specs that kill it (SIGKILL) and start it again
 * on the same data folder: the built CLI, embedded (PGlite and files under the folder) whatever
 * the caller's shell holds (unless the caller gives it DATABASE_URL and S3_*: scale mode), HTTP
 * and DICOM on free loopback ports. Plus the few calls such a spec makes on it: JSON API calls,
 * a command's exit code and output, the PACS receptions once there are enough of them.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { constants, readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI } from '../data.js';

export interface Served {
  proc: ChildProcess;
  url: string;
  /** 0 when started without a DICOM listener. */
  dicomPort: number;
  exited: Promise<number | null>;
  /** What it logged so far (its log, warn and up, on stdout). */
  log: () => string;
}

/** A PACS reception as the API lists it (the fields these specs read). */
export interface Reception {
  id: string;
  status: string;
  instances: number;
  refusedInstances: number;
  caseId: string | null;
  findings: { code: string; message: string }[];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Started on `data` with a PACS quiet time of `quietSeconds`; resolves once it serves HTTP (and
 * DICOM, unless `dicom` is false). `env` is set over what is inherited and removed (scale mode:
 * DATABASE_URL and S3_* given back there; other settings, e.g. SCAN2PRINT_PACS_SPOOL_LEASE_S).
 */
export async function serveProcess(o: { data: string; quietSeconds: number; live: Set<ChildProcess>; dicom?: boolean; env?: Record<string, string> }): Promise<Served> {
  const dicom = o.dicom ?? true;
  const env: NodeJS.ProcessEnv = { ...process.env, SCAN2PRINT_WORKERS: '0', SCAN2PRINT_LOG_LEVEL: 'warn' };
  for (const k of Object.keys(env)) if (k === 'DATABASE_URL' || k.startsWith('S3_') || k.startsWith('SCAN2PRINT_DICOM') || k === 'SCAN2PRINT_PACS_QUIET_S') delete env[k];
  Object.assign(env, o.env);
  const args = [CLI, 'serve', '--data', o.data, '--port', '0', ...(dicom ? ['--dicom-port', '0'] : []), '--pacs-quiet', String(o.quietSeconds)];
  const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  o.live.add(proc);
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  // Read, or a full pipe would stall the server's logger.
  let out = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  let dead = false;
  const exited = new Promise<number | null>((r) =>
    proc.on('exit', (code) => {
      o.live.delete(proc);
      dead = true;
      r(code);
    }),
  );
  for (;;) {
    const http = /serving (http:\/\/\S+)\/api /.exec(err);
    const listener = /DICOM listener \S+ on \S+:(\d+) /.exec(err);
    if (http && (listener || !dicom)) return { proc, url: http[1]!, dicomPort: listener ? Number(listener[1]) : 0, exited, log: () => out };
    if (dead) throw new Error(`scan2print serve exited before serving:\n${err}`);
    await sleep(25);
  }
}

/** A JSON API call with a bearer token; throws naming the call on any status but 2xx. */
export async function apiJson<T = any>(s: Served, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const r = await fetch(s.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path} → ${r.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A command's exit code and its output (stdout then stderr). */
export function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => execFile(cmd, args, (e, stdout, stderr) => resolve({ code: e ? Number(e.code ?? 1) : 0, out: stdout + stderr })));
}

/** The receptions of the organisation once `n` of them are there (the server's quiet timer decides when; this only polls). */
export async function receptionsWhen<R>(s: Served, token: string, n: number): Promise<R[]> {
  const end = Date.now() + 180_000;
  for (;;) {
    const got = (await apiJson<{ receptions: R[] }>(s, token, 'GET', '/api/pacs/receptions')).receptions;
    if (got.length >= n) return got;
    if (Date.now() > end) throw new Error(`${got.length} PACS reception(s) after 180 s, expected ${n}: ${JSON.stringify(got)}`);
    await sleep(250);
  }
}

/**
 * An organisation on a served, seeded data folder (its admin.token) with an org-admin's token,
 * its instances from `callingAe` routed to it (no server-side anonymisation).
 */
export async function routedOrg(s: Served, data: string, o: { name: string; email: string; callingAe: string }): Promise<string> {
  const admin = readFileSync(join(data, 'admin.token'), 'utf8').trim();
  const org = await apiJson<{ id: string }>(s, admin, 'POST', '/api/orgs', { name: o.name });
  const user = await apiJson<{ id: string }>(s, admin, 'POST', `/api/orgs/${org.id}/users`, { email: o.email, role: 'org-admin' });
  const token = (await apiJson<{ token: string }>(s, admin, 'POST', `/api/users/${user.id}/tokens`, { name: `${o.name} spec` })).token;
  await apiJson(s, token, 'POST', '/api/pacs/routes', { callingAe: o.callingAe });
  return token;
}

/**
 * A DICOM association held open after its real files, without timing: `send`'s last file is a
 * named pipe, which storescu opens only once every earlier instance was answered, and which
 * holds it until a writer opens it. Resolves then, the association still open, with the pipe's
 * writer (closing it ends the run: storescu reads no DICOM there) and the run itself.
 */
export async function heldOpen(
  dir: string,
  files: string[],
  send: (paths: string[]) => Promise<{ code: number; out: string }>,
): Promise<{ writer: FileHandle; sent: Promise<{ code: number; out: string }> }> {
  const pipe = join(dir, 'held-open.dcm');
  const made = await run('mkfifo', [pipe]);
  if (made.code !== 0) throw new Error(`mkfifo ${pipe}: ${made.out}`);
  const sent = send([...files, pipe]);
  let early: string | undefined;
  void sent.then(async (r) => {
    early = r.out;
    // storescu ended before its last file: the open below is freed (a reader comes) so that the test fails, not hangs.
    await open(pipe, constants.O_RDONLY | constants.O_NONBLOCK).then((h) => h.close(), () => {});
  });
  const writer = await open(pipe, 'w');
  if (early !== undefined) throw new Error(`storescu ended before its last file:\n${early}`);
  return { writer, sent };
}
