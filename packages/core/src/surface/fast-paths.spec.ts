// The counts and tables the clean-up, gate and accuracy take shortcuts with must equal the
// full computation: edge uses counted while the edge table is built, the compacted edge table,
// the orientation's shell volumes, the pruned nearest-triangle search; and the gate must judge
// the mesh it is given, not what an earlier stage knew about its triangles.
import { describe, expect, it } from 'vitest';
import { IDENTITY_DIRECTION } from '../geometry/grid.js';
import type { LabelMap, Mesh } from '../geometry/types.js';
import { mulberry32 } from '../synthetic/random.js';
import { bruteDistance, flipped, icosphere, torus, translate } from '../testing/meshes.js';
import { measureSurfaceAccuracy } from './accuracy.js';
import { cleanupMesh } from './cleanup.js';
import { buildTriangleGrid, NearestTriangle } from './distance.js';
import { printabilityGate } from './gate.js';
import { buildEdgeTable, compactEdgeTable, compactMesh, concatMeshes, edgeUses, labelShells, shellVolumes_mm3, vertexCount, type EdgeTable } from './mesh-utils.js';
import { orientShells } from './orient.js';
import { checkMesh } from './topology.js';

const recount = (m: Mesh, et: EdgeTable) => edgeUses(m.indices, { ...et, uses: undefined });
const table = (m: Mesh) => buildEdgeTable(m.indices, vertexCount(m));
/** Each edge as "v0,v1:half-edges" (checked against heEdge), sorted: the table up to edge numbering. */
const canonical = (et: EdgeTable): string[] => {
  const out: string[] = [];
  for (let e = 0; e < et.edgeCount; e++) {
    const hs = Array.from(et.edgeHe.subarray(et.edgeStart[e]!, et.edgeStart[e + 1]!));
    for (const h of hs) expect(et.heEdge[h]).toBe(e);
    out.push(`${et.edgeV[2 * e]},${et.edgeV[2 * e + 1]}:${hs.join(',')}`);
  }
  return out.sort();
};

/** Two spheres, one turned inside out in part (misoriented edges), one with a hole, a fin (non-manifold edge). */
function brokenMesh(): Mesh {
  const a = icosphere(10, 2);
  const ix = a.indices.slice();
  for (const t of [0, 1, 2, 7]) [ix[3 * t + 1], ix[3 * t + 2]] = [ix[3 * t + 2]!, ix[3 * t + 1]!];
  const b = translate(icosphere(5, 1), [30, 0, 0]);
  const open = { positions: b.positions, indices: b.indices.slice(3) };
  const m = concatMeshes([{ positions: a.positions, indices: ix }, open]);
  // a fin: a third triangle on the first edge of triangle 0
  const fin = Uint32Array.from([...m.indices, m.indices[0]!, m.indices[1]!, m.indices[5]!]);
  return { positions: m.positions, indices: fin };
}

describe('clean-up and gate shortcuts', () => {
  it("buildEdgeTable's edge uses equal a count over its edges", () => {
    for (const m of [icosphere(10, 3), torus(20, 5, 24, 12), brokenMesh(), flipped(icosphere(4, 1))]) {
      const et = table(m);
      expect(et.uses).toEqual(recount(m, et));
    }
    const u = table(brokenMesh()).uses!;
    expect(u.open).toBeGreaterThan(0);
    expect(u.nonManifold).toBeGreaterThan(0);
    expect(u.misoriented).toBeGreaterThan(0);
  });

  it('compactEdgeTable equals the edge table built on the compacted mesh, uses included', () => {
    const parts = [icosphere(10, 2), translate(icosphere(3, 1), [40, 0, 0]), translate(torus(8, 2, 16, 8), [0, 40, 0])];
    const m = concatMeshes(parts);
    const { shellOf } = labelShells(m);
    const keep = Uint8Array.from(shellOf, (s) => (s === 1 ? 0 : 1));
    const remap = new Int32Array(vertexCount(m));
    const out = compactMesh(m, keep, remap);
    const derived = compactEdgeTable(table(m), keep, remap);
    const built = table(out);
    // the same edges (endpoints and half-edges), in the source's order rather than rebuilt order
    expect(derived.edgeCount).toBe(built.edgeCount);
    expect(canonical(derived)).toEqual(canonical(built));
    expect(derived.uses).toEqual({ open: 0, nonManifold: 0, misoriented: 0 });
    // uses that were not all paired are not carried over (a subset's counts are unknown)
    const broken = brokenMesh();
    const all = new Uint8Array(broken.indices.length / 3).fill(1);
    expect(compactEdgeTable(table(broken), all, new Int32Array(vertexCount(broken)).map((_, i) => i)).uses).toBeUndefined();
  });

  it("orientShells' shell volumes are the output's shell volumes up to sign", () => {
    const m = concatMeshes([flipped(icosphere(10, 2)), translate(icosphere(3, 1), [40, 0, 0]), icosphere(4, 1)]);
    const shells = labelShells(m);
    const o = orientShells(m, table(m), shells);
    expect(o.shellsFlipped).toBeGreaterThan(0);
    const own = shellVolumes_mm3(o.mesh, shells.shellOf, shells.shellCount);
    expect(Array.from(o.shellVolumes!, Math.abs)).toEqual(Array.from(own, Math.abs));
  });

  it('the gate re-checks a mesh changed in place after the clean-up derived its topology', async () => {
    const c = cleanupMesh(icosphere(10, 2));
    expect(c.topology?.indices).toBe(c.output.indices);
    expect(c.topology?.edges.uses).toEqual({ open: 0, nonManifold: 0, misoriented: 0 });
    expect((await printabilityGate(c.output)).printable).toBe(true);
    // the same index array, one triangle turned: what the clean-up knew is now stale
    const ix = c.output.indices;
    [ix[1], ix[2]] = [ix[2]!, ix[1]!];
    const g = await printabilityGate(c.output, { allowOpen: true });
    expect(g.printable).toBe(false);
    expect(g.record.figures).toMatchObject({ misorientedEdges: 3, oriented: false });
    expect(checkMesh(c.output).misorientedEdges).toBe(3);
    await expect(printabilityGate(c.output)).rejects.toThrow(/3 misoriented edges/);
  });
});

describe('nearest-triangle search', () => {

  it('skipping cells farther than the nearest triangle so far gives the exact distance, inside and outside the grid', () => {
    const m = concatMeshes([torus(20, 5, 48, 24), translate(icosphere(6, 3), [0, 0, 30])]);
    const near = new NearestTriangle(buildTriangleGrid(m));
    const rand = mulberry32(7);
    for (let i = 0; i < 400; i++) {
      const s = i < 300 ? 30 : 120; // most near the surface's box, some far outside it
      const x = (rand() - 0.5) * 2 * s, y = (rand() - 0.5) * 2 * s, z = (rand() - 0.5) * 2 * s;
      expect(near.distance(x, y, z)).toBe(bruteDistance(m, x, y, z));
    }
    // on vertices and triangle centroids (points on cell walls and on the surface)
    for (let v = 0; v < vertexCount(m); v += 7) {
      const [x, y, z] = [m.positions[3 * v]!, m.positions[3 * v + 1]!, m.positions[3 * v + 2]!];
      expect(near.distance(x, y, z)).toBe(bruteDistance(m, x, y, z));
      expect(near.distance(x + 0.01, y, z - 0.02)).toBe(bruteDistance(m, x + 0.01, y, z - 0.02));
    }
  });

  it('accuracy against a reference surface equals the brute-force distances, points spread or local', () => {
    const ref = torus(20, 5, 96, 48);
    const lab: LabelMap = { grid: { dims: [1, 1, 1], spacing_mm: [1, 1, 1], origin_mm: [0, 0, 0], direction: IDENTITY_DIRECTION }, data: new Uint8Array(1) };
    // spread over all of the reference (the whole mesh is binned), and on one small part of it (only near triangles are)
    for (const m of [torus(20.2, 5.1, 40, 20), icosphere(1, 2, [25.3, 0, 0])]) {
      const acc = measureSurfaceAccuracy(m, { labels: lab, surface: ref });
      expect(acc.sampled).toBe(false);
      const d: number[] = [];
      const p = m.positions;
      for (let v = 0; v < vertexCount(m); v++) d.push(bruteDistance(ref, p[3 * v]!, p[3 * v + 1]!, p[3 * v + 2]!));
      for (let t = 0; t < m.indices.length; t += 3) {
        const [a, b, c] = [3 * m.indices[t]!, 3 * m.indices[t + 1]!, 3 * m.indices[t + 2]!];
        d.push(bruteDistance(ref, (p[a]! + p[b]! + p[c]!) / 3, (p[a + 1]! + p[b + 1]! + p[c + 1]!) / 3, (p[a + 2]! + p[b + 2]! + p[c + 2]!) / 3));
      }
      d.sort((x, y) => x - y);
      expect(acc.max_mm).toBe(Math.round(d[d.length - 1]! * 1e4) / 1e4);
      expect(acc.samples).toBe(d.length);
      expect(acc.max_mm).toBeGreaterThan(0);
    }
  });
});
