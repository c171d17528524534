/**
 * The axial blob split (anatomy/blob-split.ts) on drawn planes: a thick disc joined by a
 * short bridge to a thin crescent around it (a femoral head in its socket where the joint space
 * shows but for a contact) becomes two blobs; a thin ring (skull wall, femoral cortex) and a lone
 * disc stay one. A crescent pressed all round the disc is a bigger disc: nothing can split it.
 */
import { describe, expect, it } from 'vitest';
import { splitPlaneBlobs, BLOB_SPLIT_DEFAULTS } from './blob-split.js';

const N = 40;

/** One plane of blob ids, 1 where `inside(x, y)` holds (cells of 2 mm, centre at 20, 20). */
function plane(inside: (x: number, y: number) => boolean): Int32Array {
  const a = new Int32Array(N * N);
  for (let j = 0; j < N; j++) for (let i = 0; i < N; i++) if (inside(i - 20, j - 20)) a[i + j * N] = 1;
  return a;
}

function ids(a: Int32Array): number[] {
  return [...new Set(a)].filter((v) => v > 0).sort((x, y) => x - y);
}

describe('axial blob split', () => {
  it('splits a 40 mm disc from the 6 mm crescent bridged to it, each cell to one part', () => {
    // Disc radius 10 cells (20 mm); crescent 3 cells thick at radius 12–14 on one side; a 3-cell bridge between.
    const a = plane((x, y) => {
      const r = Math.hypot(x, y);
      return r <= 10 || (r >= 12 && r <= 14 && x < -3) || (Math.abs(y) <= 1 && x >= -12 && x <= -9);
    });
    const before = a.filter((v) => v > 0).length;
    const next = splitPlaneBlobs(a, 0, N, N, [2, 2], 2);
    const parts = ids(a);
    expect(parts.length).toBe(2);
    expect(next).toBe(4);
    expect(a.filter((v) => v > 0).length).toBe(before);
    // The disc's centre and the crescent's middle are in different parts.
    expect(a[20 + 20 * N]).not.toBe(a[20 - 13 + 20 * N]);
  });

  it('leaves a thin ring and a lone disc whole', () => {
    const ring = plane((x, y) => Math.hypot(x, y) >= 15 && Math.hypot(x, y) <= 17);
    expect(splitPlaneBlobs(ring, 0, N, N, [2, 2], 2)).toBe(2);
    expect(ids(ring)).toEqual([1]);
    const disc = plane((x, y) => Math.hypot(x, y) <= 11);
    splitPlaneBlobs(disc, 0, N, N, [2, 2], 2);
    expect(ids(disc).length).toBe(1);
    expect(BLOB_SPLIT_DEFAULTS.depth_mm).toBeGreaterThan(0);
  });
});
