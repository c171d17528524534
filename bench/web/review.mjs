// bench/web review: in real Chromium (Debian's, through playwright-core), on a case whose
// convert job ran on ct/philips-head-phantom-1mm (140 slices of 512×512):
//  - first slice: from navigation to /cases/:id/review to the page's `s2p-first-slice` mark
//    (NiiVue has drawn the CT: a downsampled preview, replaced by the full CT), else to the
//    page reporting ready; and to `s2p-review-ready` (full CT with the label overlay, editable);
//  - threshold preview: the latency the page reports after each slider move (worker
//    re-segmentation → overlay replaced), median of 5 moves per run;
//  - peak memory of the tab: VmHWM (peak resident set) of Chromium's renderer and GPU
//    processes, read from /proc after the run (each run in a fresh browser).
// Median of RUNS (default 3). Targets (issue 10): first slice ≤ 2 s, preview ≤ 300 ms, ≤ 1.5 GB.
// The case is prepared once through the API (anonymised with core as a client does, uploaded,
// converted by `scan2print serve` started from the built CLI).
// Needs the build (npm run build). Usage: node bench/web/review.mjs [runs=3] [label]
// BENCH_WEB_DIR=<a private vite build> serves that build instead of packages/web/dist.
// Writes bench/results/web-review-<date>.json.
/* global document */
import { mkdtempSync, rmSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { convertedCase, startWebServer } from './serve.mjs';
import { median } from '../lib/measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const runs = Number(process.argv[2] ?? 3);
// An optional label (e.g. before, after) names the results file: web-review-<date>-<label>.json.
const label = process.argv[3];
const seriesDir = resolve(process.env.SCAN2PRINT_DATA ?? resolve(root, '../shared/data'), 'ct/philips-head-phantom-1mm');
const CHROMIUM = process.env.SCAN2PRINT_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const PASSWORD = 'bench web review password 1';

/** Peak resident set (kB → bytes) of the renderer and GPU processes of the Chromium this process started. */
function peakTabBytes(ancestorPid) {
  let renderer = 0;
  let gpu = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('chromium') || !descends(Number(pid), ancestorPid)) continue;
      const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
      if (cmd.includes('--type=renderer')) renderer = Math.max(renderer, hwm);
      else if (cmd.includes('--type=gpu-process')) gpu = Math.max(gpu, hwm);
    } catch {
      // gone
    }
  }
  return { renderer, gpu };
}
function descends(pid, ancestor) {
  for (let p = pid, i = 0; p > 1 && i < 50; i++) {
    if (p === ancestor) return true;
    try {
      p = Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1]);
    } catch {
      return false;
    }
  }
  return false;
}

const work = mkdtempSync(join(tmpdir(), 's2p-bench-web-review-'));
const svc = await startWebServer(work);
const load1AtStart = loadavg()[0];
const results = [];
let chromiumVersion = '';
try {
  const { email, caseId } = await convertedCase(svc, { seriesDir, password: PASSWORD, name: 'review' });
  console.error(`bench/web review: case ${caseId} converted`);

  for (let run = 1; run <= runs; run++) {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
    chromiumVersion = browser.version();
    try {
      const context = await browser.newContext({ baseURL: svc.url, viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      await page.goto('/');
      await page.getByTestId('login-email').fill(email);
      await page.getByTestId('login-password').fill(PASSWORD);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('who').waitFor();
      await page.goto(`/cases/${caseId}/review`);
      await page.waitForSelector('[data-testid=review][data-state=ready]', { timeout: 300_000 });
      const firstSlice = await page.evaluate(`(() => {
        const nav = performance.getEntriesByType('navigation')[0]?.startTime ?? 0;
        const m = performance.getEntriesByName('s2p-first-slice', 'mark')[0];
        // Every s2p-* mark the page set (its load stages), from navigation.
        const stages = Object.fromEntries(performance.getEntriesByType('mark').filter((e) => e.name.startsWith('s2p-')).map((e) => [e.name, Math.round(e.startTime - nav)]));
        return { ms: (m ? m.startTime : performance.now()) - nav, marked: !!m, stages };
      })()`);
      const latencies = [];
      const slider = page.getByTestId('threshold-slider');
      for (const hu of [500, 200, 700, 400, 600]) {
        await slider.fill(String(hu));
        // The page shows the latency of the preview now on screen, with its HU.
        await page.waitForFunction(
          (v) => document.querySelector('[data-testid=threshold-latency]')?.getAttribute('data-hu') === String(v),
          hu,
          { timeout: 120_000 },
        );
        const ms = Number(await page.getByTestId('threshold-latency').getAttribute('data-ms'));
        latencies.push(ms);
      }
      // Read before the browser closes; Playwright's Browser gives no pid, so: descendants of this process.
      const mem = peakTabBytes(process.pid);
      const r = {
        run,
        firstSlice_ms: Math.round(firstSlice.ms),
        firstSliceMarked: firstSlice.marked,
        stages_ms: firstSlice.stages,
        thresholdPreview_ms: latencies,
        thresholdPreviewMedian_ms: median(latencies),
        peakRendererMB: Math.round(mem.renderer / 1048576),
        peakGpuProcessMB: Math.round(mem.gpu / 1048576),
        load1: loadavg()[0],
      };
      results.push(r);
      console.error(`bench/web review run ${run}: first slice ${r.firstSlice_ms} ms; preview ${r.thresholdPreviewMedian_ms} ms; renderer ${r.peakRendererMB} MB, gpu ${r.peakGpuProcessMB} MB; load ${r.load1.toFixed(1)}`);
      await context.close();
    } finally {
      await browser.close();
    }
  }
} finally {
  await svc.stop();
  rmSync(work, { recursive: true, force: true });
}

const date = new Date().toISOString().slice(0, 10);
const out = resolve(root, `bench/results/web-review-${date}${label ? `-${label}` : ''}.json`);
const json = {
  bench: 'bench/web/review.mjs',
  command: `node bench/web/review.mjs ${runs}${label ? ` ${label}` : ''}`,
  webDir: svc.webDir,
  load1AtStart,
  load1AtEnd: loadavg()[0],
  date: new Date().toISOString(),
  input: 'ct/philips-head-phantom-1mm (140 slices), default convert job',
  targets: { firstSlice_ms: 2000, thresholdPreview_ms: 300, peakTabMB: 1536 },
  median_firstSlice_ms: median(results.map((r) => r.firstSlice_ms)),
  median_fullWithOverlay_ms: median(results.map((r) => r.stages_ms['s2p-review-ready'] ?? NaN)),
  median_thresholdPreview_ms: median(results.map((r) => r.thresholdPreviewMedian_ms)),
  median_peakRendererMB: median(results.map((r) => r.peakRendererMB)),
  median_peakGpuProcessMB: median(results.map((r) => r.peakGpuProcessMB)),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memGB: +(totalmem() / 1e9).toFixed(1), chromium: chromiumVersion, webgl: 'SwiftShader (--disable-gpu)' },
  runs: results,
};
writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
console.error(`bench/web review: first slice ${json.median_firstSlice_ms} ms, preview ${json.median_thresholdPreview_ms} ms, renderer ${json.median_peakRendererMB} MB; wrote ${out}`);
