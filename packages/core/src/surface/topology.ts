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
import {
  area_mm2,
  bbox_mm,
  buildEdgeTable,
  labelShells,
  shellVolumes_mm3,
  triangleCount,
  vertexCount,
  type EdgeTable,
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
  const ix = mesh.indices;
  let open = 0;
  let nonManifold = 0;
  let misoriented = 0;
  for (let e = 0; e < et.edgeCount; e++) {
    const s = et.edgeStart[e]!;
    const uses = et.edgeStart[e + 1]! - s;
    if (uses === 1) open++;
    else if (uses > 2) nonManifold++;
    else {
      // Two uses: oriented when they run in opposite directions (tails differ).
      if (ix[et.edgeHe[s]!] === ix[et.edgeHe[s + 1]!]) misoriented++;
    }
  }
  return {
    edges: et.edgeCount,
    openEdges: open,
    nonManifoldEdges: nonManifold,
    misorientedEdges: misoriented,
    nonManifoldVertices: countNonManifoldVertices(mesh),
  };
}

/**
 * A vertex is manifold when the opposite edges of its triangles (its link) form one
 * connected piece; two cones touching at their tips, for example, give two pieces.
 */
export function countNonManifoldVertices(mesh: Mesh): number {
  let n = 0;
  for (const b of nonManifoldVertexMask(mesh)) n += b;
  return n;
}

/**
 * Vertices a slicer would complain about: ends of open, non-manifold or misoriented edges, and
 * non-manifold (pinched) vertices. Used to lock regions when a decimation attempt breaks them.
 */
export function problemVertices(mesh: Mesh): Uint32Array {
  const nv = vertexCount(mesh);
  const et = buildEdgeTable(mesh.indices, nv);
  const bad = nonManifoldVertexMask(mesh);
  const ix = mesh.indices;
  for (let e = 0; e < et.edgeCount; e++) {
    const s = et.edgeStart[e]!;
    const uses = et.edgeStart[e + 1]! - s;
    if (uses !== 2 || ix[et.edgeHe[s]!] === ix[et.edgeHe[s + 1]!]) {
      bad[et.edgeV[2 * e]!] = 1;
      bad[et.edgeV[2 * e + 1]!] = 1;
    }
  }
  const out: number[] = [];
  for (let v = 0; v < nv; v++) if (bad[v]) out.push(v);
  return Uint32Array.from(out);
}

/** 1 for every vertex whose triangle fan is more than one piece. */
export function nonManifoldVertexMask(mesh: Mesh): Uint8Array {
  const nv = vertexCount(mesh);
  const ix = mesh.indices;
  const nTri = triangleCount(mesh);
  const start = new Uint32Array(nv + 1);
  for (let i = 0; i < ix.length; i++) start[ix[i]! + 1]!++;
  for (let v = 0; v < nv; v++) start[v + 1]! += start[v]!;
  const fill = start.slice(0, nv);
  const triOf = new Uint32Array(ix.length);
  for (let t = 0; t < nTri; t++) for (let c = 0; c < 3; c++) triOf[fill[ix[3 * t + c]!]!++] = t;

  const localId = new Int32Array(nv).fill(-1);
  const parent: number[] = [];
  const touched: number[] = [];
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  const local = (w: number): number => {
    if (localId[w] === -1) {
      localId[w] = parent.length;
      parent.push(parent.length);
      touched.push(w);
    }
    return localId[w]!;
  };
  const bad = new Uint8Array(nv);
  for (let v = 0; v < nv; v++) {
    const s = start[v]!;
    const e = start[v + 1]!;
    if (e - s < 2) continue;
    let pieces = 0;
    for (let i = s; i < e; i++) {
      const t = triOf[i]!;
      let a = -1;
      let b = -1;
      for (let c = 0; c < 3; c++) {
        const w = ix[3 * t + c]!;
        if (w === v) continue;
        if (a === -1) a = w;
        else b = w;
      }
      if (a === -1 || b === -1) continue; // degenerate triangle (repeated vertex)
      const la = local(a);
      const lb = local(b);
      const ra = find(la);
      const rb = find(lb);
      if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
    }
    for (let i = 0; i < parent.length; i++) if (find(i) === i) pieces++;
    if (pieces > 1) bad[v] = 1;
    for (const w of touched) localId[w] = -1;
    touched.length = 0;
    parent.length = 0;
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
export function checkMesh(mesh: Mesh): MeshCheck {
  const et = buildEdgeTable(mesh.indices, vertexCount(mesh));
  const topo = countTopology(mesh, et);
  const { shellOf, shellCount } = labelShells(mesh, et);
  const vols = shellVolumes_mm3(mesh, shellOf, shellCount);
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
  const bb = bbox_mm(mesh);
  return {
    closed: topo.openEdges === 0,
    manifold: topo.nonManifoldEdges === 0 && topo.nonManifoldVertices === 0,
    oriented: topo.misorientedEdges === 0 && inverted === 0,
    shells: shellCount,
    triangles: triangleCount(mesh),
    vertices: countUsedVertices(mesh),
    volume_mm3: round(volume, 3),
    area_mm2: round(area_mm2(mesh), 3),
    bbox_mm: { min: bb.min.map((x) => round(x, 4)) as Vec3, max: bb.max.map((x) => round(x, 4)) as Vec3 },
    openEdges: topo.openEdges,
    nonManifoldEdges: topo.nonManifoldEdges,
    misorientedEdges: topo.misorientedEdges,
    nonManifoldVertices: topo.nonManifoldVertices,
    invertedShells: inverted,
    enclosedShells: enclosed,
  };
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
