/**
 * Table removal on 0.45 mm pixels and 1 mm slices (2×2×1 body cells, the Philips phantom's
 * grid), where Int16 volumes take their own paths (cell sums read two voxels to a word, piece
 * statistics read in place, run-by-cell inside counts): an Int16 volume must give exactly
 * what a Float32 copy of it gives (the general path), and each component's inside fraction
 * must be what the full-grid body mask (bodyMask) says, voxel by voxel.
 */
import { describe, expect, it } from 'vitest';
import type { LabelMap, Volume } from '../geometry/types.js';
import type { Vec3 } from '../geometry/grid.js';
import { labelComponents } from './components.js';
import { bodyMask, removeTable } from './table.js';

/** A head-like phantom: soft tissue with a bone ring, a thin dense holder below it, noise. */
function phantom(nx: number, ny: number, nz: number): Int16Array {
  const hu = new Int16Array(nx * ny * nz);
  let x = 12345;
  const noise = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 16) % 61 - 30;
  };
  for (let k = 0, p = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, p++) {
        const r = Math.hypot((i - 30) / 20, (j - 24) / 17);
        let v = -1000;
        // soft tissue in a checkerboard (±200 HU): a cell's sum needs all four of its voxels
        if (r <= 1) v = r > 0.78 ? 800 : 40 + ((i + j) & 1 ? 200 : -200);
        if (j >= 47 && j <= 50 && i >= 4 && i <= nx - 3) v = 420; // the holder: 1.8 mm thick, 1.35 mm of air above it
        if ((i === 5 || i === 8) && j >= 30 && j <= 49 && k > 3) v = 430; // struts: runs that start or end mid-cell
        hu[p] = v + noise();
      }
    }
  }
  return hu;
}

function setUp(dims: Vec3): { int16: Volume; float32: Volume; labels: LabelMap } {
  const grid = { dims, spacing_mm: [0.45, 0.45, 1] as Vec3, origin_mm: [0, 0, 0] as Vec3, direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as [number, number, number, number, number, number, number, number, number] };
  const hu = phantom(...dims);
  const labels = new Uint8Array(hu.length);
  for (let p = 0; p < hu.length; p++) labels[p] = hu[p]! >= 300 ? 1 : 0;
  return { int16: { grid, data: hu }, float32: { grid, data: Float32Array.from(hu) }, labels: { grid, data: labels } };
}

// an even width (two voxels to a word) and an odd one (a short last cell)
describe.each([[62, 55, 16] as Vec3, [61, 55, 16] as Vec3])('remove-table on 2×2×1 body cells, %j', (...dims) => {
  const { int16, float32, labels } = setUp(dims);

  it('an Int16 volume gives what its Float32 copy gives: the same voxels, pieces and figures', () => {
    const a = removeTable(labels, int16);
    const b = removeTable(labels, float32);
    expect(a.record.params.bodyGridFactors).toEqual([2, 2, 1]);
    expect(Buffer.compare(Buffer.from(a.output.data), Buffer.from(b.output.data))).toBe(0);
    expect(a.record.figures).toEqual(b.record.figures);
    // the holder goes, the ring stays: the case is not trivial
    expect(a.record.figures.componentsRemoved).toBeGreaterThan(0);
    expect(a.record.figures.largestKept).not.toBeNull();
  });

  it('inside fractions are those of the full-grid body mask, voxel by voxel', () => {
    const r = removeTable(labels, int16);
    const body = bodyMask(int16).mask;
    const cc = labelComponents(labels.data, labels.grid.dims, 26);
    const size = new Float64Array(cc.count + 1);
    const inside = new Float64Array(cc.count + 1);
    for (let p = 0; p < body.length; p++) {
      const c = cc.labels[p]!;
      if (c === 0) continue;
      size[c]!++;
      inside[c]! += body[p]!;
    }
    const fractions = Array.from({ length: cc.count }, (_, t) => Math.round((1e4 * inside[t + 1]!) / size[t + 1]!) / 1e4);
    const removed = r.record.figures.components as Array<{ voxels: number; insideBodyFraction: number }>;
    expect(removed.length).toBeGreaterThan(0);
    for (const c of removed) {
      const t = Array.from(size).findIndex((n, i) => i > 0 && n === c.voxels && fractions[i - 1] === c.insideBodyFraction);
      expect(t, `a component of ${c.voxels} voxels with inside fraction ${c.insideBodyFraction}`).toBeGreaterThan(0);
    }
    const kept = r.record.figures.largestKept as { voxels: number; insideBodyFraction: number };
    const k = Array.from(size).indexOf(kept.voxels);
    expect(k).toBeGreaterThan(0);
    expect(kept.insideBodyFraction).toBe(fractions[k - 1]);
    // some run starts or ends mid-cell, and some component is partly inside
    expect(fractions.some((f) => f > 0 && f < 1)).toBe(true);
  });
});
