// bench/server: `scan2print serve` under load, embedded and at scale side by side (issue 9).
// ct/philips-head-phantom-1mm is anonymised once with core; then, per run and mode (modes
// alternate), a fresh service is started from the built CLI and CLIENTS concurrent clients
// each create a case, upload the series in multipart batches of BATCH files and start a
// convert job, while RATE status reads per second go out for SECONDS (GET /api/jobs/:id of
// the jobs started so far, GET /api/cases before there is one). Then the uploads drain and
// the service is stopped (jobs are not awaited). Per request kind: p50 / p95 / max latency;
// requests/s, MB/s uploaded, errors (any non-2xx or network error), jobs succeeded within
// the window, the service's peak memory and the machine's load average. Medians over runs.
// Writes bench/results/server-<date>.json; prints a markdown table.
// Usage: node bench/server/run.mjs [runs=3] [--seconds 60] [--clients 20] [--rate 50] [--batch 20]
//        [--modes embedded,scale] [--workers 2]
// Needs: npm run build; PostgreSQL on 127.0.0.1:5432 (scripts/install-test-deps.sh) for scale.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir, cpus, loadavg, totalmem } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { treeRss } from '../lib/measure.mjs';
import { startService, stopAll, removeWork } from './services.mjs';
import { finalJobs, runLoad, setUp } from './load.mjs';
import { markdown, modeSummary, round, runFigures } from './report.mjs';

// Other work on the machine, before this bench adds its own.
const loadAtStart = loadavg().map((x) => round(x, 2));
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const core = await import(resolve(root, 'packages/core/dist/index.js'));

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '60' },
    clients: { type: 'string', default: '20' },
    rate: { type: 'string', default: '50' },
    batch: { type: 'string', default: '20' },
    modes: { type: 'string', default: 'embedded,scale' },
    workers: { type: 'string', default: '2' },
  },
});
const runs = Number(positionals[0] ?? 3);
const seconds = Number(opt.seconds);
const clients = Number(opt.clients);
const rate = Number(opt.rate);
const batch = Number(opt.batch);
const workers = Number(opt.workers);
const modes = opt.modes.split(',').map((m) => m.trim());
for (const m of modes) if (m !== 'embedded' && m !== 'scale') throw new Error(`--modes: unknown mode ${m} (embedded, scale)`);

const data = process.env.SCAN2PRINT_DATA ?? resolve(root, '../shared/data');
const seriesName = 'ct/philips-head-phantom-1mm';
const seriesDir = join(data, seriesName);

// Anonymised once, as a client does before upload (the server refuses identifiable files).
const anon = core.createAnonymiser('scan2print bench/server key');
const files = [];
const skipped = [];
for (const name of readdirSync(seriesDir).sort()) {
  try {
    const r = await anon.anonymise(new Uint8Array(readFileSync(join(seriesDir, name))), name);
    files.push({ name: `${r.summary.sopInstanceUid}.dcm`, bytes: r.bytes });
  } catch (e) {
    skipped.push(`${name} (${e.code ?? e.message})`); // the DICOMDIR
  }
}
const seriesBytes = files.reduce((s, f) => s + f.bytes.byteLength, 0);
const notUploaded = skipped.length ? `; not uploaded: ${skipped.join(', ')}` : '';
console.error(`bench/server: ${files.length} files anonymised (${(seriesBytes / 1e6).toFixed(1)} MB)${notUploaded}`);

// Ctrl-C or SIGTERM: stop the service of the run in progress, started or starting (its database
// is dropped, its files removed).
let currentWork;
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    interrupted = true;
    const work = currentWork;
    console.error(`bench/server: ${sig}: stopping the service`);
    stopAll()
      .then(() => work && removeWork(work))
      .finally(() => process.exit(130));
  });
}

/** One run of one mode: start a fresh service, load it, read the jobs' states, stop it. */
async function runOnce(mode, run) {
  const work = mkdtempSync(join(tmpdir(), `s2p-bench-server-${mode}-`));
  currentWork = work;
  const loadBefore = loadavg()[0];
  const svc = await startService(mode, work, { workers });
  const samples = { load1: [], peakRss: 0 };
  const sampler = setInterval(() => {
    samples.load1.push(loadavg()[0]);
    samples.peakRss = Math.max(samples.peakRss, svc.pids.reduce((s, p) => s + treeRss(p), 0));
  }, 1000);
  let load;
  let jobs;
  try {
    const token = await setUp(svc.url, svc.adminToken);
    load = await runLoad({ url: svc.url, token, files, clients, batch, seconds, rate });
    jobs = await finalJobs(svc.url, token, load.jobs);
  } catch (e) {
    await svc.stop();
    currentWork = undefined;
    console.error(`bench/server: ${mode} run ${run} failed; logs kept in ${work}`);
    throw e;
  } finally {
    clearInterval(sampler);
  }
  const alive = svc.alive();
  await svc.stop();
  currentWork = undefined;
  if (load.errors.length === 0 && alive === svc.count) removeWork(work);
  else console.error(`bench/server: ${mode} run ${run}: ${load.errors.length} errors, ${svc.count - alive} processes gone; logs: ${work}`);
  return runFigures({ mode, run, svc: { describe: svc.describe, alive, count: svc.count }, load, jobs, samples, loadBefore });
}

const results = [];
for (let i = 0; i < runs; i++) {
  for (const mode of modes) {
    let r;
    try {
      r = await runOnce(mode, i + 1);
    } catch (e) {
      // Interrupted: the signal handler cleans up and exits; the run's failure is its doing.
      if (interrupted) await new Promise(() => {});
      throw e;
    }
    results.push(r);
    const kinds = Object.entries(r.latency_ms).map(([k, v]) => `${k} p50 ${v.p50} p95 ${v.p95}`).join('; ');
    console.error(
      `${mode.padEnd(8)} run ${i + 1}/${runs}: ${r.requests} requests, ${r.errors} errors, ${r.upload.MBps} MB/s up, ` +
        `jobs ${r.jobs.succeededInWindow}/${r.jobs.started} done in window, load ${r.load1.mean} (max ${r.load1.max}); ${kinds}`,
    );
  }
}

const summary = Object.fromEntries(modes.map((m) => [m, modeSummary(results.filter((r) => r.mode === m))]));
const date = new Date().toISOString().slice(0, 10);
const nCpu = cpus().length;
// Quiet: under half the cores busy with other work when the bench started.
const quiet = loadAtStart[0] < 0.5 * nCpu;
const machine = { cpus: nCpu, memory_GiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadAtStart, quiet };
const params = { series: seriesName, files: files.length, bytes: seriesBytes, notUploaded: skipped };
Object.assign(params, { runs, seconds, clients, rate, batch, workers, modes });
const md = markdown({ date, p: params, modes, summary, machine });
console.log(md);

mkdirSync(resolve(root, 'bench/results'), { recursive: true });
const out = resolve(root, `bench/results/server-${date}.json`);
const note = quiet
  ? 'taken on a quiet machine'
  : `taken while other work ran (1-min load average ${loadAtStart[0]} on ${nCpu} cores when the bench started): not representative`;
const json = { bench: 'bench/server', date: new Date().toISOString(), machine, note, params, summary, runs: results, markdown: md };
writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
console.error(`bench/server: wrote ${out}`);
