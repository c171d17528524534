/**
 * The PACS page and the case page's "Send to PACS" panel (issue 15) in real Chromium, against
 * a real server (its DICOM listener on a loopback port) and a real Orthanc (DICOM port and
 * DICOMweb plugin) holding the GE head CT under an accession number and a study date. The
 * org-admin adds three destinations through the page (Orthanc by DICOM, Orthanc by DICOMweb,
 * and a DICOMweb server that accepts connections and never answers), searches Orthanc by
 * accession number (C-FIND) and by date (QIDO-RS), lists the study's series, and sees the
 * listing cleared when picking another destination (search-state.ts's rule); a search left
 * waiting on the silent PACS does not hold the form once another destination is picked; the
 * picked destination removed, the search goes to the one shown. A series imported by C-MOVE
 * becomes a case whose route's convert starts; its case page refuses to send before approval
 * and, once approved, sends by STOW-RS the STL, SEG and PDF that Orthanc's REST API then holds
 * in the case's study. No serious axe violations on either page.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, TEST_PASSWORD, type TestOrg, type TestServer } from '../server/harness.js';
import { seriesFiles } from '../server/dicom-files.js';
import { startPacsOrthanc, type PacsOrthanc } from '../pacs-orthanc.js';
import { launchChromium, logIn, openPage } from './chromium.js';
import { seriousViolations } from './axe.js';

const SERIES = 'ge-head-tilt-variable-spacing';
const ACCESSION = 'S2P-WEB-0042';

let dir: string;
let orth: PacsOrthanc;
let srv: TestServer;
let org: TestOrg;
let browser: Browser;
/** A DICOMweb "server" that takes connections and never answers (the server gives up after 30 s). */
let silent: Server;
const held: Socket[] = [];
let silentUrl: string;

const dcmodify = (args: string[]) =>
  new Promise<void>((resolve, reject) => execFile('dcmodify', ['-nb', ...args], (e, _o, stderr) => (e ? reject(new Error(stderr)) : resolve())));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 's2p-web-pacs-'));
  const orthanc = startPacsOrthanc(join(dir, 'orthanc'));
  orthanc.catch(() => undefined); // awaited below; this only keeps an early failure from counting as unhandled
  // The GE head CT as the PACS holds it: identifiable (the server anonymises), with an accession number and a date to search by.
  const folder = join(dir, 'series');
  mkdirSync(folder);
  const paths = seriesFiles(SERIES).map((f) => {
    const p = join(folder, f.name);
    writeFileSync(p, f.bytes);
    return p;
  });
  await dcmodify(['-i', `(0008,0050)=${ACCESSION}`, '-i', '(0008,0020)=20260115', ...paths]);
  srv = await startTestServer({ workers: 1, dicomPort: 0, pacsQuietSeconds: 1 });
  org = await srv.org('PACS Web Hospital', { serverAnonymise: true });
  orth = await orthanc;
  expect(await orth.storeFolder(folder)).toHaveLength(28);
  // Orthanc's C-STOREs of a move reach this organisation, whose route starts a quick convert (2 mm, decimated).
  const params = { isotropic: 2, decimate: 50000 };
  await srv.json(org.tokens['org-admin'], 'POST', '/api/pacs/routes', { callingAe: orth.aet, autoConvert: true, convertParams: params });
  await orth.addModality('scan2print', srv.server.dicom!.aeTitle, srv.server.dicom!.port);
  silent = createServer((sock) => held.push(sock));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/dicom-web`;
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  // The silent PACS's connections first: a search still waiting on it then ends at once, not after 30 s.
  for (const s of held) s.destroy();
  silent?.close();
  await srv?.close();
  await orth?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function expectAccessible(page: Page, where: string) {
  expect(await seriousViolations(page), where).toEqual([]);
}

/** Adds a destination through the page's form and waits until the list shows it. */
async function addDestination(p: Page, d: { name: string } & ({ aeTitle: string; port: number } | { url: string })): Promise<void> {
  const form = p.getByRole('form', { name: 'Add a PACS destination' });
  await form.getByLabel('Protocol').selectOption('url' in d ? 'dicomweb' : 'dimse');
  await form.getByLabel('Name').fill(d.name);
  if ('url' in d) {
    await form.getByLabel('DICOMweb URL').fill(d.url);
  } else {
    await form.getByLabel('AE title').fill(d.aeTitle);
    await form.getByLabel('Host').fill('127.0.0.1');
    await form.getByLabel('Port').fill(String(d.port));
  }
  await form.getByRole('button', { name: 'Add destination' }).click();
  await p.getByRole('button', { name: `Remove ${d.name}` }).waitFor({ timeout: 30_000 });
}

/** The destinations' ids by name (the select's option values). */
async function destinationIds(): Promise<Record<string, string>> {
  const list = (await srv.json(org.tokens.requester, 'GET', '/api/pacs/destinations')).destinations as { id: string; name: string }[];
  return Object.fromEntries(list.map((d) => [d.name, d.id]));
}

async function search(p: Page, q: { accession?: string; date?: string }): Promise<void> {
  await p.getByTestId('pacs-accession').fill(q.accession ?? '');
  await p.getByTestId('pacs-date').fill(q.date ?? '');
  await p.getByTestId('pacs-search').click();
}

/** Orthanc's series of a study (by Study Instance UID): modality and the SOP Instance UIDs of its instances. */
async function orthancSeries(studyUid: string): Promise<{ modality: string; sops: string[] }[]> {
  const ids = await orth.studyInstances(studyUid);
  const tags = await Promise.all(ids.map((id) => orth.instanceTags(id)));
  const by = new Map<string, string[]>();
  for (const t of tags) by.set(String(t.Modality), [...(by.get(String(t.Modality)) ?? []), String(t.SOPInstanceUID)]);
  return [...by].map(([modality, sops]) => ({ modality, sops })).sort((a, b) => a.modality.localeCompare(b.modality));
}

describe('web app: PACS search, import and send-back', () => {
  it('searches Orthanc, clears the listing on another destination, imports a series as a case, and sends its approved model back', async () => {
    const w = await openPage(browser, srv.url);
    const p = w.page;
    await logIn(p, org.emails['org-admin'], TEST_PASSWORD);
    // The destinations' first reading held, then answered by a proxy's 502 page: the page says it
    // is loading, then why it shows nothing, and its Try again reads them.
    let answerIt = () => {};
    const answered = new Promise<void>((r) => (answerIt = r));
    await p.route(
      (url) => url.pathname === '/api/pacs/destinations',
      async (route) => {
        await answered;
        await route.fulfill({ status: 502, contentType: 'text/html', body: '<html><body>Bad Gateway</body></html>' });
      },
      { times: 1 },
    );
    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'PACS' }).click();
    await p.getByTestId('pacs-loading').waitFor({ timeout: 30_000 });
    answerIt();
    const failed = p.getByTestId('pacs-load-error');
    await failed.waitFor({ timeout: 30_000 });
    expect(await failed.getByRole('alert').textContent()).toMatch(/^The PACS destinations could not be loaded: .+ \(HTTP 502\)\.$/);
    expect(await p.getByTestId('pacs-loading').count()).toBe(0);
    await failed.getByRole('button', { name: 'Try again' }).click();
    await p.getByText('No PACS destination is configured yet: add one below.').waitFor({ timeout: 30_000 });
    expect(await failed.count()).toBe(0);
    await addDestination(p, { name: 'Orthanc DIMSE', aeTitle: orth.aet, port: orth.dicomPort });
    await addDestination(p, { name: 'Orthanc web', url: `${orth.base}/dicom-web` });
    await addDestination(p, { name: 'Silent PACS', url: silentUrl });
    const ids = await destinationIds();
    const picked = p.getByTestId('pacs-search-destination');
    expect(await picked.inputValue()).toBe(ids['Orthanc DIMSE']);
    expect(await picked.locator('option').allTextContents()).toEqual([
      `Orthanc DIMSE (DICOM ${orth.aet}@127.0.0.1:${orth.dicomPort})`,
      `Orthanc web (DICOMweb ${orth.base}/dicom-web)`,
      `Silent PACS (DICOMweb ${silentUrl})`,
    ]);

    // C-FIND by accession number: the study, then its one series.
    const results = p.getByTestId('pacs-results');
    const seriesRows = p.getByTestId('pacs-series');
    await search(p, { accession: ACCESSION });
    await results.waitFor({ timeout: 60_000 });
    expect(await results.locator('caption').textContent()).toBe('1 study');
    expect(await results.locator('tbody tr').first().locator('td').allTextContents()).toEqual(['2026-01-15', ACCESSION, 'HEAD', 'CT', '1 / 28', 'Series']);
    await p.getByTestId('pacs-open-study').click();
    await expect.poll(() => seriesRows.count(), { timeout: 60_000 }).toBe(1);
    expect(await seriesRows.locator('td').nth(4).textContent()).toBe('28 images');
    expect(await p.getByTestId('pacs-open-study').getAttribute('aria-expanded')).toBe('true');
    await expectAccessible(p, 'PACS page, a study and its series listed');

    // Another destination: the listing was Orthanc DIMSE's, and goes.
    await picked.selectOption(ids['Orthanc web']!);
    expect(await results.count()).toBe(0);
    expect(await seriesRows.count()).toBe(0);
    // QIDO-RS by date: the same study through DICOMweb.
    await search(p, { date: '2026-01-15' });
    await results.waitFor({ timeout: 60_000 });
    expect(await results.locator('caption').textContent()).toBe('1 study');
    await p.getByTestId('pacs-open-study').click();
    await expect.poll(() => seriesRows.count(), { timeout: 60_000 }).toBe(1);

    // A search left waiting on a PACS that never answers: picking another destination frees the form at once.
    await picked.selectOption(ids['Silent PACS']!);
    await search(p, { accession: ACCESSION });
    await expect.poll(() => p.getByTestId('pacs-status').textContent()).toBe('Searching the PACS…');
    await picked.selectOption(ids['Orthanc DIMSE']!);
    expect(await p.getByTestId('pacs-status').textContent()).toBe('');
    expect(await p.getByTestId('pacs-search').isDisabled()).toBe(false);
    await search(p, { accession: ACCESSION });
    await results.waitFor({ timeout: 60_000 });

    // The destination picked is removed: the search goes to the one the list then shows, not to the removed one.
    await picked.selectOption(ids['Silent PACS']!);
    await p.getByRole('button', { name: 'Remove Silent PACS' }).click();
    await expect.poll(() => picked.locator('option').count()).toBe(2);
    expect(await picked.inputValue()).toBe(ids['Orthanc DIMSE']);
    await search(p, { accession: ACCESSION });
    const error = p.getByTestId('pacs-error');
    await results.or(error).first().waitFor({ timeout: 60_000 });
    // The error's words, when there is one, say why (the old page searched the removed destination: 404).
    expect(await error.count() ? await error.textContent() : null).toBeNull();
    expect(await results.locator('caption').textContent()).toBe('1 study');

    // Import the series: C-MOVE to our listener, a case once the study is quiet, its route's convert started.
    await p.getByTestId('pacs-open-study').click();
    await expect.poll(() => seriesRows.count(), { timeout: 60_000 }).toBe(1);
    await p.getByTestId('pacs-import').click();
    await expect.poll(() => p.getByTestId('pacs-status').textContent(), { timeout: 120_000 }).toBe('Imported 28 images by C-MOVE as a new case.');
    expect(await p.getByTestId('pacs-error').count()).toBe(0);
    await p.getByTestId('pacs-imported-case').click();
    await p.waitForURL(/\/cases\/[0-9a-f-]{36}$/);
    const caseId = p.url().split('/').pop()!;
    await p.getByTestId('case-files').waitFor({ timeout: 60_000 });
    expect(await p.getByRole('heading', { level: 1 }).textContent()).toMatch(/^head: Study received from PACS \(C-STORE from ORTHANC\)/);
    expect(await p.getByTestId('case-files').textContent()).toMatch(/^28 files /);
    const job = p.getByTestId('job-row');
    await job.first().waitFor({ timeout: 60_000 });
    expect(await job.count()).toBe(1);
    expect(['queued', 'running', 'succeeded']).toContain(await job.getAttribute('data-state'));
    const jobId = (await job.getAttribute('data-job-id'))!;
    expect(await job.locator('td').first().textContent()).toBe('convert #1');

    // Send before approval: refused, said in the panel; nothing is recorded as sent.
    const panel = p.getByTestId('pacs-send-panel');
    const sendTo = p.getByTestId('pacs-destination');
    await sendTo.waitFor({ timeout: 30_000 });
    expect(await sendTo.inputValue()).toBe(ids['Orthanc DIMSE']);
    await p.getByTestId('pacs-send').click();
    await expect.poll(() => p.getByTestId('pacs-send-error').count(), { timeout: 60_000 }).toBe(1);
    expect(await p.getByTestId('pacs-send-error').textContent()).toMatch(/^Not sent: .*once a reviewer has approved it/);
    expect(await panel.locator('table.pacs-sends').count()).toBe(0);

    // The route's convert done, the model version approved (state and model gate, as the workflow leaves them).
    const done = await srv.waitJob(org.tokens.engineer, jobId, 600_000);
    expect(done.state, done.error).toBe('succeeded');
    const db = srv.server.services.db;
    await db.updateTable('cases').set({ status: 'approved' }).where('id', '=', caseId).execute();
    await db.insertInto('gate_signatures').values({ id: randomUUID(), org_id: org.id, case_id: caseId, gate: 'model', model_version_id: jobId, signed_by: org.users.reviewer }).execute();
    await p.reload();
    await sendTo.waitFor({ timeout: 60_000 });
    // Removed on the PACS page: the silent one is not offered here.
    expect(await sendTo.locator('option').count()).toBe(2);
    await sendTo.selectOption(ids['Orthanc web']!);
    // The picked destination's words (its URL) fit the panel's card: the select does not run past its edge.
    const [box, card] = [(await sendTo.boundingBox())!, (await panel.boundingBox())!];
    expect(box.x + box.width).toBeLessThanOrEqual(card.x + card.width);
    const answer = p.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/api/cases/${caseId}/pacs-send`), { timeout: 300_000 });
    await p.getByTestId('pacs-send').click();
    const sent = (await (await answer).json()) as { status: string; studyInstanceUid: string; objects: { kind: string; sopInstanceUid: string }[] };
    expect(sent.status).toBe('sent');
    await expect.poll(() => p.getByTestId('pacs-send-status').textContent(), { timeout: 60_000 }).toBe('Sent by STOW-RS: 3 objects stored');
    expect(await p.getByTestId('pacs-send-objects').locator('li').allTextContents()).toEqual([
      'model (Encapsulated STL): stored',
      'segmentation (DICOM SEG): stored',
      'report (Encapsulated PDF): stored',
    ]);
    await expect.poll(() => panel.locator('table.pacs-sends tbody tr').count()).toBe(1);
    expect(await panel.locator('table.pacs-sends tbody tr td').nth(1).textContent()).toBe('Orthanc web');
    // Orthanc holds them, in the study of the case's (anonymised) CT: the objects the server said it sent.
    const inOrthanc = await orthancSeries(sent.studyInstanceUid);
    expect(inOrthanc.map((s) => s.modality)).toEqual(['DOC', 'M3D', 'SEG']);
    expect(inOrthanc.flatMap((s) => s.sops).sort()).toEqual(sent.objects.map((o) => o.sopInstanceUid).sort());
    await expectAccessible(p, 'case page, sent to the PACS');
    await w.screenshot('pacs-sent');
    // The only failed requests were the ones the test made fail: the send before approval (409), and the
    // search of the silent PACS, which the server gives up after 30 s (502), if that came before the end.
    expect(w.problems.filter((x) => !/\b(409|502)\b/.test(x))).toEqual([]);
  });
});
