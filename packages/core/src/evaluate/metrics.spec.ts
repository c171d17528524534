import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dataPath } from '../../../../test/data.js';
import type { Grid, Vec3 } from '../geometry/grid.js';
import type { LabelMap } from '../geometry/types.js';
import { readNiftiLabels } from '../formats/nifti.js';
import { parseLabelRanges, resampleLabelsNearest } from './labels.js';
import { compareMasks, percentileSorted } from './metrics.js';
import { evaluateSegmentation } from './stage.js';

function grid(dims: Vec3, spacing: Vec3): Grid {
  return { dims, spacing_mm: spacing, origin_mm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
}

function box(dims: Vec3, lo: Vec3, hi: Vec3): Uint8Array {
  const m = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (let k = lo[2]; k <= hi[2]; k++) for (let j = lo[1]; j <= hi[1]; j++) for (let i = lo[0]; i <= hi[0]; i++) m[i + dims[0] * (j + dims[1] * k)] = 1;
  return m;
}

function ball(g: Grid, c: Vec3, r_mm: number): Uint8Array {
  const [nx, ny, nz] = g.dims;
  const m = new Uint8Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
    const d2 = ((i - c[0]) * g.spacing_mm[0]) ** 2 + ((j - c[1]) * g.spacing_mm[1]) ** 2 + ((k - c[2]) * g.spacing_mm[2]) ** 2;
    if (d2 <= r_mm * r_mm) m[i + nx * (j + ny * k)] = 1;
  }
  return m;
}

/** Independent brute force: boundary voxels by explicit neighbour test, all-pairs distances. */
function bruteSurfaceDistances(a: Uint8Array, b: Uint8Array, g: Grid): { ab: number[]; ba: number[] } {
  const [nx, ny, nz] = g.dims;
  const pts = (m: Uint8Array) => {
    const out: Vec3[] = [];
    const at = (i: number, j: number, k: number) => (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz ? 0 : m[i + nx * (j + ny * k)]!);
    for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
      if (at(i, j, k) && (!at(i - 1, j, k) || !at(i + 1, j, k) || !at(i, j - 1, k) || !at(i, j + 1, k) || !at(i, j, k - 1) || !at(i, j, k + 1))) {
        out.push([i * g.spacing_mm[0], j * g.spacing_mm[1], k * g.spacing_mm[2]]);
      }
    }
    return out;
  };
  const pa = pts(a), pb = pts(b);
  const dir = (from: Vec3[], to: Vec3[]) => from.map((p) => Math.sqrt(Math.min(...to.map((q) => (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 + (p[2] - q[2]) ** 2))));
  return { ab: dir(pa, pb), ba: dir(pb, pa) };
}

describe('segmentation metrics', () => {
  it('two offset cubes: Dice 0.7, Jaccard 7/13, Hausdorff 3 voxels', () => {
    const dims: Vec3 = [32, 30, 30];
    const a = box(dims, [10, 10, 10], [19, 19, 19]);
    const b = box(dims, [13, 10, 10], [22, 19, 19]);
    const { metrics: m, details } = compareMasks(a, b, grid(dims, [1, 1, 1]));
    expect(m.dice).toBeCloseTo(0.7, 12);
    expect(m.jaccard).toBeCloseTo(700 / 1300, 12);
    expect(m.sensitivity).toBeCloseTo(0.7, 12);
    expect(m.precision).toBeCloseTo(0.7, 12);
    expect(m.volumeDiffPercent).toBe(0);
    expect(m.hausdorff_mm).toBeCloseTo(3, 6);
    expect(details.ref_surface_voxels).toBe(1000 - 512);
    // ASSD and HD95 against the brute-force surface distances
    const bf = bruteSurfaceDistances(a, b, grid(dims, [1, 1, 1]));
    const all = [...bf.ab, ...bf.ba];
    expect(m.assd_mm!).toBeCloseTo(all.reduce((s, x) => s + x, 0) / all.length, 5);
    const p95 = (xs: number[]) => percentileSorted(Float64Array.from(xs).sort(), 95);
    expect(m.hausdorff95_mm!).toBeCloseTo(Math.max(p95(bf.ab), p95(bf.ba)), 5);
    expect(details.hausdorff95_pooled_mm!).toBeCloseTo(p95(all), 5);
    // doubling the x spacing doubles the x offset: Hausdorff 6 mm, Dice unchanged
    const wide = compareMasks(a, b, grid(dims, [2, 1, 1])).metrics;
    expect(wide.hausdorff_mm).toBeCloseTo(6, 6);
    expect(wide.dice).toBeCloseTo(0.7, 12);
  });

  it('anisotropic 0.5×0.5×2.5 mm: a shift of 2 slices is 5 mm, of 2 columns 1 mm', () => {
    const dims: Vec3 = [24, 24, 16];
    const g = grid(dims, [0.5, 0.5, 2.5]);
    const a = box(dims, [6, 6, 4], [15, 15, 10]);
    const up = compareMasks(a, box(dims, [6, 6, 6], [15, 15, 12]), g).metrics;
    expect(up.hausdorff_mm).toBeCloseTo(5, 5);
    expect(up.dice).toBeCloseTo(5 / 7, 12);
    const side = compareMasks(a, box(dims, [8, 6, 4], [17, 15, 10]), g).metrics;
    expect(side.hausdorff_mm).toBeCloseTo(1, 5);
    expect(side.dice).toBeCloseTo(0.8, 12);
    // random blobs: every distance figure equals brute force
    const r = (s: number) => ((Math.sin(s * 12.9898) * 43758.5453) % 1 + 1) % 1;
    const ra = new Uint8Array(a.length), rb = new Uint8Array(a.length);
    for (let p = 0; p < a.length; p++) { ra[p] = a[p]! && r(p) < 0.9 ? 1 : 0; rb[p] = r(p + 7777) < 0.05 ? 1 : 0; }
    const m = compareMasks(ra, rb, g).metrics;
    const bf = bruteSurfaceDistances(ra, rb, g);
    expect(m.hausdorff_mm!).toBeCloseTo(Math.max(...bf.ab, ...bf.ba), 4);
    expect(m.assd_mm!).toBeCloseTo([...bf.ab, ...bf.ba].reduce((s, x) => s + x, 0) / (bf.ab.length + bf.ba.length), 4);
  });

  it('a sphere and its dilation by r: Dice from the volumes, Hausdorff r within a voxel', () => {
    const g = grid([64, 64, 64], [0.5, 0.5, 0.5]);
    const R = 10, dr = 2.5;
    const a = ball(g, [32, 32, 32], R);
    const b = ball(g, [32, 32, 32], R + dr);
    const { metrics: m, details } = compareMasks(a, b, g);
    const analytic = (2 * R ** 3) / (R ** 3 + (R + dr) ** 3);
    expect(Math.abs(m.dice! - analytic)).toBeLessThan(0.01);
    expect(m.dice).toBeCloseTo((2 * details.ref_voxels) / (details.ref_voxels + details.seg_voxels), 12);
    expect(m.sensitivity).toBe(1);
    expect(m.volumeDiffPercent!).toBeCloseTo(100 * ((R + dr) ** 3 / R ** 3 - 1), -1);
    expect(Math.abs(m.hausdorff_mm! - dr)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(m.assd_mm! - dr)).toBeLessThanOrEqual(0.5);
    expect(m.hausdorff95_mm!).toBeLessThanOrEqual(m.hausdorff_mm!);
  });

  it('handles empty masks without NaN', () => {
    const dims: Vec3 = [8, 8, 8];
    const g = grid(dims, [1, 1, 1]);
    const empty = new Uint8Array(512);
    const both = compareMasks(empty, empty, g).metrics;
    expect(both.dice).toBe(1);
    expect(both.hausdorff_mm).toBe(0);
    const one = compareMasks(box(dims, [1, 1, 1], [3, 3, 3]), empty, g).metrics;
    expect(one.dice).toBe(0);
    expect(one.hausdorff_mm).toBeNull();
    expect(one.precision).toBeNull();
    expect(JSON.stringify(one)).not.toContain('NaN');
  });

  it('parses label ranges and refuses bad ones', () => {
    expect(parseLabelRanges('25-27, 69,91-92')).toEqual([25, 26, 27, 69, 91, 92]);
    expect(() => parseLabelRanges('5-3', '--ref-labels')).toThrowError(/--ref-labels: range "5-3" runs backwards/);
    expect(() => parseLabelRanges('a-b')).toThrowError(/not a label/);
  });

  it('resamples the reference onto a differently stored segmentation grid and says so', () => {
    const file = dataPath('labelled/totalsegmentator/example_seg_fast_force_split.nii.gz');
    const seg = readNiftiLabels(new Uint8Array(readFileSync(file)), file);
    const [nx, ny, nz] = seg.grid.dims;
    // the same image stored with i reversed: axis I flipped, origin at the other end
    const g = seg.grid;
    const flipped: LabelMap = {
      grid: {
        dims: [nx, ny, nz],
        spacing_mm: g.spacing_mm,
        origin_mm: [g.origin_mm[0] + (nx - 1) * g.spacing_mm[0] * g.direction[0], g.origin_mm[1] + (nx - 1) * g.spacing_mm[0] * g.direction[1], g.origin_mm[2] + (nx - 1) * g.spacing_mm[0] * g.direction[2]],
        direction: [-g.direction[0], -g.direction[1], -g.direction[2], ...g.direction.slice(3)] as Grid['direction'],
      },
      data: new Uint8Array(seg.data.length),
    };
    for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) flipped.data[nx - 1 - i + nx * (j + ny * k)] = seg.data[i + nx * (j + ny * k)]!;
    const back = resampleLabelsNearest(flipped, seg.grid);
    let diff = 0;
    for (let p = 0; p < seg.data.length; p++) if (back.data[p] !== seg.data[p]) diff++;
    expect(diff).toBe(0);
    const r = evaluateSegmentation(flipped, seg, { refLabels: '25-50,69-78,91-116', segLabels: [25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, ...Array.from({ length: 26 }, (_, q) => 91 + q)] });
    expect(r.output.dice).toBe(1);
    expect(r.output.hausdorff_mm).toBe(0);
    expect(r.output.assd_mm).toBe(0);
    expect(r.record.corrections?.[0]).toMatch(/resampled onto the segmentation grid.*nearest neighbour/);
    expect(r.record.params.refLabels).toBe('25-50,69-78,91-116');
    expect(r.record.params.segLabels).toBe('25-50,69-78,91-116');
    expect(r.record.figures.ref_voxels as number).toBeGreaterThan(10000);
  });
});
