import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dataPath } from '../../../../test/data.js';
import type { Grid, Vec3 } from '../geometry/grid.js';
import type { LabelMap, Volume } from '../geometry/types.js';
import { readNifti } from '../formats/nifti.js';
import { keepComponents, labelComponents, measureComponents } from './components.js';
import { componentStats } from './stats.js';

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let p = 0; p < a.length; p++) s += a[p]!;
  return s;
}

function grid(dims: Vec3, spacing: Vec3 = [1, 1, 1]): Grid {
  return { dims, spacing_mm: spacing, origin_mm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
}

function boxes(dims: Vec3, list: Array<[Vec3, Vec3]>): Uint8Array {
  const m = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (const [lo, hi] of list) {
    for (let k = lo[2]; k <= hi[2]; k++) for (let j = lo[1]; j <= hi[1]; j++) for (let i = lo[0]; i <= hi[0]; i++) m[i + j * dims[0] + k * dims[0] * dims[1]] = 1;
  }
  return m;
}

describe('labelComponents (toys)', () => {
  it('two cubes touching at a corner: 2 components at 6 and 18, 1 at 26', () => {
    const dims: Vec3 = [8, 8, 8];
    const m = boxes(dims, [
      [[0, 0, 0], [2, 2, 2]],
      [[3, 3, 3], [5, 5, 5]],
    ]);
    expect(labelComponents(m, dims, 6).count).toBe(2);
    expect(labelComponents(m, dims, 18).count).toBe(2);
    const c26 = labelComponents(m, dims, 26);
    expect(c26.count).toBe(1);
    expect(c26.sizes[1]).toBe(54);
  });

  it('two cubes sharing an edge: joined at 18 and 26, not at 6', () => {
    const dims: Vec3 = [8, 8, 4];
    const m = boxes(dims, [
      [[0, 0, 0], [2, 2, 2]],
      [[3, 3, 0], [5, 5, 2]],
    ]);
    expect(labelComponents(m, dims, 6).count).toBe(2);
    expect(labelComponents(m, dims, 18).count).toBe(1);
  });

  it('numbers components by first voxel in memory order, whatever their size', () => {
    const dims: Vec3 = [10, 10, 3];
    // A small one first in memory (k = 0), a big one later, and a U shape whose arms meet late.
    const m = boxes(dims, [
      [[8, 0, 0], [8, 0, 0]],
      [[0, 2, 1], [9, 9, 2]],
    ]);
    const u = boxes(dims, [
      [[0, 0, 0], [0, 5, 0]],
      [[4, 0, 0], [4, 5, 0]],
      [[0, 6, 0], [4, 6, 0]],
    ]);
    const cc = labelComponents(m, dims, 6);
    expect(cc.count).toBe(2);
    expect(cc.labels[8]).toBe(1);
    expect(cc.sizes[2]).toBe(10 * 8 * 2);
    const cu = labelComponents(u, dims, 6);
    expect(cu.count).toBe(1);
    expect(cu.sizes[1]).toBe(6 + 6 + 5);
  });

  it('keep largest / seeds / min island on a toy', () => {
    const dims: Vec3 = [12, 4, 4];
    const g = grid(dims, [0.5, 1, 2]);
    const data = boxes(dims, [
      [[0, 0, 0], [1, 1, 1]], // 8 voxels = 8 mm³
      [[4, 0, 0], [6, 2, 2]], // 27 voxels = 27 mm³
      [[9, 0, 0], [9, 0, 0]], // 1 voxel
    ]);
    const labels: LabelMap = { grid: g, data };
    const largest = keepComponents(labels, undefined, { keep: 'largest' }, {});
    expect(sum(largest.output.data)).toBe(27);
    expect(largest.record.figures.componentsFound).toBe(3);
    const islands = keepComponents(labels, undefined, { minIsland_mm3: 5 }, {});
    expect(sum(islands.output.data)).toBe(35);
    const seeded = keepComponents(labels, undefined, { seeds: [{ mm: [4.5, 0, 0] }, { voxel: [0, 3, 3] }] }, {});
    expect(sum(seeded.output.data)).toBe(1);
    expect(seeded.output.data[9]).toBe(1);
    expect(seeded.record.findings?.[0]?.code).toBe('SEED_IN_BACKGROUND');
    expect(() => keepComponents(labels, undefined, { seeds: [{ voxel: [20, 0, 0] }] }, {})).toThrow(/outside the 12×4×4 grid/);
  });
});

describe('componentStats (toys)', () => {
  it('a box: volume, faces, bbox, centroid, HU', () => {
    const dims: Vec3 = [10, 10, 10];
    const g = grid(dims, [0.5, 1, 2]);
    const ids = Int32Array.from(boxes(dims, [[[2, 3, 4], [5, 5, 5]]]));
    const hu = new Int16Array(1000).fill(100);
    hu[2 + 3 * 10 + 4 * 100] = 300; // one voxel of 24 differs
    const [s] = componentStats(ids, 1, g, { grid: g, data: hu });
    expect(s!.voxels).toBe(4 * 3 * 2);
    expect(s!.volume_mm3).toBe(24);
    // Box 2 × 3 × 4 mm: faces 2·(2·3 + 2·4 + 3·4) = 52 mm².
    expect(s!.faceArea_mm2).toBeCloseTo(52, 6);
    expect(s!.bbox_mm.min).toEqual([0.75, 2.5, 7]);
    expect(s!.bbox_mm.max).toEqual([2.75, 5.5, 11]);
    expect(s!.centroid_mm).toEqual([1.75, 4, 9]);
    expect(s!.hu!.mean).toBeCloseTo(100 + 200 / 24, 1);
  });

  it('a digital ball: area estimate within 5 % of 4πr²', () => {
    const n = 61;
    const dims: Vec3 = [n, n, n];
    const ids = new Int32Array(n * n * n);
    const r = 25;
    for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) if ((i - 30) ** 2 + (j - 30) ** 2 + (k - 30) ** 2 <= r * r) ids[i + j * n + k * n * n] = 1;
    const [s] = componentStats(ids, 1, grid(dims));
    expect(Math.abs(s!.surfaceArea_mm2 / (4 * Math.PI * r * r) - 1)).toBeLessThan(0.05);
    expect(Math.abs(s!.faceArea_mm2 / (4 * Math.PI * r * r) - 1.5)).toBeLessThan(0.08);
  });
});

/** Reference labelling: scan in memory order, flood each new component (BFS). */
function bfsLabels(mask: ArrayLike<number>, dims: Vec3, conn: 6 | 18 | 26): Int32Array {
  const [nx, ny, nz] = dims;
  const offs: Vec3[] = [];
  for (let c = -1; c <= 1; c++) for (let b = -1; b <= 1; b++) for (let a = -1; a <= 1; a++) {
    const o = Math.abs(a) + Math.abs(b) + Math.abs(c);
    if (o > 0 && o <= (conn === 6 ? 1 : conn === 18 ? 2 : 3)) offs.push([a, b, c]);
  }
  const lab = new Int32Array(nx * ny * nz);
  let next = 0;
  const q = new Int32Array(nx * ny * nz);
  for (let p0 = 0; p0 < lab.length; p0++) {
    if (!mask[p0] || lab[p0]) continue;
    lab[p0] = ++next;
    let h = 0, t = 0;
    q[t++] = p0;
    while (h < t) {
      const p = q[h++]!;
      const i = p % nx, j = Math.floor(p / nx) % ny, k = Math.floor(p / (nx * ny));
      for (const [a, b, c] of offs) {
        const ii = i + a, jj = j + b, kk = k + c;
        if (ii < 0 || jj < 0 || kk < 0 || ii >= nx || jj >= ny || kk >= nz) continue;
        const r = ii + jj * nx + kk * nx * ny;
        if (mask[r] && !lab[r]) { lab[r] = next; q[t++] = r; }
      }
    }
  }
  return lab;
}

describe('components on real CT (TotalSegmentator abdomen, 3 mm)', () => {
  let volume: Volume;
  let bone: LabelMap;
  beforeAll(() => {
    volume = readNifti(new Uint8Array(readFileSync(dataPath('labelled/totalsegmentator/example_ct.nii.gz'))), 'example_ct.nii.gz').volume;
    const data = new Uint8Array(volume.data.length);
    for (let p = 0; p < data.length; p++) data[p] = volume.data[p]! >= 200 ? 1 : 0;
    bone = { grid: volume.grid, data };
  });

  it('equals a plain breadth-first labelling, numbering included, at 6, 18 and 26', () => {
    for (const conn of [6, 18, 26] as const) {
      const ours = labelComponents(bone.data, bone.grid.dims, conn);
      const ref = bfsLabels(bone.data, bone.grid.dims, conn);
      let diff = 0;
      for (let p = 0; p < ref.length; p++) if (ours.labels[p] !== ref[p]) diff++;
      expect(diff, `connectivity ${conn}`).toBe(0);
    }
  });

  it('26-connectivity never gives more components than 6, sizes add up, numbering is by first voxel', () => {
    const c6 = labelComponents(bone.data, bone.grid.dims, 6);
    const c26 = labelComponents(bone.data, bone.grid.dims, 26);
    const fg = sum(bone.data);
    expect(c26.count).toBeLessThan(c6.count);
    expect(c6.sizes.reduce((a, b) => a + b, 0)).toBe(fg);
    expect(c26.sizes.reduce((a, b) => a + b, 0)).toBe(fg);
    // First appearance of ids in memory order is 1, 2, 3, …
    let next = 1;
    for (let p = 0; p < c26.labels.length; p++) {
      const l = c26.labels[p]!;
      if (l === 0 || l < next) continue;
      expect(l).toBe(next);
      next++;
    }
    expect(next - 1).toBe(c26.count);
    // Every 6-component lies inside one 26-component.
    const owner = new Int32Array(c6.count + 1);
    for (let p = 0; p < c6.labels.length; p++) {
      const a = c6.labels[p]!;
      if (a === 0) continue;
      if (owner[a] === 0) owner[a] = c26.labels[p]!;
      else expect(owner[a]).toBe(c26.labels[p]);
    }
  });

  it('keeping the largest component keeps the spine/pelvis block and its statistics are plausible', () => {
    const r = keepComponents(bone, volume, { keep: 'largest' }, {});
    const comps = r.record.figures.components as ReturnType<typeof componentStats>;
    expect(comps).toHaveLength(1);
    const c = comps[0]!;
    // The skeleton here is tens of cm³ of bone above 200 HU, with a mean well above the threshold.
    expect(c.volume_mm3).toBeGreaterThan(200_000);
    expect(c.hu!.mean).toBeGreaterThan(300);
    expect(c.hu!.mean).toBeLessThan(800);
    expect(sum(r.output.data)).toBe(c.voxels);
    const islands = keepComponents(bone, volume, { minIsland_mm3: 1000 }, {});
    const kept = islands.record.figures.componentsKept as number;
    expect(kept).toBeGreaterThanOrEqual(1);
    expect(kept).toBeLessThan(islands.record.figures.componentsFound as number);
    const m = measureComponents(islands.output, volume, {}, {});
    expect(m.record.figures.componentsFound).toBe(kept);
  });
});
