/**
 * The review page on a real converted case (real server, real CT, real Chromium with
 * SwiftShader WebGL2): the CT shows with the label map as a coloured overlay, the threshold
 * slider re-segments in the browser, a painted stroke changes the labelled voxels, undo and
 * redo restore and re-apply it, and a clicked island is removed. Screenshots are kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNiftiLabels } from '@scan2print/core';
import type { Browser } from 'playwright-core';
import { startTestServer, TEST_PASSWORD, type TestOrg, type TestServer } from '../server/harness.js';
import { anonymisedSeries, formOf } from '../server/dicom-files.js';
import { launchChromium, logIn, openPage, type WatchedPage } from './chromium.js';
import { seriousViolations } from './axe.js';
import { dragAcrossAxial, labelCount, pixelStats } from './viewer-pixels.js';

// A real head CT (28 slices, gantry tilt): small enough to convert quickly on a loaded machine.
const SERIES = 'ge-head-tilt-variable-spacing';

let srv: TestServer;
let org: TestOrg;
let browser: Browser;
let caseId: string;
let w: WatchedPage;

beforeAll(async () => {
  srv = await startTestServer({ workers: 1 });
  org = await srv.org('Review Hospital');
  caseId = (await srv.json(org.tokens.requester, 'POST', '/api/cases', { purpose: 'orbital floor repair planning', anatomy: 'skull' })).id;
  await srv.json(org.tokens.requester, 'POST', `/api/cases/${caseId}/files`, formOf(await anonymisedSeries(SERIES)));
  // At 2 mm: the review page's behaviour does not depend on resolution (api.spec runs the default convert of this series).
  const { id } = await srv.json(org.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert', params: { isotropic: 2 } });
  const job = await srv.waitJob(org.tokens.engineer, id, 1_000_000);
  expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
  browser = await launchChromium();
  w = await openPage(browser, srv.url);
  await logIn(w.page, org.emails.engineer, TEST_PASSWORD);
}, 1_200_000);

afterAll(async () => {
  await w?.context.close();
  await browser?.close();
  await srv?.close();
});

describe('review page', () => {
  it('shows the CT with the label map as a coloured overlay in three planes, accessibly', async () => {
    const { page } = w;
    await page.goto(`/cases/${caseId}/review`);
    await expect.poll(() => page.getByTestId('review').getAttribute('data-state'), { timeout: 600_000, interval: 1000 }).toBe('ready');
    expect(await labelCount(page)).toBeGreaterThan(1000);
    const s = await pixelStats(page);
    await w.screenshot('review-loaded');
    expect(s.overlay).toBeGreaterThan(500);
    expect(s.greyLevels).toBeGreaterThan(30); // CT grey, not a blank or uniform frame
    expect(await seriousViolations(page)).toEqual([]);
    // Keyboard only, the mouse elsewhere: the canvas's keys move the crosshair (and the slices) as its label says.
    const canvas = page.getByTestId('viewer-canvas');
    await canvas.focus();
    const at = async () => JSON.parse((await canvas.getAttribute('data-crosshair')) ?? 'null') as number[] | null;
    await page.keyboard.press('PageUp');
    const k1 = (await at())!;
    await page.keyboard.press('PageUp');
    const k2 = (await at())!;
    expect(k2[2]).toBeGreaterThan(k1[2]!);
    expect([k2[0], k2[1]]).toEqual([k1[0], k1[1]]);
    await page.keyboard.press('ArrowRight');
    const x = (await at())!;
    expect(x[0]).toBeGreaterThan(k2[0]!);
    expect([x[1], x[2]]).toEqual([k2[1], k2[2]]);
    await page.keyboard.press('ArrowDown');
    expect((await at())![1]).toBeLessThan(x[1]!);
  }, 900_000);

  it('re-segments live from the threshold slider and shows the latency', async () => {
    const { page } = w;
    const before = await pixelStats(page);
    const count0 = await labelCount(page);
    const slider = page.getByTestId('threshold-slider');
    await slider.focus();
    for (let k = 0; k < 40; k++) await page.keyboard.press('ArrowRight'); // 300 → 700 HU
    await expect.poll(() => page.getByTestId('threshold-value').textContent(), { timeout: 120_000 }).toBe('700');
    await expect.poll(() => page.getByTestId('threshold-latency').getAttribute('data-ms'), { timeout: 180_000 }).toMatch(/^\d+$/);
    // The last value's preview is the one on screen: wait for the count to settle.
    await expect.poll(() => labelCount(page), { timeout: 180_000 }).toBeLessThan(count0);
    const ms = await page.getByTestId('threshold-latency').getAttribute('data-ms');
    console.log(`threshold preview latency (last shown): ${ms} ms; ${await page.getByTestId('threshold-latency').textContent()}`);
    const after = await pixelStats(page);
    await w.screenshot('review-threshold-700');
    expect(after.overlay).toBeLessThan(before.overlay * 0.95);
    expect(after.overlay).toBeGreaterThan(0);
  }, 600_000);

  it('paints a stroke with the mouse, undoes and redoes it, and removes a clicked island', async () => {
    const { page } = w;
    // Let the threshold series become one undo step before painting.
    await expect.poll(() => page.getByTestId('undo').isEnabled(), { timeout: 120_000 }).toBe(true);
    const count0 = await labelCount(page);
    await page.getByTestId('tool-paint').click();
    await dragAcrossAxial(page);
    await expect.poll(() => labelCount(page), { timeout: 120_000 }).toBeGreaterThan(count0);
    const painted = await labelCount(page);
    await w.screenshot('review-painted');

    await page.getByTestId('undo').click();
    await expect.poll(() => labelCount(page), { timeout: 120_000 }).toBe(count0);
    await page.getByTestId('redo').click();
    await expect.poll(() => labelCount(page), { timeout: 120_000 }).toBe(painted);
    // The keyboard does the same (focus on the page, not in a text field).
    await page.getByTestId('viewer-canvas').focus();
    await page.keyboard.press('Control+z');
    await expect.poll(() => labelCount(page), { timeout: 120_000 }).toBe(count0);
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => labelCount(page), { timeout: 120_000 }).toBe(painted);

    const s = await pixelStats(page);
    expect(s.overlayAt.length).toBeGreaterThan(0);
    await page.getByTestId('tool-remove-island').click();
    const [px, py] = s.overlayAt[Math.floor(s.overlayAt.length / 2)]!;
    await page.mouse.click(px, py);
    await expect.poll(() => labelCount(page), { timeout: 180_000 }).toBeLessThan(painted);
    await w.screenshot('review-island-removed');
    await page.getByTestId('undo').click();
    await expect.poll(() => labelCount(page), { timeout: 120_000 }).toBe(painted);
    expect(w.problems).toEqual([]);
  }, 600_000);

  it('rebuilds the model from the edited label map as a new version and loads it', async () => {
    const { page } = w;
    const edited = await labelCount(page);
    await page.getByTestId('rebuild').click();
    await expect.poll(() => page.getByTestId('rebuild-job').getAttribute('data-state'), { timeout: 1_000_000, interval: 2000 }).toBe('succeeded');
    await expect.poll(() => page.getByTestId('review').textContent(), { timeout: 600_000, interval: 2000 }).toMatch(/\(mesh\)/);
    await expect.poll(() => page.getByTestId('review').getAttribute('data-state'), { timeout: 600_000, interval: 1000 }).toBe('ready');
    await w.screenshot('review-rebuilt');
    // The new version's label map is the edited one, voxel for voxel in count.
    const jobs = (await srv.json(org.tokens.engineer, 'GET', `/api/cases/${caseId}`)).jobs as Array<{ id: string; kind: string; state: string }>;
    const mesh = jobs.find((j) => j.kind === 'mesh');
    expect(mesh?.state).toBe('succeeded');
    const arts = (await srv.json(org.tokens.engineer, 'GET', `/api/cases/${caseId}/artifacts`)) as Array<{ id: string; jobId: string; kind: string }>;
    const labels = arts.find((a) => a.jobId === mesh!.id && a.kind === 'labels')!;
    const bytes = new Uint8Array(await (await srv.call(org.tokens.engineer, 'GET', `/api/artifacts/${labels.id}`)).arrayBuffer());
    const data = readNiftiLabels(bytes, 'labels.nii.gz').data;
    let labelled = 0;
    for (let i = 0; i < data.length; i++) if (data[i] !== 0) labelled++;
    expect(labelled).toBe(edited);
    expect(await labelCount(page)).toBe(edited);
    expect(w.problems).toEqual([]);
  }, 1_800_000);
});
