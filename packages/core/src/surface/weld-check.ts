/**
 * Welding coincident vertices only where it does not make the topology worse, judged on the
 * neighbourhood of the coincident vertices.
 */
import type { Mesh } from '../geometry/types.js';
import { coincidentRep } from './coincident.js';
import { removeDegenerateFaces } from './faces.js';
import { buildEdgeTable, triangleCount, vertexCount } from './mesh-utils.js';
import { nonManifoldVertexMask } from './topology.js';

/**
 * Topology problems (open, non-manifold, misoriented edges; pinched vertices) around the
 * `seed` vertices: counted on the triangles within two rings of them, for the edges and
 * vertices within one ring, where those counts are exact. Degenerate and duplicate faces of
 * that neighbourhood are dropped first (as the clean-up would). Linear in the neighbourhood,
 * so judging a merge of a few coincident vertices does not cost a pass over the whole mesh.
 */
function localProblems(mesh: Mesh, seed: Uint8Array): number {
  const ix = mesh.indices;
  const nTri = triangleCount(mesh);
  const nv = vertexCount(mesh);
  const ring1 = new Uint8Array(nv);
  for (let t = 0; t < nTri; t++) {
    const a = ix[3 * t]!, b = ix[3 * t + 1]!, c = ix[3 * t + 2]!;
    if (seed[a] || seed[b] || seed[c]) ring1[a] = ring1[b] = ring1[c] = 1;
  }
  const remap = new Int32Array(nv).fill(-1);
  const sub: number[] = [];
  const inRing: number[] = [];
  for (let t = 0; t < nTri; t++) {
    const a = ix[3 * t]!, b = ix[3 * t + 1]!, c = ix[3 * t + 2]!;
    if (!(ring1[a] || ring1[b] || ring1[c])) continue;
    for (const v of [a, b, c]) {
      if (remap[v] === -1) {
        remap[v] = inRing.length;
        inRing.push(ring1[v]!);
      }
      sub.push(remap[v]!);
    }
  }
  const positions = new Float32Array(3 * inRing.length); // positions do not matter for the counts
  const local = removeDegenerateFaces({ positions, indices: Uint32Array.from(sub) }).mesh;
  const et = buildEdgeTable(local.indices, inRing.length);
  const lix = local.indices;
  let n = 0;
  for (let e = 0; e < et.edgeCount; e++) {
    if (!inRing[et.edgeV[2 * e]!] && !inRing[et.edgeV[2 * e + 1]!]) continue;
    const s = et.edgeStart[e]!;
    const uses = et.edgeStart[e + 1]! - s;
    if (uses !== 2 || lix[et.edgeHe[s]!] === lix[et.edgeHe[s + 1]!]) n++;
  }
  const pinched = nonManifoldVertexMask(local, et);
  for (let v = 0; v < inRing.length; v++) if (inRing[v] && pinched[v]) n++;
  return n;
}

/**
 * Merges coincident vertices only when that does not make the topology worse. Welding is what
 * closes a triangle soup (an STL), but after smoothing a collapsing speck can put two distinct
 * vertices on the same float position, and welding those would pinch the mesh. Judged on the
 * neighbourhood of the coincident vertices only (localProblems).
 */
export interface MergeResult {
  mesh: Mesh;
  merged: number;
  rejected: number;
  /** The vertices the merged ones went into (the only ones whose faces changed), when any merged. */
  touched?: Uint8Array;
  /** Every vertex's representative (coincidentRep's), when any merged. */
  rep?: Uint32Array;
  /** localProblems round the touched vertices after the merge, when any merged: 0 = none there. */
  problemsAfter?: number;
}

export function mergeIfBetter(mesh: Mesh): MergeResult {
  const { rep, coincident } = coincidentRep(mesh.positions);
  if (coincident === 0) return { mesh, merged: 0, rejected: 0 };
  const nv = vertexCount(mesh);
  const before = new Uint8Array(nv);
  const after = new Uint8Array(nv);
  for (let v = 0; v < nv; v++) {
    if (rep[v] !== v) {
      before[v] = before[rep[v]!] = 1;
      after[rep[v]!] = 1;
    }
  }
  const indices = new Uint32Array(mesh.indices.length);
  for (let i = 0; i < indices.length; i++) indices[i] = rep[mesh.indices[i]!]!;
  const merged: Mesh = { positions: mesh.positions, indices };
  if (mesh.groups) merged.groups = mesh.groups;
  // `touched`: the vertices the merged ones went into, the only ones whose faces changed.
  const problemsAfter = localProblems(merged, after);
  if (problemsAfter <= localProblems(mesh, before)) return { mesh: merged, merged: coincident, rejected: 0, touched: after, rep, problemsAfter };
  return { mesh, merged: 0, rejected: coincident };
}
