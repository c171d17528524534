/**
 * The review's 3D panel (packages/web/src/review/model3d) in real Chromium (WebGL2 through
 * SwiftShader) against a real server whose case has two finished convert jobs on a real CT
 * series. The panel is mounted alone: its test entry (model3d/standalone) is built with Vite
 * next to a copy of the app's dist and served by the server itself (SCAN2PRINT_WEB_DIR), so
 * the app's CSP, session and API are the real ones.
 *
 * Checks: the canvas draws the model (pixels, not a blank frame); hiding a component changes
 * the picture and the count shown; two clicks on the surface give two points that lie on the
 * model (LPS mm, checked against the STL read here with core) and a distance equal to theirs;
 * a comment pinned to a clicked point is stored with that point and version; two versions
 * side by side show their own triangle counts and turn together; keyboard buttons work; axe.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { readStl, type Mesh } from '@scan2print/core';
import { startTestServer, TEST_PASSWORD, type TestOrg, type TestServer } from '../server/harness.js';
import { anonymisedSeries, formOf } from '../server/dicom-files.js';
import { ROOT } from '../data.js';
import { runTool } from '../run-tool.js';
import { launchChromium, logIn, openPage, type WatchedPage } from './chromium.js';
import { seriousViolations } from './axe.js';

const SERIES = 'ge-head-tilt-variable-spacing';
/** NiiVue's background in the panel (backColor 0.12, 0.13, 0.15). */
const BACKGROUND = [31, 33, 38];
/** How far (mm) a picked point may be from the model's surface. */
const ON_SURFACE_MM = 2;

let srv: TestServer;
let org: TestOrg;
let browser: Browser;
let webDir: string;
let caseId: string;
/** Job ids oldest first: default threshold, then 600 HU. */
const jobs: string[] = [];
const previews = new Map<string, Mesh>();

beforeAll(async () => {
  // The app's dist at / and the panel's test entry at /model3d-test/, in one folder the server serves.
  webDir = mkdtempSync(join(tmpdir(), 's2p-model3d-web-'));
  cpSync(join(ROOT, 'packages/web/dist'), webDir, { recursive: true });
  const vite = await runTool(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'src/review/model3d/standalone/vite.config.ts'], {
    cwd: join(ROOT, 'packages/web'),
    env: { MODEL3D_OUT: join(webDir, 'model3d-test') },
    timeout_ms: 600_000,
  });
  expect(vite.status, vite.stderr).toBe(0);
  const before = process.env.SCAN2PRINT_WEB_DIR;
  process.env.SCAN2PRINT_WEB_DIR = webDir;
  try {
    srv = await startTestServer({ workers: 1 });
  } finally {
    if (before === undefined) delete process.env.SCAN2PRINT_WEB_DIR;
    else process.env.SCAN2PRINT_WEB_DIR = before;
  }
  org = await srv.org('Model3D Hospital');
  caseId = (await srv.json(org.tokens.requester, 'POST', '/api/cases', { purpose: 'orbital floor plate', anatomy: 'skull' })).id;
  await srv.json(org.tokens.requester, 'POST', `/api/cases/${caseId}/files`, formOf(await anonymisedSeries(SERIES)));
  // Resampled to 3 mm: the panel's behaviour does not depend on the model's resolution, and two full-resolution
  // converts were most of this spec's time (a 3 mm convert of this series costs about 2/3 of the CPU of a 2 mm one).
  for (const params of [{ isotropic: 3 }, { isotropic: 3, threshold: 600 }]) {
    const { id } = await srv.json(org.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert', params });
    const j = await srv.waitJob(org.tokens.engineer, id, 1_000_000);
    expect(j.state, j.error ?? '').toBe('succeeded');
    jobs.push(id);
  }
  const arts: Array<{ id: string; jobId: string; kind: string }> = await srv.json(org.tokens.engineer, 'GET', `/api/cases/${caseId}/artifacts`);
  for (const jobId of jobs) {
    const a = arts.find((x) => x.jobId === jobId && x.kind === 'preview')!;
    const bytes = new Uint8Array(await (await srv.call(org.tokens.engineer, 'GET', `/api/artifacts/${a.id}`)).arrayBuffer());
    previews.set(jobId, readStl(bytes, 'preview.stl'));
  }
  browser = await launchChromium();
}, 1_200_000);

afterAll(async () => {
  await browser?.close();
  await srv?.close();
  if (webDir) rmSync(webDir, { recursive: true, force: true });
});

interface Pixels {
  /** Share of pixels that are not the background. */
  drawn: number;
  /** Each pixel's grey sum (r + g + b). */
  data: Uint16Array;
}

/**
 * In-page decoder of a PNG screenshot (the test's tsconfig has no DOM types, so it is text):
 * the share of pixels that are not the background, and each pixel's grey sum as the base64 of a
 * Uint16Array (a JSON array of one number per pixel cost more CPU to send than the rest of a capture).
 */
const DECODE = `async ({ png, bg }) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + png;
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.width;
  c.height = img.height;
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let drawn = 0;
  const grey = new Uint16Array(d.length / 4);
  for (let i = 0, p = 0; i < d.length; i += 4, p++) {
    if (Math.abs(d[i] - bg[0]) + Math.abs(d[i + 1] - bg[1]) + Math.abs(d[i + 2] - bg[2]) > 30) drawn++;
    grey[p] = d[i] + d[i + 1] + d[i + 2];
  }
  const bytes = new Uint8Array(grey.buffer);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return { drawn: drawn / grey.length, grey: btoa(bin) };
}`;

/** The element's pixels as the screen shows them (a screenshot decoded by the page itself). */
async function pixels(page: Page, el: Locator): Promise<Pixels> {
  const png = (await el.screenshot()).toString('base64');
  const r = (await page.evaluate(`(${DECODE})(${JSON.stringify({ png, bg: BACKGROUND })})`)) as { drawn: number; grey: string };
  const b = Buffer.from(r.grey, 'base64');
  // Copied: a Buffer's bytes may start at an odd offset of its pool, which a Uint16Array cannot view.
  return { drawn: r.drawn, data: new Uint16Array(new Uint8Array(b).buffer) };
}

/** Share of pixels that differ between two captures of the same element. */
function changed(a: Pixels, b: Pixels): number {
  expect(a.data.length).toBe(b.data.length);
  let n = 0;
  for (let i = 0; i < a.data.length; i++) if (Math.abs(a.data[i]! - b.data[i]!) > 30) n++;
  return n / a.data.length;
}

/** Distance (mm) from p to the nearest triangle of the mesh (closest point on a triangle, Ericson). */
function distanceToMesh(mesh: Mesh, p: number[]): number {
  const P = mesh.positions;
  let best = Infinity;
  const sub = (a: number[], b: number[]) => [a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!];
  const dot = (a: number[], b: number[]) => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
  const at = (v: number) => [P[3 * v]!, P[3 * v + 1]!, P[3 * v + 2]!];
  for (let t = 0; t < mesh.indices.length; t += 3) {
    const a = at(mesh.indices[t]!), b = at(mesh.indices[t + 1]!), c = at(mesh.indices[t + 2]!);
    const ab = sub(b, a), ac = sub(c, a), ap = sub(p, a);
    const d1 = dot(ab, ap), d2 = dot(ac, ap);
    let q: number[];
    if (d1 <= 0 && d2 <= 0) q = a;
    else {
      const bp = sub(p, b), d3 = dot(ab, bp), d4 = dot(ac, bp);
      const cp = sub(p, c), d5 = dot(ab, cp), d6 = dot(ac, cp);
      const vc = d1 * d4 - d3 * d2, vb = d5 * d2 - d1 * d6, va = d3 * d6 - d5 * d4;
      if (d3 >= 0 && d4 <= d3) q = b;
      else if (d6 >= 0 && d5 <= d6) q = c;
      else if (vc <= 0 && d1 >= 0 && d3 <= 0) q = a.map((x, i) => x + (d1 / (d1 - d3)) * ab[i]!);
      else if (vb <= 0 && d2 >= 0 && d6 <= 0) q = a.map((x, i) => x + (d2 / (d2 - d6)) * ac[i]!);
      else if (va <= 0 && d4 - d3 >= 0 && d5 - d6 >= 0) {
        const w = (d4 - d3) / (d4 - d3 + (d5 - d6));
        q = b.map((x, i) => x + w * (c[i]! - x));
      } else {
        const den = 1 / (va + vb + vc);
        const v = vb * den, w = vc * den;
        q = a.map((x, i) => x + ab[i]! * v + ac[i]! * w);
      }
    }
    const d = Math.hypot(...sub(p, q));
    if (d < best) best = d;
  }
  return best;
}

/** Clicks the canvas at fractions of its size, trying spots until `count()` grows past `from`. */
async function clickSurface(page: Page, canvas: Locator, spots: Array<[number, number]>, count: () => Promise<number>, from: number): Promise<void> {
  const box = (await canvas.boundingBox())!;
  for (const [fx, fy] of spots) {
    await page.mouse.click(box.x + fx * box.width, box.y + fy * box.height);
    if ((await count()) > from) return;
  }
  throw new Error(`no click on ${spots.length} spots hit the model`);
}

describe('web app: 3D model panel', () => {
  let w: WatchedPage;

  it('draws the model, hides a component, measures between two picked points, pins a comment, compares versions', async () => {
    // 800 px wide, not 1400: the canvases (SwiftShader WebGL, on the CPU) draw, and each capture sends, about half the
    // pixels; the canvas keeps its 460 px height, so the head is drawn as tall and the clicks (fractions of the canvas) still land on it.
    w = await openPage(browser, srv.url, { width: 800, height: 900 });
    const { page } = w;
    try {
      await logIn(page, org.emails.engineer, TEST_PASSWORD);
      await page.goto(`/model3d-test/index.html?case=${caseId}`);
      const summaryA = page.getByTestId('model3d-summary-a');
      await summaryA.waitFor({ timeout: 120_000 });
      const canvasA = page.getByTestId('model3d-canvas-a');

      // The latest version (600 HU) is shown first, with the triangle count of its preview STL.
      const latest = previews.get(jobs[1]!)!;
      expect(Number(await summaryA.getAttribute('data-triangles'))).toBe(latest.indices.length / 3);
      expect(await page.getByTestId('model3d-view-a').getAttribute('data-job')).toBe(jobs[1]);
      await expect.poll(async () => (await pixels(page, canvasA)).drawn, { timeout: 60_000 }).toBeGreaterThan(0.05);
      const shown = await pixels(page, canvasA);
      await w.screenshot('model3d-1-drawn');
      expect(await seriousViolations(page)).toEqual([]);

      // Hide the largest component: fewer triangles shown and a different picture; show it again.
      const toggles = page.getByTestId('model3d-component-toggle');
      const components = await toggles.count();
      expect(components).toBe(Number(await summaryA.getAttribute('data-components')));
      expect(components).toBeGreaterThanOrEqual(1);
      const visible = page.getByTestId('model3d-visible-a');
      const all = Number(await visible.getAttribute('data-triangles'));
      const largest = Number(await toggles.first().getAttribute('data-triangles'));
      await toggles.first().uncheck();
      await expect.poll(async () => Number(await visible.getAttribute('data-triangles'))).toBe(all - largest);
      await expect.poll(async () => changed(shown, await pixels(page, canvasA)), { timeout: 30_000 }).toBeGreaterThan(0.05);
      await w.screenshot('model3d-2-largest-hidden');
      await toggles.first().check();
      await expect.poll(async () => changed(shown, await pixels(page, canvasA)), { timeout: 30_000 }).toBeLessThan(0.01);

      // Measure: two clicks on the surface, left and right of the centre.
      await page.getByTestId('model3d-mode-measure').check();
      const points = page.getByTestId('measure-points').locator('li');
      const left: Array<[number, number]> = [[0.42, 0.5], [0.4, 0.45], [0.45, 0.55], [0.38, 0.5], [0.47, 0.42], [0.35, 0.55]];
      const right: Array<[number, number]> = left.map(([x, y]) => [1 - x, y]);
      await clickSurface(page, canvasA, left, () => points.count(), 0);
      await clickSurface(page, canvasA, right, () => points.count(), 1);
      const p1 = JSON.parse((await points.nth(0).getAttribute('data-lps'))!) as number[];
      const p2 = JSON.parse((await points.nth(1).getAttribute('data-lps'))!) as number[];
      const shownMm = Number(await page.getByTestId('measure-distance').getAttribute('data-mm'));
      expect(shownMm).toBeCloseTo(Math.hypot(p1[0]! - p2[0]!, p1[1]! - p2[1]!, p1[2]! - p2[2]!), 9);
      expect(await page.getByTestId('measure-distance').textContent()).toBe(`${shownMm.toFixed(1)} mm`);
      // A head: two points of its surface a few mm to a few hundred mm apart.
      expect(shownMm).toBeGreaterThan(5);
      expect(shownMm).toBeLessThan(300);
      // Both points lie on the model as its STL has it (LPS). NiiVue's depth picker is good to about a screen
      // pixel (its depth sample and its unprojected position differ by one row), here ~0.6 mm: 2 mm allowed.
      expect(distanceToMesh(latest, p1)).toBeLessThan(ON_SURFACE_MM);
      expect(distanceToMesh(latest, p2)).toBeLessThan(ON_SURFACE_MM);
      await w.screenshot('model3d-3-measured');

      // The keyboard path: the centre pick button adds a point (a third pick starts a new measurement).
      await page.getByTestId('model3d-pick-centre').focus();
      await page.keyboard.press('Enter');
      await expect.poll(() => points.count()).toBe(1);
      expect(distanceToMesh(latest, JSON.parse((await points.nth(0).getAttribute('data-lps'))!))).toBeLessThan(ON_SURFACE_MM);

      // Comment pinned to a clicked point, stored with that point and version.
      await page.getByTestId('model3d-mode-comment').check();
      const draft = page.getByTestId('model3d-comment-point');
      await clickSurface(page, canvasA, left, () => draft.count(), 0);
      const at = JSON.parse((await draft.getAttribute('data-lps'))!) as number[];
      expect(distanceToMesh(latest, at)).toBeLessThan(ON_SURFACE_MM);
      await page.getByTestId('model3d-comment-body').fill('Thin bone here: check the wall thickness');
      await page.getByTestId('model3d-comment-post').click();
      await page.getByTestId('model3d-comment').first().waitFor();
      const stored: Array<{ body: string; point: { x: number; y: number; z: number } | null; jobId: string | null }> = await srv.json(
        org.tokens.reviewer,
        'GET',
        `/api/cases/${caseId}/comments`,
      );
      const mine = stored.find((c) => c.body === 'Thin bone here: check the wall thickness')!;
      expect(mine.jobId).toBe(jobs[1]);
      expect(mine.point!.x).toBeCloseTo(at[0]!, 6);
      expect(mine.point!.y).toBeCloseTo(at[1]!, 6);
      expect(mine.point!.z).toBeCloseTo(at[2]!, 6);
      expect(JSON.parse((await page.getByTestId('model3d-comment').first().getAttribute('data-lps'))!)).toEqual(at);
      await w.screenshot('model3d-4-comment');
      expect(await seriousViolations(page)).toEqual([]);

      // Versions side by side: each view shows its own preview's count; the views turn together.
      await page.getByTestId('model3d-mode-view').check();
      await page.getByTestId('model3d-compare').check();
      const summaryB = page.getByTestId('model3d-summary-b');
      await summaryB.waitFor({ timeout: 120_000 });
      expect(await page.getByTestId('model3d-view-b').getAttribute('data-job')).toBe(jobs[0]);
      expect(Number(await summaryB.getAttribute('data-triangles'))).toBe(previews.get(jobs[0]!)!.indices.length / 3);
      expect(Number(await summaryB.getAttribute('data-triangles'))).not.toBe(Number(await summaryA.getAttribute('data-triangles')));
      const canvasB = page.getByTestId('model3d-canvas-b');
      await expect.poll(async () => (await pixels(page, canvasB)).drawn, { timeout: 60_000 }).toBeGreaterThan(0.05);
      const a0 = await pixels(page, canvasA);
      const b0 = await pixels(page, canvasB);
      await w.screenshot('model3d-5-side-by-side');
      // Drag on the left view: the right one turns too.
      const box = (await canvasA.boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5, { steps: 8 });
      await page.mouse.up();
      await expect.poll(async () => changed(a0, await pixels(page, canvasA)), { timeout: 30_000 }).toBeGreaterThan(0.05);
      await expect.poll(async () => changed(b0, await pixels(page, canvasB)), { timeout: 30_000 }).toBeGreaterThan(0.05);
      await w.screenshot('model3d-6-turned-together');
      // Keyboard: Reset view by Enter, then Zoom in changes both pictures.
      await page.getByTestId('model3d-reset').focus();
      await page.keyboard.press('Enter');
      const b1 = await pixels(page, canvasB);
      await page.getByTestId('model3d-zoom-in').focus();
      await page.keyboard.press('Enter');
      await expect.poll(async () => changed(b1, await pixels(page, canvasB)), { timeout: 30_000 }).toBeGreaterThan(0.02);
      expect(await seriousViolations(page)).toEqual([]);
      await w.screenshot('model3d-7-zoomed');
      expect(w.problems).toEqual([]);
    } finally {
      await w.context.close();
    }
  });
});
