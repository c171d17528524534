import { describe, expect, it } from 'vitest';
import { gzipSync } from 'fflate';
import { syntheticHeadSeries } from '../synthetic/head.js';
import { writeCtSeries } from '../formats/dicom-ct-write.js';
import { readStl } from '../formats/stl.js';
import { checkMesh } from '../surface/topology.js';
import { readNifti, readNiftiLabels, writeNifti } from '../formats/nifti.js';
import { sameGrid } from '../geometry/grid.js';
import { PREVIEW_VOXELS, previewFactor, previewVolume } from '../geometry/preview.js';
import type { PreprocessOptions } from '../segment/pipeline.js';
import { isStageName } from './record.js';
import { gridMismatch, modelFileName, plannedOutputs, runConvertJob, type ConvertJobRequest } from './job.js';
import { read3mfContent, THREEMF_FILE_TASK, threeMfDeflateMethod, write3mf, write3mfAsync } from '../formats/3mf.js';
import { earlyModelFiles, threeMfOptions } from './job-early-3mf.js';
import type { ConvertModel } from './convert.js';
import { concatMeshes, labelShells } from '../surface/mesh-utils.js';
import { icosphere, translate } from '../testing/meshes.js';
import { deflateChunk, type RawDeflater } from '../formats/zip-write.js';
import { getTask } from '../parallel/registry.js';
import { PREVIEW_TASK, type PreviewTaskPayload } from '../surface/decimate.js';
import type { WorkerPool } from '../parallel/pool.js';
import '../parallel/all-tasks.js';

/** The host-independent convert job on a small synthetic head held in memory (no files, no pool). */
function request(outputs: ConvertJobRequest['outputs'], segmentation: ConvertJobRequest['segmentation'] = { method: { method: 'auto-threshold' } }): ConvertJobRequest {
  const { slices, options } = syntheticHeadSeries({ size: 64, slices: 32, spacing_mm: 3.5, sliceStep_mm: 3.5 });
  const files = writeCtSeries(slices, options);
  return {
    sources: files.map((b, k) => ({ name: `mem/${k}.dcm`, read: async () => b })),
    inputLabel: 'mem',
    segmentation,
    condition: { smooth: false, minShell_mm3: 1 },
    outputs,
    now: new Date(Date.UTC(2026, 0, 1)),
  };
}

describe('runConvertJob', () => {
  it('returns the report and every named output; progress is one rising percentage; stage names are the typed set', async () => {
    const seen: number[] = [];
    const r = await runConvertJob(request({ models: ['out/m.stl', 'out/m.3mf'], reportJson: 'out/r.json' }), { progress: (f) => seen.push(f) });
    expect([...r.files!.keys()]).toEqual(['out/m.stl', 'out/m.3mf', 'out/r.json']);
    expect(r.outputs.map((o) => o.name)).toEqual(['out/m.stl', 'out/m.3mf', 'out/r.json']);
    const mesh = readStl(r.files!.get('out/m.stl')!, 'm.stl');
    expect(checkMesh(mesh)).toMatchObject({ closed: true, manifold: true });
    const json = JSON.parse(new TextDecoder().decode(r.files!.get('out/r.json')!));
    expect(json.models[0].outputs.map((o: { file: string }) => o.file)).toEqual(['m.stl', 'm.3mf']);
    // The 3MF's export record says how its model part was deflated (no host deflater here: fflate).
    expect(r.models[0]!.records.filter((x) => x.stage === 'export').map((x) => x.params.deflate)).toEqual([undefined, 'fflate level 1']);
    for (const s of r.report.stages) expect(isStageName(s.stage), s.stage).toBe(true);
    expect(r.report.records.filter((x) => x.stage === 'accuracy')).toHaveLength(1);
    expect(r.report.records.some((x) => x.stage === 'validate')).toBe(false);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]!);
    expect(seen.at(-1)).toBe(1);
    expect(r.series?.notChosen).toEqual([]);
  });

  it('streams outputs to a sink instead of holding them, and plans the names of several models before the work', async () => {
    const seg = { method: { method: 'threshold' as const, ranges: [[200, 3071], [600, 3071]] as Array<[number, number]> } };
    const req = request({ models: ['m.stl'], labels: 'l.nii.gz' }, seg);
    const planned = plannedOutputs(req.outputs, [[200, 3071], [600, 3071]]);
    expect(planned).toEqual(['m_t200.stl', 'l_t200.nii.gz', 'm_t600.stl', 'l_t600.nii.gz']);
    const got: string[] = [];
    const r = await runConvertJob(req, { sink: (name) => void got.push(name) });
    expect(r.files).toBeUndefined();
    expect(got).toEqual(planned);
    expect(modelFileName('a/b.c/x.nii.gz', { range: [100, 500] }, true)).toBe('a/b.c/x_t100-500.nii.gz');
  });

  it('writes the CT as int16 HU on the label map grid, also when a crop and a resampling moved the labels off the imported grid', async () => {
    const resampled: PreprocessOptions = { crop: { min_ijk: [4, 6, 2], max_ijk: [60, 58, 30] }, isotropic_mm: 2.5 };
    for (const preprocess of [undefined, resampled]) {
      const seg = { method: { method: 'threshold' as const, ranges: [[300, 3071]] as Array<[number, number]> }, ...(preprocess ? { preprocess } : {}) };
      const req = request({ models: ['m.stl'], labels: 'l.nii.gz', volume: 'v.nii.gz' }, seg);
      expect(plannedOutputs(req.outputs, [undefined])).toEqual(['m.stl', 'l.nii.gz', 'v.nii.gz']);
      // A host's own gzip (the server's convert thread passes node:zlib) writes both .nii.gz outputs,
      // the CT at level 1 (fast; CT noise compresses little more at 6), the label map at 6.
      const gzipped: number[] = [];
      const r = await runConvertJob(req, { gzip: (b, level) => (gzipped.push(level), gzipSync(b, { mtime: 0, level: level as 1 | 6 })) });
      expect(gzipped).toEqual([6, 1]);
      const labels = readNiftiLabels(r.files!.get('l.nii.gz')!, 'l.nii.gz');
      const ct = readNifti(r.files!.get('v.nii.gz')!, 'v.nii.gz');
      expect(ct.datatype).toBe('int16');
      expect(sameGrid(ct.volume.grid, labels.grid)).toBe(true);
      expect(ct.volume.grid.dims[0] === 64, 'the crop and resampling changed the grid').toBe(!preprocess);
      // The labels are the threshold of this CT (before clean-up): most labelled voxels are ≥ 300 HU here.
      let on = 0;
      let bright = 0;
      for (let i = 0; i < labels.data.length; i++) {
        if (labels.data[i]) {
          on++;
          if (ct.volume.data[i]! >= 300) bright++;
        }
      }
      expect(on).toBeGreaterThan(100);
      expect(bright / on).toBeGreaterThan(0.8);
      expect(r.outputs.map((o) => o.name)).toEqual(['m.stl', 'l.nii.gz', 'v.nii.gz']);
    }
  });

  it('writes the CT preview (volumePreview) on the preview grid of the volume output, with the volume\'s own voxels', async () => {
    const seg = { method: { method: 'threshold' as const, ranges: [[300, 3071]] as Array<[number, number]> } };
    const req = request({ models: ['m.stl'], volume: 'v.nii.gz', volumePreview: 'p.nii.gz' }, seg);
    expect(plannedOutputs(req.outputs, [undefined])).toEqual(['m.stl', 'v.nii.gz', 'p.nii.gz']);
    const r = await runConvertJob(req);
    const ct = readNifti(r.files!.get('v.nii.gz')!, 'v.nii.gz').volume;
    const p = readNifti(r.files!.get('p.nii.gz')!, 'p.nii.gz').volume;
    // This small CT is under the voxel budget: the preview is the volume itself; with a budget
    // it is over, the same sampling as the review page's (previewVolume, spec'd in packages/web).
    expect(previewFactor(ct.grid.dims, PREVIEW_VOXELS)).toBe(1);
    expect(sameGrid(p.grid, ct.grid)).toBe(true);
    expect(Array.from(p.data)).toEqual(Array.from(ct.data));
    const third = previewVolume(ct, 3);
    expect(third.grid.dims).toEqual(ct.grid.dims.map((n) => Math.ceil(n / 3)));
    expect(r.outputs.map((o) => o.name)).toEqual(['m.stl', 'v.nii.gz', 'p.nii.gz']);
  });

  it('rebuilds from an edited label map (fromLabels): same stages, a closed model of the edit, the volume passed through', async () => {
    const seg = { method: { method: 'threshold' as const, ranges: [[300, 3071]] as Array<[number, number]> } };
    const base = await runConvertJob(request({ models: ['m.stl'], labels: 'l.nii.gz', volume: 'v.nii.gz' }, seg));
    const labels = readNiftiLabels(base.files!.get('l.nii.gz')!, 'l.nii.gz');
    const [nx, ny, nz] = labels.grid.dims;
    // Erase the upper half of the slices: what is left is what the rebuild must model.
    const edited = { ...labels, data: labels.data.slice() };
    for (let k = Math.floor(nz / 2); k < nz; k++) edited.data.fill(0, k * nx * ny, (k + 1) * nx * ny);
    let kept = 0;
    for (const v of edited.data) if (v) kept++;
    const volumeBytes = base.files!.get('v.nii.gz')!;
    const sources = [
      { name: 'edited.nii.gz', read: async () => writeNifti(edited, { gzip: true }) },
      { name: 'v.nii.gz', read: async () => volumeBytes },
    ];
    const req = { ...request({ models: ['m.stl'], labels: 'l.nii.gz', volume: 'v.nii.gz', reportJson: 'r.json' }, seg), sources, fromLabels: { labels: 'edited.nii.gz', volume: 'v.nii.gz' } };
    const r = await runConvertJob(req);
    expect(r.outputs.map((o) => o.name)).toEqual(['m.stl', 'l.nii.gz', 'v.nii.gz', 'r.json']);
    expect(r.files!.get('v.nii.gz')).toBe(volumeBytes);
    const before = checkMesh(readStl(base.files!.get('m.stl')!, 'm.stl'));
    const after = checkMesh(readStl(r.files!.get('m.stl')!, 'm.stl'));
    expect(after).toMatchObject({ closed: true, manifold: true });
    const voxel_mm3 = labels.grid.spacing_mm.reduce((a, b) => a * b, 1);
    expect(after.volume_mm3).toBeLessThan(0.8 * before.volume_mm3);
    expect(Math.abs(after.volume_mm3 - kept * voxel_mm3) / (kept * voxel_mm3)).toBeLessThan(0.15);
    const json = JSON.parse(new TextDecoder().decode(r.files!.get('r.json')!));
    expect(json.records.find((x: { stage: string }) => x.stage === 'request').method).toBe('mesh-label-map');
    expect(json.records.filter((x: { stage: string }) => x.stage === 'accuracy')).toHaveLength(1);
    expect(r.series).toBeUndefined();

    const shifted = { ...edited, grid: { ...edited.grid, spacing_mm: [edited.grid.spacing_mm[0], edited.grid.spacing_mm[1], 2] as [number, number, number] } };
    expect(gridMismatch(shifted.grid, labels.grid)).toMatch(/^spacing 3\.5 × 3\.5 × 2 mm instead of 3\.5 × 3\.5 × 3\.5 mm/);
    const wrong = { ...req, sources: [{ name: 'edited.nii.gz', read: async () => writeNifti(shifted) }, sources[1]!] };
    await expect(runConvertJob(wrong)).rejects.toThrow(/not on the CT's grid: spacing/);
  });

  it('writes a 3MF on the pool beside the gate, and on this thread where the pool would deflate otherwise than the host', async () => {
    // Two "workers" that run each task here (this thread has no deflater of its own: fflate).
    const tasks: string[] = [];
    const pool: WorkerPool = { size: 2, run: async <R>(t: string, p: unknown) => (tasks.push(t), (await getTask(t)(p)) as R), close: async () => {} };
    const opts = (name: string) => ({ title: `${name} (scan2print)`, creationDate: '2026-01-01' });
    const a = await runConvertJob(request({ models: ['m.3mf'] }), { pool });
    expect(tasks.filter((t) => t === THREEMF_FILE_TASK)).toHaveLength(1);
    const model = a.models[0]!;
    expect(Buffer.from(a.files!.get('m.3mf')!).equals(Buffer.from(write3mf(model.mesh, opts(model.name))))).toBe(true);
    expect(model.records.find((x) => x.stage === 'export')!.params.deflate).toBe('fflate level 1');
    // A host deflater the worker lacks (fflate at the host's level here): the export writes the file itself, with the host's deflater.
    const host: RawDeflater = { library: 'fflate as a host deflater', deflate: async (bytes, { level, last }) => deflateChunk(bytes, level, last) };
    tasks.length = 0;
    const b = await runConvertJob(request({ models: ['m.3mf'] }), { pool, deflateRaw: host });
    expect(tasks.filter((t) => t === THREEMF_FILE_TASK)).toHaveLength(1);
    const mb = b.models[0]!;
    const here = await write3mfAsync(mb.mesh, opts(mb.name), undefined, host);
    expect(Buffer.from(b.files!.get('m.3mf')!).equals(Buffer.from(here))).toBe(true);
    expect(Buffer.from(here).equals(Buffer.from(write3mf(mb.mesh, opts(mb.name))))).toBe(false);
    expect(mb.records.find((x) => x.stage === 'export')!.params.deflate).toBe(threeMfDeflateMethod(host));
  });

  it('makes the preview on the pool, started with the export (and what follows it meanwhile): the same files and record as on one thread', async () => {
    const tasks: string[] = [];
    let previewRunning = false;
    let previewPayload: PreviewTaskPayload | undefined;
    const written: string[] = [];
    const pool: WorkerPool = {
      size: 2,
      run: async <R>(t: string, p: unknown) => {
        tasks.push(t);
        if (t !== PREVIEW_TASK) return (await getTask(t)(p)) as R;
        previewPayload = p as PreviewTaskPayload;
        previewRunning = true;
        // Held back a little, so that the files before it are written while it runs.
        await new Promise((r) => setTimeout(r, 50));
        const out = (await getTask(t)(p)) as R;
        previewRunning = false;
        return out;
      },
      close: async () => {},
    };
    const outputs = { models: ['m.stl'], preview: 'p.stl', labels: 'l.nii.gz', volume: 'v.nii.gz', volumePreview: 'vp.nii.gz', reportJson: 'r.json', reportHtml: 'r.html' };
    const sink = (name: string) => {
      written.push(`${name}${previewRunning ? ' (preview running)' : ''}`);
      return Promise.resolve();
    };
    const html: Record<string, Uint8Array> = {};
    const said: string[] = [];
    const onPool = await runConvertJob(request(outputs), { pool, sink: async (n, bytes) => ((html[n] = bytes), sink(n)), progress: (_, m) => said.push(m ?? '') });
    const saidHere: string[] = [];
    const here = await runConvertJob(request(outputs), { progress: (_, m) => saidHere.push(m ?? '') });
    expect(tasks.filter((t) => t === PREVIEW_TASK)).toHaveLength(1);
    // with the shells the conditioning gave the gate: the model's own shells, not labelled again on the worker
    const shells = previewPayload!.shells!;
    const own = labelShells(onPool.models[0]!.mesh);
    expect(shells.shellCount).toBe(own.shellCount);
    expect(Array.from(shells.shellOf)).toEqual(Array.from(own.shellOf));
    // started before the model file was written, and written in its place
    expect(written).toEqual(['m.stl (preview running)', 'p.stl', 'l.nii.gz', 'v.nii.gz', 'vp.nii.gz', 'r.json', 'r.html']);
    const sha = (r: typeof here, name: string) => r.outputs.find((o) => o.name === name)!.sha256;
    expect(sha(onPool, 'p.stl')).toBe(sha(here, 'p.stl'));
    // the files made while the preview ran (the CT volume, the label map, the CT preview) are the same files too
    for (const f of ['v.nii.gz', 'l.nii.gz', 'vp.nii.gz']) expect(sha(onPool, f), f).toBe(sha(here, f));
    const record = (r: typeof here) => r.models[0]!.records.find((x) => x.method === 'preview');
    expect(record(onPool)).toEqual(record(here));
    expect(record(here)).toBeDefined();
    // the report's pictures, drawn while the preview ran, are the pictures drawn after the files
    const pictures = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes).match(/data:image\/png;base64,[A-Za-z0-9+/=]+/g);
    expect(pictures(html['r.html'])).toHaveLength(5); // three slices, two views of the one model
    expect(pictures(html['r.html'])).toEqual(pictures(here.files!.get('r.html')));
    // drawn while the preview ran (no report steps for them), and after the files on one thread
    expect(saidHere).toContain('report: axial slice');
    expect(said).not.toContain('report: axial slice');
  });

  it('fails the job with the error of the pool when the preview task fails', async () => {
    const pool: WorkerPool = {
      size: 2,
      run: async <R>(t: string, p: unknown) => {
        if (t === PREVIEW_TASK) throw new Error('worker lost');
        return (await getTask(t)(p)) as R;
      },
      close: async () => {},
    };
    await expect(runConvertJob(request({ models: ['m.stl'], preview: 'p.stl' }), { pool })).rejects.toThrow(/worker lost/);
  });

  it('hands out an early 3MF (split by the shells it was given) only for a printable model, and once', async () => {
    const tasks: string[] = [];
    const pool: WorkerPool = { size: 2, run: async <R>(t: string, p: unknown) => (tasks.push(t), (await getTask(t)(p)) as R), close: async () => {} };
    const date = '2026-01-01T00:00:00.000Z';
    const early = earlyModelFiles(request({ models: ['m.3mf'] }), { pool }, date);
    const mesh = concatMeshes([icosphere(5, 1), translate(icosphere(5, 1), [20, 0, 0])]);
    const shells = labelShells(mesh);
    const model = (printable: boolean) => ({ name: 'bone', mesh, printable }) as ConvertModel;
    early.start!(mesh, 'bone', shells);
    // let through with --allow-open: its shells by edges need not be its shells by vertices, so the export writes it anew
    expect(early.take(model(false))).toBeUndefined();
    expect(early.take(model(true))).toBeUndefined(); // dropped, not kept for later
    early.start!(mesh, 'bone', shells);
    const bytes = await early.take(model(true));
    expect(Buffer.from(bytes!).equals(Buffer.from(write3mf(mesh, threeMfOptions({ name: 'bone' }, date))))).toBe(true);
    expect(read3mfContent(bytes!, 'bone.3mf').objects).toHaveLength(2);
    expect(early.take(model(true))).toBeUndefined();
    expect(tasks.filter((t) => t === THREEMF_FILE_TASK)).toHaveLength(2);
  });
});
