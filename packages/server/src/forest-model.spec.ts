/**
 * A lab's own bone forest on the server (issue 14): the installation admin uploads a model
 * trained with core's trainer (here a small one, trained in the test on example_ct), and a
 * convert job with method forest then segments with it instead of the shipped one: the
 * job's report names it by file name and SHA-256, with its training record. Only the admin
 * may set it; a file that is not a forest is refused; DELETE goes back to the shipped model.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BONE_GROUPS, encodeForest, readLabelFile, readNifti, resolveGroups, trainForest } from '@scan2print/core';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { anonymisedSeries, formOf } from '../../../test/server/dicom-files.js';
import { dataPath } from '../../../test/data.js';

const DIR = 'labelled/totalsegmentator';
let t: TestServer;
let a: TestOrg;
let lab: Uint8Array;

beforeAll(async () => {
  const ct = dataPath(DIR, 'example_ct.nii.gz');
  const seg = dataPath(DIR, 'example_seg_fast_force_split.nii.gz');
  const volume = readNifti(new Uint8Array(readFileSync(ct)), ct).volume;
  const labels = readLabelFile(new Uint8Array(readFileSync(seg)), seg);
  // Small and quick: what is tested is which model the server's job runs, not how good it is.
  const trained = await trainForest(
    [{ name: 'example_ct.nii.gz', labelsName: 'example_seg_fast_force_split.nii.gz', volume, labels }],
    resolveGroups(BONE_GROUPS, 'BONE_GROUPS'),
    { seed: 7, trees: 2, depth: 6, samplesPerGroup: 300, backgroundNear: 1200, backgroundBody: 600, backgroundAir: 150 },
    { trainedOn: ['example_ct.nii.gz (lab test)'], createdWith: 'forest-model.spec' },
  );
  lab = encodeForest(trained.model);
  t = await startTestServer({ workers: 1 });
  a = await t.org('Forest Model Lab');
}, 300_000);
afterAll(() => t?.close());

/** TotalSegmentator's labelled DICOM slab, anonymised in memory. */
const anonymisedSlab = () => anonymisedSeries('labelled/totalsegmentator/example_ct_dicom');

const put = (token: string, bytes: Uint8Array, name = 'lab-forest.bin') =>
  fetch(`${t.url}/api/admin/forest-model?name=${name}`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, body: bytes });

describe('a lab’s own forest model', () => {
  it('only the admin sets it; a file that is not a forest is refused', async () => {
    expect((await put(a.tokens['org-admin'], lab)).status).toBe(403);
    expect((await put(a.tokens.engineer, lab)).status).toBe(403);
    const bad = await put(t.adminToken, new Uint8Array(4096).fill(7));
    expect(bad.status).toBe(400);
    expect(await t.json(t.adminToken, 'GET', '/api/admin/forest-model')).toMatchObject({ model: null });
  });

  it('a convert job with method forest runs the uploaded model and its report names it with its training record', async () => {
    const sha = createHash('sha256').update(lab).digest('hex');
    const res = await put(t.adminToken, lab);
    expect(res.status).toBe(200);
    const set = (await res.json()) as { model: { sha256: string; source: string; training: { trainedOn: string[]; seed: number; trees: number } } };
    expect(set.model).toMatchObject({ sha256: sha, source: 'lab-forest.bin', bytes: lab.length });
    expect(set.model.training).toMatchObject({ trainedOn: ['example_ct.nii.gz (lab test)'], seed: 7, trees: 2 });
    expect((await t.json(t.adminToken, 'GET', '/api/admin/forest-model')).model.sha256).toBe(sha);

    const caseId = (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'rib fixation planning', anatomy: 'thorax' })).id;
    await t.json(a.tokens.requester, 'POST', `/api/cases/${caseId}/files`, formOf(await anonymisedSlab()));
    const { id } = await t.json(a.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert', params: { method: 'forest', crop: [0, 0, 4, 512, 512, 16] } });
    const j = await t.waitJob(a.tokens.engineer, id, 280_000);
    expect(j.state, JSON.stringify(j.error)).toBe('succeeded');
    const arts = await t.json(a.tokens.reviewer, 'GET', `/api/cases/${caseId}/artifacts`);
    const rep = arts.find((x: { name: string }) => x.name === 'report.json');
    const report = JSON.parse(await (await t.call(a.tokens.reviewer, 'GET', `/api/artifacts/${rep.id}`)).text());
    const used = report.segmentation.find((r: { method: string }) => r.method === 'forest-model');
    expect(used.figures.sha256).toBe(sha);
    expect(used.params).toMatchObject({ method: 'forest', source: 'lab-forest.bin', training: { trainedOn: ['example_ct.nii.gz (lab test)'], seed: 7, trees: 2, depth: 6, createdWith: 'forest-model.spec', uploadedBy: 'admin@localhost' } });
    const forest = report.segmentation.find((r: { method: string }) => r.method === 'forest');
    expect(forest.params).toMatchObject({ model: 'lab-forest.bin', trees: 2, depth: 6, seed: 7 });

    // Back to the shipped model.
    expect(await t.json(t.adminToken, 'DELETE', '/api/admin/forest-model')).toMatchObject({ model: null });
    expect(await t.json(t.adminToken, 'GET', '/api/admin/forest-model')).toMatchObject({ model: null });

    // Both changes apply to every organisation's jobs: each is an installation-wide audit entry naming the admin and
    // the model; the refused uploads (previous test) left none.
    const changes = ((await t.json(t.adminToken, 'GET', '/api/audit?limit=10000')).entries as Array<{ action: string; orgId: string | null; actor: { email: string } | null; details: Record<string, unknown> }>).filter((e) => e.action === 'forest-model-changed');
    expect(changes).toHaveLength(2);
    expect(changes[0]).toMatchObject({ orgId: null, actor: { email: 'admin@localhost' }, details: { model: { source: 'lab-forest.bin', sha256: sha, bytes: lab.length, trainedOn: ['example_ct.nii.gz (lab test)'], seed: 7, trees: 2 }, previous: null } });
    expect(changes[1]).toMatchObject({ orgId: null, actor: { email: 'admin@localhost' }, details: { model: null, previous: sha } });
  }, 300_000);
});
