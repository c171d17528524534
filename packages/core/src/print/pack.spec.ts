/**
 * Plate packing: placements inside the bed, the gap kept between every pair on a plate, every
 * item placed once, same input (in any order) → same placements, more items → at least as many
 * plates, rotation used when only the turned footprint fits, too-large items named.
 */
import { describe, expect, it } from 'vitest';
import { packFootprints, type Footprint, type Placement } from './pack.js';

/** A fixed pseudo-random sequence (LCG) so the item sets are the same on every run. */
function items(n: number, seed: number, max = 90): Footprint[] {
  let s = seed >>> 0;
  const rnd = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
  return Array.from({ length: n }, (_, i) => ({ id: `p${i}`, w: 5 + Math.round(rnd() * max * 10) / 10, d: 5 + Math.round(rnd() * max * 10) / 10 }));
}

function rects(plate: Placement[], byId: Map<string, Footprint>): { id: string; x0: number; y0: number; x1: number; y1: number }[] {
  return plate.map((p) => {
    const f = byId.get(p.id)!;
    const [w, d] = p.rotated ? [f.d, f.w] : [f.w, f.d];
    return { id: p.id, x0: p.x, y0: p.y, x1: p.x + w, y1: p.y + d };
  });
}

function checkPacking(list: Footprint[], bed: { w: number; d: number }, gap: number, plates: Placement[][]): void {
  const byId = new Map(list.map((f) => [f.id, f]));
  const ids = plates.flat().map((p) => p.id).sort();
  expect(ids).toEqual(list.map((f) => f.id).sort());
  for (const plate of plates) {
    expect(plate.length).toBeGreaterThan(0);
    const rs = rects(plate, byId);
    for (const r of rs) {
      expect(r.x0).toBeGreaterThanOrEqual(0);
      expect(r.y0).toBeGreaterThanOrEqual(0);
      expect(r.x1).toBeLessThanOrEqual(bed.w + 1e-6);
      expect(r.y1).toBeLessThanOrEqual(bed.d + 1e-6);
    }
    for (let i = 0; i < rs.length; i++) {
      for (let j = i + 1; j < rs.length; j++) {
        const a = rs[i]!, b = rs[j]!;
        // Separated along x or y by at least the gap.
        const sep = Math.max(b.x0 - a.x1, a.x0 - b.x1, b.y0 - a.y1, a.y0 - b.y1);
        expect(sep, `${a.id} vs ${b.id}`).toBeGreaterThanOrEqual(gap - 1e-6);
      }
    }
  }
}

describe('packFootprints', () => {
  const bed = { w: 250, d: 210 };

  it('places every item once, inside the bed, the gap kept, no overlaps (40 random sets)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const list = items(1 + (seed % 17), seed);
      for (const gap of [0, 5]) checkPacking(list, bed, gap, packFootprints(list, bed, gap).plates);
    }
  });

  it('is deterministic and independent of the input order', () => {
    const list = items(15, 7);
    const a = packFootprints(list, bed);
    expect(packFootprints(list, bed)).toEqual(a);
    const shuffled = [...list].reverse();
    const b = packFootprints(shuffled, bed);
    expect(b).toEqual(a);
  });

  it('more items never need fewer plates', () => {
    const list = items(30, 99, 120);
    let prev = 0;
    for (let n = 1; n <= list.length; n++) {
      const k = packFootprints(list.slice(0, n), bed).plates.length;
      expect(k, `${n} items`).toBeGreaterThanOrEqual(prev);
      prev = k;
    }
    expect(prev).toBeGreaterThan(1);
  });

  it('puts small parts together and turns a part that only fits turned', () => {
    const four = [1, 2, 3, 4].map((i) => ({ id: `q${i}`, w: 50, d: 40 }));
    expect(packFootprints(four, { w: 120, d: 120 }).plates).toHaveLength(1);
    // 100 × 200 only fits a 210 × 110 bed turned.
    const { plates } = packFootprints([{ id: 'long', w: 100, d: 200 }], { w: 210, d: 110 });
    expect(plates).toEqual([[{ id: 'long', x: 0, y: 0, rotated: true }]]);
    // Two 110 × 110 parts on a 120 mm bed with a 5 mm gap: one plate each.
    expect(packFootprints([{ id: 'a', w: 110, d: 110 }, { id: 'b', w: 110, d: 110 }], { w: 120, d: 120 }).plates).toHaveLength(2);
  });

  it('names an item larger than the bed; rejects bad sizes', () => {
    expect(() => packFootprints([{ id: 'ok', w: 10, d: 10 }, { id: 'skull part 3', w: 130, d: 20 }], { w: 120, d: 120 })).toThrow(/skull part 3.*130 × 20 mm.*120 × 120 mm bed/);
    expect(() => packFootprints([{ id: 'x', w: Number.NaN, d: 1 }], bed)).toThrow(/x: footprint/);
    expect(() => packFootprints([], { w: 0, d: 10 })).toThrow(/bed/);
    expect(packFootprints([], bed).plates).toEqual([]);
  });
});
