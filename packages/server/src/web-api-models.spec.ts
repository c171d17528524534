/**
 * The web app's model API on a real server and a real CT series, around one real convert:
 * its progress on the organisation's event stream, the CT volume (volume.nii.gz, on the label
 * map's grid so a viewer overlays the two), reviews, a rebuild from an edited label map
 * (a `mesh` job through core) and the versions list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkMesh, physicalToIndex, readNifti, readNiftiLabels, readStl, sameGrid, writeNifti, type LabelMap } from '@scan2print/core';
import { startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { anonymisedSeries, formOf } from '../../../test/server/dicom-files.js';
import { followEvents, type FollowedStream } from '../../../test/server/event-stream.js';

const SERIES = 'ge-head-tilt-variable-spacing';
let t: TestServer;
let a: TestOrg;
let caseId: string;
let convertId: string;
let stream: FollowedStream;

interface Artifact {
  id: string;
  jobId: string;
  kind: string;
  name: string;
  bytes: number;
  sha256: string;
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
  stream = await followEvents(`${t.url}/api/events`, a.tokens.reviewer);
  // At 2 mm (the web app's model routes do not depend on resolution; the label edit below is meshed on this grid).
  convertId = (await t.json(a.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert', params: { isotropic: 2 } })).id;
  const j = await t.waitJob(a.tokens.engineer, convertId, 800_000);
  expect(j.state, j.error).toBe('succeeded');
}, 900_000);
afterAll(async () => {
  await stream?.close();
  await t?.close();
});

const artifactsOf = async (jobId: string): Promise<Artifact[]> =>
  (await t.json(a.tokens.reviewer, 'GET', `/api/cases/${caseId}/artifacts`)).filter((x: Artifact) => x.jobId === jobId);

/** POSTs a label map as NIfTI bytes. */
const postLabels = (token: string, bytes: Uint8Array, query = '') =>
  fetch(`${t.url}/api/cases/${caseId}/labels${query}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' }, body: bytes });

describe('the event stream during the convert', () => {
  it('showed the job queued, running with a stage and a rising percentage, then succeeded', async () => {
    const done = await stream.until((e) => e.data.latestJob?.state === 'succeeded');
    expect(done.data).toMatchObject({ id: caseId, files: 28, latestJob: { id: convertId, kind: 'convert', progress: 1, error: null } });
    const running = stream.events.filter((e) => e.data.latestJob?.id === convertId && e.data.latestJob.state === 'running');
    expect(running.length).toBeGreaterThan(1);
    expect(running.some((e) => typeof e.data.latestJob.stage === 'string' && e.data.latestJob.progress > 0 && e.data.latestJob.progress < 1)).toBe(true);
    const p = running.map((e) => e.data.latestJob.progress as number);
    for (let i = 1; i < p.length; i++) expect(p[i]).toBeGreaterThanOrEqual(p[i - 1]!);
  });
});

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

describe('reviews of the model', () => {
  it('approve (reviewer) and request changes (technician, after approval) judge the latest model; the case row and status follow', async () => {
    // The workflow first: submitted (catching up with the files and the convert: segmented), in review, segmentation signed.
    expect((await t.json(a.tokens.requester, 'POST', `/api/cases/${caseId}/transitions`, { to: 'submitted' })).state).toBe('segmented');
    const early = await t.call(a.tokens.reviewer, 'POST', `/api/cases/${caseId}/reviews`, { decision: 'approve' });
    expect(early.status, 'not in review yet').toBe(409);
    await t.json(a.tokens.engineer, 'POST', `/api/cases/${caseId}/transitions`, { to: 'in-review' });
    await t.json(a.tokens.engineer, 'POST', `/api/cases/${caseId}/gates`, { gate: 'segmentation' });
    const ok = await t.json(a.tokens.reviewer, 'POST', `/api/cases/${caseId}/reviews`, { decision: 'approve', comment: 'fits the plan' });
    expect(ok).toMatchObject({ decision: 'approve', jobId: convertId, by: { id: a.users.reviewer, email: a.emails.reviewer }, comment: 'fits the plan' });
    const row = await stream.until((e) => e.data.review?.decision === 'approve');
    expect(row.data).toMatchObject({ status: 'approved', review: { by: { id: a.users.reviewer } } });
    expect(ok.state).toBe('approved');
    // From approved only the reviewer and the print lab send a model back, with a comment.
    const eng = await t.call(a.tokens.engineer, 'POST', `/api/cases/${caseId}/reviews`, { decision: 'request-changes', jobId: convertId, comment: 'thicker' });
    expect(eng.status).toBe(403);
    const again = await t.json(a.tokens.technician, 'POST', `/api/cases/${caseId}/reviews`, { decision: 'request-changes', jobId: convertId, comment: 'walls too thin to print' });
    expect(again.jobId).toBe(convertId);
    const c = await t.json(a.tokens.technician, 'GET', `/api/cases/${caseId}`);
    expect(c).toMatchObject({ status: 'changes-requested', review: { decision: 'request-changes', by: { email: a.emails.technician } } });
    const list = await t.json(a.tokens.technician, 'GET', `/api/cases/${caseId}/reviews`);
    expect(list.map((x: { decision: string }) => x.decision)).toEqual(['approve', 'request-changes']);
    expect((await t.call(a.tokens.technician, 'POST', `/api/cases/${caseId}/reviews`, { decision: 'approve' })).status).toBe(403);
  });
});

/** Voxels of `l` that are set. */
function count(l: LabelMap): number {
  let n = 0;
  for (let i = 0; i < l.data.length; i++) if (l.data[i]) n++;
  return n;
}

describe('rebuild from an edited label map', () => {
  let base: LabelMap;
  let edited: LabelMap;
  let meshId: string;
  const blob = { centre: [0, 0, 0] as [number, number, number], r_mm: 9 };

  it('refuses a label map on another grid with a 400 naming what differs, and roles that may not edit', async () => {
    const lab = (await artifactsOf(convertId)).find((x) => x.kind === 'labels')!;
    base = readNiftiLabels(await download(a.tokens.engineer, lab.id), 'labels.nii.gz');
    const g = base.grid;
    const finer = { ...base, grid: { ...g, spacing_mm: [g.spacing_mm[0] / 2, g.spacing_mm[1], g.spacing_mm[2]] as typeof g.spacing_mm } };
    const r = await postLabels(a.tokens.engineer, writeNifti(finer, { gzip: true }));
    expect(r.status).toBe(400);
    const e = ((await r.json()) as any).error;
    expect(e.code).toBe('LABELS_GRID');
    expect(e.message).toMatch(/spacing .* mm instead of .* mm/);
    const cut = { grid: { ...g, dims: [g.dims[0], g.dims[1], g.dims[2] - 1] as typeof g.dims }, data: base.data.slice(0, g.dims[0] * g.dims[1] * (g.dims[2] - 1)) };
    const r2 = await postLabels(a.tokens.engineer, writeNifti(cut));
    expect(r2.status).toBe(400);
    expect(((await r2.json()) as any).error.message).toContain(`dims ${g.dims[0]} × ${g.dims[1]} × ${g.dims[2] - 1} instead of`);
    expect((await postLabels(a.tokens.reviewer, writeNifti(base, { gzip: true }))).status).toBe(403);
    const json = await t.call(a.tokens.engineer, 'POST', `/api/cases/${caseId}/labels`, { labels: [] });
    expect(json.status).toBe(415);
  });

  it('erasing the top slab and adding a blob: a mesh job through core makes a closed model of exactly that', async () => {
    const [nx, ny, nz] = base.grid.dims;
    edited = { grid: base.grid, data: base.data.slice() };
    const k0 = Math.floor(nz * 0.6);
    for (let k = k0; k < nz; k++) edited.data.fill(0, k * nx * ny, (k + 1) * nx * ny);
    // A ball in the lower slices, left of the head's centre (in air or overlapping bone alike: it is labelled).
    const ci = Math.round(nx * 0.2), cj = Math.round(ny / 2), ck = Math.round(nz * 0.25);
    const [sx, sy, sz] = base.grid.spacing_mm;
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++)
          if (((i - ci) * sx) ** 2 + ((j - cj) * sy) ** 2 + ((k - ck) * sz) ** 2 <= blob.r_mm ** 2) edited.data[i + nx * (j + ny * k)] = 1;
    const d = base.grid.direction, o = base.grid.origin_mm;
    for (let r = 0; r < 3; r++) blob.centre[r] = o[r]! + d[r]! * ci * sx + d[3 + r]! * cj * sy + d[6 + r]! * ck * sz;
    const r = await postLabels(a.tokens.engineer, writeNifti(edited, { gzip: true }), `?baseJob=${convertId}`);
    expect(r.status, await r.clone().text()).toBe(201);
    meshId = ((await r.json()) as { jobId: string }).jobId;
    const j = await t.waitJob(a.tokens.engineer, meshId, 800_000);
    expect(j.state, j.error).toBe('succeeded');
    expect(j).toMatchObject({ kind: 'mesh', params: { baseJobId: convertId } });
    expect(j.summary.models[0].checks).toMatchObject({ closed: true, manifold: true });

    const arts = await artifactsOf(meshId);
    expect(arts.map((x) => x.name).sort()).toEqual(['bone.3mf', 'bone.stl', 'labels.nii.gz', 'preview.stl', 'report.html', 'report.json', 'volume-preview.nii.gz', 'volume.nii.gz']);
    const baseVolume = (await artifactsOf(convertId)).find((x) => x.kind === 'volume')!;
    expect(arts.find((x) => x.kind === 'volume')!.sha256).toBe(baseVolume.sha256);
    const stored = readNiftiLabels(await download(a.tokens.engineer, arts.find((x) => x.kind === 'labels')!.id), 'labels.nii.gz');
    expect(count(stored)).toBe(count(edited));

    const stlOf = async (jobId: string) => readStl(await download(a.tokens.engineer, (await artifactsOf(jobId)).find((x) => x.name === 'bone.stl')!.id), 'bone.stl');
    const before = checkMesh(await stlOf(convertId));
    const mesh = await stlOf(meshId);
    const after = checkMesh(mesh);
    expect(after).toMatchObject({ closed: true, manifold: true });
    const voxel_mm3 = sx * sy * sz;
    expect(Math.abs(after.volume_mm3 - count(edited) * voxel_mm3) / (count(edited) * voxel_mm3)).toBeLessThan(0.2);
    expect(after.volume_mm3).toBeLessThan(before.volume_mm3);
    // Nothing above the erased plane (a smoothed edge may reach a slice past it), and a surface around the blob.
    let above = 0;
    let aroundBlob = 0;
    const p = mesh.positions;
    for (let v = 0; v < p.length; v += 3) {
      const [, , k] = physicalToIndex(base.grid, p[v]!, p[v + 1]!, p[v + 2]!);
      if (k > k0 + 1.5) above++;
      if (Math.hypot(p[v]! - blob.centre[0], p[v + 1]! - blob.centre[1], p[v + 2]! - blob.centre[2]) < blob.r_mm + 2) aroundBlob++;
    }
    expect(above).toBe(0);
    expect(aroundBlob).toBeGreaterThan(100);
  });

  it('lists both versions in order with their artifacts; a review defaults to the rebuilt model', async () => {
    const v = await t.json(a.tokens.technician, 'GET', `/api/cases/${caseId}/versions`);
    expect(v.map((x: { version: number; jobId: string; kind: string }) => [x.version, x.jobId, x.kind])).toEqual([
      [1, convertId, 'convert'],
      [2, meshId, 'mesh'],
    ]);
    expect(v[1]).toMatchObject({ state: 'succeeded', createdBy: { id: a.users.engineer, email: a.emails.engineer } });
    expect(v[1].artifacts.map((x: Artifact) => x.kind).sort()).toEqual(['labels', 'model', 'model', 'preview', 'report-html', 'report-json', 'volume', 'volume-preview']);
    expect(v[0].artifacts).toHaveLength(8);
    // Back from changes requested: in review again, the rebuilt version's segmentation signed, a reviewer approves.
    expect((await t.call(a.tokens.requester, 'POST', `/api/cases/${caseId}/reviews`, { decision: 'approve' })).status, 'requesters do not approve').toBe(403);
    await t.json(a.tokens.engineer, 'POST', `/api/cases/${caseId}/transitions`, { to: 'in-review' });
    expect((await t.json(a.tokens.engineer, 'POST', `/api/cases/${caseId}/gates`, { gate: 'segmentation' })).modelVersionId).toBe(meshId);
    const r = await t.json(a.tokens.reviewer, 'POST', `/api/cases/${caseId}/reviews`, { decision: 'approve' });
    expect(r.jobId).toBe(meshId);
  });
});

