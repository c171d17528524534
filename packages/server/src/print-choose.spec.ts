/**
 * POST /api/cases/:id/quote with printer "auto" (embedded PGlite, real HTTP). The approved
 * model is a real bone: the L4 vertebra of TotalSegmentator's reference label map, meshed by
 * core and stored as a convert leaves its 3MF (test/server/model-case.ts). The server chooses
 * the pair (core choosePrint), quotes the chosen one as a named quote (PrusaSlicer for FDM) and
 * stores it, so a print job names it; the answer carries the ranking and every refusal. A
 * material named beside "auto" narrows the printers, needs narrow the materials; nothing that
 * fits is 422 and requirements nothing meets 400, each with why for each pair; a named pair's
 * contract is unchanged; the OpenAPI document describes the new fields.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractSurfaceMesh, PRINT_CATALOGUE, readNiftiLabels, type Mesh } from '@scan2print/core';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { modelCase } from '../../../test/server/model-case.js';
import { dataPath } from '../../../test/data.js';

interface Verdict {
  printer: string;
  material: string;
  rank: number | null;
  refusals: { code: string; message: string }[];
  estimate: { printTime_s: number } | null;
  why: string;
}
interface ChoiceRecord {
  method: string;
  params: Record<string, unknown>;
  figures: { chosen: { printer: string; material: string } | null; rankedBy: string; ranked: Verdict[]; refused: Verdict[] };
}
interface QuoteAnswer {
  printer: string;
  material: string;
  method: string;
  printTime_s: number;
  quoteId: string;
  slicer?: string;
  choice?: ChoiceRecord;
}

/** Every printer × material pair of the shipped catalogue (14). */
const PAIRS = PRINT_CATALOGUE.printers.reduce((n, p) => n + p.materials.length, 0);

let t: TestServer;
let a: TestOrg;
let l4: Mesh;
let caseId: string;

beforeAll(async () => {
  t = await startTestServer({ workers: 0 });
  a = await t.org('Choose Hospital');
  const file = dataPath('labelled', 'totalsegmentator', 'example_seg_fast_force_split.nii.gz');
  // TotalSegmentator's label 28 is L4 (labelmap_total_v2.json): one closed shell.
  l4 = extractSurfaceMesh(readNiftiLabels(readFileSync(file), file), { label: 28 });
  caseId = (await modelCase(t, a, l4, { purpose: 'L4 for auto choice' })).caseId;
});
afterAll(() => t?.close());

const quote = (body: Record<string, unknown>, id = caseId) => t.call(a.tokens.technician, 'POST', `/api/cases/${id}/quote`, body);
const quotesOf = async (id: string) => t.server.services.db.selectFrom('print_quotes').select(['id', 'printer', 'material', 'quote']).where('case_id', '=', id).execute();

describe('the automatic printer and material choice through the API', () => {
  it('printer and material auto: the chosen pair quoted and stored; a print job names that quote', async () => {
    const r = await quote({ printer: 'auto', material: 'auto' });
    expect(r.status, await r.clone().text()).toBe(200);
    const q = (await r.json()) as QuoteAnswer;
    const c = q.choice!;
    expect(c).toMatchObject({ method: 'choose-printer-material', params: { printer: 'auto', material: 'auto', supports: true } });
    expect({ printer: q.printer, material: q.material }).toEqual(c.figures.chosen);
    expect(c.figures.ranked[0]).toMatchObject({ ...c.figures.chosen, rank: 1 });
    // Every pair of the catalogue is ranked or refused, none dropped.
    expect(c.figures.ranked.length + c.figures.refused.length).toBe(PAIRS);
    for (const v of c.figures.refused) expect(v.why.length).toBeGreaterThan(10);
    const times = c.figures.ranked.map((v) => v.estimate!.printTime_s);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    const stored = await quotesOf(caseId);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ id: q.quoteId, printer: q.printer, material: q.material });
    expect((stored[0]!.quote as { choice: { chosen: unknown } }).choice.chosen).toEqual(c.figures.chosen);
    const job = await t.call(a.tokens.technician, 'POST', '/api/print/jobs', { caseId, printer: q.printer, material: q.material, quoteId: q.quoteId });
    expect(job.status, await job.clone().text()).toBe(201);
    expect(((await job.json()) as { duration_s: number }).duration_s).toBe(q.printTime_s);
  });

  it('material pla beside printer auto: only the printers that offer it; PrusaSlicer slices the choice', async () => {
    const r = await quote({ printer: 'auto', material: 'pla' });
    expect(r.status, await r.clone().text()).toBe(200);
    const q = (await r.json()) as QuoteAnswer;
    expect(q.choice!.figures.ranked.map((v) => v.printer).sort()).toEqual(['bambu-x1c', 'prusa-mk4', 'prusa-xl']);
    expect(q).toMatchObject({ printer: 'bambu-x1c', material: 'pla', method: 'prusa-slicer', slicer: expect.stringMatching(/PrusaSlicer/) });
    expect(q.printTime_s).toBeGreaterThan(60);
  });

  it('needs biocompatible and sterilisable: BioMed Clear on a Form printer (the volume/height model)', async () => {
    const r = await quote({ printer: 'auto', material: 'auto', needs: ['sterilisable', 'biocompatible'] });
    expect(r.status, await r.clone().text()).toBe(200);
    const q = (await r.json()) as QuoteAnswer;
    expect(q).toMatchObject({ material: 'formlabs-biomed-clear', method: 'volume-height-model' });
    const why = new Map(q.choice!.figures.refused.map((v) => [`${v.printer}/${v.material}`, v.refusals.map((x) => x.code)]));
    expect(why.get('prusa-mk4/pla')).toEqual(expect.arrayContaining(['NOT_BIOCOMPATIBLE', 'NOT_STERILISABLE']));
    expect(why.get('stratasys-j5/stratasys-med610')).toEqual(expect.arrayContaining(['NOT_STERILISABLE']));
  });

  it('nothing meets the requirements: 400 with why for each pair; nothing fits: 422 naming the model; nothing stored', async () => {
    const before = (await quotesOf(caseId)).length;
    const r = await quote({ printer: 'auto', material: 'auto', technology: 'PolyJet', needs: ['sterilisable'] });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { error: { code: string; message: string }; choice: ChoiceRecord };
    expect(body.error.code).toBe('NO_PAIR_MEETS_NEEDS');
    expect(body.error.message).toMatch(/prusa-mk4\/pla: prusa-mk4 is FDM, not the PolyJet asked for; pla is not sterilisable/);
    expect(body.choice.figures.chosen).toBeNull();
    expect(body.choice.figures.refused).toHaveLength(PAIRS);
    // The same vertebra twelve times its size (~0.5 m across): no printer takes it whole.
    const giant = await modelCase(t, a, { positions: l4.positions.map((x) => x * 12), indices: l4.indices }, { purpose: 'giant L4' });
    const g = await quote({ printer: 'auto', material: 'auto' }, giant.caseId);
    expect(g.status).toBe(422);
    const gb = (await g.json()) as { error: { code: string; message: string }; choice: ChoiceRecord };
    expect(gb.error.code).toBe('NOTHING_FITS');
    expect(gb.error.message).toMatch(/^bone\.3mf: no printer and material of the catalogue can print it: bambu-x1c\/petg: .* mm does not fit bambu-x1c/);
    expect(gb.choice.figures.refused.every((v) => v.refusals.some((x) => x.code === 'TOO_LARGE'))).toBe(true);
    expect(await quotesOf(giant.caseId)).toEqual([]);
    expect((await quotesOf(caseId)).length).toBe(before);
  });

  it('a named pair keeps its contract (no choice); needs without auto, an unknown printer beside auto: 400; documented in OpenAPI', async () => {
    const named = await quote({ printer: 'formlabs-form3plus', material: 'formlabs-grey' });
    expect(named.status).toBe(200);
    const n = (await named.json()) as QuoteAnswer;
    expect(n).toMatchObject({ printer: 'formlabs-form3plus', material: 'formlabs-grey', method: 'volume-height-model' });
    expect(n).not.toHaveProperty('choice');
    const stored = (await quotesOf(caseId)).find((x) => x.id === n.quoteId)!;
    expect(stored.quote).not.toHaveProperty('choice');
    for (const [body, code] of [
      [{ printer: 'prusa-mk4', material: 'pla', needs: ['biocompatible'] }, 'NOT_AUTO'],
      [{ printer: 'prusa-mk5', material: 'auto' }, 'UNKNOWN_PRINTER'],
      [{ printer: 'auto', material: 'gold' }, 'UNKNOWN_MATERIAL'],
    ] as const) {
      const r = await quote(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    const bad = await quote({ printer: 'auto', material: 'auto', needs: ['edible'] });
    expect(bad.status).toBe(400);
    type Prop = { description?: string; items?: { enum?: string[] }; enum?: string[] };
    type Doc = { paths: Record<string, { post: { requestBody: { content: Record<string, { schema: { properties: Record<string, Prop> } }> } } }> };
    const doc = (await t.json(undefined, 'GET', '/api/openapi.json')) as Doc;
    const props = doc.paths['/api/cases/{id}/quote']!.post.requestBody.content['application/json']!.schema.properties;
    expect(props.printer!.description).toMatch(/"auto"/);
    expect(props.needs!.items!.enum).toEqual(['biocompatible', 'sterilisable']);
    expect(props.technology!.enum).toEqual(['FDM', 'SLA', 'SLS', 'PolyJet']);
  });
});
