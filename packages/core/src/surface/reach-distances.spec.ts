// The triangle-driven distances must be the exact nearest-triangle distances (the same floats
// as a search over every triangle) for the points within reach, and hand back the others.
import { describe, expect, it } from 'vitest';
import type { Mesh } from '../geometry/types.js';
import { mulberry32 } from '../synthetic/random.js';
import { bruteDistance, icosphere, torus, translate } from '../testing/meshes.js';
import { referenceDistances } from './accuracy.js';
import { concatMeshes } from './mesh-utils.js';
import { distancesWithinReach } from './reach-distances.js';


/** Points on the mesh's vertices, pushed off along a random direction by up to `spread` mm. */
function pointsNear(m: Mesh, n: number, spread: number, seed: number): Float64Array {
  const rand = mulberry32(seed);
  const nv = m.positions.length / 3;
  const pts = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    const v = Math.floor(rand() * nv);
    for (let a = 0; a < 3; a++) pts[3 * i + a] = m.positions[3 * v + a]! + (rand() - 0.5) * 2 * spread;
  }
  return pts;
}

describe('distances within reach', () => {
  const mesh = concatMeshes([torus(20, 5, 64, 32), translate(icosphere(6, 3), [0, 0, 30])]);

  it('gives the exact distance for every point within reach and returns the others, in order', () => {
    const n = 600;
    const pts = pointsNear(mesh, n, 1.5, 3);
    const list = Array.from({ length: n }, (_, i) => i).filter((i) => i % 5 !== 0); // a subset, not in a block
    const out = new Float64Array(n).fill(-1);
    const reach = 0.5;
    const { rest, extent } = distancesWithinReach(mesh, pts, list, out, reach);
    let within = 0;
    for (const i of list) {
      const d = bruteDistance(mesh, pts[3 * i]!, pts[3 * i + 1]!, pts[3 * i + 2]!);
      if (rest.includes(i)) {
        expect(d).toBeGreaterThanOrEqual(reach);
        expect(out[i]).toBe(-1);
      } else {
        expect(out[i]).toBe(d);
        within++;
      }
    }
    expect(within).toBeGreaterThan(100);
    expect(rest.length).toBeGreaterThan(100);
    expect(rest).toEqual([...rest].sort((a, b) => a - b));
    for (let i = 0; i < n; i += 5) expect(out[i]).toBe(-1); // points not listed are left alone
    // the points left, again at a larger reach: skipping triangles by the extent the first pass
    // saw changes nothing
    const few = rest.slice(0, 8);
    const a = new Float64Array(n), b = new Float64Array(n);
    const withExtent = distancesWithinReach(mesh, pts, few, a, 1.2, extent).rest;
    expect(withExtent).toEqual(distancesWithinReach(mesh, pts, few, b, 1.2).rest);
    expect(withExtent.length).toBeLessThan(few.length);
    expect(a).toEqual(b);
    for (const i of few) if (!withExtent.includes(i)) expect(a[i]).toBe(bruteDistance(mesh, pts[3 * i]!, pts[3 * i + 1]!, pts[3 * i + 2]!));
  });

  it('referenceDistances is exact with none, a few or most points beyond reach', () => {
    for (const [spread, far] of [
      [0.2, 0],
      [0.2, 3],
      [4, 0],
    ] as const) {
      const n = 500;
      const pts = pointsNear(mesh, n, spread, 11);
      // a few points far off the surface (beyond 4× the reach)
      for (let i = 0; i < far; i++) pts[3 * i + 2] = pts[3 * i + 2]! + 15 + i;
      const out = new Float64Array(n);
      referenceDistances(mesh, pts, Array.from({ length: n }, (_, i) => i), out);
      for (let i = 0; i < n; i++) expect(out[i]).toBe(bruteDistance(mesh, pts[3 * i]!, pts[3 * i + 1]!, pts[3 * i + 2]!));
    }
  });

  it('an empty mesh or an empty list hands every point back', () => {
    const pts = new Float64Array([0, 0, 0, 1, 1, 1]);
    expect(distancesWithinReach({ positions: new Float32Array(0), indices: new Uint32Array(0) }, pts, [0, 1], new Float64Array(2), 1).rest).toEqual([0, 1]);
    expect(distancesWithinReach(mesh, pts, [], new Float64Array(2), 1).rest).toEqual([]);
  });
});
