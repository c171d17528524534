import { describe, expect, it } from 'vitest';
import type { Mesh } from '../geometry/types.js';
import { labelShells, shellVolumes_mm3 } from '../surface/mesh-utils.js';
import { withoutDegenerateShells } from './dowels.js';

/** An axis-aligned box [o, o + s]³, outward (inward = a void's surface). */
function box(o: number, s: number, inward = false): { positions: number[]; indices: number[] } {
  const p: number[] = [];
  for (let i = 0; i < 8; i++) p.push(o + (i & 1 ? s : 0), o + (i & 2 ? s : 0), o + (i & 4 ? s : 0));
  const q = [[0, 2, 3, 1], [4, 5, 7, 6], [0, 1, 5, 4], [2, 6, 7, 3], [0, 4, 6, 2], [1, 3, 7, 5]];
  const ix: number[] = [];
  for (const [a, b, c, d] of q) ix.push(...(inward ? [a!, c!, b!, a!, d!, c!] : [a!, b!, c!, a!, c!, d!]));
  return { positions: p, indices: ix };
}

function join(parts: { positions: number[]; indices: number[] }[]): Mesh {
  const positions: number[] = [];
  const indices: number[] = [];
  for (const m of parts) {
    const base = positions.length / 3;
    positions.push(...m.positions);
    indices.push(...m.indices.map((i) => i + base));
  }
  return { positions: new Float32Array(positions), indices: new Uint32Array(indices) };
}

describe('withoutDegenerateShells (the dowel union’s debris)', () => {
  it('removes shells of no volume, keeps bodies and voids', () => {
    // a flat closed sliver: two triangles in one plane, each seen from both sides
    const sliver = { positions: [20, 0, 0, 21, 0, 0, 20, 1, 0, 21, 1, 0], indices: [0, 1, 2, 0, 2, 1, 1, 3, 2, 1, 2, 3] };
    const mesh = join([box(0, 10), box(4, 2, true), sliver]);
    const before = labelShells(mesh);
    const vols = shellVolumes_mm3(mesh, before.shellOf, before.shellCount);
    expect(before.shellCount).toBe(3);
    expect(Array.from(vols).map((v) => Math.round(v))).toEqual([1000, -8, 0]);
    const r = withoutDegenerateShells(mesh);
    expect(r.removed).toBe(1);
    expect(r.shells).toBe(2);
    const after = labelShells(r.mesh);
    expect(after.shellCount).toBe(2);
    expect(Array.from(shellVolumes_mm3(r.mesh, after.shellOf, after.shellCount)).map((v) => Math.round(v))).toEqual([1000, -8]);
    // nothing to remove: the same mesh back
    const clean = join([box(0, 10)]);
    expect(withoutDegenerateShells(clean)).toEqual({ mesh: clean, shells: 1, removed: 0 });
  });
});
