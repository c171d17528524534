import { describe, expect, it } from 'vitest';
import { gunzipSync } from 'fflate';
import { indexToPhysical, previewFactor, previewGrid, previewVolume, readNifti, writeNifti } from '@scan2print/core';
import { inflateIfGzip } from './inflate.js';
import { huOf } from './ct-voxels.js';
import { firstDifference, readData, TOTALSEG } from './spec-data.js';

// A real CT (TotalSegmentator's example, 122×101×112 at 3 mm, LPS direction from the file) read by core.
const gz = await readData(...TOTALSEG, 'example_ct.nii.gz');
const ct = readNifti(gz, 'example_ct.nii.gz').volume;

describe('the review preview (downsampled CT shown first)', () => {
  it('picks the smallest factor under the voxel budget', () => {
    expect(previewFactor([512, 512, 140], 1_500_000)).toBe(3);
    expect(previewFactor([512, 512, 140], 5_000_000)).toBe(3); // odd factors only: 2 would put no voxel at a block's centre
    expect(previewFactor([122, 101, 112], 1_500_000)).toBe(1);
    expect(previewFactor(ct.grid.dims, 100_000)).toBe(3); // 41×34×38 = 52,972
  });

  it('covers the same box in space: each preview voxel sits at the centre of its block', () => {
    const f = 3;
    const g = previewGrid(ct.grid, f);
    expect(g.dims).toEqual([41, 34, 38]);
    for (const [i, j, k] of [[0, 0, 0], [10, 7, 20], [39, 32, 36]] as const) {
      const centre = indexToPhysical(ct.grid, f * i + 1, f * j + 1, f * k + 1);
      const p = indexToPhysical(g, i, j, k);
      for (let a = 0; a < 3; a++) expect(p[a]).toBeCloseTo(centre[a]!, 4);
    }
  });

  it('holds the CT value at the centre of each block, the last voxel for a partial block at an edge', () => {
    const f = 3;
    const p = previewVolume(ct, f);
    const [nx, ny, nz] = ct.grid.dims;
    const [px, py] = p.grid.dims;
    const at = (i: number, n: number) => Math.min(n - 1, f * i + 1);
    // The last block along x holds 122 − 120 = 2 columns: its voxel is column 121.
    for (const [i, j, k] of [[0, 0, 0], [20, 17, 19], [40, 33, 37], [13, 30, 5]] as const) {
      expect(p.data[i + px * (j + py * k)]).toBe(Math.round(ct.data[at(i, nx) + nx * (at(j, ny) + ny * at(k, nz))]!));
    }
    expect(() => previewVolume(ct, 2)).toThrow(/odd/);
    // Not a flat picture: bone and air both survive.
    let hi = 0;
    let lo = 0;
    for (const v of p.data) {
      if (v > 300) hi++;
      else if (v < -500) lo++;
    }
    expect(hi).toBeGreaterThan(100);
    expect(lo).toBeGreaterThan(1000);
    // And it is written as a NIfTI core reads back on the preview grid.
    const back = readNifti(writeNifti(p), 'preview.nii').volume;
    expect(back.grid.dims).toEqual(p.grid.dims);
    expect(back.grid.spacing_mm[0]).toBeCloseTo(ct.grid.spacing_mm[0] * f, 4);
  });

  it('inflates volume.nii.gz natively to the same bytes as fflate, and leaves plain bytes alone', async () => {
    const raw = await inflateIfGzip(gz);
    const ref = gunzipSync(gz);
    expect(raw.length).toBe(ref.length);
    expect(firstDifference(raw, ref)).toBe(-1);
    expect(await inflateIfGzip(ref)).toBe(ref);
  });
});

describe('the CT voxels the volume worker keeps', () => {
  it('are a view into the file for int16 NIfTI, the same grid and values as core reads', async () => {
    const raw = await inflateIfGzip(gz);
    const ref = readNifti(raw, 'example_ct.nii').volume;
    // The convert job writes int16; write the real CT that way to check the view path.
    const int16 = writeNifti({ grid: ref.grid, data: Int16Array.from(ref.data, (v) => Math.round(v)) });
    const v = huOf(int16);
    expect(v.data.buffer).toBe(int16.buffer);
    expect(v.grid).toEqual(readNifti(int16, 'x.nii').volume.grid);
    expect(firstDifference(v.data, readNifti(int16, 'x.nii').volume.data)).toBe(-1);
    // Any other datatype goes through core's reader.
    const other = huOf(raw);
    expect(other.grid).toEqual(ref.grid);
    expect(firstDifference(other.data, ref.data)).toBe(-1);
  });
});
