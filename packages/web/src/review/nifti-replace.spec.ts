import { describe, expect, it } from 'vitest';
import { parseNiftiHeader, readNiftiLabels } from '@scan2print/core';
import { niftiBytes, replaceNiftiVoxels } from './nifti-replace.js';
import { firstDifference, readData, TOTALSEG } from './spec-data.js';

describe('edited label map as NIfTI in the same geometry', () => {
  it('keeps the real file\'s header byte for byte and replaces only the voxels', async () => {
    const file = await readData(...TOTALSEG, 'example_seg_fast_force_split.nii.gz');
    const orig = readNiftiLabels(file, 'seg');
    const edited = (orig.data as Uint8Array).slice();
    let cleared = 0;
    // Remove L5 (label 27).
    for (let i = 0; i < edited.length; i++) {
      if (edited[i] === 27) {
        edited[i] = 0;
        cleared++;
      }
    }
    expect(cleared).toBeGreaterThan(100);
    const out = replaceNiftiVoxels(file, edited);
    expect(out[0]).toBe(0x1f);
    const raw = niftiBytes(out);
    const rawOrig = niftiBytes(file);
    const off = parseNiftiHeader(rawOrig, 'seg').voxOffset;
    expect(firstDifference(raw.subarray(0, off), rawOrig.subarray(0, off))).toBe(-1);
    const back = readNiftiLabels(out, 'edited');
    expect(back.grid).toEqual(orig.grid);
    expect(firstDifference(back.data, edited)).toBe(-1);
  });

  it('refuses a voxel array of another size', async () => {
    const file = await readData(...TOTALSEG, 'example_seg_fast_force_split.nii.gz');
    expect(() => replaceNiftiVoxels(file, new Uint8Array(10))).toThrow(/10 voxels/);
  });
});
