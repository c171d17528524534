/**
 * forest/order.ts on label maps built here: centroid heights in patient z (a tilted grid
 * included), the pairs anatomy orders, and the finding only where a group lies above one that
 * must be above it by more than the tolerance, both large enough. The real cases (the GE head
 * under threshold-forest: the finding; example_ct: none) are in identify-head.spec and
 * forest-dice.spec.
 */
import { describe, expect, it } from 'vitest';
import type { Grid } from '../../geometry/grid.js';
import type { LabelMap } from '../../geometry/types.js';
import { groupPlaces, orderFinding, orderedPairs, ORDER_MIN_MM3, ORDER_TOLERANCE_MM } from './order.js';

const GROUPS = ['vertebrae_lumbar', 'sacrum', 'hip_left', 'hip_right', 'femur_left', 'femur_right', 'ribs_left'];
const label = (g: string) => GROUPS.indexOf(g) + 1;

/** A 20×20×nz map of 1 mm voxels; `blocks` fills slices k0 … k1 − 1 of columns i0 … i0 + 9 with a label. */
function map(nz: number, blocks: { g: string; k0: number; k1: number; i0?: number }[], grid: Partial<Grid> = {}): LabelMap {
  const g: Grid = { dims: [20, 20, nz], spacing_mm: [1, 1, 1], origin_mm: [0, 0, -50], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], ...grid };
  const data = new Uint8Array(20 * 20 * nz);
  for (const b of blocks) {
    for (let k = b.k0; k < b.k1; k++) for (let j = 0; j < 20; j++) for (let i = b.i0 ?? 0; i < (b.i0 ?? 0) + 10; i++) data[i + 20 * j + 400 * k] = label(b.g);
  }
  return { grid: g, data };
}

describe('forest group order', () => {
  it('centroid heights in patient mm, through the grid’s axes', () => {
    const m = map(100, [{ g: 'sacrum', k0: 60, k1: 80 }, { g: 'femur_left', k0: 0, k1: 20, i0: 10 }]);
    const p = groupPlaces(m, GROUPS.length);
    expect(p.counts[label('sacrum')]).toBe(20 * 20 * 10);
    expect(p.z_mm[label('sacrum')]).toBeCloseTo(-50 + 69.5, 9);
    expect(p.z_mm[label('femur_left')]).toBeCloseTo(-50 + 9.5, 9);
    expect(Number.isNaN(p.z_mm[label('hip_right')]!)).toBe(true);
    // a grid turned about x (gantry tilt corrected): k runs along (0, sin, cos), j along (0, cos, −sin)
    const t = (20 * Math.PI) / 180;
    const tilted = map(100, [{ g: 'sacrum', k0: 60, k1: 80 }], { direction: [1, 0, 0, 0, Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t)] });
    const z = groupPlaces(tilted, GROUPS.length).z_mm[label('sacrum')]!;
    expect(z).toBeCloseTo(-50 + 9.5 * -Math.sin(t) + 69.5 * Math.cos(t), 9);
  });

  it('pairs: the spine in order, each femur below its hip and the sacrum; nothing for ribs or across sides', () => {
    const pairs = orderedPairs(GROUPS).map((p) => p.join(' > '));
    expect(pairs).toEqual(['vertebrae_lumbar > sacrum', 'hip_left > femur_left', 'sacrum > femur_left', 'hip_right > femur_right', 'sacrum > femur_right']);
    expect(orderedPairs(['vertebrae_thoracic', 'vertebrae_cervical', 'sacrum']).map((p) => p.join(' > '))).toEqual([
      'vertebrae_cervical > vertebrae_thoracic',
      'vertebrae_cervical > sacrum',
      'vertebrae_thoracic > sacrum',
    ]);
  });

  it('an anatomical order gives no finding; a femur above its hip does, with the distance', () => {
    // 30 slices of 10×20 voxels: 6 000 mm³ a group, over ORDER_MIN_MM3
    const good = map(150, [{ g: 'vertebrae_lumbar', k0: 120, k1: 150 }, { g: 'sacrum', k0: 90, k1: 120 }, { g: 'hip_left', k0: 40, k1: 70, i0: 10 }, { g: 'femur_left', k0: 0, k1: 40, i0: 10 }]);
    expect(orderFinding(GROUPS, groupPlaces(good, GROUPS.length), 1)).toBeUndefined();
    const bad = map(100, [{ g: 'hip_left', k0: 0, k1: 30, i0: 10 }, { g: 'femur_left', k0: 30, k1: 60, i0: 10 }, { g: 'sacrum', k0: 70, k1: 100 }]);
    const f = orderFinding(GROUPS, groupPlaces(bad, GROUPS.length), 1)!;
    expect(f.code).toBe('FOREST_ORDER_IMPLAUSIBLE');
    expect(f.severity).toBe('warn');
    expect(f.message).toContain('femur_left lies 30 mm above hip_left');
    expect(f.message).not.toContain('sacrum');
  });

  it('within the tolerance, or with a group under the minimum volume: no finding', () => {
    // the femur's centroid 10 mm above the hip's (the tolerance): allowed
    const near = map(100, [{ g: 'hip_left', k0: 0, k1: 30, i0: 10 }, { g: 'femur_left', k0: ORDER_TOLERANCE_MM, k1: 30 + ORDER_TOLERANCE_MM, i0: 10 }]);
    expect(orderFinding(GROUPS, groupPlaces(near, GROUPS.length), 1)).toBeUndefined();
    // 40 mm above, but the hip holds 2 000 voxels of 1 mm³, under ORDER_MIN_MM3
    const small = map(100, [{ g: 'hip_left', k0: 0, k1: 10, i0: 10 }, { g: 'femur_left', k0: 30, k1: 60, i0: 10 }]);
    expect(2000).toBeLessThan(ORDER_MIN_MM3);
    expect(orderFinding(GROUPS, groupPlaces(small, GROUPS.length), 1)).toBeUndefined();
    // the same maps read as 3 mm³ voxels: 6 000 mm³, over the minimum
    expect(orderFinding(GROUPS, groupPlaces(small, GROUPS.length), 3)?.code).toBe('FOREST_ORDER_IMPLAUSIBLE');
  });
});
