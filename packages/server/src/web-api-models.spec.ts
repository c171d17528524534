/**
 * The web app's model API on a real server and a real CT series: the convert job's CT volume
 * (volume.nii.gz, on the label map's grid so a viewer overlays the two).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNifti, readNiftiLabels, sameGrid } from '@scan2print/core';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { anonymisedSeries, formOf } from '../../../test/server/dicom-files.js';

const SERIES = 'ge-head-tilt-variable-spacing';
let t: TestServer;
let a: TestOrg;
let caseId: string;
let convertId: string;

interface Artifact {
  id: string;
  jobId: string;
  kind: string;
  name: string;
  bytes: number;
  sha256: string;
}

async function waitJob(token: string, id: string, ms = 800_000) {
  const end = Date.now() + ms;
  for (;;) {
    const j = await t.json(token, 'GET', `/api/jobs/${id}`);
    if (['succeeded', 'failed', 'cancelled'].includes(j.state)) return j;
    if (Date.now() > end) throw new Error(`job ${id} still ${j.state} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function download(token: string, id: string): Promise<Uint8Array> {
  const r = await t.call(token, 'GET', `/api/artifacts/${id}`);
  expect(r.status).toBe(200);
  return new Uint8Array(await r.arrayBuffer());
}

beforeAll(async () => {
  t = await startTestServer({ workers: 1 });
  a = await t.org('Models');
  caseId = (await t.json(a.tokens.requester, 'POST', '/api/cases', { purpose: 'web app models', anatomy: 'skull' })).id;
  await t.json(a.tokens.requester, 'POST', `/api/cases/${caseId}/files`, formOf(await anonymisedSeries(SERIES)));
  convertId = (await t.json(a.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert' })).id;
  const j = await waitJob(a.tokens.engineer, convertId);
  expect(j.state, j.error).toBe('succeeded');
}, 900_000);
afterAll(() => t?.close());

describe('the convert job for the viewer', () => {
  it('lists the CT as a volume artifact: int16 HU on exactly the label map grid, bright where the bone label is', async () => {
    const arts: Artifact[] = await t.json(a.tokens.reviewer, 'GET', `/api/cases/${caseId}/artifacts`);
    const vol = arts.find((x) => x.name === 'volume.nii.gz')!;
    const lab = arts.find((x) => x.name === 'labels.nii.gz')!;
    expect(vol).toMatchObject({ kind: 'volume', jobId: convertId });
    expect(lab).toMatchObject({ kind: 'labels', jobId: convertId });
    const ct = readNifti(await download(a.tokens.reviewer, vol.id), 'volume.nii.gz');
    const labels = readNiftiLabels(await download(a.tokens.reviewer, lab.id), 'labels.nii.gz');
    expect(ct.datatype).toBe('int16');
    expect(sameGrid(ct.volume.grid, labels.grid, 1e-4)).toBe(true);
    let on = 0;
    let bone = 0;
    let air = 0;
    for (let i = 0; i < labels.data.length; i++) {
      const hu = ct.volume.data[i]!;
      if (hu < -900) air++;
      if (labels.data[i]) {
        on++;
        if (hu > 150) bone++;
      }
    }
    expect(on).toBeGreaterThan(10_000);
    expect(bone / on).toBeGreaterThan(0.7);
    expect(air, 'air around the head').toBeGreaterThan(labels.data.length / 10);
  });
});
