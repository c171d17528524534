// A converted case to iterate on: starts the web benches' server (serve.mjs, BENCH_WEB_DIR),
// makes an org, an engineer with a password and a case from ct/philips-head-phantom-1mm
// (anonymised with core, uploaded, converted), prints one JSON line
// { url, email, password, caseId } and keeps serving until stdin closes or Ctrl-C.
// Rebuilding BENCH_WEB_DIR is seen at the next page load (index.html is not cached).
// The server lists the build's files when it starts: restart it after a rebuild. With --keep DIR
// the data stays in DIR and a restart serves the same case again (no second conversion).
// Usage: BENCH_WEB_DIR=/tmp/web-x node bench/web/case-server.mjs [--keep DIR] [series=ct/philips-head-phantom-1mm]
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { call, convertedCase, startWebServer } from './serve.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const args = process.argv.slice(2);
const keepAt = args.indexOf('--keep');
const keep = keepAt >= 0 ? resolve(args.splice(keepAt, 2)[1]) : undefined;
const seriesDir = resolve(process.env.SCAN2PRINT_DATA ?? resolve(root, '../shared/data'), args[0] ?? 'ct/philips-head-phantom-1mm');
const PASSWORD = 'bench web case password 1';

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
  const { email, token, caseId, jobId, convert_ms } = await convertedCase(svc, { seriesDir, password: PASSWORD, name: 'case' });
  const arts = await call(svc.url, token, 'GET', `/api/cases/${caseId}/artifacts`);
  const info = { url: svc.url, email, password: PASSWORD, caseId, jobId, token, convert_ms, artifacts: arts.map((a) => [a.name, a.bytes]) };
  if (keep) writeFileSync(saved, JSON.stringify(info));
  console.log(JSON.stringify(info));
}
