// The web benches' server: `scan2print serve --data DIR --port 0` from the built CLI (embedded:
// PGlite + files, in-process worker), serving the app built into BENCH_WEB_DIR when set (a
// private `vite build --outDir` that nobody else rebuilds mid-run), else packages/web/dist.
// bench/server/services.mjs strips every SCAN2PRINT_* variable from the child's environment,
// so the web benches start their own server here to pass SCAN2PRINT_WEB_DIR.
/* global fetch, FormData, Blob */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCAN2PRINT } from '../lib/command.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const cli = SCAN2PRINT;
const SERVING = /scan2print: serving (http:\/\/\S+?)\/api /;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function tail(file, chars = 3000) {
  try {
    return readFileSync(file, 'utf8').slice(-chars);
  } catch {
    return '';
  }
}

/** Starts the server under WORK; resolves with { url, adminToken, webDir, log, stop }. */
export async function startWebServer(work, timeoutMs = 180_000) {
  mkdirSync(work, { recursive: true });
  const data = join(work, 'data');
  const log = join(work, 'serve.log');
  const webDir = resolve(process.env.BENCH_WEB_DIR ?? resolve(root, 'packages/web/dist'));
  const env = { ...process.env, SCAN2PRINT_WEB_DIR: webDir };
  for (const k of Object.keys(env)) if (k === 'DATABASE_URL' || k.startsWith('S3_')) delete env[k];
  const fd = openSync(log, 'w'); // a kept folder's old log must not answer for this start
  const child = spawn(cli, ['serve', '--data', data, '--port', '0'], { env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
  };
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const m = SERVING.exec(tail(log, 1e6));
    if (m) return { url: m[1], adminToken: readFileSync(join(data, 'admin.token'), 'utf8').trim(), webDir, log, stop };
    if (exited) throw new Error(`scan2print serve exited (${exited.code ?? exited.signal}); log ${log}:\n${tail(log)}`);
    await sleep(100);
  }
  await stop();
  throw new Error(`scan2print serve not ready after ${timeoutMs / 1000} s; log ${log}:\n${tail(log)}`);
}

/** One API call with a bearer token: JSON (or FormData) in, parsed JSON out; a non-2xx throws with the answer. */
export async function call(url, token, method, path, body) {
  const headers = { authorization: `Bearer ${token}` };
  let payload = body;
  if (body !== undefined && !(body instanceof FormData)) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const r = await fetch(url + path, { method, headers, body: payload });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path} → ${r.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * A converted case on the server: a new org, an engineer with `password`, the series anonymised
 * with core and uploaded, the default convert job run to success. Resolves with
 * { email, token, caseId, jobId, convert_ms }.
 */
export async function convertedCase(svc, { seriesDir, password, name }) {
  const core = await import(resolve(root, 'packages/core/dist/index.js'));
  const stamp = Date.now();
  const org = await call(svc.url, svc.adminToken, 'POST', '/api/orgs', { name: `bench web ${name} ${stamp}` });
  const email = `bench.${name}.${stamp}@example.org`;
  const user = await call(svc.url, svc.adminToken, 'POST', `/api/orgs/${org.id}/users`, { email, role: 'engineer', password });
  const { token } = await call(svc.url, svc.adminToken, 'POST', `/api/users/${user.id}/tokens`, { name: `bench/web ${name}` });
  const { id: caseId } = await call(svc.url, token, 'POST', '/api/cases', { purpose: 'bench', anatomy: 'skull' });
  const anon = core.createAnonymiser('scan2print bench/web key');
  const form = new FormData();
  for (const file of readdirSync(seriesDir).sort()) {
    try {
      const r = await anon.anonymise(new Uint8Array(readFileSync(join(seriesDir, file))), file);
      form.append('file', new Blob([r.bytes]), `${r.summary.sopInstanceUid}.dcm`);
    } catch {
      // the DICOMDIR
    }
  }
  await call(svc.url, token, 'POST', `/api/cases/${caseId}/files`, form);
  const t0 = Date.now();
  const { id: jobId } = await call(svc.url, token, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert' });
  for (;;) {
    const j = await call(svc.url, token, 'GET', `/api/jobs/${jobId}`);
    if (j.state === 'succeeded') break;
    if (j.state === 'failed' || j.state === 'cancelled') throw new Error(`convert job ${j.state}: ${JSON.stringify(j.error)}`);
    await sleep(500);
  }
  return { email, token, caseId, jobId, convert_ms: Date.now() - t0 };
}
