import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dataPath } from '../../../../test/data.js';
import type { Grid, Vec3 } from '../geometry/grid.js';
import type { Volume } from '../geometry/types.js';
import { readNifti } from '../formats/nifti.js';
import { morphology, morphologyMask, type MorphologyOp } from './morphology.js';
import { squaredDistanceToFeatures } from './morphology-edt.js';
import { edt3d } from '../evaluate/edt.js';

const idx = (d: Vec3, i: number, j: number, k: number) => i + j * d[0] + k * d[0] * d[1];

/** Brute force with the ball element; outside the grid = edge replication (our border rule). */
function bruteForce(mask: Uint8Array, dims: Vec3, sp: Vec3, op: 'dilate' | 'erode', r: number): Uint8Array {
  const [nx, ny, nz] = dims;
  const P = sp.map((s) => Math.floor(r / s + 1e-9));
  const offs: Vec3[] = [];
  for (let c = -P[2]!; c <= P[2]!; c++) for (let b = -P[1]!; b <= P[1]!; b++) for (let a = -P[0]!; a <= P[0]!; a++) {
    if ((a * sp[0]) ** 2 + (b * sp[1]) ** 2 + (c * sp[2]) ** 2 <= r * r * (1 + 1e-6)) offs.push([a, b, c]);
  }
  const cl = (x: number, n: number) => Math.min(n - 1, Math.max(0, x));
  const out = new Uint8Array(mask.length);
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
    let v = op === 'dilate' ? 0 : 1;
    for (const [a, b, c] of offs) {
      const m = mask[idx(dims, cl(i + a, nx), cl(j + b, ny), cl(k + c, nz))]!;
      if (op === 'dilate' && m) { v = 1; break; }
      if (op === 'erode' && !m) { v = 0; break; }
    }
    out[idx(dims, i, j, k)] = v;
  }
  return out;
}

function count(a: Uint8Array): number {
  let s = 0;
  for (let p = 0; p < a.length; p++) s += a[p]!;
  return s;
}

function expectSame(a: Uint8Array, b: Uint8Array, what: string): void {
  let diff = 0;
  for (let p = 0; p < a.length; p++) if (a[p] !== b[p]) diff++;
  expect(diff, `${what}: voxels differing`).toBe(0);
}

describe('distance transform', () => {
  it('agrees with the evaluation module’s exact EDT on real data (anisotropic)', () => {
    const v = readNifti(new Uint8Array(readFileSync(dataPath('labelled/totalsegmentator/example_ct.nii.gz'))), 'example_ct.nii.gz').volume;
    const m = new Uint8Array(v.data.length);
    for (let p = 0; p < m.length; p++) m[p] = v.data[p]! >= 200 ? 1 : 0;
    const sp: Vec3 = [0.7, 1.1, 2.9];
    const ours = squaredDistanceToFeatures(m, v.grid.dims, sp);
    const theirs = edt3d(m, v.grid.dims, sp, { squared: true });
    let worst = 0;
    for (let p = 0; p < m.length; p++) worst = Math.max(worst, Math.abs(ours[p]! - theirs[p]!) / Math.max(1, theirs[p]!));
    expect(worst).toBeLessThan(1e-5);
    // Capped transforms: the brute-force window path (small cap) and the envelope path
    // (large cap) give the same values as the full transform wherever they are ≤ the cap.
    for (const cap of [3.5 * 3.5, 40 * 40]) {
      const capped = squaredDistanceToFeatures(m, v.grid.dims, sp, undefined, cap);
      let bad = 0;
      for (let p = 0; p < m.length; p++) {
        const full = ours[p]!;
        if (full <= cap ? Math.abs(capped[p]! - full) > 1e-4 * Math.max(1, full) : capped[p]! <= cap) bad++;
      }
      expect(bad, `cap ${cap}`).toBe(0);
    }
  });
});

describe('morphology (toys)', () => {
  it('dilating one voxel on anisotropic spacing gives the ellipsoid with the right radii', () => {
    const dims: Vec3 = [31, 31, 11];
    const sp: Vec3 = [0.5, 0.8, 2.0];
    const m = new Uint8Array(31 * 31 * 11);
    m[idx(dims, 15, 15, 5)] = 1;
    const d = morphologyMask(m, dims, sp, 'dilate', 4);
    // Extent along each axis: floor(4 / s) voxels each side.
    const extent = (axis: number) => {
      let n = 0;
      for (let t = -20; t <= 20; t++) {
        const c = [15, 15, 5];
        c[axis]! += t;
        if (c[axis]! >= 0 && c[axis]! < dims[axis]! && d[idx(dims, c[0]!, c[1]!, c[2]!)]) n++;
      }
      return n;
    };
    expect(extent(0)).toBe(2 * 8 + 1);
    expect(extent(1)).toBe(2 * 5 + 1);
    expect(extent(2)).toBe(2 * 2 + 1);
    // Every voxel inside is within 4 mm, every voxel outside beyond it.
    for (let k = 0; k < 11; k++) for (let j = 0; j < 31; j++) for (let i = 0; i < 31; i++) {
      const r2 = ((i - 15) * 0.5) ** 2 + ((j - 15) * 0.8) ** 2 + ((k - 5) * 2) ** 2;
      expect(d[idx(dims, i, j, k)]).toBe(r2 <= 16 * (1 + 1e-6) ? 1 : 0);
    }
    // Eroding it back with the same radius gives the voxel again (closing of a point).
    expectSame(morphologyMask(d, dims, sp, 'erode', 4), m, 'erode(dilate(point))');
  });

  it('closing joins two plates 2 mm apart at r = 1.5 mm, not at r = 0.8 mm; an object on the border is not shrunk', () => {
    const dims: Vec3 = [20, 20, 20];
    const sp: Vec3 = [1, 1, 1];
    const m = new Uint8Array(8000);
    for (let k = 0; k < 20; k++) for (let j = 5; j < 15; j++) for (let i = 0; i < 20; i++) if (i <= 8 || i >= 11) m[idx(dims, i, j, k)] = 1;
    const c15 = morphologyMask(m, dims, sp, 'close', 1.5);
    const c08 = morphologyMask(m, dims, sp, 'close', 0.8);
    expect(c15[idx(dims, 9, 10, 0)]).toBe(1);
    expect(c15[idx(dims, 10, 10, 19)]).toBe(1);
    expect(count(c08)).toBe(count(m));
    // The plates touch the i, k borders: closing keeps all of them (extensive), and adds only the gap.
    for (let p = 0; p < m.length; p++) if (m[p] && !c15[p]) throw new Error('closing removed a voxel');
    expect(count(c15) - count(m)).toBe(2 * 10 * 20);
  });

  it('the stage records what it changed and refuses bad parameters', () => {
    const g: Grid = { dims: [5, 5, 5], spacing_mm: [1, 1, 1], origin_mm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
    const data = new Uint8Array(125);
    data[62] = 4;
    const r = morphology({ grid: g, data }, undefined, { op: 'dilate', radius_mm: 1, label: 2 }, {});
    expect(r.output.data[62]).toBe(4);
    expect(r.output.data[63]).toBe(2);
    expect(r.record.figures.addedVoxels).toBe(6);
    expect(() => morphology({ grid: g, data }, undefined, { op: 'dilate', radius_mm: -1 }, {})).toThrow(/radius/);
    expect(() => morphology({ grid: g, data }, undefined, { op: 'blur' as MorphologyOp, radius_mm: 1 }, {})).toThrow(/dilate, erode, open or close/);
  });
});

describe('morphology on real CT (TotalSegmentator abdomen bone)', () => {
  let v: Volume;
  let bone: Uint8Array;
  beforeAll(() => {
    v = readNifti(new Uint8Array(readFileSync(dataPath('labelled/totalsegmentator/example_ct.nii.gz'))), 'example_ct.nii.gz').volume;
    bone = new Uint8Array(v.data.length);
    for (let p = 0; p < bone.length; p++) bone[p] = v.data[p]! >= 200 ? 1 : 0;
  });

  // Both engines (bit-packed rows, distance transform) against brute force; r = 4 mm uses
  // the windowed float passes of the transform, r = 2.5 mm mixes rows of several widths.
  it.each([2.5, 4])('equals a brute-force ball element on a crop with anisotropic spacing (all four operations, r = %s mm)', (r) => {
    // A 40 × 36 × 24 crop through the spine, with spacing pretended anisotropic.
    const [nx, ny] = v.grid.dims;
    const dims: Vec3 = [40, 36, 24];
    const crop = new Uint8Array(40 * 36 * 24);
    for (let k = 0; k < 24; k++) for (let j = 0; j < 36; j++) for (let i = 0; i < 40; i++) crop[idx(dims, i, j, k)] = bone[40 + i + (30 + j) * nx + (40 + k) * nx * ny]!;
    expect(count(crop)).toBeGreaterThan(1000);
    const sp: Vec3 = [0.8, 1.0, 2.0];
    const dil = bruteForce(crop, dims, sp, 'dilate', r);
    const ero = bruteForce(crop, dims, sp, 'erode', r);
    const opened = bruteForce(ero, dims, sp, 'dilate', r);
    for (const engine of ['rows', 'edt'] as const) {
      expectSame(morphologyMask(crop, dims, sp, 'dilate', r, engine), dil, `dilate (${engine})`);
      expectSame(morphologyMask(crop, dims, sp, 'erode', r, engine), ero, `erode (${engine})`);
      expectSame(morphologyMask(crop, dims, sp, 'open', r, engine), opened, `open (${engine})`);
    }
    // Closing: brute force on a replicated margin, then cropped back.
    const P = 2 * Math.ceil(r / 0.8) + 1;
    const big: Vec3 = [40 + 2 * P, 36 + 2 * P, 24 + 2 * P];
    const padded = new Uint8Array(big[0] * big[1] * big[2]);
    const cl = (x: number, n: number) => Math.min(n - 1, Math.max(0, x));
    for (let k = 0; k < big[2]; k++) for (let j = 0; j < big[1]; j++) for (let i = 0; i < big[0]; i++) padded[idx(big, i, j, k)] = crop[idx(dims, cl(i - P, 40), cl(j - P, 36), cl(k - P, 24))]!;
    const closedBig = bruteForce(bruteForce(padded, big, sp, 'dilate', r), big, sp, 'erode', r);
    const closed = new Uint8Array(crop.length);
    for (let k = 0; k < 24; k++) for (let j = 0; j < 36; j++) for (let i = 0; i < 40; i++) closed[idx(dims, i, j, k)] = closedBig[idx(big, i + P, j + P, k + P)]!;
    expectSame(morphologyMask(crop, dims, sp, 'close', r, 'rows'), closed, 'close (rows)');
    expectSame(morphologyMask(crop, dims, sp, 'close', r, 'edt'), closed, 'close (edt)');
  });

  it('closing by 3 mm on the whole scan: extensive, idempotent, adds a measured volume; opening is anti-extensive', () => {
    const g = v.grid;
    const closed = morphologyMask(bone, g.dims, g.spacing_mm, 'close', 3);
    // The two engines agree on the whole scan too, at a radius whose element spans 3 × 3 voxels.
    expectSame(morphologyMask(bone, g.dims, g.spacing_mm, 'close', 4.5, 'edt'), morphologyMask(bone, g.dims, g.spacing_mm, 'close', 4.5, 'rows'), 'close 4.5 mm rows vs edt');
    for (let p = 0; p < bone.length; p++) if (bone[p] && !closed[p]) throw new Error(`closing removed voxel ${p}`);
    // Idempotent, except that edge replication of close(A) is not the closing of A's
    // replication: any difference must sit within one element radius of the grid border.
    const again = morphologyMask(closed, g.dims, g.spacing_mm, 'close', 3);
    const [nx, ny, nz] = g.dims;
    let interiorDiff = 0;
    let borderDiff = 0;
    for (let p = 0; p < bone.length; p++) {
      if (again[p] === closed[p]) continue;
      const i = p % nx, j = Math.floor(p / nx) % ny, k = Math.floor(p / (nx * ny));
      if (i < 2 || j < 2 || k < 2 || i >= nx - 2 || j >= ny - 2 || k >= nz - 2) borderDiff++;
      else interiorDiff++;
    }
    expect(interiorDiff).toBe(0);
    expect(borderDiff).toBeLessThan(10);
    const added = count(closed) - count(bone);
    // Closing with a 3 mm ball on 3 mm voxels bridges one-voxel gaps in the cortex: it adds
    // a real but bounded amount (between 2 % and 60 % of the mask).
    expect(added / count(bone)).toBeGreaterThan(0.02);
    expect(added / count(bone)).toBeLessThan(0.6);
    const opened = morphologyMask(bone, g.dims, g.spacing_mm, 'open', 3);
    for (let p = 0; p < bone.length; p++) if (opened[p] && !bone[p]) throw new Error(`opening added voxel ${p}`);
    expect(count(opened)).toBeLessThan(count(bone));
  });
});
