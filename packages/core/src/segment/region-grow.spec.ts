import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dataPath } from '../../../../test/data.js';
import type { Grid, Vec3 } from '../geometry/grid.js';
import { indexToPhysical } from '../geometry/grid.js';
import type { LabelMap, Volume } from '../geometry/types.js';
import { readNifti } from '../formats/nifti.js';
import { labelComponents } from './components.js';
import { growRegionMask, regionGrow } from './region-grow.js';

const grid = (dims: Vec3, spacing: Vec3 = [1, 1, 1]): Grid => ({ dims, spacing_mm: spacing, origin_mm: [10, 20, 30], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] });
const empty = (g: Grid): LabelMap => ({ grid: g, data: new Uint8Array(g.dims[0] * g.dims[1] * g.dims[2]) });
const count = (a: ArrayLike<number>) => {
  let s = 0;
  for (let p = 0; p < a.length; p++) s += a[p] ? 1 : 0;
  return s;
};

/** Two 7×7×7 blocks of 500 HU joined by a one-voxel bridge, in −1000 HU air. */
function dumbbell(): Volume {
  const dims: Vec3 = [24, 9, 9];
  const data = new Int16Array(24 * 81).fill(-1000);
  const set = (i: number, j: number, k: number) => (data[i + j * 24 + k * 216] = 500);
  for (let k = 1; k <= 7; k++) for (let j = 1; j <= 7; j++) {
    for (let i = 1; i <= 7; i++) set(i, j, k);
    for (let i = 16; i <= 22; i++) set(i, j, k);
  }
  for (let i = 8; i <= 15; i++) set(i, 4, 4);
  return { grid: grid(dims), data };
}

describe('region growing (toys)', () => {
  it('grows 6-connected within the range from an mm seed; the bridge guard cuts a one-voxel neck', () => {
    const v = dumbbell();
    const seedMm = indexToPhysical(v.grid, 3, 3, 3);
    const plain = regionGrow(empty(v.grid), v, { seed: { mm: seedMm }, range_HU: [200, 3000] }, {});
    expect(plain.record.figures.regionVoxels).toBe(2 * 343 + 8);
    const guarded = regionGrow(empty(v.grid), v, { seed: { mm: seedMm }, range_HU: [200, 3000], bridgeRadius_mm: 1 }, {});
    // The seed's block stays whole (the one-voxel bridge stub next to it is within the
    // dilate-back margin), the other block and most of the bridge are cut.
    const out = guarded.output.data;
    expect(out[3 + 3 * 24 + 3 * 216]).toBe(1);
    expect(out[19 + 4 * 24 + 4 * 216]).toBe(0);
    const n = count(out);
    expect(n).toBeGreaterThanOrEqual(343);
    expect(n).toBeLessThanOrEqual(343 + 3);
    expect(guarded.record.figures.bridgeCutVoxels).toBe(2 * 343 + 8 - n);
  });

  it('reports a seed outside the range, refuses a seed outside the grid and an inverted range', () => {
    const v = dumbbell();
    const r = regionGrow(empty(v.grid), v, { seed: { voxel: [0, 0, 0] }, range_HU: [200, 3000] }, {});
    expect(r.record.findings?.[0]?.code).toBe('SEED_OUT_OF_RANGE');
    expect(count(r.output.data)).toBe(0);
    expect(() => regionGrow(empty(v.grid), v, { seed: { voxel: [30, 0, 0] }, range_HU: [200, 3000] }, {})).toThrow(/outside the 24×9×9 grid/);
    expect(() => regionGrow(empty(v.grid), v, { seed: { voxel: [3, 3, 3] }, range_HU: [300, 200] }, {})).toThrow(/LO ≤ HI/);
  });
});

describe('region growing on real CT (TotalSegmentator abdomen)', () => {
  it('from a bone seed: equals that 6-connected component of the range mask; the volume guard trips on soft tissue', () => {
    const v = readNifti(new Uint8Array(readFileSync(dataPath('labelled/totalsegmentator/example_ct.nii.gz'))), 'example_ct.nii.gz').volume;
    const mask = new Uint8Array(v.data.length);
    for (let p = 0; p < mask.length; p++) mask[p] = v.data[p]! >= 200 && v.data[p]! <= 3071 ? 1 : 0;
    const cc = labelComponents(mask, v.grid.dims, 6);
    let big = 1;
    for (let c = 2; c <= cc.count; c++) if (cc.sizes[c]! > cc.sizes[big]!) big = c;
    const seed = cc.labels.indexOf(big);
    const grown = growRegionMask(v, seed, 200, 3071);
    expect(grown.voxels).toBe(cc.sizes[big]);
    for (let p = 0; p < mask.length; p++) if ((grown.mask[p] === 1) !== (cc.labels[p] === big)) throw new Error(`voxel ${p} differs`);
    // Soft tissue (−200…200 HU) from the same place floods the whole body: more than 1 L.
    const [nx, ny] = v.grid.dims;
    const soft = regionGrow(empty(v.grid), v, { seed: { voxel: [seed % nx, Math.floor(seed / nx) % ny, Math.floor(seed / (nx * ny))] }, range_HU: [-3000, 3071], maxVolume_mm3: 1_000_000 }, {});
    expect(soft.record.findings?.some((f) => f.code === 'REGION_LEAK')).toBe(true);
    expect(count(soft.output.data)).toBe(0);
  });
});
