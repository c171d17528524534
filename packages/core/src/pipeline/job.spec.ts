import { describe, expect, it } from 'vitest';
import { syntheticHeadSeries } from '../synthetic/head.js';
import { writeCtSeries } from '../formats/dicom-ct-write.js';
import { readStl } from '../formats/stl.js';
import { checkMesh } from '../surface/topology.js';
import { readNifti, readNiftiLabels } from '../formats/nifti.js';
import { sameGrid } from '../geometry/grid.js';
import type { PreprocessOptions } from '../segment/pipeline.js';
import { isStageName } from './record.js';
import { modelFileName, plannedOutputs, runConvertJob, type ConvertJobRequest } from './job.js';

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
    for (const s of r.report.stages) expect(isStageName(s.stage), s.stage).toBe(true);
    expect(r.report.records.filter((x) => x.stage === 'accuracy')).toHaveLength(1);
    expect(r.report.records.some((x) => x.stage === 'validate')).toBe(false);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]!);
    expect(seen.at(-1)).toBe(1);
    expect(r.series.notChosen).toEqual([]);
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
      const r = await runConvertJob(req);
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
});
