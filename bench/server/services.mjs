// The two ways to run the service, each started fresh for one bench run from the built CLI
// (the same commands an operator types), and stopped and removed afterwards:
//  embedded — `scan2print serve --data DIR --port 0`: PGlite and files under DIR, the
//             in-process worker (SCAN2PRINT_WORKERS default, 1 job at a time);
//  scale    — a new database on the PostgreSQL server (127.0.0.1:5432, or
//             TEST_DATABASE_ADMIN_URL), the tests' loopback S3 server in its own process,
//             `scan2print serve --workers 0` (API only) and N `scan2print worker` processes.
// Every process logs to a file under the run's folder (kept on failure for the report).
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { SCAN2PRINT } from '../lib/command.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const cli = SCAN2PRINT;
const viteNode = resolve(root, 'node_modules/vite-node/vite-node.mjs');
const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The caller's environment without anything that would switch the server's mode. */
function cleanEnv() {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k === 'DATABASE_URL' || k.startsWith('S3_') || k.startsWith('SCAN2PRINT_')) delete env[k];
  return env;
}

function tail(file, chars = 3000) {
  try {
    return readFileSync(file, 'utf8').slice(-chars);
  } catch {
    return '';
  }
}

/** Spawns `scan2print ARGS` logging to LOG (the child joins CHILDREN at once); resolves with the first match of READY in the log. */
async function startCli(name, args, env, log, ready, children, timeoutMs = 180_000) {
  const fd = openSync(log, 'a');
  const child = spawn(cli, args, { env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  children.push(child);
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const m = ready.exec(tail(log, 1e6));
    if (m) return { name, child, log, match: m };
    if (exited) throw new Error(`${name} exited (${exited.code ?? exited.signal}) before it was ready; log ${log}:\n${tail(log)}`);
    await sleep(100);
  }
  throw new Error(`${name} not ready after ${timeoutMs / 1000} s; log ${log}:\n${tail(log)}`);
}

/** SIGTERM (the server finishes HTTP requests, closes the database), SIGKILL after graceMs: a running job is not awaited. */
async function stopChild(child, graceMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(t);
}

async function admin(sql) {
  const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 30_000 });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** The tests' S3 server (test/services/s3.ts) through vite-node; stdin open = keep serving. Its stop joins CLEANUPS at once. */
async function startS3(log, cleanups, timeoutMs = 120_000) {
  const fd = openSync(log, 'a');
  const args = [viteNode, join(here, 's3-process.mjs')];
  const child = spawn(process.execPath, args, { cwd: root, env: cleanEnv(), stdio: ['pipe', 'pipe', fd] });
  closeSync(fd);
  cleanups.push(async () => {
    const gone = new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', r)));
    child.stdin.end();
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await gone;
    clearTimeout(t);
  });
  let out = '';
  const info = await new Promise((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`S3 server not ready after ${timeoutMs / 1000} s:\n${tail(log)}`)), timeoutMs);
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(t);
        ok(JSON.parse(out.slice(0, nl)));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(t);
      fail(new Error(`S3 server exited (${code}):\n${tail(log)}`));
    });
  });
  return info;
}

const SERVING = /scan2print: serving (http:\/\/\S+?)\/api /;

/** The stop of every service started and not yet stopped (for the bench's SIGINT). */
const active = new Set();

export async function stopAll() {
  for (const stop of [...active]) await stop();
}

/**
 * Starts MODE ('embedded' | 'scale') under WORK. Returns { url, adminToken, pids, describe, logs, stop }.
 * pids: the service's own processes (API and workers; the S3 server and PostgreSQL are not counted).
 */
export async function startService(mode, work, { workers = 2 } = {}) {
  mkdirSync(work, { recursive: true });
  const data = join(work, 'data');
  const logs = [];
  const children = [];
  const cleanups = [];
  // Once stopping has begun (Ctrl-C while starting), nothing more is started; stop runs once.
  let stopping;
  const stop = () =>
    (stopping ??= (async () => {
      for (const c of [...children].reverse()) await stopChild(c).catch(() => {});
      for (const f of [...cleanups].reverse()) await f().catch((e) => console.error(`bench/server: clean-up: ${e.message}`));
      active.delete(stop);
    })());
  const live = () => {
    if (stopping) throw new Error('bench/server: the service was stopped while starting');
  };
  active.add(stop);
  try {
    let env = cleanEnv();
    let describe;
    if (mode === 'embedded') {
      describe = 'embedded: PGlite + files, 1 process, in-process worker (1 job at a time)';
    } else {
      const name = `s2p_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
      live();
      await admin(`CREATE DATABASE "${name}"`);
      cleanups.push(() => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const s3log = join(work, 's3.log');
      logs.push(s3log);
      live();
      const s3 = await startS3(s3log, cleanups);
      env = {
        ...env,
        DATABASE_URL: url.toString(),
        S3_ENDPOINT: s3.endpoint,
        S3_BUCKET: s3.bucket,
        S3_REGION: s3.region,
        S3_ACCESS_KEY_ID: s3.accessKeyId,
        S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      };
      describe =
        `scale: PostgreSQL (${url.host}) + S3 (s3rver, loopback, own process) + API process (--workers 0)` +
        ` + ${workers} worker processes (1 job each)`;
    }
    const apiLog = join(work, 'serve.log');
    logs.push(apiLog);
    const serveArgs = ['serve', '--data', data, '--port', '0', ...(mode === 'scale' ? ['--workers', '0'] : [])];
    live();
    const api = await startCli('serve', serveArgs, env, apiLog, SERVING, children);
    if (mode === 'scale') {
      // Started after serve, which has run the migrations and made the admin.
      for (let i = 0; i < workers; i++) {
        const wlog = join(work, `worker${i + 1}.log`);
        logs.push(wlog);
        live();
        await startCli(`worker ${i + 1}`, ['worker', '--data', join(work, `worker${i + 1}`)], env, wlog, /worker taking jobs/, children);
      }
    }
    const adminToken = readFileSync(join(data, 'admin.token'), 'utf8').trim();
    return {
      url: api.match[1],
      adminToken,
      pids: children.map((c) => c.pid),
      describe,
      logs,
      stop,
      /** The processes still running (a crash under load shows here). */
      alive: () => children.filter((c) => c.exitCode === null && c.signalCode === null).length,
      count: children.length,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

export function removeWork(work) {
  rmSync(work, { recursive: true, force: true });
}
