import { describe, expect, it } from 'vitest';
import { readNifti, thresholdVolume } from '@scan2print/core';
import { identityLayout, nativeToRas, rasToNative, thresholdToRas, type RasLayout } from './ras-order.js';
import { firstDifference, readData, TOTALSEG } from './spec-data.js';

// A real CT (TotalSegmentator's example, 122×101×112 at 3 mm) read by core.
const ct = readNifti(await readData(...TOTALSEG, 'example_ct.nii.gz'), 'example_ct.nii.gz').volume;
const [nx, ny, nz] = ct.grid.dims;

/** LPS file order seen in RAS: x and y flipped (what NiiVue computes for an LPS-written file). */
const flipped: RasLayout = { dims: [nx, ny, nz], start: [nx - 1, (ny - 1) * nx, 0], step: [-1, -nx, nx * ny] };
/** A permuted layout (RAS x = native j, RAS y = native i). */
const swapped: RasLayout = { dims: [ny, nx, nz], start: [0, 0, 0], step: [nx, 1, nx * ny] };

describe('RAS order (NiiVue drawing bitmap) ↔ file order', () => {
  it('round-trips the real label map through flipped and permuted layouts', () => {
    const labels = thresholdVolume(ct, 200, 3071).data as Uint8Array;
    for (const l of [identityLayout([nx, ny, nz]), flipped, swapped]) {
      const ras = nativeToRas(labels, l);
      expect(firstDifference(rasToNative(ras, l), labels)).toBe(-1);
    }
    // Flipping x and y moves voxel (0, 0, k) to RAS (nx-1, ny-1, k).
    const ras = nativeToRas(labels, flipped);
    const k = Math.floor(nz / 2);
    for (const [i, j] of [[10, 20], [60, 50], [121, 0]] as const) {
      expect(ras[nx - 1 - i + nx * (ny - 1 - j + ny * k)]).toBe(labels[i + nx * (j + ny * k)]);
    }
  });

  it('thresholds straight into RAS order: the same voxels as core\'s threshold, reordered', () => {
    for (const l of [identityLayout([nx, ny, nz]), flipped, swapped]) {
      const ref = thresholdVolume(ct, 150, 3071).data as Uint8Array;
      const { labels, count } = thresholdToRas(ct.data, l, 150, 3071);
      expect(firstDifference(labels, nativeToRas(ref, l))).toBe(-1);
      expect(count).toBe(ref.reduce((s, v) => s + v, 0));
      expect(count).toBeGreaterThan(1000);
    }
  });
});
