// Where the review page's load goes: opens /cases/:id/review on a case-server.mjs case in real
// Chromium and prints the page's s2p-* marks, each request's timing (from navigation), and,
// with --cpu, the main thread's hottest functions (CDP Profiler, self time).
// Usage: node bench/web/profile-review.mjs '<case-server.mjs JSON line>' [--cpu] [--runs N]
/* global location */
import { writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const info = JSON.parse(process.argv[2]);
const cpu = process.argv.includes('--cpu');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 1);
const CHROMIUM = process.env.SCAN2PRINT_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

for (let run = 1; run <= (process.argv.includes('--runs') ? runs : 1); run++) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  try {
    const context = await browser.newContext({ baseURL: info.url, viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && console.error(`console: ${m.text()}`));
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await page.goto('/');
    await page.getByTestId('login-email').fill(info.email);
    await page.getByTestId('login-password').fill(info.password);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('who').waitFor();
    const cdp = cpu ? await context.newCDPSession(page) : null;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
      await cdp.send('Profiler.start');
    }
    if (process.argv.includes('--via-case')) {
      // As the end-to-end spec goes: the case page, then its link to the review.
      await page.goto(`/cases/${info.caseId}`);
      await page.getByTestId('open-review').click();
    } else await page.goto(`/cases/${info.caseId}/review`);
    await page.waitForSelector('[data-testid=review][data-state=ready]', { timeout: 300_000 });
    const t = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0]?.startTime ?? 0;
      const marks = performance.getEntriesByType('mark').filter((e) => e.name.startsWith('s2p-')).map((e) => [e.name, Math.round(e.startTime - nav), e.detail ? JSON.stringify(e.detail) : '']);
      const res = performance.getEntriesByType('resource').map((e) => [e.name.replace(location.origin, '').slice(0, 70), Math.round(e.startTime - nav), Math.round(e.responseEnd - nav), e.encodedBodySize]);
      return { marks, res, ready: Math.round(performance.now() - nav) };
    });
    console.log(`run ${run}: ready at ${t.ready} ms; labelled voxels ${await page.getByTestId('label-count').getAttribute('data-count')}`);
    const shotAt = process.argv.indexOf('--shot');
    if (shotAt > 0) await page.screenshot({ path: process.argv[shotAt + 1] });
    for (const [n, ms, d] of t.marks) console.log(`  mark ${n.padEnd(28)} ${ms} ${d}`);
    for (const [n, a, b, sz] of t.res) console.log(`  req  ${n.padEnd(70)} ${a}→${b} ${sz}`);
    if (cdp) {
      const { profile } = await cdp.send('Profiler.stop');
      writeFileSync(`/tmp/perf/review-${run}.cpuprofile`, JSON.stringify(profile));
      const self = new Map();
      const dt = profile.timeDeltas;
      const byId = new Map(profile.nodes.map((n) => [n.id, n]));
      profile.samples.forEach((id, i) => {
        const n = byId.get(id);
        const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
        self.set(k, (self.get(k) ?? 0) + (dt[i] ?? 0) / 1000);
      });
      for (const [k, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  cpu  ${ms.toFixed(0).padStart(6)} ms  ${k}`);
    }
    await context.close();
  } finally {
    await browser.close();
  }
}
