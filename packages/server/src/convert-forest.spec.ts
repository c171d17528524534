/**
 * A server convert job with `params.method: "forest"` (issue 14): the convert thread loads the
 * bone forest shipped with @scan2print/core, as the CLI does, and the job's report says the
 * forest segmented. Input: TotalSegmentator's labelled DICOM slab (thorax, 20 slices),
 * anonymised in memory, cropped in z (x/y crops change the forest's position features).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { anonymisedSeries, formOf } from '../../../test/server/dicom-files.js';

let t: TestServer;
let a: TestOrg;

beforeAll(async () => {
  t = await startTestServer({ workers: 1 });
  a = await t.org('Forest Lab');
});
afterAll(() => t?.close());

/** TotalSegmentator's labelled DICOM slab, anonymised in memory. */
const anonymisedSlab = () => anonymisedSeries('labelled/totalsegmentator/example_ct_dicom');

describe('convert job with method forest', () => {
  it('refuses an unknown method naming the known ones; runs the forest and reports it', async () => {
    const caseId = (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'rib fixation planning', anatomy: 'thorax' })).id;
    await t.json(a.tokens.requester, 'POST', `/api/cases/${caseId}/files`, formOf(await anonymisedSlab()));
    const bad = await t.call(a.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert', params: { method: 'forrest' } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/unknown segmentation method \\"forrest\\".*forest, threshold-forest/);

    const { id } = await t.json(a.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert', params: { method: 'forest', crop: [0, 0, 4, 512, 512, 16] } });
    const j = await t.waitJob(a.tokens.engineer, id, 240_000);
    expect(j.state, JSON.stringify(j.error)).toBe('succeeded');
    expect(j.summary.models[0].checks).toMatchObject({ closed: true, manifold: true });
    const arts = await t.json(a.tokens.reviewer, 'GET', `/api/cases/${caseId}/artifacts`);
    const rep = arts.find((x: { name: string }) => x.name === 'report.json');
    const report = JSON.parse(await (await t.call(a.tokens.reviewer, 'GET', `/api/artifacts/${rep.id}`)).text());
    const forest = report.segmentation.find((r: { method: string }) => r.method === 'forest');
    expect(forest.params.model).toBe('bone-forest.bin');
    expect(forest.figures.voxels_selected).toBeGreaterThan(10_000);
    expect(report.segmentation.find((r: { method: string }) => r.method === 'forest-model').figures.sha256).toMatch(/^[0-9a-f]{64}$/);
  }, 300_000);
});
