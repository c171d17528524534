// The shortcuts the conditioning takes must give what the full computation gives: the
// clean-up's shell enclosures reused by fillCavities, the fan walk for pinched vertices on a
// closed mesh, and the two-pass coincident-vertex hash.
import { describe, expect, it } from 'vitest';
import { flipped, icosphere, translate, unweld } from '../testing/meshes.js';
import { cleanupMesh } from './cleanup.js';
import { coincidentRep } from './coincident.js';
import { fillCavities, shellNesting } from './cavities.js';
import { concatMeshes, labelShells } from './mesh-utils.js';
import { nonManifoldVertexMask } from './topology.js';

describe('reused intermediate results', () => {
  it("fillCavities with the clean-up's enclosures removes the same shells as its own ray casting", () => {
    // a solid with a cavity that holds a floating ball, a speck the clean-up drops, a second solid
    const outer = icosphere(20, 3);
    const cavity = flipped(icosphere(12, 3));
    const ball = icosphere(4, 2);
    const speck = icosphere(0.3, 1, [0, 0, 16]);
    const other = icosphere(5, 2, [60, 0, 0]);
    const c = cleanupMesh(concatMeshes([speck, outer, cavity, ball, other]), { minShell_mm3: 1 });
    expect(c.record.figures.shellsDropped).toBe(1);
    expect(c.shells?.enclosures?.length).toBe(6); // cavity in outer, ball in outer, ball in cavity
    const reused = fillCavities(c.output, {}, c.shells);
    const own = fillCavities(c.output);
    expect(reused.record).toEqual(own.record);
    expect(reused.output.indices).toEqual(own.output.indices);
    expect(reused.output.positions).toEqual(own.output.positions);
    expect(own.record.figures).toMatchObject({ cavities: 1, shellsInsideCavities: 1, shellsRemoved: 2 });
    const { shellOf, shellCount } = labelShells(c.output);
    expect(Array.from(shellNesting(c.output, shellOf, shellCount)).sort()).toEqual([0, 0, 1, 2]);
  });

  it('the fan walk finds a pinched vertex on a closed mesh as the union-find does on an open one', () => {
    const s = icosphere(10, 2);
    const s2 = translate(s, [0, 0, 20]);
    const off = s.positions.length / 3;
    const zOf = (m: typeof s, v: number) => m.positions[3 * v + 2]!;
    let top = 0;
    let bottom = 0;
    for (let v = 0; v < off; v++) {
      if (zOf(s, v) > zOf(s, top)) top = v;
      if (zOf(s2, v) < zOf(s2, bottom)) bottom = v;
    }
    const joined = concatMeshes([s, s2]);
    const pinched = { positions: joined.positions, indices: joined.indices.map((i) => (i === bottom + off ? top : i)) };
    const closedMask = nonManifoldVertexMask(pinched); // every edge used twice: the fan walk
    expect(closedMask.reduce((a, b) => a + b, 0)).toBe(1);
    expect(closedMask[top]).toBe(1);
    // one triangle less: open edges, so the union-find runs; the pinch is still the one vertex
    const open = { positions: pinched.positions, indices: pinched.indices.slice(3) };
    const openMask = nonManifoldVertexMask(open);
    expect(Array.from(openMask.keys()).filter((v) => openMask[v])).toEqual([top]);
  });

  it('coincidentRep maps every vertex to the first one at its position (−0 = +0)', () => {
    const soup = unweld(icosphere(10, 2));
    const p = soup.positions.slice();
    p[0] = -0; // a negative zero must still match a +0 elsewhere
    const extra = Float32Array.from([...p, 0, p[1]!, p[2]!]);
    const { rep, coincident } = coincidentRep(extra);
    const nv = extra.length / 3;
    const first = new Map<string, number>();
    let expected = 0;
    for (let v = 0; v < nv; v++) {
      const key = `${extra[3 * v]! + 0},${extra[3 * v + 1]! + 0},${extra[3 * v + 2]! + 0}`;
      const f = first.get(key);
      if (f === undefined) first.set(key, v);
      else expected++;
      expect(rep[v]).toBe(f ?? v);
    }
    expect(coincident).toBe(expected);
    expect(coincident).toBeGreaterThan(nv / 2);
  });
});
