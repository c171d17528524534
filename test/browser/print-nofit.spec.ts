/**
 * "Choose for me" when nothing can print the model, in real Chromium against a real server: the
 * quote panel says so under a heading, lists every refused printer × material pair with its
 * reasons (one row each, as the server's choice record has them, closest to printing first) and
 * what would help. The org-admin edits the catalogue through the API twice: first every build
 * volume too small for the model as it lies (422 NOTHING_FITS: the FDM printers take it another
 * side down, the others cut into parts), then BioMed Clear's sterilisability "not stated" with
 * biocompatible and sterilisable asked for (400 NO_PAIR_MEETS_NEEDS: unticking sterilisable
 * frees the biocompatible resins, unticking biocompatible alone frees nothing). No serious axe
 * violations.
 *
 * The approved model is a real bone, the L4 vertebra of TotalSegmentator's reference label map
 * (as print.spec's), 90 × 90 × 45 mm as it lies.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { extractSurfaceMesh, PRINT_CATALOGUE, readNiftiLabels, type PrintCatalogue } from '@scan2print/core';
import { startTestServer, TEST_PASSWORD, type TestOrg, type TestServer } from '../server/harness.js';
import { approvedThroughApi } from '../server/model-case.js';
import { dataPath } from '../data.js';
import { launchChromium, logIn, openPage } from './chromium.js';
import { seriousViolations } from './axe.js';

let srv: TestServer;
let org: TestOrg;
let browser: Browser;

beforeAll(async () => {
  srv = await startTestServer({ workers: 0 });
  org = await srv.org('No Fit Hospital');
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

/** TotalSegmentator's label for vertebra L4 (print.spec's bone). */
const L4 = 28;

interface Verdict {
  printer: string;
  material: string;
  refusals: { code: string; message: string }[];
  partsNeeded?: number | null;
}

/** Saves `edit` of the current catalogue as the org-admin, through the API. */
async function editCatalogue(edit: (c: PrintCatalogue) => void): Promise<PrintCatalogue> {
  const cur = await srv.json(org.tokens['org-admin'], 'GET', '/api/print/catalogue');
  const catalogue = structuredClone(cur.catalogue) as PrintCatalogue;
  edit(catalogue);
  await srv.json(org.tokens['org-admin'], 'PUT', '/api/print/catalogue', { catalogue, baseVersion: cur.version });
  return catalogue;
}

/** Clicks "Choose for me" and returns the server's answer to it (status and body). */
async function chooseForMe(p: Page, caseId: string): Promise<{ status: number; body: { error: { code: string }; choice: { figures: { refused: Verdict[] } } } }> {
  const answer = p.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/cases/${caseId}/quote`, { timeout: 120_000 });
  await p.getByTestId('quote-auto').click();
  const res = await answer;
  return { status: res.status(), body: await res.json() };
}

/** One row per refused pair, in `order`, each naming the printer and material and saying every reason. */
async function expectRows(p: Page, refused: Verdict[], order: Verdict[], cat: PrintCatalogue): Promise<void> {
  const rows = p.getByTestId('quote-nofit').getByTestId('quote-refusal');
  expect(await rows.count()).toBe(refused.length);
  const shown = await rows.evaluateAll((trs) => trs.map((tr) => `${tr.getAttribute('data-printer')}/${tr.getAttribute('data-material')}`));
  expect(shown).toEqual(order.map((v) => `${v.printer}/${v.material}`));
  for (const v of refused) {
    const text = (await p.locator(`[data-testid="quote-nofit"] [data-testid="quote-refusal"][data-printer="${v.printer}"][data-material="${v.material}"]`).textContent())!;
    expect(text).toContain(cat.printers.find((x) => x.id === v.printer)!.name);
    expect(text).toContain(cat.materials.find((x) => x.id === v.material)!.name);
    for (const r of v.refusals) expect(text).toContain(r.message);
  }
}

const action = (p: Page, kind: string, extra = '') => p.locator(`[data-testid="quote-nofit-action"][data-kind="${kind}"]${extra}`);
const ids = (vs: Verdict[]) => vs.map((v) => `${v.printer}/${v.material}`).join(' ');
const printersOf = (vs: Verdict[]) => [...new Set(vs.map((v) => v.printer))].join(' ');

describe('web app: Choose for me finds nothing', () => {
  it('the panel says nothing can print it, lists every refused pair with its reasons and says what would help', async () => {
    const labels = readNiftiLabels(readFileSync(dataPath('labelled', 'totalsegmentator', 'example_seg_fast_force_split.nii.gz')), 'example_seg_fast_force_split.nii.gz');
    const { caseId } = await approvedThroughApi(srv, org, extractSurfaceMesh(labels, { label: L4 }), { purpose: 'L4 too large' });

    // Every build volume too small for 90 × 90 × 45 mm as it lies: FDM ones take it on its side, the rest only in parts.
    const small = await editCatalogue((c) => {
      for (const p of c.printers) p.buildVolume_mm = { value: p.technology === 'FDM' ? [95, 50, 95] : p.technology === 'SLA' ? [95, 60, 60] : [60, 60, 60], source: 'test: too small' };
    });
    const tech = await openPage(browser, srv.url);
    const t = tech.page;
    await logIn(t, org.emails.technician, TEST_PASSWORD);
    await t.goto(`/cases/${caseId}`);
    await expect.poll(() => t.getByTestId('quote-panel').getAttribute('data-approved'), { timeout: 60_000 }).toBe('true');

    const fits = await chooseForMe(t, caseId);
    expect(fits.status).toBe(422);
    expect(fits.body.error.code).toBe('NOTHING_FITS');
    const refused = fits.body.choice.figures.refused;
    expect(refused.length).toBe(14);
    const nofit = t.getByTestId('quote-nofit');
    await nofit.waitFor({ timeout: 30_000 });
    expect(await nofit.getAttribute('data-code')).toBe('NOTHING_FITS');
    expect(await nofit.getByRole('heading', { name: 'Nothing in the catalogue can print it as asked' }).count()).toBe(1);
    expect(await t.getByTestId('quote-nofit-summary').textContent()).toBe("None of the catalogue's 14 pairs of printer and material can print the model as it lies.");
    // Closest to printing first: another side down (1 part), then the fewest parts; ties by printer, material.
    const parts = (v: Verdict) => v.partsNeeded ?? Infinity;
    const byParts = [...refused].sort((a, b) => parts(a) - parts(b));
    await expectRows(t, refused, byParts, small);
    expect(byParts.map(parts)).toEqual([1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4]);

    // What would help, as prepare's verdict in the record says: on its side for the FDM printers, in 2 and 4 parts for the others.
    expect(await t.getByTestId('quote-nofit-action').count()).toBe(3);
    const turn = action(t, 'turn');
    expect(await turn.getAttribute('data-printers')).toBe(printersOf(refused.filter((v) => v.partsNeeded === 1)));
    expect(await turn.textContent()).toMatch(/^Another side down it fits whole on Bambu Lab X1-Carbon, Original Prusa MK4 and Original Prusa XL \(6 pairs\)\..*scan2print prepare --printer bambu-x1c/);
    for (const n of [2, 4]) {
      const cut = action(t, 'cut', `[data-parts="${n}"]`);
      expect(await cut.getAttribute('data-printers')).toBe(printersOf(refused.filter((v) => v.partsNeeded === n)));
      expect(await cut.textContent()).toMatch(new RegExp(`^Cut into ${n} parts it fits .* \\(4 pairs\\): split it with connectors`));
    }
    expect(await t.getByTestId('quote-result').count()).toBe(0);
    expect(await t.getByTestId('quote-error').count()).toBe(0);
    expect(await seriousViolations(t), 'case page, nothing fits').toEqual([]);
    await tech.screenshot('print-nofit-size');

    // The shipped build volumes back, BioMed Clear's sterilisability not stated: no material is both.
    const unsure = await editCatalogue((c) => {
      c.printers = structuredClone(PRINT_CATALOGUE.printers);
      c.materials.find((m) => m.id === 'formlabs-biomed-clear')!.sterilisable = { value: null, source: 'test: not stated' };
    });
    await t.reload();
    await expect.poll(() => t.getByTestId('quote-panel').getAttribute('data-approved'), { timeout: 60_000 }).toBe('true');
    await t.getByTestId('quote-need-biocompatible').check();
    await t.getByTestId('quote-need-sterilisable').check();
    const needs = await chooseForMe(t, caseId);
    expect(needs.status).toBe(400);
    expect(needs.body.error.code).toBe('NO_PAIR_MEETS_NEEDS');
    const refusedNeeds = needs.body.choice.figures.refused;
    expect(refusedNeeds.length).toBe(14);
    await expect.poll(() => nofit.getAttribute('data-code'), { timeout: 30_000 }).toBe('NO_PAIR_MEETS_NEEDS');
    expect(await t.getByTestId('quote-nofit-summary').textContent()).toBe(
      "None of the catalogue's 14 pairs of printer and material meets what was asked for (“biocompatible” and “sterilisable”) and can print the model.",
    );
    // Fewest reasons first: the pairs refused only as not (stated) sterilisable lead.
    const byReasons = [...refusedNeeds].sort((a, b) => a.refusals.length - b.refusals.length);
    await expectRows(t, refusedNeeds, byReasons, unsure);
    const onlySterile = refusedNeeds.filter((v) => v.refusals.every((r) => r.code === 'NOT_STERILISABLE'));
    expect(ids(onlySterile)).toBe('formlabs-form3plus/formlabs-biomed-clear formlabs-form4/formlabs-biomed-clear stratasys-j5/stratasys-med610 stratasys-j850/stratasys-med610');
    const sterile = action(t, 'requirement', '[data-requirement="sterilisable"]');
    expect(await sterile.getAttribute('data-without')).toBe(ids(onlySterile));
    expect(await sterile.textContent()).toMatch(
      /^The material must be sterilisable: that rules out .*\(14 pairs\)\. Without it, Formlabs Form 3\+ in Formlabs BioMed Clear Resin, .* could print it: if the case allows, untick it and choose again\.$/,
    );
    const bio = action(t, 'requirement', '[data-requirement="biocompatible"]');
    expect(await bio.getAttribute('data-without')).toBe('');
    expect(await bio.textContent()).toMatch(/^The material must be biocompatible: that rules out .*\(10 pairs\)\. Relaxing it alone would not help/);
    expect(await t.getByTestId('quote-nofit-action').count()).toBe(2);
    expect(await seriousViolations(t), 'case page, no pair meets the needs').toEqual([]);
    await tech.screenshot('print-nofit-needs');

    // As the panel suggests: sterilisable unticked, a biocompatible resin is chosen and the no-fit answer goes.
    await t.getByTestId('quote-need-sterilisable').uncheck();
    await t.getByTestId('quote-auto').click();
    const choice = t.getByTestId('quote-choice');
    await choice.waitFor({ timeout: 120_000 });
    expect(onlySterile.map((v) => `${v.printer}/${v.material}`)).toContain(`${await choice.getAttribute('data-printer')}/${await choice.getAttribute('data-material')}`);
    expect(await nofit.count()).toBe(0);

    // The 422 and 400 answers are the failed requests the browser reports.
    expect(tech.problems.filter((x) => !/\b(400|422)\b/.test(x))).toEqual([]);
    await tech.context.close();
  });
});
