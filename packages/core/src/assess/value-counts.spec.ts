import { describe, expect, it } from 'vitest';
import type { Grid } from '../geometry/grid.js';
import { int16Summary, maxOfCounts, SUMMARY_BLOCK } from './value-counts.js';
import { histogramStats } from './content.js';
import { huHistogram } from '../segment/auto-threshold-histogram.js';
import { flagMetal } from '../segment/metal.js';

/** A 37×23×11 volume (odd sizes: blocks straddle rows, a short last block) of pseudo-random HU with a few metal voxels. */
function volume(): { grid: Grid; data: Int16Array } {
  const grid: Grid = { dims: [37, 23, 11], spacing_mm: [0.5, 0.5, 1], origin_mm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
  const data = new Int16Array(37 * 23 * 11);
  let s = 12345;
  for (let p = 0; p < data.length; p++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[p] = (s % 4000) - 1100;
  }
  for (const p of [0, 36, 400, 401, 438, 5000, data.length - 1]) data[p] = 3071;
  data[7] = -32768;
  return { grid, data };
}

describe('int16 value counts and block maxima', () => {
  it('count each value and give each block its maximum, computed once per array', () => {
    const { data } = volume();
    const s = int16Summary(data);
    const counts = new Uint32Array(65536);
    for (const x of data) counts[x + 32768]!++;
    expect(s.counts).toEqual(counts);
    expect(s.blockMax.length).toBe(Math.ceil(data.length / SUMMARY_BLOCK));
    for (let b = 0; b < s.blockMax.length; b++) expect(s.blockMax[b]).toBe(Math.max(...data.subarray(b * SUMMARY_BLOCK, (b + 1) * SUMMARY_BLOCK)));
    expect(maxOfCounts(s.counts)).toBe(3071);
    expect(int16Summary(data)).toBe(s);
  });

  it('the histograms and the metal flag from them equal those of the same values as Float32', () => {
    const { grid, data } = volume();
    const f32 = Float32Array.from(data);
    const a = histogramStats({ grid, data });
    const b = histogramStats({ grid, data: f32 });
    expect([a.min, a.max, a.inRange, a.belowAir, a.metal, a.metalMax]).toEqual([b.min, b.max, b.inRange, b.belowAir, b.metal, b.metalMax]);
    expect(a.bins).toEqual(b.bins);
    expect(huHistogram(data, -1100.5, 3100.5, 1)).toEqual(huHistogram(f32, -1100.5, 3100.5, 1));
    // labels that leave some metal out: the metal is found wherever it is
    const labels = { grid, data: Uint8Array.from(data, (h, p) => (h >= 200 && p !== 400 ? 1 : 0)) };
    const mi = flagMetal(labels, { grid, data }, {}, {});
    const mf = flagMetal(labels, { grid, data: f32 }, {}, {});
    expect(mi.record.figures.metalVoxels).toBe(7);
    expect(mi.record.figures.metalVoxelsInLabels).toBe(6);
    expect(mi.record.figures).toEqual(mf.record.figures);
    // no voxel reaches the level: none found, the maximum still given
    const high = flagMetal(labels, { grid, data }, { threshold_HU: 3072 }, {});
    expect(high.record.figures.metalVoxels).toBe(0);
    expect(high.record.figures.maxHU).toBe(3071);
  });
});
