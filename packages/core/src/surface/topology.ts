/**
 * Topology counts a slicer cares about, computed by our own code (the gate confirms them
 * with manifold-3d): open edges (used once), non-manifold edges (used more than twice),
 * misoriented edges (used twice in the same direction), non-manifold vertices (whose
 * triangle fan is more than one piece), and the mesh checks of the ISO report.
 */
import type { Vec3 } from '../geometry/grid.js';
import type { Mesh } from '../geometry/types.js';
import { round } from '../pipeline/record.js';
import { shellNesting } from './cavities.js';
import { findRoot, makeSets, unionSets } from '../geometry/union-find.js';
import {
  bbox_mm,
  buildEdgeTable,
  edgeUses,
  labelShells,
  triangleArea,
  triangleCount,
  tripleProduct,
  usedVertexMask,
  vertexCount,
  type EdgeTable,
  type MeshShells,
} from './mesh-utils.js';

export interface TopologyCounts {
  edges: number;
  openEdges: number;
  nonManifoldEdges: number;
  misorientedEdges: number;
  nonManifoldVertices: number;
}

export function countTopology(mesh: Mesh, edges?: EdgeTable): TopologyCounts {
  const et = edges ?? buildEdgeTable(mesh.indices, vertexCount(mesh));
  // Two uses are oriented when they run in opposite directions (tails differ).
  const uses = edgeUses(mesh.indices, et);
  const mask = nonManifoldVertexMask(mesh, et);
  let nmv = 0;
  for (let v = 0; v < mask.length; v++) nmv += mask[v]!;
  return {
    edges: et.edgeCount,
    openEdges: uses.open,
    nonManifoldEdges: uses.nonManifold,
    misorientedEdges: uses.misoriented,
    nonManifoldVertices: nmv,
  };
}

/**
 * A vertex is manifold when the opposite edges of its triangles (its link) form one
 * connected piece; two cones touching at their tips, for example, give two pieces.
 */
export function countNonManifoldVertices(mesh: Mesh, edges?: EdgeTable): number {
  let n = 0;
  for (const b of nonManifoldVertexMask(mesh, edges)) n += b;
  return n;
}

/**
 * Vertices a slicer would complain about: ends of open, non-manifold or misoriented edges, and
 * non-manifold (pinched) vertices. Used to lock regions when a decimation attempt breaks them.
 */
export function problemVertices(mesh: Mesh): Uint32Array {
  const nv = vertexCount(mesh);
  const et = buildEdgeTable(mesh.indices, nv);
  const bad = nonManifoldVertexMask(mesh, et);
  const ix = mesh.indices;
  for (let e = 0; e < et.edgeCount; e++) {
    const s = et.edgeStart[e]!;
    const uses = et.edgeStart[e + 1]! - s;
    if (uses !== 2 || ix[et.edgeHe[s]!] === ix[et.edgeHe[s + 1]!]) {
      bad[et.edgeV[2 * e]!] = 1;
      bad[et.edgeV[2 * e + 1]!] = 1;
    }
  }
  let n = 0;
  for (let v = 0; v < nv; v++) n += bad[v]!;
  const out = new Uint32Array(n);
  for (let v = 0, k = 0; v < nv; v++) if (bad[v]) out[k++] = v;
  return out;
}

/**
 * 1 for every vertex whose triangle fan is more than one piece. Linear: the corners of the
 * triangles around a vertex are joined (union-find over all corners at once) across every edge
 * at that vertex; a vertex whose corners end in more than one set is pinched. Triangles with a
 * repeated vertex are left out (they have no fan to speak of).
 */
export function nonManifoldVertexMask(mesh: Mesh, edges?: EdgeTable): Uint8Array {
  const nv = vertexCount(mesh);
  const ix = mesh.indices;
  const et = edges ?? buildEdgeTable(ix, nv);
  if (pairedWithoutDegenerate(ix, et)) return fanWalkMask(ix, et, nv);
  const nC = ix.length;
  const parent = makeSets(new Uint32Array(nC));
  const find = (x: number): number => findRoot(parent, x);
  const union = (a: number, b: number): void => {
    unionSets(parent, a, b);
  };
  const degenerate = (t: number): boolean => {
    const a = ix[3 * t]!, b = ix[3 * t + 1]!, c = ix[3 * t + 2]!;
    return a === b || b === c || a === c;
  };
  for (let e = 0; e < et.edgeCount; e++) {
    const s = et.edgeStart[e]!;
    const end = et.edgeStart[e + 1]!;
    if (end - s < 2) continue;
    const va = et.edgeV[2 * e]!;
    if (va === et.edgeV[2 * e + 1]!) continue;
    let firstA = -1;
    let firstB = -1;
    for (let i = s; i < end; i++) {
      const h = et.edgeHe[i]!;
      const t = (h / 3) | 0;
      if (degenerate(t)) continue;
      const head = 3 * t + ((h - 3 * t + 1) % 3);
      const ca = ix[h] === va ? h : head; // this triangle's corner at va
      const cb = ca === h ? head : h; // and at the other end
      if (firstA === -1) {
        firstA = ca;
        firstB = cb;
      } else {
        union(firstA, ca);
        union(firstB, cb);
      }
    }
  }
  const pieces = new Uint8Array(nv);
  const bad = new Uint8Array(nv);
  for (let c = 0; c < nC; c++) {
    if (find(c) !== c || degenerate((c / 3) | 0)) continue;
    const v = ix[c]!;
    if (pieces[v]! > 0) bad[v] = 1;
    else pieces[v] = 1;
  }
  return bad;
}

/** Every edge used exactly twice and no triangle with a repeated vertex (a closed mesh's usual state). */
function pairedWithoutDegenerate(ix: Uint32Array, et: EdgeTable): boolean {
  if (et.uses) {
    if (et.uses.open + et.uses.nonManifold > 0) return false;
  } else {
    for (let e = 0; e < et.edgeCount; e++) if (et.edgeStart[e + 1]! - et.edgeStart[e]! !== 2) return false;
  }
  for (let h = 0; h < ix.length; h += 3) {
    const a = ix[h]!, b = ix[h + 1]!, c = ix[h + 2]!;
    if (a === b || b === c || a === c) return false;
  }
  return true;
}

/**
 * nonManifoldVertexMask when every edge has two uses and no triangle is degenerate: each
 * corner at v is then joined to exactly two others (across its two edges at v), so the
 * corners of v form cycles, and v is pinched when the cycle through its first corner does not
 * visit all of them. One walk per vertex, around its fan through the edge table: the same
 * mask as the union-find, without a parent array over every corner.
 */
function fanWalkMask(ix: Uint32Array, et: EdgeTable, nv: number): Uint8Array {
  const { heEdge, edgeStart, edgeHe } = et;
  const corners = new Uint32Array(nv);
  const first = new Int32Array(nv).fill(-1);
  for (let c = 0; c < ix.length; c++) {
    const v = ix[c]!;
    if (corners[v]!++ === 0) first[v] = c;
  }
  const bad = new Uint8Array(nv);
  for (let v = 0; v < nv; v++) {
    const c0 = first[v]!;
    if (c0 < 0) continue;
    const n = corners[v]!;
    // At corner c (at v) of triangle t, its half-edges at v are c (v → next) and prev(c)
    // (prev → v); leave through the one not entered, to the other use of that edge.
    let c = c0;
    let entered = c0 - 3 * ((c0 / 3) | 0) === 0 ? c0 + 2 : c0 - 1; // enter through prev(c0): leave through c0
    let steps = 0;
    do {
      const t3 = 3 * ((c / 3) | 0);
      const leave = entered === c ? (c === t3 ? c + 2 : c - 1) : c;
      const s = edgeStart[heEdge[leave]!]!;
      const h2 = edgeHe[s] === leave ? edgeHe[s + 1]! : edgeHe[s]!;
      const u3 = 3 * ((h2 / 3) | 0);
      if (ix[h2] === v) c = h2; // h2 leaves v: its tail is the corner
      else c = h2 === u3 + 2 ? u3 : h2 + 1; // h2 arrives at v: the corner is its head
      entered = h2;
      steps++;
    } while (c !== c0 && steps <= n);
    if (steps < n) bad[v] = 1;
  }
  return bad;
}

export interface MeshCheck {
  /** No open edges. */
  closed: boolean;
  /** No non-manifold edges and no non-manifold vertices. */
  manifold: boolean;
  /** Consistent winding across every edge and every shell facing out (signed volume > 0), cavities facing in. */
  oriented: boolean;
  shells: number;
  triangles: number;
  vertices: number;
  volume_mm3: number;
  area_mm2: number;
  bbox_mm: { min: Vec3; max: Vec3 };
  openEdges: number;
  nonManifoldEdges: number;
  misorientedEdges: number;
  nonManifoldVertices: number;
  /** Shells whose winding sign disagrees with their nesting (outer solids out, cavities in). */
  invertedShells: number;
  /** Shells enclosed by another shell (cavities and what floats in them). */
  enclosedShells: number;
}

/** The mesh checks of the ISO report, with our own counts. */
export function checkMesh(mesh: Mesh, shells?: MeshShells & { edges?: EdgeTable }): MeshCheck {
  const et = shells?.edges ?? buildEdgeTable(mesh.indices, vertexCount(mesh));
  const topo = countTopology(mesh, et);
  const { shellOf, shellCount } = shells ?? labelShells(mesh, et);
  const { vols, area } = volumesAndArea(mesh, shellOf, shellCount);
  const depth = shellNesting(mesh, shellOf, shellCount);
  let inverted = 0;
  let enclosed = 0;
  let volume = 0;
  for (let s = 0; s < shellCount; s++) {
    volume += vols[s]!;
    if (depth[s]! > 0) enclosed++;
    const wantPositive = depth[s]! % 2 === 0;
    if (vols[s]! !== 0 && vols[s]! > 0 !== wantPositive) inverted++;
  }
  const used = usedVertexMask(mesh);
  const bb = bbox_mm(mesh, used);
  let usedCount = 0;
  for (let v = 0; v < used.length; v++) usedCount += used[v]!;
  return {
    closed: topo.openEdges === 0,
    manifold: topo.nonManifoldEdges === 0 && topo.nonManifoldVertices === 0,
    oriented: topo.misorientedEdges === 0 && inverted === 0,
    shells: shellCount,
    triangles: triangleCount(mesh),
    vertices: usedCount,
    volume_mm3: round(volume, 3),
    area_mm2: round(area, 3),
    bbox_mm: { min: bb.min.map((x) => round(x, 4)) as Vec3, max: bb.max.map((x) => round(x, 4)) as Vec3 },
    openEdges: topo.openEdges,
    nonManifoldEdges: topo.nonManifoldEdges,
    misorientedEdges: topo.misorientedEdges,
    nonManifoldVertices: topo.nonManifoldVertices,
    invertedShells: inverted,
    enclosedShells: enclosed,
  };
}

/** shellVolumes_mm3 and area_mm2 in one pass over the triangles (each sum in the same order). */
function volumesAndArea(mesh: Mesh, shellOf: Uint32Array, shellCount: number): { vols: Float64Array; area: number } {
  const vols = new Float64Array(shellCount);
  const p = mesh.positions;
  const ix = mesh.indices;
  let area = 0;
  for (let t = 0; t < shellOf.length; t++) {
    const a = 3 * ix[3 * t]!, b = 3 * ix[3 * t + 1]!, c = 3 * ix[3 * t + 2]!;
    vols[shellOf[t]!]! += tripleProduct(p, a, b, c) / 6;
    area += triangleArea(p, a, b, c);
  }
  return { vols, area };
}

export function countUsedVertices(mesh: Mesh): number {
  const used = new Uint8Array(vertexCount(mesh));
  let n = 0;
  for (const v of mesh.indices) {
    if (!used[v]) {
      used[v] = 1;
      n++;
    }
  }
  return n;
}
