// A converted case to iterate on: starts the web benches' server (serve.mjs, BENCH_WEB_DIR),
// makes an org, an engineer with a password and a case from ct/philips-head-phantom-1mm
// (anonymised with core, uploaded, converted), prints one JSON line
// { url, email, password, caseId } and keeps serving until stdin closes or Ctrl-C.
// Rebuilding BENCH_WEB_DIR is seen at the next page load (index.html is not cached).
// The server lists the build's files when it starts: restart it after a rebuild. With --keep DIR
// the data stays in DIR and a restart serves the same case again (no second conversion).
// Usage: BENCH_WEB_DIR=/tmp/web-x node bench/web/case-server.mjs [--keep DIR] [series=ct/philips-head-phantom-1mm]
/* global fetch, FormData, Blob */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWebServer } from './serve.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const args = process.argv.slice(2);
const keepAt = args.indexOf('--keep');
const keep = keepAt >= 0 ? resolve(args.splice(keepAt, 2)[1]) : undefined;
const seriesDir = resolve(process.env.SCAN2PRINT_DATA ?? resolve(root, '../shared/data'), args[0] ?? 'ct/philips-head-phantom-1mm');
const PASSWORD = 'bench web case password 1';
const core = await import(resolve(root, 'packages/core/dist/index.js'));

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

const work = keep ?? mkdtempSync(join(tmpdir(), 's2p-bench-web-case-'));
const svc = await startWebServer(work);
const stop = async () => {
  await svc.stop();
  if (!keep) rmSync(work, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
const saved = join(work, 'case.json');
if (keep && existsSync(saved)) {
  console.log(JSON.stringify({ ...JSON.parse(readFileSync(saved, 'utf8')), url: svc.url }));
} else {
  const org = await call(svc.url, svc.adminToken, 'POST', '/api/orgs', { name: `bench web case ${Date.now()}` });
  const email = `bench.case.${Date.now()}@example.org`;
  const user = await call(svc.url, svc.adminToken, 'POST', `/api/orgs/${org.id}/users`, { email, role: 'engineer', password: PASSWORD });
  const { token } = await call(svc.url, svc.adminToken, 'POST', `/api/users/${user.id}/tokens`, { name: 'bench/web case' });
  const { id: caseId } = await call(svc.url, token, 'POST', '/api/cases', { purpose: 'bench', anatomy: 'skull' });
  const anon = core.createAnonymiser('scan2print bench/web key');
  const form = new FormData();
  for (const name of readdirSync(seriesDir).sort()) {
    try {
      const r = await anon.anonymise(new Uint8Array(readFileSync(join(seriesDir, name))), name);
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
    await new Promise((r) => setTimeout(r, 500));
  }
  const arts = await call(svc.url, token, 'GET', `/api/cases/${caseId}/artifacts`);
  const info = { url: svc.url, email, password: PASSWORD, caseId, jobId, token, convert_ms: Date.now() - t0, artifacts: arts.map((a) => [a.name, a.bytes]) };
  if (keep) writeFileSync(saved, JSON.stringify(info));
  console.log(JSON.stringify(info));
}
