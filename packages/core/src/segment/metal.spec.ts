import { describe, expect, it } from 'vitest';
import type { Grid } from '../geometry/grid.js';
import { flagMetal, METAL_THRESHOLD_HU } from './metal.js';

describe('metal flag (toy; the phantom case is in table.spec.ts)', () => {
  const g: Grid = { dims: [10, 10, 10], spacing_mm: [0.5, 0.5, 2], origin_mm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
  const hu = new Int16Array(1000).fill(40);
  for (let p = 0; p < 1000; p++) if (p % 10 < 4) hu[p] = 700; // "bone"
  for (const p of [555, 556, 565, 566, 655, 656, 665, 666, 455, 456, 465, 466, 355, 356, 365, 366, 255, 256, 265, 266, 155, 156, 165, 166]) hu[p] = 3071; // a 2×2×6 screw
  const labels = { grid: g, data: Uint8Array.from(hu, (h) => (h >= 226 ? 1 : 0)) };

  it('counts voxels ≥ 3000 HU, raises METAL above the minimum volume, labels unchanged', () => {
    const r = flagMetal(labels, { grid: g, data: hu }, {}, {});
    expect(METAL_THRESHOLD_HU).toBe(3000);
    expect(r.record.figures.metalVoxels).toBe(24);
    expect(r.record.figures.metal_mm3).toBe(12);
    expect(r.record.findings?.[0]?.code).toBe('METAL');
    expect(r.output).toBe(labels);
    const comps = r.record.figures.components as Array<{ voxels: number }>;
    expect(comps).toHaveLength(1);
    expect(comps[0]!.voxels).toBe(24);
  });

  it('below the minimum volume: figures only; remove clears the metal from the labels', () => {
    const quiet = flagMetal(labels, { grid: g, data: hu }, { minVolume_mm3: 20 }, {});
    expect(quiet.record.findings ?? []).toHaveLength(0);
    const removed = flagMetal(labels, { grid: g, data: hu }, { remove: true }, {});
    expect(removed.output.data[555]).toBe(0);
    expect(removed.output.data[0]).toBe(1);
    expect(labels.data[555]).toBe(1);
  });

  it('a Float32 volume (rescaled, resampled) gives the figures of the Int16 one: the two row searches agree', () => {
    const f32 = Float32Array.from(hu);
    f32[0] = NaN; // NaN is never metal
    const a = flagMetal(labels, { grid: g, data: hu }, {}, {});
    const b = flagMetal(labels, { grid: g, data: f32 }, {}, {});
    expect(b.record.figures).toEqual(a.record.figures);
    expect(b.record.figures.metalVoxels).toBe(24);
  });
});
