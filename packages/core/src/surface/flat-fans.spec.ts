import { describe, expect, it } from 'vitest';
import { icosphere } from '../testing/meshes.js';
import { flatFans } from './flat-fans.js';
import { findSelfIntersections } from './self-intersections.js';
import { vertexTriangles } from './mesh-utils.js';

/** The corners of vertex v's triangles other than v, each once. */
function ring(I: Uint32Array, tris: Uint32Array, v: number): number[] {
  const out = new Set<number>();
  for (const t of tris) for (let k = 0; k < 3; k++) if (I[3 * t + k] !== v) out.add(I[3 * t + k]!);
  return [...out];
}

describe('flatFans', () => {
  it('a convex closed mesh: every fan lies flat', () => {
    const m = icosphere(10, 3);
    const flat = flatFans(m.positions, m.indices);
    expect(flat.length).toBe(m.positions.length / 3);
    expect(flat.every((f) => f === 1)).toBe(true);
  });

  it('a vertex dragged across its ring folds its fan: not flat, and the crossings round it are still found', () => {
    const m = icosphere(10, 3);
    const v = 17;
    const vt = vertexTriangles(m);
    const tris = vt.tris.subarray(vt.start[v]!, vt.start[v + 1]!);
    const r = ring(m.indices, tris, v);
    // past the far side of its ring, along the surface: the wedges on the near side turn back
    const far = r[0]!;
    const P = m.positions;
    for (let a = 0; a < 3; a++) P[3 * v + a] = P[3 * v + a]! + 1.6 * (P[3 * far + a]! - P[3 * v + a]!);
    const flat = flatFans(P, m.indices);
    expect(flat[v]).toBe(0);
    const plain = findSelfIntersections(P, m.indices);
    expect(plain.pairs).toBeGreaterThan(0);
    const skipping = findSelfIntersections(P, m.indices, { closed: true });
    expect(skipping.pairs).toBe(plain.pairs);
    expect(Array.from(skipping.crossing)).toEqual(Array.from(plain.crossing));
    // far from it, the sphere's fans are as flat as before
    expect(flat.reduce((s, f) => s + f, 0)).toBeGreaterThan(flat.length - 12);
  });

  it('a triangle seen edge-on (a corner on the line of its other two): its corners are not flat', () => {
    const m = icosphere(10, 2);
    const P = m.positions;
    const t = 5;
    const [a, b, c] = [m.indices[3 * t]!, m.indices[3 * t + 1]!, m.indices[3 * t + 2]!];
    for (let k = 0; k < 3; k++) P[3 * a + k] = (P[3 * b + k]! + P[3 * c + k]!) / 2;
    const flat = flatFans(P, m.indices);
    expect([flat[a], flat[b], flat[c]]).toEqual([0, 0, 0]);
  });

  it('writes into the flags given (a worker fills shared memory), one per vertex', () => {
    const m = icosphere(5, 1);
    const nv = m.positions.length / 3;
    const out = new Uint8Array(nv);
    expect(flatFans(m.positions, m.indices, out)).toBe(out);
    expect(out.every((f) => f === 1)).toBe(true);
    expect(() => flatFans(m.positions, m.indices, new Uint8Array(nv - 1))).toThrow(/flags for/);
  });
});
