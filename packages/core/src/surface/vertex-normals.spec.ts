import { describe, expect, it } from 'vitest';
import { icosphere } from '../testing/meshes.js';
import { areaNormalSums, vertexNormals } from './vertex-normals.js';

describe('vertex normals', () => {
  it('point outward on a sphere, unit length; the sums are twice the area round each vertex along them', () => {
    const m = icosphere(10, 3);
    const n = vertexNormals(m);
    const s = areaNormalSums(m, new Float64Array(m.positions.length));
    const P = m.positions;
    let area2 = 0;
    for (let v = 0; v < P.length / 3; v++) {
      const r = Math.hypot(P[3 * v]!, P[3 * v + 1]!, P[3 * v + 2]!);
      const dot = (n[3 * v]! * P[3 * v]! + n[3 * v + 1]! * P[3 * v + 1]! + n[3 * v + 2]! * P[3 * v + 2]!) / r;
      expect(dot).toBeGreaterThan(0.999);
      expect(Math.hypot(n[3 * v]!, n[3 * v + 1]!, n[3 * v + 2]!)).toBeCloseTo(1, 6);
      area2 += Math.hypot(s[3 * v]!, s[3 * v + 1]!, s[3 * v + 2]!);
    }
    // each triangle counted at its three corners, twice its area each: near 6 × the sphere's area
    // (the polyhedron's is 0.9 % less at this subdivision)
    expect(Math.abs(area2 / 6 / (4 * Math.PI * 100) - 1)).toBeLessThan(0.02);
  });

  it('gives 0, 0, 0 to a vertex no triangle uses', () => {
    const m = icosphere(10, 1);
    const positions = new Float32Array([...m.positions, 50, 50, 50]);
    const n = vertexNormals({ positions, indices: m.indices });
    expect([...n.slice(-3)]).toEqual([0, 0, 0]);
  });
});
