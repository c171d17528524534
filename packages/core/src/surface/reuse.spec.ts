// The shortcuts the conditioning takes must give what the full computation gives: the
// clean-up's shell enclosures reused by fillCavities, the triangles' topology worked out before
// their vertices moved, the fan walk for pinched vertices on a closed mesh, and the two-pass
// coincident-vertex hash.
import { describe, expect, it } from 'vitest';
import { flipped, icosphere, translate, unweld } from '../testing/meshes.js';
import { checkedTopology, cleanupMesh } from './cleanup.js';
import { checkedFacesAndEdges, checkedFacesNear } from './faces.js';
import { conditionMesh, type TopologyHandOver } from './condition.js';
import { coincidentRep } from './coincident.js';
import { fillCavities, shellNesting } from './cavities.js';
import { buildEdgeTable, concatMeshes, labelShells, labelShellsByVertex } from './mesh-utils.js';
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

  it('after a clean-up, vertices merged since (a pocket smoothing collapsed) are checked round them only, with what the full checks give', () => {
    const s = concatMeshes([icosphere(10, 3), icosphere(0.3, 1, [0, 0, 30])]);
    const c1 = cleanupMesh(s, { minShell_mm3: 1 });
    const m = c1.output;
    const ix = m.indices;
    // the two wings of an edge a–b, (v, a, b) and (w, b, a): on one position, their faces on a–b cancel
    const [v, a, b] = [ix[0]!, ix[1]!, ix[2]!];
    let w = -1;
    for (let t = 1; t < ix.length / 3 && w < 0; t++) {
      for (let k = 0; k < 3; k++) if (ix[3 * t + k] === b && ix[3 * t + (k + 1) % 3] === a) w = ix[3 * t + (k + 2) % 3]!;
    }
    // and an edge collapse elsewhere: its two faces become degenerate
    const t2 = ix.length / 3 - 1;
    const [x, y] = [ix[3 * t2]!, ix[3 * t2 + 1]!];
    expect(new Set([v, a, b, w]).has(x) || new Set([v, a, b, w]).has(y)).toBe(false);
    const positions = m.positions.slice();
    positions.copyWithin(3 * v, 3 * w, 3 * w + 3);
    positions.copyWithin(3 * x, 3 * y, 3 * y + 3);
    const moved = { positions, indices: ix };
    const near = cleanupMesh(moved, { minShell_mm3: 1 }, c1.topology);
    const full = cleanupMesh(moved, { minShell_mm3: 1 });
    expect(near.record.figures).toMatchObject({ verticesMerged: 2, duplicateFacesRemoved: 2, degenerateFacesRemoved: 2, topologyReused: false });
    expect(near.record.figures).toEqual(full.record.figures);
    expect(near.record.notes?.[0]).toMatch(/^2 vertices merged since the previous clean-up: the face checks looked at the faces round them only; the shells and their winding were carried over/);
    expect(near.output).toEqual(full.output);
    expect(near.shells).toEqual(full.shells);
  });

  it('the face checks round merged vertices give what the full checks give, for random merges on a clean mesh', () => {
    const m = icosphere(10, 3);
    const nv = m.positions.length / 3;
    let seed = 7;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    for (let trial = 0; trial < 60; trial++) {
      const rep = Uint32Array.from({ length: nv }, (_, i) => i);
      const touched = new Uint8Array(nv);
      for (let k = 0, n = 1 + rand(6); k < n; k++) {
        // into a neighbour (its faces on that edge degenerate), the other wing of an edge (the
        // two faces on it duplicated), or any vertex
        const t = rand(m.indices.length / 3);
        const c = rand(3);
        const from = m.indices[3 * t + c]!;
        const kind = rand(3);
        const to = kind === 0 ? m.indices[3 * t + ((c + 1) % 3)]! : kind === 1 ? wing(m.indices, m.indices[3 * t + ((c + 1) % 3)]!, m.indices[3 * t + ((c + 2) % 3)]!) : rand(nv);
        if (rep[from] !== from || rep[to] !== to || touched[from] || from === to) continue;
        rep[from] = to;
        touched[to] = 1;
      }
      const merged = { positions: m.positions, indices: m.indices.map((i) => rep[i]!) };
      const near = checkedFacesNear(merged, touched);
      const fast = { m2: near.m2, edges: buildEdgeTable(near.m2.mesh.indices, nv) };
      const slow = checkedFacesAndEdges(merged);
      expect([fast.m2.degenerate, fast.m2.duplicate]).toEqual([slow.m2.degenerate, slow.m2.duplicate]);
      expect(fast.m2.mesh.indices).toEqual(slow.m2.mesh.indices);
      expect(fast.edges.edgeV).toEqual(slow.edges.edgeV);
      expect(fast.edges.edgeStart).toEqual(slow.edges.edgeStart);
      expect(fast.edges.edgeHe).toEqual(slow.edges.edgeHe);
    }
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

/** The third vertex of the face that runs b → a (the other wing of edge a–b on a closed mesh). */
function wing(ix: Uint32Array, a: number, b: number): number {
  for (let t = 0; t < ix.length / 3; t++) {
    for (let k = 0; k < 3; k++) if (ix[3 * t + k] === b && ix[3 * t + ((k + 1) % 3)] === a) return ix[3 * t + ((k + 2) % 3)]!;
  }
  throw new Error('open edge');
}
