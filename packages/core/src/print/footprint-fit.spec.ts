/**
 * Turning a part about z to fit the bed: a long part lies across the diagonal (a quarter turn
 * alone refuses it), a hull smaller than its bounding box fits where the box does not, the
 * answer is checked by turning the hull itself, and on seeded random hulls the exact test
 * accepts every hull that a 0.05° sweep finds a fitting turn for. planSchedule places such parts.
 */
import { describe, expect, it } from 'vitest';
import { boxHull, convexHull2, fitFootprint, type Point2 } from './footprint-fit.js';
import { partFits, planSchedule } from './schedule.js';

/** x and y extents of points turned by deg degrees counter-clockwise. */
function turned(points: readonly Point2[], deg: number): { w: number; d: number } {
  const a = (deg * Math.PI) / 180;
  const xs = points.map(([x, y]) => x * Math.cos(a) - y * Math.sin(a));
  const ys = points.map(([x, y]) => x * Math.sin(a) + y * Math.cos(a));
  return { w: Math.max(...xs) - Math.min(...xs), d: Math.max(...ys) - Math.min(...ys) };
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('fitFootprint', () => {
  it('a 250 × 20 mm bar on a 210 × 210 mm bed: no quarter turn fits, the diagonal does', () => {
    const bar = boxHull(250, 20);
    expect(turned(bar, 0).w).toBeGreaterThan(210);
    expect(turned(bar, 90).d).toBeGreaterThan(210);
    const f = fitFootprint(bar, { w: 210, d: 210 })!;
    expect(f).not.toBeNull();
    const t = turned(bar, f.turn_deg);
    expect(t.w).toBeLessThanOrEqual(210 + 1e-6);
    expect(t.d).toBeLessThanOrEqual(210 + 1e-6);
    expect(f.w).toBeCloseTo(t.w, 5);
    expect(partFits([250, 20, 10], [210, 210, 200])).toBe(true);
    // Too long even diagonally (diagonal 297 mm), or too tall: refused.
    expect(fitFootprint(boxHull(300, 20), { w: 210, d: 210 })).toBeNull();
    expect(partFits([250, 20, 201], [210, 210, 200])).toBe(false);
  });

  it('a hull smaller than its bounding box: a bar lying at 45° fits once turned back, though its box is 184 mm wide', () => {
    const c = Math.SQRT1_2;
    const bar = boxHull(250, 10).map(([x, y]) => [x * c - y * c, x * c + y * c] as [number, number]);
    const box = turned(bar, 0);
    expect(box.w).toBeGreaterThan(180);
    expect(partFits([box.w, box.d, 5], [260, 100, 100])).toBe(false);
    expect(partFits([box.w, box.d, 5], [260, 100, 100], bar)).toBe(true);
    // The smallest rectangle: the bar's own 250 × 10 (its edges along the bed's).
    const f = fitFootprint(bar, { w: 260, d: 100 })!;
    expect(f.w * f.d).toBeCloseTo(2500, 3);
  });

  it('seeded random convex hulls: whenever a 0.05° sweep finds a turn that fits, the exact test finds one, and its turn fits', () => {
    const r = rng(12);
    let sweepFound = 0;
    for (let n = 0; n < 150; n++) {
      const pts: Point2[] = Array.from({ length: 4 + Math.floor(r() * 30) }, () => [r() * 200 * (0.3 + r()), r() * 60]);
      const hull = convexHull2(pts);
      const bed = { w: 80 + r() * 140, d: 60 + r() * 140 };
      const f = fitFootprint(hull, bed);
      let sweep = false;
      for (let deg = 0; deg < 180 && !sweep; deg += 0.05) {
        const t = turned(hull, deg);
        sweep = t.w <= bed.w && t.d <= bed.d;
      }
      if (sweep) {
        sweepFound++;
        expect(f, `hull ${n}`).not.toBeNull();
      }
      if (f) {
        const t = turned(hull, f.turn_deg);
        expect(t.w, `hull ${n}`).toBeLessThanOrEqual(bed.w + 1e-6);
        expect(t.d, `hull ${n}`).toBeLessThanOrEqual(bed.d + 1e-6);
      }
    }
    expect(sweepFound).toBeGreaterThan(20);
  });
});

describe('planSchedule turns parts about z', () => {
  it('a part that fits only across the bed is planned, turned; one that fits at no turn is unplaceable', () => {
    const printers = [{ id: 'mini', buildVolume_mm: [210, 210, 200] as [number, number, number], technology: 'FDM' as const, outages: [] }];
    const now = '2030-01-01T00:00:00.000Z';
    const plan = planSchedule(
      printers,
      [
        { id: 'long', parts: [{ id: 'bar', bbox_mm: [250, 20, 10] }], duration_s: 3600, due: null, earliest: now },
        { id: 'longer', parts: [{ id: 'bar', bbox_mm: [300, 20, 10] }], duration_s: 3600, due: null, earliest: now },
      ],
      now,
    );
    expect(plan.unplaceable).toEqual([{ jobId: 'longer', reason: expect.stringMatching(/larger than the build volume/) }]);
    expect(plan.plates).toHaveLength(1);
    const part = plan.plates[0]!.parts[0]!;
    expect(part.id).toBe('long/bar');
    expect(part.turn_deg % 90).not.toBe(0);
    const t = turned(boxHull(250, 20), part.turn_deg);
    expect(part.x + (part.rotated ? t.d : t.w)).toBeLessThanOrEqual(210 + 1e-6);
    expect(part.y + (part.rotated ? t.w : t.d)).toBeLessThanOrEqual(210 + 1e-6);
  });
});
