import { beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dataPath } from '../../../../test/data.js';
import type { Grid, Vec3 } from '../geometry/grid.js';
import type { LabelMap, Volume } from '../geometry/types.js';
import { importSeries, type DicomSource } from '../dicom/import.js';
import { readNifti } from '../formats/nifti.js';
import { fillHoles, fillHoles2DMask, fillHoles3DMask } from './fill-holes.js';

const grid = (dims: Vec3): Grid => ({ dims, spacing_mm: [1, 1, 1], origin_mm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] });

/** Reference: plain breadth-first flood of the background from the border (6-connected). */
function floodReference(mask: Uint8Array, dims: Vec3): Uint8Array {
  const [nx, ny, nz] = dims;
  const out = mask.slice();
  const seen = new Uint8Array(mask.length);
  const q: number[] = [];
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
    if (i && j && k && i < nx - 1 && j < ny - 1 && k < nz - 1) continue;
    const p = i + j * nx + k * nx * ny;
    if (!mask[p] && !seen[p]) { seen[p] = 1; q.push(p); }
  }
  while (q.length) {
    const p = q.pop()!;
    const i = p % nx, j = Math.floor(p / nx) % ny, k = Math.floor(p / (nx * ny));
    const nb = [i > 0 ? p - 1 : -1, i < nx - 1 ? p + 1 : -1, j > 0 ? p - nx : -1, j < ny - 1 ? p + nx : -1, k > 0 ? p - nx * ny : -1, k < nz - 1 ? p + nx * ny : -1];
    for (const r of nb) if (r >= 0 && !mask[r] && !seen[r]) { seen[r] = 1; q.push(r); }
  }
  for (let p = 0; p < out.length; p++) if (!mask[p] && !seen[p]) out[p] = 1;
  return out;
}

function count(a: ArrayLike<number>): number {
  let s = 0;
  for (let p = 0; p < a.length; p++) s += a[p] ? 1 : 0;
  return s;
}

describe('fill holes (toys)', () => {
  it('a hollow cube is filled in 3D; a cube with a tunnel to the outside is not', () => {
    const dims: Vec3 = [9, 9, 9];
    const m = new Uint8Array(729);
    for (let k = 1; k <= 7; k++) for (let j = 1; j <= 7; j++) for (let i = 1; i <= 7; i++) {
      if (i === 1 || i === 7 || j === 1 || j === 7 || k === 1 || k === 7) m[i + j * 9 + k * 81] = 1;
    }
    const closed = m.slice();
    expect(fillHoles3DMask(closed, dims)).toBe(125);
    const open = m.slice();
    open[4 + 4 * 9 + 1 * 81] = 0; // a hole in the bottom wall
    expect(fillHoles3DMask(open, dims)).toBe(0);
    // Per axial slice the open cube still has closed rings in slices 2..6 (5 × 25 voxels),
    // and the opened bottom slice gets its one-voxel hole back.
    const open2d = open.slice();
    expect(fillHoles2DMask(open2d, dims, 2)).toBe(5 * 25 + 1);
    // Along i, the slices i = 2..6 are rings too, but the hole breaks the ring of slice
    // i = 4, whose inside then opens to the outside: 4 × 25 voxels, the hole stays open.
    const alongI = open.slice();
    expect(fillHoles2DMask(alongI, dims, 0)).toBe(4 * 25);
  });

  it('the stage keeps existing labels and records what it filled', () => {
    const dims: Vec3 = [5, 5, 3];
    const data = new Uint8Array(75);
    for (let j = 1; j <= 3; j++) for (let i = 1; i <= 3; i++) data[i + j * 5 + 5 * 5] = i === 2 && j === 2 ? 0 : 7;
    const r = fillHoles({ grid: grid(dims), data }, undefined, { mode: '2d', label: 3 }, {});
    expect(r.output.data[2 + 2 * 5 + 25]).toBe(3);
    expect(r.output.data[1 + 1 * 5 + 25]).toBe(7);
    expect(r.record.figures.filled_voxels).toBe(1);
    expect(() => fillHoles({ grid: grid(dims), data }, undefined, { mode: 'x' as never }, {})).toThrow(/3d, 2d or both/);
  });
});

describe('fill holes on real CT', () => {
  it('TotalSegmentator abdomen bone at 200 HU: 3D fill equals a plain flood, and 3D ⊆ per-slice fill', () => {
    const v = readNifti(new Uint8Array(readFileSync(dataPath('labelled/totalsegmentator/example_ct.nii.gz'))), 'example_ct.nii.gz').volume;
    const m = new Uint8Array(v.data.length);
    for (let p = 0; p < m.length; p++) m[p] = v.data[p]! >= 200 ? 1 : 0;
    const ref = floodReference(m, v.grid.dims);
    const f3 = m.slice();
    const n3 = fillHoles3DMask(f3, v.grid.dims);
    expect(n3).toBeGreaterThan(0);
    expect(n3).toBe(count(ref) - count(m));
    for (let p = 0; p < m.length; p++) if (f3[p] !== ref[p]) throw new Error(`3D fill differs from the flood at voxel ${p}`);
    // A 3D cavity is enclosed in every slice through it.
    for (const axis of [0, 1, 2] as const) {
      const f2 = m.slice();
      fillHoles2DMask(f2, v.grid.dims, axis);
      for (let p = 0; p < m.length; p++) if (f3[p] && !f2[p]) throw new Error(`voxel ${p} filled in 3D but not per slice along axis ${axis}`);
    }
    // Per-slice filling recovers the marrow: much more than the closed 3D cavities.
    const f2 = m.slice();
    expect(fillHoles2DMask(f2, v.grid.dims, 2)).toBeGreaterThan(3 * n3);
  });

  describe('ct/philips-head-phantom-1mm skull at 226 HU', () => {
    let volume: Volume;
    let bone: LabelMap;
    beforeAll(async () => {
      const dir = dataPath('ct/philips-head-phantom-1mm');
      const sources: DicomSource[] = readdirSync(dir).sort().filter((n) => statSync(join(dir, n)).isFile()).map((n) => ({ name: join(dir, n), read: async () => new Uint8Array(readFileSync(join(dir, n))) }));
      volume = (await importSeries(sources)).output.volume;
      const data = new Uint8Array(volume.data.length);
      for (let p = 0; p < data.length; p++) data[p] = volume.data[p]! >= 226 ? 1 : 0;
      bone = { grid: volume.grid, data };
    });

    it('3D fills the enclosed cavities (diploë, sinus air cells), a few hundred voxels, never the air around the head', () => {
      const r = fillHoles(bone, volume, { mode: '3d' }, {});
      const filled = r.record.figures.filled3d_voxels as number;
      // scipy.ndimage.binary_fill_holes on the same mask fills 529 voxels (mean −453 HU).
      expect(filled).toBe(529);
      const [nx, ny, nz] = volume.grid.dims;
      let sumHU = 0;
      for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
        const p = i + j * nx + k * nx * ny;
        if (!r.output.data[p] || bone.data[p]) continue;
        sumHU += volume.data[p]!;
        if (i === 0 || j === 0 || k === 0 || i === nx - 1 || j === ny - 1 || k === nz - 1) throw new Error(`border voxel ${p} filled`);
      }
      expect(sumHU / filled).toBeCloseTo(-453.02, 1);
    });

    it('per axial slice, a slice where the skull is a closed ring gets its whole inside (the brain) filled', () => {
      const [nx, ny] = volume.grid.dims;
      const plane = nx * ny;
      const k = 80;
      const slice = Uint8Array.from(bone.data.subarray(k * plane, (k + 1) * plane));
      const filledSlice = slice.slice();
      const n = fillHoles2DMask(filledSlice, [nx, ny, 1], 2);
      // Independently: along the centre row and column, the pixels between the first and
      // last bone pixel are all inside the ring.
      // (The holder lies beside the skull at i < 94 and i > 401: search inside that.)
      const j0 = ny >> 1;
      let first = -1, last = -1;
      for (let i = 90; i < 410; i++) if (slice[i + j0 * nx]) { if (first < 0) first = i; last = i; }
      expect(last - first).toBeGreaterThan(200);
      for (let i = first; i <= last; i++) expect(filledSlice[i + j0 * nx]).toBe(1);
      expect(filledSlice[0]).toBe(0);
      // scipy.ndimage.binary_fill_holes on this slice fills 82129 pixels (≈ 167 cm²).
      expect(n).toBe(82129);
    });
  });
});
