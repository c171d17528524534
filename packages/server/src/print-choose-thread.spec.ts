/**
 * The automatic printer and material choice runs on a thread of its own (print/choose-thread.ts),
 * not on the API's main thread, where reading the 3MF and the wall rays stalled every other
 * request (about 2 s for a skull). A real server (embedded PGlite, real HTTP) with a real bone
 * approved: the left hip of TotalSegmentator's reference label map, meshed by core and stored as
 * a convert stores its 3MF (test/server/model-case.ts), as print-choose.spec does with L4.
 * Checked: health reads answered while a choice is being made; the choice the same as core's
 * run here on the same bytes; NO_PAIR_MEETS_NEEDS, NOTHING_FITS and an unreadable 3MF answered
 * as before (status, code, message, the choice body); a failure inside the thread named.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { choosePrint, extractSurfaceMesh, isScanError, PRINT_CATALOGUE, read3mf, readNiftiLabels, type Mesh, type PrintCatalogue, type PrintRecord } from '@scan2print/core';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { modelCase } from '../../../test/server/model-case.js';
import { scaledMesh } from '../../../test/decimated-bone.js';
import { dataPath } from '../../../test/data.js';
import { ChoiceStopped, chooseOnThread } from './print/choose-thread.js';

interface ErrorAnswer {
  error: { code: string; message: string };
  choice: PrintRecord & { figures: { chosen: unknown; refused: { refusals: { code: string }[] }[] } };
}

let t: TestServer;
let a: TestOrg;
let hip: Mesh;
let hipCase: { caseId: string; versionId: string };

beforeAll(async () => {
  t = await startTestServer({ workers: 0 });
  a = await t.org('Choice Thread Hospital');
  const file = dataPath('labelled', 'totalsegmentator', 'example_seg_fast_force_split.nii.gz');
  // TotalSegmentator's label 77 is hip_left (labelmap_total_v2.json): one closed shell of about
  // 19 000 triangles, a choice of about half a second, several times L4's.
  hip = extractSurfaceMesh(readNiftiLabels(readFileSync(file), file), { label: 77 });
  hipCase = await modelCase(t, a, hip, { purpose: 'left hip for the choice thread' });
});
afterAll(() => t?.close());

const quote = (body: Record<string, unknown>, id = hipCase.caseId) => t.call(a.tokens.technician, 'POST', `/api/cases/${id}/quote`, body);
const modelKey = (versionId: string) => `jobs/${versionId}/1/bone.3mf`;
const catalogue = async () => (await t.json<{ catalogue: PrintCatalogue }>(a.tokens.technician, 'GET', '/api/print/catalogue')).catalogue;

describe('the automatic choice off the main thread', () => {
  it('health reads are answered while a choice is being made, not after it', async () => {
    const store = t.server.services.store;
    const get = store.get.bind(store);
    // The route reads the model's bytes, then chooses: their arrival marks the choice's start
    // (health reads answered before it prove nothing: the route awaits the database first).
    const events: string[] = [];
    let choosing!: () => void;
    const started = new Promise<void>((r) => (choosing = r));
    const spy = vi.spyOn(store, 'get').mockImplementation(async (key) => {
      const bytes = await get(key);
      if (key === modelKey(hipCase.versionId)) {
        events.push('choice started');
        choosing();
      }
      return bytes;
    });
    try {
      // Requirements no pair meets: the answer follows the choice at once, no slicing after it.
      let pending = true;
      const answer = quote({ printer: 'auto', material: 'auto', technology: 'PolyJet', needs: ['sterilisable'] }).then((r) => {
        pending = false;
        events.push('choice answered');
        return r;
      });
      await started;
      // On the main thread the choice holds the event loop: no read sent now is answered before it.
      for (let i = 0; pending && i < 200; i++) {
        const h = await t.call(undefined, 'GET', '/api/health');
        expect(h.status).toBe(200);
        events.push('health');
      }
      const r = await answer;
      expect(r.status).toBe(400);
      expect(((await r.json()) as ErrorAnswer).error.code).toBe('NO_PAIR_MEETS_NEEDS');
      const during = events.slice(events.indexOf('choice started') + 1, events.indexOf('choice answered'));
      expect(events[0]).toBe('choice started');
      expect(during.length, events.join(', ')).toBeGreaterThan(0);
    } finally {
      spy.mockRestore();
    }
  });

  it('the choice is core choosePrint on the same bytes: the same pair, ranking and refusals; that pair quoted', async () => {
    const r = await quote({ printer: 'auto', material: 'auto' });
    expect(r.status, await r.clone().text()).toBe(200);
    const q = (await r.json()) as { printer: string; material: string; choice: PrintRecord };
    const bytes = await t.server.services.store.get(modelKey(hipCase.versionId));
    const here = choosePrint(read3mf(bytes, 'bone.3mf'), await catalogue(), { printer: 'auto', material: 'auto', supports: true });
    expect(here.output.chosen).not.toBeNull();
    expect({ printer: q.printer, material: q.material }).toEqual(here.output.chosen);
    expect(q.choice.figures).toMatchObject({ chosen: here.output.chosen, rankedBy: here.output.rankedBy });
    expect(q.choice.figures.refused).toHaveLength(here.output.refused.length);
    // The whole record, as JSON carries it: every pair's verdict, estimate and why.
    expect(q.choice).toEqual(JSON.parse(JSON.stringify(here.record)));
  });

  it('nothing fits: 422 NOTHING_FITS naming the model, with the choice; nothing stored', async () => {
    // The hip ten times its size (about 1.8 m tall): no printer takes it whole.
    const giant = await modelCase(t, a, scaledMesh(hip, 10), { purpose: 'giant hip' });
    const r = await quote({ printer: 'auto', material: 'auto' }, giant.caseId);
    expect(r.status).toBe(422);
    const body = (await r.json()) as ErrorAnswer;
    expect(body.error.code).toBe('NOTHING_FITS');
    expect(body.error.message).toMatch(/^bone\.3mf: no printer and material of the catalogue can print it: bambu-x1c\/petg: .* mm does not fit bambu-x1c/);
    expect(body.choice.figures.chosen).toBeNull();
    expect(body.choice.figures.refused.every((v) => v.refusals.some((x) => x.code === 'TOO_LARGE'))).toBe(true);
    const stored = await t.server.services.db.selectFrom('print_quotes').select('id').where('case_id', '=', giant.caseId).execute();
    expect(stored).toEqual([]);
  });

  it('a choice over its time limit is ended: 504 CHOICE_TIMEOUT naming the model; nothing stored', async () => {
    const quotes = () => t.server.services.db.selectFrom('print_quotes').select('id').where('case_id', '=', hipCase.caseId).execute();
    const stored = (await quotes()).length;
    const before = process.env.SCAN2PRINT_CHOOSE_LIMIT_S;
    // 5 ms: the thread's start alone takes longer, so the limit is always passed.
    process.env.SCAN2PRINT_CHOOSE_LIMIT_S = '0.005';
    try {
      const r = await quote({ printer: 'auto', material: 'auto' });
      expect(r.status).toBe(504);
      const body = (await r.json()) as ErrorAnswer;
      expect(body.error).toEqual({
        code: 'CHOICE_TIMEOUT',
        message: 'the printer choice for bone.3mf did not finish within 0.005 s and was stopped; try again when the server is less busy',
      });
    } finally {
      if (before === undefined) delete process.env.SCAN2PRINT_CHOOSE_LIMIT_S;
      else process.env.SCAN2PRINT_CHOOSE_LIMIT_S = before;
    }
    expect(await quotes()).toHaveLength(stored);
    // Without the limit the same choice is answered.
    expect((await quote({ printer: 'auto', material: 'auto', technology: 'PolyJet', needs: ['sterilisable'] })).status).toBe(400);
  });

  it('an unreadable 3MF: 422 with core’s code and the model named, as when the choice ran on the main thread', async () => {
    const broken = await modelCase(t, a, hip, { purpose: 'broken 3MF' });
    await t.server.services.store.put(modelKey(broken.versionId), new TextEncoder().encode('not a zip archive'));
    const r = await quote({ printer: 'auto', material: 'pla' }, broken.caseId);
    expect(r.status).toBe(422);
    const body = (await r.json()) as { error: { code: string; message: string }; choice?: unknown };
    let direct: unknown;
    try {
      read3mf(new TextEncoder().encode('not a zip archive'), 'bone.3mf');
    } catch (e) {
      direct = e;
    }
    expect(isScanError(direct)).toBe(true);
    expect(body.error).toEqual({ code: (direct as { code: string }).code, message: (direct as Error).message });
    expect(body.error.message).toMatch(/^bone\.3mf: /);
    expect(body).not.toHaveProperty('choice');
  });
});

describe('chooseOnThread', () => {
  it('rebuilds a ScanError from the thread (code, kind, file) and leaves the caller’s bytes whole', async () => {
    const bytes = new TextEncoder().encode('PK but not a zip');
    const e = await chooseOnThread(PRINT_CATALOGUE, bytes, 'skull.3mf', {}).catch((x: unknown) => x);
    expect(isScanError(e)).toBe(true);
    expect(e).toMatchObject({ kind: 'input', file: 'skull.3mf', message: expect.stringMatching(/^skull\.3mf: /) });
    // The thread got a copy moved to it, not the caller's buffer.
    expect(new TextDecoder().decode(bytes)).toBe('PK but not a zip');
  });

  it('an error that is not a ScanError is named as the choice’s, not left to hang', async () => {
    const bad = { ...PRINT_CATALOGUE, printers: 'none' } as unknown as PrintCatalogue;
    const bytes = (await t.server.services.store.get(modelKey(hipCase.versionId))).slice();
    const e = await chooseOnThread(bad, bytes, 'bone.3mf', {}).catch((x: unknown) => x);
    expect(isScanError(e)).toBe(false);
    expect((e as Error).message).toMatch(/^the printer choice for bone\.3mf failed on its thread: /);
  });

  it('a choice whose client went away is stopped: its thread ended, no answer', async () => {
    const bytes = (await t.server.services.store.get(modelKey(hipCase.versionId))).slice();
    const cat = await catalogue();
    // The same choice runs to an answer when nobody stops it.
    expect((await chooseOnThread(cat, bytes, 'bone.3mf', {})).output.chosen).not.toBeNull();
    const gone = new AbortController();
    const running = chooseOnThread(cat, bytes, 'bone.3mf', {}, gone.signal);
    gone.abort();
    const e = await running.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ChoiceStopped);
    expect((e as Error).message).toBe('the printer choice for bone.3mf was stopped before its answer');
  });
});
