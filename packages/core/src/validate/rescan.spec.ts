import { describe, expect, it } from 'vitest';
import { box, icosphere, translate } from '../testing/meshes.js';
import { insideScans, surfaceOffset } from './rescan.js';
import type { Grid } from '../geometry/grid.js';

describe('surfaceOffset: the systematic difference between two models of one object, after registration', () => {
  it('a box moved and grown by 0.1 mm: the fit undoes the motion and finds the 0.1 mm', () => {
    const b = box([-20, -15, -10], [20, 15, 10], 16);
    const a = translate(box([-20.1, -15.1, -10.1], [20.1, 15.1, 10.1], 16), [0.4, -0.3, 0.2]);
    const r = surfaceOffset(a, b, { samples: 8000 });
    // within 0.005 mm: points near the grown box's edges lie √2 × 0.1 from B's edges
    expect(r.offset_mm).toBeCloseTo(0.1, 2);
    expect(r.median_mm).toBeCloseTo(0.1, 3);
    expect(r.meanAbs_mm).toBeCloseTo(0.1, 2);
    expect(r.registration!.translation_mm[0]).toBeCloseTo(-0.4, 3);
    expect(r.registration!.translation_mm[1]).toBeCloseTo(0.3, 3);
    expect(r.registration!.translation_mm[2]).toBeCloseTo(-0.2, 3);
    expect(r.registration!.rotation_deg).toBeLessThan(0.01);
    // the other way round: B lies inside A by the same amount
    expect(surfaceOffset(b, a, { samples: 8000 }).offset_mm).toBeCloseTo(-0.1, 2);
    // without registration the motion shows as spread, one side out and the other in
    const raw = surfaceOffset(a, b, { samples: 8000, register: false });
    expect(raw.registration).toBeNull();
    expect(raw.p95_mm - raw.p05_mm).toBeGreaterThan(0.5);
  });

  it('a sphere (its rotation all but unobservable) shrunk by 0.2 mm and moved: offset −0.2 mm, the motion found', () => {
    const b = icosphere(20, 5);
    const a = icosphere(19.8, 5, [0.5, 0.25, -0.3]);
    const r = surfaceOffset(a, b, { samples: 10000 });
    expect(r.offset_mm).toBeCloseTo(-0.2, 2);
    // the facets alone show a rotation (0.07°, 0.025 mm at 20 mm); without the ridge it would run away
    expect(r.registration!.rotation_deg).toBeLessThan(0.2);
    expect(Math.hypot(r.registration!.translation_mm[0] + 0.5, r.registration!.translation_mm[1] + 0.25, r.registration!.translation_mm[2] - 0.3)).toBeLessThan(0.01);
  });

  it('only the points inside both scans count; points beyond trim_mm are counted apart', () => {
    const b = box([-20, -20, -20], [20, 20, 20], 16);
    const a = box([-20, -20, -20], [20, 20, 30], 16); // taller: its top lies 10 mm above B's
    const all = surfaceOffset(a, b, { samples: 8000, register: false });
    expect(all.beyondTrim).toBeGreaterThan(0);
    // a scan grid that ends at z = 15 (voxel centres from −25 to 25, 25 and 15 mm): both tops are left out
    const scan: Grid = { dims: [101, 101, 41], spacing_mm: [0.5, 0.5, 1], origin_mm: [-25, -25, -25], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
    const inside = insideScans([scan], 1);
    expect(inside(0, 0, 14)).toBe(true);
    expect(inside(0, 0, 14.5)).toBe(false);
    expect(inside(24.5, 0, 0)).toBe(false);
    const cut = surfaceOffset(a, b, { samples: 8000, register: false, inside });
    expect(cut.beyondTrim).toBe(0);
    expect(cut.samples).toBeLessThan(all.samples);
    expect(Math.abs(cut.median_mm)).toBeLessThan(1e-6);
  });
});
