// From one run's raw records to its figures; medians over runs; the markdown table.
import { median } from '../lib/measure.mjs';
import { summarise } from './load.mjs';

export const round = (x, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? null : +x.toFixed(d));

/** n, p50, p95, max of latencies in ms, rounded to 0.1 ms. */
function stats(ms) {
  const s = summarise(ms);
  return { n: s.n, p50: round(s.p50), p95: round(s.p95), max: round(s.max) };
}

const mean = (xs) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null);

export const UPLOAD = 'POST /api/cases/:id/files';

/**
 * One run's figures. load: runLoad's answer; jobs: finalJobs'; samples: {load1: [..], peakRss}
 * taken every second by run.mjs; svc: {describe, alive, count}.
 */
export function runFigures({ mode, run, svc, load, jobs, samples, loadBefore }) {
  const kinds = {};
  for (const r of load.records) (kinds[r.kind] ??= []).push(r.ms);
  const uploads = load.records.filter((r) => r.kind === UPLOAD);
  const uploadedBytes = uploads.reduce((s, r) => s + r.bytes, 0);
  const uploadEnd_s = Math.max(0, ...uploads.map((r) => r.start + r.ms)) / 1000;
  const windowEndEpoch = load.startedAt + load.windowEnd_s * 1000;
  const succeeded = jobs.filter((j) => j.state === 'succeeded');
  const states = {};
  for (const j of jobs) states[j.state] = (states[j.state] ?? 0) + 1;
  const reads = load.records.filter((r) => r.kind.startsWith('GET '));
  // Status reads sent while the service ran a job vs while it did not: whether a job slows the
  // API (the in-process worker in embedded mode, separate processes at scale).
  const ran = jobs.filter((j) => j.startedAt).map((j) => [Date.parse(j.startedAt), j.finishedAt ? Date.parse(j.finishedAt) : Infinity]);
  const duringJob = (r) => ran.some(([a, b]) => load.startedAt + r.start >= a && load.startedAt + r.start < b);
  const secs = (a, b) => round((Date.parse(b) - Date.parse(a)) / 1000);
  return {
    mode,
    run,
    service: svc.describe,
    load1: { before: round(loadBefore, 2), mean: round(mean(samples.load1), 2), max: round(Math.max(0, ...samples.load1), 2) },
    window_s: round(load.windowEnd_s, 2),
    drain_s: round(load.drainEnd_s, 2),
    requests: load.records.length,
    requestsPerSecond: round(load.records.length / load.drainEnd_s),
    statusReadsSentPerSecond: round(reads.length / load.windowEnd_s),
    statusReadMaxSendLag_ms: round(load.polls.maxLag_ms, 0),
    upload: { bytes: uploadedBytes, wall_s: round(uploadEnd_s, 2), MBps: round(uploadedBytes / 1e6 / Math.max(uploadEnd_s, 1e-3), 2) },
    latency_ms: Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, stats(v)])),
    statusReads_ms: {
      whileJobRan: stats(reads.filter(duringJob).map((r) => r.ms)),
      noJobRunning: stats(reads.filter((r) => !duringJob(r)).map((r) => r.ms)),
    },
    errors: load.errors.length,
    errorSamples: load.errors.slice(0, 10),
    processesAlive: `${svc.alive}/${svc.count}`,
    peakRss_MB: Math.round(samples.peakRss / 1048576),
    jobs: {
      started: jobs.length,
      succeededInWindow: succeeded.filter((j) => Date.parse(j.finishedAt) <= windowEndEpoch).length,
      succeededByEnd: succeeded.length,
      failed: jobs.filter((j) => j.state === 'failed').map((j) => j.error ?? '?'),
      states,
      // Queued → succeeded (includes waiting for a worker), and the run alone.
      wall_s: succeeded.map((j) => secs(j.createdAt, j.finishedAt)),
      run_s: succeeded.map((j) => secs(j.startedAt, j.finishedAt)),
    },
  };
}

const med = (xs) => {
  const v = xs.filter((x) => typeof x === 'number');
  return v.length ? round(median(v)) : null;
};

const medStats = (list) => Object.fromEntries(['n', 'p50', 'p95', 'max'].map((q) => [q, med(list.map((s) => s?.[q]))]));

/** Medians over one mode's runs (errors: the sum; the load's max: the max). */
export function modeSummary(rs) {
  const kindNames = [...new Set(rs.flatMap((r) => Object.keys(r.latency_ms)))];
  return {
    service: rs[0].service,
    runs: rs.length,
    latency_ms: Object.fromEntries(kindNames.map((k) => [k, medStats(rs.map((r) => r.latency_ms[k]))])),
    statusReads_ms: {
      whileJobRan: medStats(rs.map((r) => r.statusReads_ms.whileJobRan)),
      noJobRunning: medStats(rs.map((r) => r.statusReads_ms.noJobRunning)),
    },
    requestsPerSecond: med(rs.map((r) => r.requestsPerSecond)),
    statusReadsSentPerSecond: med(rs.map((r) => r.statusReadsSentPerSecond)),
    statusReadMaxSendLag_ms: med(rs.map((r) => r.statusReadMaxSendLag_ms)),
    uploadMBps: med(rs.map((r) => r.upload.MBps)),
    uploadWall_s: med(rs.map((r) => r.upload.wall_s)),
    errorsAllRuns: rs.reduce((s, r) => s + r.errors, 0),
    jobsStarted: med(rs.map((r) => r.jobs.started)),
    jobsSucceededInWindow: med(rs.map((r) => r.jobs.succeededInWindow)),
    jobsSucceededByEnd: med(rs.map((r) => r.jobs.succeededByEnd)),
    jobsFailedAllRuns: rs.reduce((s, r) => s + r.jobs.failed.length, 0),
    jobWall_s: med(rs.flatMap((r) => r.jobs.wall_s)),
    jobRun_s: med(rs.flatMap((r) => r.jobs.run_s)),
    peakRss_MB: med(rs.map((r) => r.peakRss_MB)),
    load1Mean: med(rs.map((r) => r.load1.mean)),
    load1Max: round(Math.max(...rs.map((r) => r.load1.max)), 2),
  };
}

const KIND_ORDER = ['POST /api/cases', UPLOAD, 'POST /api/cases/:id/jobs', 'GET /api/cases', 'GET /api/jobs/:id'];

/** The markdown: a header naming the set-up and the machine's load, latencies per request kind, the rest per mode. */
export function markdown({ date, p, modes, summary, machine }) {
  const f = (x) => (x === null || x === undefined ? '–' : String(x));
  const reads = (x) => `${f(x.n)} / ${f(x.p50)} / ${f(x.p95)}`;
  const batches = Math.ceil(p.files / p.batch);
  const lines = [
    `# bench/server — ${date}`,
    '',
    `Input: ${p.series}, ${p.files} files anonymised once with core (${(p.bytes / 1e6).toFixed(1)} MB).`,
    `${p.clients} clients at once, each:`,
    `POST /api/cases, ${batches} × POST /api/cases/:id/files (multipart, ${p.batch} files), POST /api/cases/:id/jobs {kind: convert};`,
    `meanwhile ${p.rate} status reads/s for ${p.seconds} s, open loop (GET /api/jobs/:id of the jobs started so far, GET /api/cases`,
    'before the first). Then the uploads drain; jobs are not awaited. Fresh service per run, modes alternating,',
    `${p.runs} runs per mode, medians over runs. Latency: request sent → whole response read, ms.`,
    '',
    `Machine: ${machine.cpus} cores, ${machine.memory_GiB} GiB; the bench client, the service, PostgreSQL and the S3 server share it.`,
    `1-min load average when the bench started: ${machine.loadAtStart.join(' / ')} (1 / 5 / 15 min)` +
      (machine.quiet ? '.' : ` — **not a quiet machine: other work was running; these figures are not representative**.`),
    '',
    `| request | ${modes.map((m) => `${m} n | p50 | p95 | max`).join(' | ')} |`,
    `|---|${modes.map(() => '---|---|---|---').join('|')}|`,
  ];
  for (const k of KIND_ORDER) {
    if (!modes.some((m) => summary[m].latency_ms[k])) continue;
    const cells = modes.map((m) => {
      const l = summary[m].latency_ms[k] ?? {};
      return `${f(l.n)} | ${f(l.p50)} | ${f(l.p95)} | ${f(l.max)}`;
    });
    lines.push(`| ${k} | ${cells.join(' | ')} |`);
  }
  const rows = [
    ['requests/s (all kinds, to the end of the drain)', (s) => s.requestsPerSecond],
    [`status reads sent/s (target ${p.rate}, open loop)`, (s) => s.statusReadsSentPerSecond],
    ['bench client: a status read sent late by at most (ms)', (s) => s.statusReadMaxSendLag_ms],
    ['status reads while no job ran: n / p50 / p95 (ms)', (s) => reads(s.statusReads_ms.noJobRunning)],
    ['status reads while a job ran: n / p50 / p95 (ms)', (s) => reads(s.statusReads_ms.whileJobRan)],
    ['uploaded MB/s (all clients together)', (s) => s.uploadMBps],
    [`upload phase (s, until all ${p.clients} series are in)`, (s) => s.uploadWall_s],
    ['errors (non-2xx or network, all runs)', (s) => s.errorsAllRuns],
    ['jobs started', (s) => s.jobsStarted],
    [`jobs succeeded within the ${p.seconds} s window`, (s) => s.jobsSucceededInWindow],
    ['jobs succeeded by the end of the drain', (s) => s.jobsSucceededByEnd],
    ['jobs failed (all runs)', (s) => s.jobsFailedAllRuns],
    ['job wall, queued → succeeded (s, median)', (s) => s.jobWall_s],
    ['job run, started → succeeded (s, median)', (s) => s.jobRun_s],
    ['peak memory of the service processes (MB)', (s) => s.peakRss_MB],
    ['1-min load average during runs (median of means / max)', (s) => `${f(s.load1Mean)} / ${f(s.load1Max)}`],
  ];
  lines.push('', `| | ${modes.join(' | ')} |`, `|---|${modes.map(() => '---').join('|')}|`);
  for (const [label, get] of rows) lines.push(`| ${label} | ${modes.map((m) => f(get(summary[m]))).join(' | ')} |`);
  lines.push('', ...modes.map((m) => `- ${summary[m].service}`), '');
  return lines.join('\n');
}
