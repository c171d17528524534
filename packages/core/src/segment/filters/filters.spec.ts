import { beforeAll, describe, expect, it } from 'vitest';
import {
  cropLabels,
  cropVolume,
  gaussianFilter,
  getTask,
  indexToPhysical,
  isotropicGrid,
  medianFilter,
  pasteLabels,
  resampleIsotropic,
  thresholdVolume,
  windowVolume,
  type Grid,
  type Volume,
  type WorkerPool,
} from '@scan2print/core';
import { loadExampleCt } from '../../../../../test/ct-volumes.js';
import { physicalToIndex, type Vec3 } from '../../geometry/grid.js';

function slabPool(size = 3): WorkerPool {
  return { size, run: async <R>(t: string, p: unknown) => (await getTask(t)(p)) as R, close: async () => {} };
}
const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function grid(dims: [number, number, number], spacing: [number, number, number]): Grid {
  return { dims, spacing_mm: spacing, origin_mm: [10, -20, 30], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
}

let ct: Volume;
beforeAll(() => {
  ct = loadExampleCt();
});

describe('gaussian', () => {
  it('an impulse spreads with sd = sigma in mm on every axis, anisotropic spacing respected', async () => {
    const g = grid([41, 41, 41], [0.5, 1, 2]);
    const data = new Float32Array(41 ** 3);
    const c = 20 + 20 * 41 + 20 * 41 * 41;
    data[c] = 1000;
    const out = (await gaussianFilter({ grid: g, data }, 3, {})).output.data;
    let sum = 0;
    const m2 = [0, 0, 0];
    for (let k = 0; k < 41; k++)
      for (let j = 0; j < 41; j++)
        for (let i = 0; i < 41; i++) {
          const w = out[i + j * 41 + k * 41 * 41]!;
          sum += w;
          m2[0]! += w * ((i - 20) * 0.5) ** 2;
          m2[1]! += w * ((j - 20) * 1) ** 2;
          m2[2]! += w * ((k - 20) * 2) ** 2;
        }
    expect(sum).toBeCloseTo(1000, 1);
    // Sampled Gaussian truncated at 3 sd: variance within a few % of sigma² = 9 mm².
    for (const v of m2) expect(Math.abs(v / sum - 9)).toBeLessThan(0.5);
    // Symmetric about the centre along each axis.
    expect(out[c + 3]).toBeCloseTo(out[c - 3]!, 5);
    expect(out[c + 2 * 41 * 41]).toBeCloseTo(out[c - 2 * 41 * 41]!, 5);
  });

  it('keeps a constant volume constant (edges replicated) and is identical on a multi-slab pool', async () => {
    const g = grid([9, 8, 7], [1, 1, 3]);
    const flat = (await gaussianFilter({ grid: g, data: new Int16Array(9 * 8 * 7).fill(-300) }, [2, 2, 4], {})).output.data;
    for (const v of flat) expect(v).toBeCloseTo(-300, 3);
    const a = await gaussianFilter(ct, 2, {});
    const b = await gaussianFilter(ct, 2, { pool: slabPool(3) });
    expect(bytes(a.output.data).equals(bytes(b.output.data))).toBe(true);
    expect(a.record).toMatchObject({ stage: 'preprocess', method: 'gaussian', params: { sigma_mm: [2, 2, 2] } });
    await expect(gaussianFilter(ct, -1, {})).rejects.toThrow(/sigma/);
  });
});

describe('median', () => {
  it('removes isolated spikes, keeps edges of a step, keeps the Int16 type; identical on a pool', async () => {
    const g = grid([10, 10, 10], [1, 1, 1]);
    const d = new Int16Array(1000);
    for (let v = 0; v < 1000; v++) d[v] = v % 10 < 5 ? 0 : 1000; // step along i
    d[2 + 5 * 10 + 5 * 100] = 3000; // spike in the 0 half
    d[7 + 3 * 10 + 4 * 100] = -1000; // pit in the 1000 half
    const out = (await medianFilter({ grid: g, data: d }, 1, {})).output.data;
    expect(out).toBeInstanceOf(Int16Array);
    for (let v = 0; v < 1000; v++) expect(out[v]).toBe(v % 10 < 5 ? 0 : 1000);
    const a = await medianFilter(ct, 1, {});
    const b = await medianFilter(ct, 1, { pool: slabPool(3) });
    expect(bytes(a.output.data).equals(bytes(b.output.data))).toBe(true);
    // Median smoothing of real CT lowers the voxel-to-voxel noise.
    const rough = (x: ArrayLike<number>) => {
      let s = 0;
      for (let v = 0; v + 1 < x.length; v++) s += Math.abs(x[v + 1]! - x[v]!);
      return s;
    };
    expect(rough(a.output.data)).toBeLessThan(rough(ct.data));
    await expect(medianFilter(ct, 1.5, {})).rejects.toThrow(/median radius/);
  });
});

describe('window', () => {
  it('clamps, normalises to [0,1] and z-scores', () => {
    const v: Volume = { grid: grid([4, 1, 1], [1, 1, 1]), data: new Int16Array([-1000, 0, 100, 2000]) };
    expect([...windowVolume(v, -100, 300).output.data]).toEqual([-100, 0, 100, 300]);
    const n = windowVolume(v, -100, 300, 'normalise');
    expect([...n.output.data].map((x) => +x.toFixed(4))).toEqual([0, 0.25, 0.5, 1]);
    expect(n.record.notes?.[0]).toMatch(/no longer Hounsfield/);
    const z = windowVolume(v, -100, 300, 'zscore').output.data;
    expect(Array.from(z).reduce((a, b) => a + b, 0)).toBeCloseTo(0, 4);
    expect(() => windowVolume(v, 5, 5)).toThrow(/lo < hi/);
  });
});

describe('isotropic resampling', () => {
  it('reproduces a linear field exactly and keeps the physical extent', async () => {
    const g = grid([6, 5, 4], [0.5, 0.5, 2]);
    const d = new Float32Array(120);
    for (let k = 0; k < 4; k++) for (let j = 0; j < 5; j++) for (let i = 0; i < 6; i++) d[i + 6 * j + 30 * k] = 0.5 * i * 0.5 + 2 * j * 0.5 - 3 * k * 2;
    const r = await resampleIsotropic({ grid: g, data: d }, 'auto', {});
    const out = r.output;
    expect(out.grid.spacing_mm).toEqual([0.5, 0.5, 0.5]);
    expect(out.grid.dims).toEqual([6, 5, 13]);
    expect(out.grid.origin_mm).toEqual(g.origin_mm);
    const [nx, ny, nz] = out.grid.dims;
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++) expect(out.data[i + nx * j + nx * ny * k]).toBeCloseTo(0.5 * i * 0.5 + 2 * j * 0.5 - 3 * k * 0.5, 4);
    // Last voxel centre is at most one new voxel short of the old extent.
    expect(isotropicGrid(grid([512, 512, 140], [0.4512, 0.4512, 1]), 0.4512).dims).toEqual([512, 512, 309]);
  });

  it('is identical on a multi-slab pool on real CT', async () => {
    const a = await resampleIsotropic(ct, 2, {});
    const b = await resampleIsotropic(ct, 2, { pool: slabPool(3) });
    expect(a.output.grid.dims).toEqual([182, 151, 167]);
    expect(bytes(a.output.data).equals(bytes(b.output.data))).toBe(true);
    await expect(resampleIsotropic(ct, 0, {})).rejects.toThrow(/> 0 mm/);
  });
});

describe('crop', () => {
  it('by index and by mm keeps physical positions; labels paste back on the full grid', () => {
    const byIndex = cropVolume(ct, { min_ijk: [10, 20, 30], max_ijk: [60, 70, 80] }).output;
    expect(byIndex.grid.dims).toEqual([50, 50, 50]);
    expect(byIndex.grid.origin_mm).toEqual(indexToPhysical(ct.grid, 10, 20, 30));
    const [nx, ny] = ct.grid.dims;
    expect(byIndex.data[1 + 2 * 50 + 3 * 2500]).toBe(ct.data[11 + 22 * nx + 33 * nx * ny]);
    const c1 = indexToPhysical(ct.grid, 10, 20, 30);
    const c2 = indexToPhysical(ct.grid, 59, 69, 79);
    const byMm = cropVolume(ct, { corner1_mm: c2, corner2_mm: c1 }).output;
    expect(byMm.grid.dims).toEqual([50, 50, 50]);
    expect(bytes(byMm.data).equals(bytes(byIndex.data))).toBe(true);
    const full = thresholdVolume(ct, 200, 3071);
    const box = { min_ijk: [0, 0, 0] as [number, number, number], max_ijk: ct.grid.dims };
    expect(bytes(pasteLabels(cropLabels(full, box), ct.grid, [0, 0, 0]).data).equals(bytes(full.data))).toBe(true);
    const part = cropLabels(full, { min_ijk: [10, 20, 30], max_ijk: [60, 70, 80] });
    const back = pasteLabels(part, ct.grid, [10, 20, 30]);
    expect(back.data[11 + 22 * nx + 33 * nx * ny]).toBe(full.data[11 + 22 * nx + 33 * nx * ny]);
    expect(() => cropVolume(ct, { min_ijk: [5, 5, 5], max_ijk: [5, 10, 10] })).toThrow(/no voxels/);
    // A box past the grid is cut to it, and the record says so (it was cut without a word).
    const past = cropVolume(ct, { min_ijk: [0, 0, 0], max_ijk: [nx + 10, 70, 80] }).record;
    expect(past.notes).toEqual([`the crop box 0,0,0,${nx + 10},70,80 reaches past the ${ct.grid.dims.join('×')} grid: cut to 0,0,0,${nx},70,80`]);
    expect(cropVolume(ct, { min_ijk: [10, 20, 30], max_ijk: [60, 70, 80] }).record.notes).toBeUndefined();
  });

  it('by mm on a turned grid (a tilt-corrected series): exactly the voxels whose centre lies in the box, the rest air', () => {
    // 18.5° about x, as the GE tilt series is resampled along its slice normal.
    const t = (18.5 * Math.PI) / 180;
    const grid = { dims: [30, 40, 50] as Vec3, spacing_mm: [0.5, 0.5, 1] as Vec3, origin_mm: [-7, -10, 3] as Vec3, direction: [1, 0, 0, 0, Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t)] as Grid['direction'] };
    const n = 30 * 40 * 50;
    const turned = { grid, data: Int16Array.from({ length: n }, (_, p) => 100 + (p % 997)) };
    const box = { corner1_mm: [-3, -4, 20] as Vec3, corner2_mm: [4, 2, 26] as Vec3 };
    const inBox = (x: Vec3) => x.every((v, a) => v >= Math.min(box.corner1_mm[a]!, box.corner2_mm[a]!) - 1e-6 && v <= Math.max(box.corner1_mm[a]!, box.corner2_mm[a]!) + 1e-6);
    const out = cropVolume(turned, box).output;
    const at = (g: Grid, i: number, j: number, k: number) => indexToPhysical(g, i, j, k);
    // Every voxel of the source inside the box is kept, with its value, at its position.
    let inside = 0;
    for (let k = 0; k < 50; k++) for (let j = 0; j < 40; j++) for (let i = 0; i < 30; i++) {
      if (!inBox(at(grid, i, j, k))) continue;
      inside++;
      const [ci, cj, ck] = [0, 1, 2].map((a) => Math.round(physicalToIndex(out.grid, ...at(grid, i, j, k))[a]!));
      expect(out.data[ci! + cj! * out.grid.dims[0] + ck! * out.grid.dims[0] * out.grid.dims[1]]).toBe(turned.data[i + j * 30 + k * 1200]);
    }
    // …and nothing else: every other voxel of the crop is air.
    let kept = 0;
    for (let k = 0, p = 0; k < out.grid.dims[2]; k++) for (let j = 0; j < out.grid.dims[1]; j++) for (let i = 0; i < out.grid.dims[0]; i++, p++) {
      if (inBox(at(out.grid, i, j, k))) kept++;
      else expect(out.data[p]).toBe(-1024);
    }
    expect(inside).toBeGreaterThan(500);
    expect(kept).toBe(inside);
  });
});
