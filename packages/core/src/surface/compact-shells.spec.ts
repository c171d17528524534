// The clean-up's fused compaction must give what turning, compactMesh and keptShells give one
// after the other: same bytes, same shell labels.
import { describe, expect, it } from 'vitest';
import { flipped, icosphere, shuffledVertices, torus, translate } from '../testing/meshes.js';
import { compactShells } from './compact-shells.js';
import { buildEdgeTable, compactEdgeTable, compactMesh, concatMeshes, labelShells, vertexCount } from './mesh-utils.js';
import { orientShells } from './orient.js';
import { keptShells } from './shell-select.js';

describe('compactShells', () => {
  it('equals orientShells + compactMesh + keptShells, turned shells and dropped shells included', () => {
    const m = shuffledVertices(
      concatMeshes([flipped(icosphere(10, 2)), translate(icosphere(3, 1), [40, 0, 0]), translate(torus(8, 2, 16, 8), [0, 40, 0]), flipped(translate(icosphere(2, 1), [0, 0, 40]))]),
    );
    m.groups = Uint32Array.from({ length: m.indices.length / 3 }, (_, t) => t % 5);
    const shells = labelShells(m);
    const deferred = orientShells(m, undefined, shells, { deferTurn: true });
    const applied = orientShells(m, undefined, shells);
    expect(deferred.mesh).toBe(m);
    expect(Array.from(deferred.turnShell!)).toEqual([1, 0, 0, 1]);
    expect(applied.flipped).toBe(deferred.flipped);
    for (const dropped of [-1, 1, 3]) {
      const keep = Uint8Array.from(shells.shellOf, (s) => (s === dropped ? 0 : 1));
      const r1 = new Int32Array(vertexCount(m));
      const r2 = new Int32Array(vertexCount(m));
      const fused = compactShells(m, keep, shells, deferred.turnShell, r1);
      const expected = compactMesh(applied.mesh, keep, r2);
      expect(fused.mesh).toEqual(expected);
      expect(r1).toEqual(r2);
      const k = keptShells(shells, keep);
      expect(fused.shellOf).toEqual(k.shellOf);
      expect(fused.shellCount).toBe(k.shellCount);
      expect(fused.newId[dropped === -1 ? 0 : dropped]).toBe(dropped === -1 ? 0 : -1);
    }
  });

  it('compactEdgeTable gives the same table whether it writes over the source (consume) or not', () => {
    const m = concatMeshes([icosphere(10, 2), translate(icosphere(3, 1), [40, 0, 0]), translate(torus(8, 2, 16, 8), [0, 40, 0])]);
    const shells = labelShells(m);
    const keep = Uint8Array.from(shells.shellOf, (s) => (s === 1 ? 0 : 1));
    const remap = new Int32Array(vertexCount(m));
    compactMesh(m, keep, remap);
    const fresh = compactEdgeTable(buildEdgeTable(m.indices, vertexCount(m)), keep, remap);
    const source = buildEdgeTable(m.indices, vertexCount(m));
    const consumed = compactEdgeTable(source, keep, remap, true);
    expect(consumed.edgeCount).toBeLessThan(source.edgeCount);
    for (const k of ['edgeStart', 'edgeV', 'edgeHe', 'heEdge'] as const) expect(consumed[k]).toEqual(fresh[k]);
    expect(consumed.uses).toEqual(fresh.uses);
  });
});
