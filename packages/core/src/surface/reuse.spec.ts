// The shortcuts the conditioning takes must give what the full computation gives: the
// clean-up's shell enclosures reused by fillCavities, the triangles' topology worked out before
// their vertices moved, the fan walk for pinched vertices on a closed mesh, and the two-pass
// coincident-vertex hash.
import { describe, expect, it } from 'vitest';
import { flipped, icosphere, translate, unweld } from '../testing/meshes.js';
import { checkedTopology, cleanupMesh } from './cleanup.js';
import { conditionMesh, type TopologyHandOver } from './condition.js';
import { coincidentRep } from './coincident.js';
import { fillCavities, shellNesting } from './cavities.js';
import { concatMeshes, labelShells, labelShellsByVertex } from './mesh-utils.js';
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
    // The shells it hands on (to the 3MF split) are those of its output, numbered as labelShells and labelShellsByVertex number them.
    for (const r of [reused, own]) {
      expect(r.shells.shellCount).toBe(2);
      expect(r.shells).toEqual(labelShells(r.output));
      expect(r.shells).toEqual(labelShellsByVertex(r.output));
    }
    const none = fillCavities(reused.output, {}, reused.shells);
    expect(none.record.figures.shellsRemoved).toBe(0);
    expect(none.shells).toEqual(labelShells(none.output));
    const { shellOf, shellCount } = labelShells(c.output);
    expect(Array.from(shellNesting(c.output, shellOf, shellCount)).sort()).toEqual([0, 0, 1, 2]);
  });

  it("the clean-up with its triangles' topology worked out before the vertices moved gives what it gives without", () => {
    // a solid with a degenerate face, a face repeated, a speck the clean-up drops; groups follow the faces
    const s = icosphere(10, 3);
    const speck = icosphere(0.3, 1, [0, 0, 30]);
    const joined = concatMeshes([s, speck]);
    const [a, b, c] = joined.indices.slice(0, 3);
    const indices = Uint32Array.from([...joined.indices, a!, a!, b!, a!, b!, c!]);
    const groups = Uint32Array.from({ length: indices.length / 3 }, (_, t) => t % 3);
    const extracted = { positions: joined.positions, indices, groups };
    // placement moves every vertex, keeps the triangles
    const moved = { positions: joined.positions.map((x, i) => x * 1.05 + ((i * 7919) % 13) * 1e-3), indices, groups };
    const known = checkedTopology(extracted);
    expect(known.faces).toMatchObject({ degenerate: 1, duplicate: 1 });
    const own = cleanupMesh(moved, { minShell_mm3: 1 });
    const given = cleanupMesh(moved, { minShell_mm3: 1 }, known);
    expect(own.record.figures).toMatchObject({ degenerateFacesRemoved: 1, duplicateFacesRemoved: 1, shellsDropped: 1, topologyReused: false });
    expect(given.record.figures).toEqual({ ...own.record.figures, topologyReused: true });
    expect(given.output).toEqual(own.output);
    expect(given.shells).toEqual(own.shells);
    expect(given.topology!.edges.edgeV).toEqual(own.topology!.edges.edgeV);
    // vertices that land on one position merge: the triangles change, the topology is not used
    const soup = unweld(s);
    const soupOwn = cleanupMesh(soup);
    const soupGiven = cleanupMesh(soup, {}, checkedTopology(soup));
    expect(soupGiven.record.figures.verticesMerged as number).toBeGreaterThan(0);
    expect(soupGiven.record.figures.topologyReused).toBe(false);
    expect(soupGiven.output).toEqual(soupOwn.output);
    expect(soupGiven.record).toEqual(soupOwn.record);
  });

  it('conditioning takes the topology out of the hand-over and gives the records it gives without', async () => {
    const s = concatMeshes([icosphere(10, 3), icosphere(0.3, 1, [0, 0, 30])]);
    const moved = { positions: s.positions.map((x) => x * 1.05), indices: s.indices };
    const handOver: TopologyHandOver = { topology: checkedTopology(s) };
    const params = { smooth: { iterations: 5 } };
    const own = await conditionMesh(moved, params);
    const given = await conditionMesh(moved, params, {}, undefined, handOver);
    expect(handOver.topology).toBeUndefined();
    expect(given.output).toEqual(own.output);
    const figures = (r: typeof own) => r.records.map((x) => x.figures);
    expect(figures(given)).toEqual(figures(own).map((f, i) => (i === 0 ? { ...f, topologyReused: true } : f)));
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
