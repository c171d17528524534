import { describe, expect, it } from 'vitest';
import { yieldEvery } from '../parallel/yield.js';
import type { Mesh } from '../geometry/types.js';
import { box, icosphere, translate } from '../testing/meshes.js';
import { mulberry32 } from '../synthetic/random.js';
import { concatMeshes } from './mesh-utils.js';
import { findSelfIntersections } from './self-intersections.js';
import { flatFans } from './flat-fans.js';

/** Two meshes as one (indices of the second shifted). */
function join(a: Mesh, b: Mesh): Mesh {
  const positions = new Float32Array(a.positions.length + b.positions.length);
  positions.set(a.positions);
  positions.set(b.positions, a.positions.length);
  const indices = new Uint32Array(a.indices.length + b.indices.length);
  indices.set(a.indices);
  const off = a.positions.length / 3;
  for (let k = 0; k < b.indices.length; k++) indices[a.indices.length + k] = b.indices[k]! + off;
  return { positions, indices };
}

/** Reference: does segment p→q pass through triangle abc (strictly inside)? Plain vectors, no shortcuts. */
function segmentThrough(P: Float32Array, p: number, q: number, a: number, b: number, c: number): boolean {
  const at = (v: number) => [P[3 * v]!, P[3 * v + 1]!, P[3 * v + 2]!];
  const sub = (x: number[], y: number[]) => [x[0]! - y[0]!, x[1]! - y[1]!, x[2]! - y[2]!];
  const cross = (x: number[], y: number[]) => [x[1]! * y[2]! - x[2]! * y[1]!, x[2]! * y[0]! - x[0]! * y[2]!, x[0]! * y[1]! - x[1]! * y[0]!];
  const dot = (x: number[], y: number[]) => x[0]! * y[0]! + x[1]! * y[1]! + x[2]! * y[2]!;
  const A = at(a), n = cross(sub(at(b), A), sub(at(c), A));
  const dp = dot(n, sub(at(p), A)), dq = dot(n, sub(at(q), A));
  if (dp * dq >= 0) return false; // both ends on one side (or one on the plane)
  const s = dp / (dp - dq);
  const x = at(p).map((v, k) => v + s * (at(q)[k]! - v));
  // Inside: x on the inner side of all three edges.
  const corners = [a, b, c];
  for (let k = 0; k < 3; k++) {
    const e0 = at(corners[k]!), e1 = at(corners[(k + 1) % 3]!);
    if (dot(n, cross(sub(e1, e0), sub(x, e0))) <= 0) return false;
  }
  return true;
}

function referenceCross(m: Mesh, t: number, u: number): boolean {
  const A = [0, 1, 2].map((k) => m.indices[3 * t + k]!);
  const B = [0, 1, 2].map((k) => m.indices[3 * u + k]!);
  const shared = A.filter((v) => B.includes(v));
  if (shared.length >= 2) return false;
  for (const [X, Y] of [[A, B], [B, A]] as const)
    for (let k = 0; k < 3; k++) {
      const p = X[k]!, q = X[(k + 1) % 3]!;
      if (shared.includes(p) || shared.includes(q)) continue;
      if (segmentThrough(m.positions, p, q, Y[0]!, Y[1]!, Y[2]!)) return true;
    }
  return false;
}

/**
 * Every pair, by brute force with the reference test: what the grid must find; `cornerPairs`,
 * those whose triangles share exactly one corner.
 */
function brute(m: Mesh): { pairs: number; crossing: Uint8Array; cornerPairs: number } {
  const nt = m.indices.length / 3;
  const crossing = new Uint8Array(nt);
  let pairs = 0;
  let cornerPairs = 0;
  for (let t = 0; t < nt; t++)
    for (let u = t + 1; u < nt; u++)
      if (referenceCross(m, t, u)) {
        pairs++;
        crossing[t] = crossing[u] = 1;
        let shared = 0;
        for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) if (m.indices[3 * t + a] === m.indices[3 * u + b]) shared++;
        if (shared === 1) cornerPairs++;
      }
  return { pairs, crossing, cornerPairs };
}

describe('findSelfIntersections', () => {
  it('two triangles in an X cross; moved apart they do not', () => {
    const m: Mesh = {
      positions: new Float32Array([0, 0, 0, 2, 0, 0, 1, 2, 0, 1, 1, -1, 1, 1, 1, 1.2, -1, 0.1]),
      indices: new Uint32Array([0, 1, 2, 3, 4, 5]),
    };
    const r = findSelfIntersections(m.positions, m.indices);
    expect(r.pairs).toBe(1);
    expect(r.triangles).toBe(2);
    const apart = translate(m, [0, 0, 0]);
    for (const v of [3, 4, 5]) apart.positions[3 * v]! += 5;
    expect(findSelfIntersections(apart.positions, apart.indices).pairs).toBe(0);
  });

  it('neighbours sharing an edge or a corner do not count; a fan triangle folded through its neighbour does', () => {
    // Fan round vertex 0: A = (0,1,2) flat; B = (0,3,4) shares only vertex 0.
    const flat: Mesh = {
      positions: new Float32Array([0, 0, 0, 2, 0, 0, 0, 2, 0, -1, 0, 0, 0, -1, 0]),
      indices: new Uint32Array([0, 1, 2, 0, 3, 4]),
    };
    expect(findSelfIntersections(flat.positions, flat.indices).pairs).toBe(0);
    // B's far edge (3→4) folded over so it passes through A.
    const folded: Mesh = { positions: new Float32Array([0, 0, 0, 2, 0, 0, 0, 2, 0, 0.5, 0.5, 1, 0.5, 0.5, -1]), indices: flat.indices };
    expect(findSelfIntersections(folded.positions, folded.indices).pairs).toBe(1);
    // Sharing an edge: never a crossing, however folded.
    const hinge: Mesh = { positions: new Float32Array([0, 0, 0, 2, 0, 0, 0, 2, 0, 0.3, 0.3, 0.01]), indices: new Uint32Array([0, 1, 2, 0, 1, 3]) };
    expect(findSelfIntersections(hinge.positions, hinge.indices).pairs).toBe(0);
  });

  it('closed meshes: none; two spheres that overlap cross along their meeting circle', () => {
    const s = icosphere(10, 4);
    expect(findSelfIntersections(s.positions, s.indices).triangles).toBe(0);
    const b = box([0, 0, 0], [20, 10, 5], 8);
    expect(findSelfIntersections(b.positions, b.indices).triangles).toBe(0);
    const two = join(s, icosphere(10, 4, [12, 1, 0.5]));
    const r = findSelfIntersections(two.positions, two.indices);
    expect(r.triangles).toBeGreaterThan(50);
    const nt = s.indices.length / 3;
    // Only triangles near the meeting circle (x ≈ 6 on the first sphere) take part.
    for (let t = 0; t < nt; t++) {
      if (!r.crossing[t]) continue;
      const x = s.positions[3 * s.indices[3 * t]!]!;
      expect(Math.abs(x - 6.1)).toBeLessThan(1.5);
    }
  });

  it('finds exactly the pairs brute force finds, on jittered spheres (120 seeds), with and without the flat fans', async () => {
    const flags = [0, 0];
    let cornerCrossings = 0;
    // ~5 s of brute force in all: the test process answers vitest between seeds
    const breathe = yieldEvery();
    for (let seed = 1; seed <= 120; seed++) {
      await breathe();
      const rnd = mulberry32(seed);
      const m = icosphere(3, 2, [rnd(), rnd(), rnd()]);
      // Jitter strong enough to fold some triangles through their neighbours.
      const amp = 0.2 + 1.2 * rnd();
      for (let k = 0; k < m.positions.length; k++) m.positions[k]! += amp * (rnd() - 0.5);
      const want = brute(m);
      const got = findSelfIntersections(m.positions, m.indices);
      expect(got.pairs, `seed ${seed}`).toBe(want.pairs);
      expect(Array.from(got.crossing), `seed ${seed}`).toEqual(Array.from(want.crossing));
      // The sphere is closed: skipping the pairs round flat fans finds the same pairs.
      const skipping = findSelfIntersections(m.positions, m.indices, { closed: true });
      expect(skipping.pairs, `seed ${seed}, closed`).toBe(want.pairs);
      expect(Array.from(skipping.crossing), `seed ${seed}, closed`).toEqual(Array.from(want.crossing));
      const flat = flatFans(m.positions, m.indices);
      for (const f of flat) flags[f]!++;
      cornerCrossings += want.cornerPairs;
    }
    // The seeds cover both kinds of vertex, and crossings between triangles that share a corner
    // (the pairs the flat fans would skip, were a fan wrongly called flat).
    expect(flags[0]).toBeGreaterThan(100);
    expect(flags[1]).toBeGreaterThan(100);
    expect(cornerCrossings).toBeGreaterThan(20);
  });

  it('a sparse mesh spread over metres: larger cells, the same crossings', () => {
    const near = concatMeshes([icosphere(1, 2), translate(icosphere(1, 2), [0.5, 0.1, 0.05])]);
    const want = findSelfIntersections(near.positions, near.indices).pairs;
    expect(want).toBeGreaterThan(0);
    const far = concatMeshes([translate(icosphere(1, 2), [-3000, -2000, -5000]), translate(near, [3000, 2000, 5000])]);
    // (A grid of 1 mm cells over 6 × 4 × 10 m would not end inside the test's timeout.)
    expect(findSelfIntersections(far.positions, far.indices).pairs).toBe(want);
  });
});
