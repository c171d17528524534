import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  evaluateSegmentation,
  readNiftiLabels,
  runSegmentation,
  sameGrid,
  thresholdVolume,
  type LabelMap,
  type Volume,
} from '@scan2print/core';
import { dataPath } from '../../../../test/data.js';
import { keepComponents } from './components.js';
import { loadExampleCt } from '../../../../test/ct-volumes.js';

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const count = (l: LabelMap) => {
  let n = 0;
  for (let v = 0; v < l.data.length; v++) if (l.data[v]) n++;
  return n;
};

let ct: Volume;
beforeAll(() => {
  ct = loadExampleCt();
});

describe('runSegmentation', () => {
  it('bone of example_ct (auto threshold, table removed, holes filled) vs TotalSegmentator bone labels: Dice ≥ 0.80', async () => {
    const res = await runSegmentation(ct, { method: { method: 'auto-threshold' }, cleanup: { removeTable: true, fillHoles: 'both', minIsland_mm3: 1000 } });
    const steps = res.records.map((r) => `${r.stage}/${r.method}`);
    expect(steps).toEqual(['segment/auto-threshold', 'segment/threshold', 'segment/metal-flag', 'segment/remove-table', 'segment/fill-holes', 'segment/components']);
    expect(res.records[1]!.notes).toBeUndefined(); // no fixed-low-threshold note for an automatic one
    const p = dataPath('labelled/totalsegmentator/example_seg_fast_force_split.nii.gz');
    const ref = readNiftiLabels(new Uint8Array(readFileSync(p)), p);
    const m = evaluateSegmentation(ref, res.output.labels[0]!, { refLabels: '25-50,69-78,91-116' }).output;
    console.log('example_ct bone vs TotalSegmentator:', JSON.stringify({ dice: m.dice, hd95_mm: m.hausdorff95_mm, assd_mm: m.assd_mm }));
    expect(m.dice!).toBeGreaterThanOrEqual(0.8);
    const comps = res.records.at(-1)!.figures.components as Array<{ volume_mm3: number; hu: { mean: number } }>;
    expect(comps.length).toBeGreaterThan(0);
    expect(comps[0]!.hu.mean).toBeGreaterThan(200);
  });

  it('several thresholds: one cleaned label map each, records tagged with their range', async () => {
    const res = await runSegmentation(ct, { method: { method: 'threshold', ranges: [[200, 3071], [400, 3071]] }, cleanup: { keep: 'largest' } });
    expect(res.output.labels.length).toBe(2);
    expect(res.output.ranges).toEqual([[200, 3071], [400, 3071]]);
    const comp = res.records.filter((r) => r.method === 'components');
    expect(comp.map((r) => r.params.labelMap)).toEqual(['HU 200..3071', 'HU 400..3071']);
    // Each equals its own single-threshold run through the same clean-up.
    const single = keepComponents(thresholdVolume(ct, 400, 3071), ct, { keep: 'largest' }).output;
    expect(bytes(res.output.labels[1]!.data).equals(bytes(single.data))).toBe(true);
  });

  it('crop without resampling returns labels on the input grid; isotropic returns the new grid', async () => {
    const cropped = await runSegmentation(ct, { preprocess: { crop: { min_ijk: [20, 20, 20], max_ijk: [100, 90, 100] } }, method: { method: 'threshold', preset: 'bone' } });
    expect(sameGrid(cropped.output.grid, ct.grid)).toBe(true);
    const full = thresholdVolume(ct, 226, 3071);
    const [nx, ny] = ct.grid.dims;
    let diff = 0;
    for (let k = 0; k < ct.grid.dims[2]; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++) {
          const inBox = i >= 20 && i < 100 && j >= 20 && j < 90 && k >= 20 && k < 100;
          const v = i + j * nx + k * nx * ny;
          if (cropped.output.labels[0]!.data[v] !== (inBox ? full.data[v] : 0)) diff++;
        }
    expect(diff).toBe(0);
    const iso = await runSegmentation(ct, { preprocess: { isotropic_mm: 2, gaussian_mm: 1 }, method: { method: 'threshold', ranges: [[226, 3071]] } });
    expect(iso.output.grid.spacing_mm).toEqual([2, 2, 2]);
    expect(iso.output.labels[0]!.grid.dims).toEqual([182, 151, 167]);
    expect(iso.records.map((r) => r.method)).toEqual(['resample-isotropic', 'gaussian', 'threshold']);
    // Same physical volume of bone within 15 % after resampling and smoothing.
    const v3 = count(full) * 27;
    const v2 = count(iso.output.labels[0]!) * 8;
    expect(Math.abs(v2 - v3) / v3).toBeLessThan(0.15);
  });

  it('soft threshold on the automatic threshold gives a probability field', async () => {
    const res = await runSegmentation(ct, { method: { method: 'auto-threshold' }, soft: { width_HU: 15 } });
    expect(res.output.probability!.data).toBeInstanceOf(Float32Array);
    const t = res.records[0]!.figures.threshold_HU as number;
    expect(res.records[1]!.params.centre_HU).toBe(t);
    expect(bytes(res.output.labels[0]!.data).equals(bytes(thresholdVolume(ct, t, 32767).data))).toBe(true);
    await expect(runSegmentation(ct, { method: { method: 'threshold', ranges: [[1, 2], [3, 4]] }, soft: { width_HU: 5 } })).rejects.toThrow(/single threshold/);
    // After clean-up, p ≥ 0.5 exactly where the cleaned labels are.
    const cleaned = await runSegmentation(ct, { method: { method: 'auto-threshold' }, soft: { width_HU: 15 }, cleanup: { fillHoles: 'both', minIsland_mm3: 1000 } });
    const rec = cleaned.records.at(-1)!;
    expect(rec.method).toBe('probability-reconcile');
    expect((rec.figures.voxelsCleared as number) + (rec.figures.voxelsSet as number)).toBeGreaterThan(0);
    const p = cleaned.output.probability!.data;
    const l = cleaned.output.labels[0]!.data;
    let bad = 0;
    for (let v = 0; v < p.length; v++) if ((p[v]! >= 0.5) !== (l[v] !== 0)) bad++;
    expect(bad).toBe(0);
  });

  it('region growing from a seed gives the seed’s connected part of the threshold mask', async () => {
    const bone = thresholdVolume(ct, 200, 3071);
    const largest = keepComponents(bone, ct, { keep: 'largest', connectivity: 6 }).output;
    let seed = -1;
    for (let v = 0; v < largest.data.length && seed < 0; v++) if (largest.data[v] && ct.data[v]! > 400 && ct.data[v]! < 1500) seed = v;
    const [nx, ny] = ct.grid.dims;
    const ijk: [number, number, number] = [seed % nx, Math.floor(seed / nx) % ny, Math.floor(seed / (nx * ny))];
    const res = await runSegmentation(ct, { method: { method: 'region-grow', params: { seed_ijk: ijk, range_HU: [200, 3071] } } });
    expect(res.records[0]!.method).toMatch(/region-grow/);
    const grown = res.output.labels[0]!;
    expect(grown.data[seed]).toBe(1);
    expect(count(grown)).toBe(count(largest));
    await expect(runSegmentation(ct, { method: { method: 'region-grow', params: { range_HU: [200, 3071] } } })).rejects.toThrow(/seed_mm or seed_ijk/);
    // The seed index is the input grid's, also after a crop (labels come back on the input grid).
    const lo: [number, number, number] = [Math.max(0, ijk[0] - 30), Math.max(0, ijk[1] - 30), Math.max(0, ijk[2] - 30)];
    const cropped = await runSegmentation(ct, {
      preprocess: { crop: { min_ijk: lo, max_ijk: [ijk[0] + 30, ijk[1] + 30, ijk[2] + 30] } },
      method: { method: 'region-grow', params: { seed_ijk: ijk, range_HU: [200, 3071] } },
    });
    expect(cropped.output.labels[0]!.data[seed]).toBe(1);
    expect(count(cropped.output.labels[0]!)).toBeLessThanOrEqual(count(grown));
  });
});
