/** The LPS ↔ RAS flip used between our models and NiiVue, and the marker meshes. */
import { describe, expect, it } from 'vitest';
import { enclosedVolume, labelComponents } from './components.js';
import { distance, flipLpsRas, positionsToRas, rod, sphere } from './geometry.js';

describe('LPS and NiiVue RAS', () => {
  it('negates x and y, keeps z, and is its own inverse', () => {
    expect(flipLpsRas([12.5, -40, 7])).toEqual([-12.5, 40, 7]);
    expect(flipLpsRas(flipLpsRas([1, 2, 3]))).toEqual([1, 2, 3]);
    expect(Array.from(positionsToRas(Float32Array.of(1, 2, 3, -4, -5, 6)))).toEqual([-1, -2, 3, 4, 5, 6]);
  });

  it('keeps lengths and the winding: a turn, not a mirror (volumes keep their sign)', () => {
    const s = sphere([10, -20, 30], 5);
    const ras = positionsToRas(s.positions);
    expect(enclosedVolume(ras, s.indices)).toBeCloseTo(enclosedVolume(s.positions, s.indices), 6);
    expect(distance(flipLpsRas([1, 2, 3]), flipLpsRas([4, 6, 3]))).toBe(5);
  });
});

describe('markers', () => {
  it('a sphere marker is one closed outward shell of about the sphere volume', () => {
    const s = sphere([0, 0, 0], 2, 24, 16);
    expect(labelComponents(s).count).toBe(1);
    const v = enclosedVolume(s.positions, s.indices);
    expect(v).toBeGreaterThan(0.9 * (4 / 3) * Math.PI * 8);
    expect(v).toBeLessThan((4 / 3) * Math.PI * 8);
  });

  it('a rod spans its two end points', () => {
    const r = rod([0, 0, 0], [0, 0, 10], 0.5);
    let zmin = Infinity;
    let zmax = -Infinity;
    for (let i = 2; i < r.positions.length; i += 3) {
      zmin = Math.min(zmin, r.positions[i]!);
      zmax = Math.max(zmax, r.positions[i]!);
    }
    expect([zmin, zmax]).toEqual([0, 10]);
    expect(labelComponents(r).count).toBe(1);
  });
});
