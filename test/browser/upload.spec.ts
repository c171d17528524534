/**
 * The upload page in real Chromium against a real server: a real CT series with a patient's
 * identity planted in every file is picked as a folder, parsed and anonymised in the browser,
 * and uploaded with tus. Every request body the browser sent (the tus PATCHes rebuilt into the
 * zip and unpacked) and every byte the server stored must be free of the planted values.
 * A second test drops the connection and reloads mid-upload: the upload resumes at the
 * server's offset, never from zero.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page, Request } from 'playwright-core';
import { listFiles, startTestServer, TEST_PASSWORD, type TestOrg, type TestServer } from '../server/harness.js';
import { launchChromium, logIn, openPage } from './chromium.js';
import { seriousViolations } from './axe.js';
import { leaks, plantUploadFolder, reassemble, tick, uploadNeedles, type CapturedPatch, type PlantedFolder } from './plant-upload.js';

let srv: TestServer;
let org: TestOrg;
let browser: Browser;
let tmp: string;
let planted: PlantedFolder;
let needles: string[];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 's2p-web-upload-'));
  // The tilted phantom (54 slices): the page must also report the gantry tilt it corrects.
  planted = await plantUploadFolder('philips-head-phantom-tilt', join(tmp, 'series'));
  needles = uploadNeedles(planted.uids);
  srv = await startTestServer();
  org = await srv.org('Upload Hospital');
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await srv?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/**
 * Every request the page sends, with its body, and the tus PATCHes with their offsets. The API's
 * requests pass through a route: DevTools gives the bodies of intercepted requests whole, Blob
 * bodies (tus sends Blob slices) included, which it leaves out for requests it only watches.
 */
async function capture(page: Page) {
  await page.route('**/api/**', (route) => route.fallback());
  const bodies: Array<{ what: string; body: Uint8Array }> = [];
  const patches: CapturedPatch[] = [];
  const lengths: number[] = [];
  /** Answers of 400 and more to requests sent from the new-case page (the case page the app opens next is not this spec's). */
  const failures: string[] = [];
  page.on('response', (res) => {
    const r = res.request();
    if (res.status() >= 400 && r.frame().url().endsWith('/cases/new')) failures.push(`${r.method()} ${new URL(r.url()).pathname} ${res.status()}`);
  });
  page.on('request', (r: Request) => {
    const body = r.postDataBuffer();
    const what = `${r.method()} ${new URL(r.url()).pathname}`;
    if (body) bodies.push({ what, body: new Uint8Array(body) });
    const h = r.headers();
    if (r.method() === 'PATCH' && r.url().includes('/api/uploads/')) patches.push({ offset: Number(h['upload-offset']), body: new Uint8Array(body ?? []) });
    if (r.method() === 'POST' && /\/api\/uploads$/.test(r.url())) lengths.push(Number(h['upload-length']));
  });
  return { bodies, patches, lengths, failures };
}

/** Records every value and text the progress bar shows (the page leaves for the case when done). */
async function watchProgress(page: Page): Promise<void> {
  // A string, evaluated in the page (the test's TypeScript has no DOM types).
  await page.evaluate(`(() => {
    window.__progress = { max: 0, texts: [] };
    new MutationObserver(() => {
      const bar = document.querySelector('[data-testid=upload-progress]');
      const text = document.querySelector('[data-testid=upload-progress-text]')?.textContent;
      if (bar) window.__progress.max = Math.max(window.__progress.max, Number(bar.getAttribute('aria-valuenow')));
      if (text && !window.__progress.texts.includes(text)) window.__progress.texts.push(text);
    }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  })()`);
}

async function fillCase(page: Page): Promise<void> {
  await page.getByTestId('case-purpose').fill('Surgical planning');
  await page.getByTestId('case-anatomy').fill('Skull');
  await page.getByTestId('case-due').fill('2027-01-15');
}

async function storedFiles(caseId: string): Promise<number> {
  const c = await srv.json(org.tokens.requester, 'GET', `/api/cases/${caseId}`);
  return (c.series as Array<{ files: number }>).reduce((a, s) => a + s.files, 0);
}

describe('web app: anonymised upload', () => {
  it('shows the series and findings, anonymises in the browser, uploads, and nothing sent or stored holds the identity', async () => {
    // The planted values are really in the input.
    const first = readFileSync(listFiles(planted.dir).find((p) => p.endsWith('.dcm'))!);
    expect((await leaks(first, needles, 'input')).length).toBeGreaterThan(10);

    const w = await openPage(browser, srv.url);
    // A loaded 2-core machine: page loads and clicks may take a while.
    w.page.setDefaultTimeout(120_000);
    try {
      const sent = await capture(w.page);
      await logIn(w.page, org.emails.requester, TEST_PASSWORD);
      await w.page.goto('/cases/new');
      await w.page.getByRole('heading', { name: 'New case' }).waitFor();
      expect(await seriousViolations(w.page)).toEqual([]);
      await fillCase(w.page);
      await w.page.getByTestId('upload-input').setInputFiles(planted.dir);
      await w.page.getByTestId('upload-ready').waitFor({ timeout: 240_000 });

      // Before anything is sent: the series, its slices, its tilt finding, a thumbnail; what was removed; the patient key.
      expect(await w.page.getByTestId('upload-slices').textContent()).toBe(String(planted.slices));
      expect(await w.page.locator('[data-testid=upload-finding][data-code=TILT_CORRECTED]').count()).toBe(1);
      expect(await w.page.getByRole('img', { name: /Middle slice of series .*bone window/ }).count()).toBe(1);
      const summary = (await w.page.getByTestId('anonymisation-summary').textContent()) ?? '';
      expect(summary).toContain(`${planted.slices} of ${planted.slices + 1} files anonymised`);
      expect(summary).toMatch(/1 non-DICOM file\(s\) left out/);
      expect(await w.page.getByTestId('patient-key').textContent()).toMatch(/\S{8,}/);
      const removed = (await w.page.getByTestId('removed-attributes').textContent()) ?? '';
      for (const k of ['PatientName', 'PatientID', 'PatientBirthDate', 'InstitutionName', 'AccessionNumber']) expect(removed).toContain(k);
      expect(removed).toMatch(/\(0029,1001\)/);
      expect(await w.page.getByTestId('project-key-note').textContent()).toMatch(/never leaves it/);
      expect((await leaks(Buffer.from(await w.page.content()), needles.filter((n) => !/^[0-9.]+$/.test(n)), 'page')).length).toBe(0);
      expect(sent.patches).toEqual([]);
      expect(await seriousViolations(w.page)).toEqual([]);
      await w.screenshot('upload-ready');

      await watchProgress(w.page);
      await w.page.getByTestId('upload-start').click();
      await w.page.waitForURL(/\/cases\/[0-9a-f-]{36}$/, { timeout: 240_000 });
      const caseId = w.page.url().split('/').pop()!;
      const progress = (await w.page.evaluate('window.__progress')) as { max: number; texts: string[] };
      expect(progress.max).toBe(100);
      expect(progress.texts.some((t) => /\/s/.test(t))).toBe(true);
      await w.screenshot('upload-done-case');

      // The upload arrived: one stored file per slice, and the convert job was queued.
      expect(await storedFiles(caseId)).toBe(planted.slices);
      const c = await srv.json(org.tokens.requester, 'GET', `/api/cases/${caseId}`);
      expect((c.jobs as Array<{ kind: string }>).map((j) => j.kind)).toEqual(['convert']);
      // The model itself is other specs' business: stop it, so its CPU does not slow the rest of this file.
      await srv.call(org.tokens.requester, 'POST', `/api/jobs/${(c.jobs as Array<{ id: string }>)[0]!.id}/cancel`);

      // Every body the browser sent, and the zip rebuilt from the tus PATCHes, unpacked.
      expect(sent.lengths.length).toBe(1);
      const zip = reassemble(sent.patches, sent.lengths[0]!);
      expect(sent.patches.reduce((a, p) => a + p.body.length, 0)).toBe(sent.lengths[0]);
      const found: string[] = [];
      for (const b of sent.bodies) {
        found.push(...(await leaks(b.body, needles, b.what)));
        await tick();
      }
      found.push(...(await leaks(zip, needles, 'uploaded zip')));
      expect(found).toEqual([]);
      // The rebuilt zip really holds the series (the scan saw DICOM, not an empty body).
      const { unzipSync } = await import('fflate');
      expect(Object.keys(unzipSync(zip)).length).toBe(planted.slices);

      // Every byte the server keeps.
      const stored = listFiles(srv.dataDir);
      expect(stored.length).toBeGreaterThan(planted.slices);
      for (const f of stored) {
        found.push(...(await leaks(readFileSync(f), needles, f)));
        await tick();
      }
      expect(found).toEqual([]);
      // Nothing failed on the new-case page (the first GET /api/me before login is a 401 by design).
      expect(sent.failures).toEqual([]);
      expect(w.problems.filter((p) => /page error|request failed/.test(p))).toEqual([]);
    } finally {
      await w.context.close();
    }
  });

  it('resumes after a dropped connection and after a reload, at the server offset, never from zero', async () => {
    const w = await openPage(browser, srv.url);
    // A loaded 2-core machine: page loads and clicks may take a while.
    w.page.setDefaultTimeout(120_000);
    try {
      const sent = await capture(w.page);
      // Each PATCH as the route saw it: its offset, whether it went through, and whether the page had been reloaded.
      const log: Array<{ offset: number; passed: boolean; afterResume: boolean; bytes: number }> = [];
      let cut = false;
      let resumed = false;
      // PATCH 1 waits until the page has been asked to leave mid-upload (below).
      let release: () => void = () => {};
      const held = new Promise<void>((r) => (release = r));
      // A link clicked mid-upload asks first (dismissed here: the page stays); the reload's beforeunload is accepted.
      const dialogs: string[] = [];
      w.page.on('dialog', (d) => {
        dialogs.push(d.type());
        void (d.type() === 'confirm' ? d.dismiss() : d.accept());
      });
      // PATCH 2 loses its connection (tus retries by itself); PATCH 4 (the third chunk) is cut and the page
      // reloaded; until the user resumes, every PATCH the dying page still tries is cut too.
      await w.page.route('**/api/uploads/*', async (route) => {
        const r = route.request();
        if (r.method() !== 'PATCH') return route.continue();
        const offset = Number(r.headers()['upload-offset']);
        const n = log.length + 1;
        const drop = n === 2 || n === 4 || (cut && !resumed);
        log.push({ offset, passed: !drop, afterResume: resumed, bytes: r.postDataBuffer()?.length ?? -1 });
        if (n === 1) await held;
        if (!drop) return route.continue();
        await route.abort('connectionreset');
        if (n === 4) {
          cut = true;
          void w.page.reload();
        }
      });
      await logIn(w.page, org.emails.requester, TEST_PASSWORD);
      await w.page.goto('/cases/new');
      await fillCase(w.page);
      await w.page.getByTestId('upload-input').setInputFiles(planted.dir);
      await w.page.getByTestId('upload-ready').waitFor({ timeout: 240_000 });
      await w.page.getByTestId('upload-start').click();
      await expect.poll(() => log.length, { timeout: 240_000 }).toBe(1);
      await w.page.getByRole('link', { name: 'Cases', exact: true }).click();
      await expect.poll(() => dialogs).toEqual(['confirm']);
      expect(new URL(w.page.url()).pathname).toBe('/cases/new');
      release();
      await expect.poll(() => cut, { timeout: 240_000 }).toBe(true);
      await w.page.getByTestId('upload-resume-banner').waitFor({ timeout: 120_000 });
      expect(await seriousViolations(w.page)).toEqual([]);
      await w.screenshot('upload-resume-banner');
      // The unfinished upload is the requester's: another user logging in on this browser neither sees it
      // nor discards it by a resume that fails (it was shown to whoever logged in next, and lost that way).
      await w.page.getByRole('button', { name: 'Log out' }).click();
      await logIn(w.page, org.emails.engineer, TEST_PASSWORD);
      await w.page.goto('/cases/new');
      await w.page.locator('[data-testid="new-case-page"][data-pending="none"]').waitFor();
      expect(await w.page.getByTestId('upload-resume-banner').count()).toBe(0);
      await w.page.getByRole('button', { name: 'Log out' }).click();
      await logIn(w.page, org.emails.requester, TEST_PASSWORD);
      await w.page.goto('/cases/new');
      await w.page.locator('[data-testid="new-case-page"][data-pending="yes"]').waitFor();
      // The case itself, still without files, points to the unfinished upload.
      const pendingCase = /Case ([0-9a-f-]{36})/.exec((await w.page.getByTestId('upload-resume-banner').textContent()) ?? '')![1]!;
      await w.page.goto(`/cases/${pendingCase}`);
      await w.page.getByTestId('case-pending-upload').getByRole('link').click();
      await w.page.getByTestId('upload-resume-banner').waitFor();
      resumed = true;
      await w.page.getByTestId('upload-resume').click();
      await w.page.waitForURL(/\/cases\/[0-9a-f-]{36}$/, { timeout: 240_000 });
      const caseId = w.page.url().split('/').pop()!;
      expect(await storedFiles(caseId)).toBe(planted.slices);

      expect(sent.lengths.length).toBe(1);
      const length = sent.lengths[0]!;
      const chunk = sent.patches[0]!.body.length;
      expect(length).toBeGreaterThan(2 * chunk);
      // Before the reload: 0, 1 chunk (dropped), 1 chunk again (the retry asked the server), 2 chunks (cut).
      expect(log.slice(0, 4).map(({ bytes: _, ...p }) => p)).toEqual([
        { offset: 0, passed: true, afterResume: false },
        { offset: chunk, passed: false, afterResume: false },
        { offset: chunk, passed: true, afterResume: false },
        { offset: 2 * chunk, passed: false, afterResume: false },
      ]);
      // After the resume: from the server's offset (2 chunks) on, one chunk after another to the end.
      const after = log.filter((p) => p.afterResume);
      expect(after.every((p) => p.passed)).toBe(true);
      expect(after.map((p) => p.offset)).toEqual(Array.from({ length: Math.ceil(length / chunk) - 2 }, (_, i) => (i + 2) * chunk));
      // Never from zero again, and every byte went through exactly once.
      expect(log.slice(1).every((p) => p.offset > 0)).toBe(true);
      const through = log.filter((p) => p.passed).reduce((a, p) => a + p.bytes, 0);
      expect(through).toBe(length);
      await w.screenshot('upload-resumed-case');
    } finally {
      await w.context.close();
    }
  });

  it('reads a zip of the series as it reads the folder', async () => {
    const { zipSync } = await import('fflate');
    const entries: Record<string, Uint8Array> = {};
    for (const f of listFiles(planted.dir)) entries[`export/${f.split('/').pop()!}`] = new Uint8Array(readFileSync(f));
    const zipPath = join(tmp, 'series.zip');
    writeFileSync(zipPath, zipSync(entries, { level: 1 }));
    const w = await openPage(browser, srv.url);
    w.page.setDefaultTimeout(120_000);
    try {
      await logIn(w.page, org.emails.requester, TEST_PASSWORD);
      await w.page.goto('/cases/new');
      await w.page.getByTestId('upload-zip').setInputFiles(zipPath);
      await w.page.getByTestId('upload-ready').waitFor({ timeout: 240_000 });
      expect(await w.page.getByTestId('upload-slices').textContent()).toBe(String(planted.slices));
      expect(await w.page.getByTestId('anonymisation-summary').textContent()).toContain(`${planted.slices} of ${planted.slices + 1} files anonymised`);
      // The file left out is named, so the user sees what was not read.
      expect(await w.page.getByTestId('upload-skipped').textContent()).toContain('series.zip/export/patient-note.txt: not DICOM');
      expect(await w.page.getByTestId('upload-start').isDisabled()).toBe(false);
    } finally {
      await w.context.close();
    }
  });

  it('says so when a drop holds no DICOM (naming the files) or no file at all (an empty folder)', async () => {
    const notes = join(tmp, 'notes');
    const empty = join(tmp, 'empty');
    mkdirSync(notes);
    mkdirSync(empty);
    writeFileSync(join(notes, 'referral.pdf'), '%PDF-1.4 not an image');
    writeFileSync(join(notes, 'readme.txt'), 'scanned on the 3rd');
    const w = await openPage(browser, srv.url);
    try {
      await logIn(w.page, org.emails.requester, TEST_PASSWORD);
      await w.page.goto('/cases/new');
      await w.page.getByTestId('upload-input').setInputFiles(notes);
      expect(await w.page.getByTestId('upload-blocked').textContent()).toContain('no DICOM image series among these files');
      const skipped = await w.page.getByTestId('upload-skipped').textContent();
      expect(skipped).toContain('notes/referral.pdf: not DICOM');
      expect(skipped).toContain('notes/readme.txt: not DICOM');
      expect(await w.page.getByTestId('upload-start').isDisabled()).toBe(true);
      await w.page.getByTestId('upload-input').setInputFiles(empty);
      expect(await w.page.getByTestId('upload-empty').textContent()).toContain('held no files');
    } finally {
      await w.context.close();
    }
  });
});
