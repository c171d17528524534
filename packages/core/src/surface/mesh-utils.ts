/**
 * Basic mesh measures, shells, compaction and concatenation; the undirected-edge table they
 * build on is in edge-table.ts. Everything works on plain typed arrays (no per-triangle
 * objects) so a 5-million-triangle skull stays fast and small.
 */
import type { Vec3 } from '../geometry/grid.js';
import type { Mesh } from '../geometry/types.js';
import { makeSets } from '../geometry/union-find.js';
import { buildEdgeTable, type EdgeTable } from './edge-table.js';
import { toShared } from '../parallel/pool.js';

// The edge table's API, still imported from here by most of surface/ (and core's index).
export { buildEdgeTable, compactEdgeTable, edgeUses, heTail, pairedOpposite, type EdgeTable, type EdgeUses } from './edge-table.js';

export function triangleCount(mesh: Mesh): number {
  return (mesh.indices.length / 3) | 0;
}

export function vertexCount(mesh: Mesh): number {
  return (mesh.positions.length / 3) | 0;
}

/** Signed volume (mm³) enclosed by the triangles (divergence theorem); positive when outward-oriented. */
export function signedVolume_mm3(mesh: Mesh, triangles?: ArrayLike<number>): number {
  const p = mesh.positions;
  const ix = mesh.indices;
  const n = triangles ? triangles.length : ix.length / 3;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const t = triangles ? triangles[i]! : i;
    const a = 3 * ix[3 * t]!;
    const b = 3 * ix[3 * t + 1]!;
    const c = 3 * ix[3 * t + 2]!;
    sum += tripleProduct(p, a, b, c);
  }
  return sum / 6;
}

export function tripleProduct(p: Float32Array, a: number, b: number, c: number): number {
  const ax = p[a]!, ay = p[a + 1]!, az = p[a + 2]!;
  const bx = p[b]!, by = p[b + 1]!, bz = p[b + 2]!;
  const cx = p[c]!, cy = p[c + 1]!, cz = p[c + 2]!;
  return ax * (by * cz - bz * cy) - ay * (bx * cz - bz * cx) + az * (bx * cy - by * cx);
}

/** Surface area in mm². */
export function area_mm2(mesh: Mesh): number {
  const p = mesh.positions;
  const ix = mesh.indices;
  let sum = 0;
  for (let i = 0; i < ix.length; i += 3) sum += triangleArea(p, 3 * ix[i]!, 3 * ix[i + 1]!, 3 * ix[i + 2]!);
  return sum;
}

export function triangleArea(p: Float32Array, a: number, b: number, c: number): number {
  const ux = p[b]! - p[a]!, uy = p[b + 1]! - p[a + 1]!, uz = p[b + 2]! - p[a + 2]!;
  const vx = p[c]! - p[a]!, vy = p[c + 1]! - p[a + 1]!, vz = p[c + 2]! - p[a + 2]!;
  const nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
  return 0.5 * Math.sqrt(nx * nx + ny * ny + nz * nz);
}

/** 1 for every vertex a triangle uses. */
export function usedVertexMask(mesh: Mesh): Uint8Array {
  const ix = mesh.indices;
  const used = new Uint8Array(vertexCount(mesh));
  for (let i = 0; i < ix.length; i++) used[ix[i]!] = 1;
  return used;
}

/** Bounding box (LPS mm) of the vertices the triangles use (`used`: usedVertexMask, when at hand). */
export function bbox_mm(mesh: Mesh, used: Uint8Array = usedVertexMask(mesh)): { min: Vec3; max: Vec3 } {
  const p = mesh.positions;
  // Each used vertex once (a vertex is in about six triangles), in index order.
  let x0 = Infinity, y0 = Infinity, z0 = Infinity, x1 = -Infinity, y1 = -Infinity, z1 = -Infinity;
  for (let v = 0, o = 0; v < used.length; v++, o += 3) {
    if (!used[v]) continue;
    const x = p[o]!, y = p[o + 1]!, z = p[o + 2]!;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
    if (z < z0) z0 = z;
    if (z > z1) z1 = z;
  }
  return { min: [x0, y0, z0], max: [x1, y1, z1] };
}

/** Shells of a mesh: each triangle's shell id, ids numbered by the lowest triangle they contain. */
export interface MeshShells {
  shellOf: Uint32Array;
  shellCount: number;
}

/**
 * Shells with what the clean-up learnt of them, where it did: which encloses which (pairs of
 * shell ids, as shellEnclosures gives them; fillCavities uses them) and each one's signed volume (mm³).
 */
export interface NestedShells extends MeshShells {
  enclosures?: Uint32Array;
  volumes?: Float64Array;
}

/**
 * Shells: connected components of triangles, two triangles being connected when they share
 * an edge. Shell ids are numbered by the lowest triangle they contain (deterministic).
 */
export function labelShells(mesh: Mesh, edges?: EdgeTable): MeshShells {
  const nTri = triangleCount(mesh);
  const et = edges ?? buildEdgeTable(mesh.indices, vertexCount(mesh));
  const { edgeStart, edgeHe, edgeCount } = et;
  // Union-find inlined (union-find.ts's rules: path halving, the smaller root wins), so every
  // set's root is its lowest triangle.
  const parent = makeSets(new Uint32Array(nTri));
  for (let e = 0; e < edgeCount; e++) {
    const end = edgeStart[e + 1]!;
    const t0 = (edgeHe[edgeStart[e]!]! / 3) | 0;
    for (let i = edgeStart[e]! + 1; i < end; i++) {
      let a = t0;
      while (parent[a] !== a) a = parent[a] = parent[parent[a]!]!;
      let b = (edgeHe[i]! / 3) | 0;
      while (parent[b] !== b) b = parent[b] = parent[parent[b]!]!;
      if (a < b) parent[b] = a;
      else if (b < a) parent[a] = b;
    }
  }
  // In triangle order a set's root (its lowest triangle) comes first and opens a new shell;
  // every later member takes its root's label.
  const shellOf = new Uint32Array(nTri);
  let shellCount = 0;
  for (let t = 0; t < nTri; t++) {
    let r = parent[t]!;
    if (r === t) {
      shellOf[t] = shellCount++;
      continue;
    }
    while (parent[r] !== r) r = parent[r]!;
    parent[t] = r;
    shellOf[t] = shellOf[r]!;
  }
  return { shellOf, shellCount };
}

/**
 * Marks (out[v] = 1) every vertex of the shells with fewer than `limit` triangles; counts those
 * shells and the vertices newly marked. Used where a whole-mesh filter would wreck a small shell:
 * decimation (a quadric simplifier collapses it away) and smoothing (a low-pass filter draws it to
 * its centroid).
 */
export function markSmallShells(mesh: Mesh, shells: MeshShells, limit: number, out: Uint8Array): { shells: number; marked: number } {
  const { shellOf, shellCount } = shells;
  const size = new Uint32Array(shellCount);
  for (let t = 0; t < shellOf.length; t++) size[shellOf[t]!]!++;
  let small = 0;
  for (let c = 0; c < shellCount; c++) if (size[c]! < limit) small++;
  let marked = 0;
  if (small === 0) return { shells: 0, marked };
  const I = mesh.indices;
  for (let t = 0; t < shellOf.length; t++) {
    if (size[shellOf[t]!]! >= limit) continue;
    for (let k = 0; k < 3; k++) {
      const v = I[3 * t + k]!;
      if (!out[v]) {
        out[v] = 1;
        marked++;
      }
    }
  }
  return { shells: small, marked };
}

/**
 * Connected components of triangles joined at shared vertices (union-find over vertices, no
 * edge table), numbered like labelShells by their lowest triangle. Equal to labelShells on a
 * manifold mesh (every vertex fan is edge-connected there); used to split exports into parts.
 */
export function labelShellsByVertex(mesh: Mesh): MeshShells {
  const ix = mesh.indices;
  const nTri = triangleCount(mesh);
  const parent = makeSets(new Uint32Array(vertexCount(mesh)));
  unionTriangleVertices(ix, parent);
  const idOfRoot = new Int32Array(parent.length).fill(-1);
  const shellOf = new Uint32Array(nTri);
  let shellCount = 0;
  for (let t = 0; t < nTri; t++) {
    const r = parent[ix[3 * t]!]!;
    let id = idOfRoot[r]!;
    if (id === -1) id = idOfRoot[r] = shellCount++;
    shellOf[t] = id;
  }
  return { shellOf, shellCount };
}

/**
 * Joins the three vertices of every triangle in `parent` (union-find.ts's rules inlined: path
 * halving, the smaller root wins, so parent[v] ≤ v throughout), then points every vertex
 * straight at its root (in ascending order, one step each).
 */
export function unionTriangleVertices(ix: Uint32Array, parent: Uint32Array | Int32Array): void {
  for (let h = 0; h + 2 < ix.length; h += 3) {
    let a = ix[h]!;
    while (parent[a] !== a) a = parent[a] = parent[parent[a]!]!;
    for (let k = 1; k < 3; k++) {
      let b = ix[h + k]!;
      while (parent[b] !== b) b = parent[b] = parent[parent[b]!]!;
      if (a < b) parent[b] = a;
      else if (b < a) {
        parent[a] = b;
        a = b;
      }
    }
  }
  for (let v = 0; v < parent.length; v++) parent[v] = parent[parent[v]!]!;
}

/** Per-shell signed volumes (mm³). */
export function shellVolumes_mm3(mesh: Mesh, shellOf: Uint32Array, shellCount: number): Float64Array {
  const vol = new Float64Array(shellCount);
  const p = mesh.positions;
  const ix = mesh.indices;
  for (let t = 0; t < shellOf.length; t++) {
    vol[shellOf[t]!]! += tripleProduct(p, 3 * ix[3 * t]!, 3 * ix[3 * t + 1]!, 3 * ix[3 * t + 2]!) / 6;
  }
  return vol;
}

/**
 * Keeps only the triangles with keep[t] != 0 and the vertices they use (renumbered in order
 * of first use by the kept triangles, so the result is deterministic). Groups follow.
 */
export function compactMesh(mesh: Mesh, keep?: Uint8Array, vertexRemap?: Int32Array): Mesh {
  const nTri = triangleCount(mesh);
  const remap = vertexRemap ?? new Int32Array(vertexCount(mesh));
  remap.fill(-1);
  let nt = 0;
  for (let t = 0; t < nTri; t++) if (!keep || keep[t]) nt++;
  const indices = new Uint32Array(3 * nt);
  const groups = mesh.groups ? new Uint32Array(nt) : undefined;
  let nv = 0;
  let o = 0;
  for (let t = 0; t < nTri; t++) {
    if (keep && !keep[t]) continue;
    if (groups) groups[o / 3] = mesh.groups![t]!;
    for (let c = 0; c < 3; c++) {
      const v = mesh.indices[3 * t + c]!;
      if (remap[v] === -1) remap[v] = nv++;
      indices[o++] = remap[v]!;
    }
  }
  const positions = new Float32Array(3 * nv);
  for (let v = 0; v < remap.length; v++) {
    const r = remap[v]!;
    if (r >= 0) {
      positions[3 * r] = mesh.positions[3 * v]!;
      positions[3 * r + 1] = mesh.positions[3 * v + 1]!;
      positions[3 * r + 2] = mesh.positions[3 * v + 2]!;
    }
  }
  return groups ? { positions, indices, groups } : { positions, indices };
}

/** Concatenates meshes (vertex indices offset); groups, when any input has them, follow. */
export function concatMeshes(meshes: Mesh[]): Mesh {
  let nv = 0;
  let ni = 0;
  for (const m of meshes) {
    nv += m.positions.length;
    ni += m.indices.length;
  }
  const positions = new Float32Array(nv);
  const indices = new Uint32Array(ni);
  const anyGroups = meshes.some((m) => m.groups);
  const groups = anyGroups ? new Uint32Array(ni / 3) : undefined;
  let pv = 0;
  let pi = 0;
  for (const m of meshes) {
    positions.set(m.positions, pv);
    const off = pv / 3;
    for (let i = 0; i < m.indices.length; i++) indices[pi + i] = m.indices[i]! + off;
    if (groups && m.groups) groups.set(m.groups, pi / 3);
    pv += m.positions.length;
    pi += m.indices.length;
  }
  return groups ? { positions, indices, groups } : { positions, indices };
}

/** Flips the winding of the listed triangles in place (swaps corners 1 and 2). */
export function flipTriangle(indices: Uint32Array, t: number): void {
  const tmp = indices[3 * t + 1]!;
  indices[3 * t + 1] = indices[3 * t + 2]!;
  indices[3 * t + 2] = tmp;
}

/** A mesh's positions and indices on shared memory (toShared), to post to a pool task. */
export function sharedMesh(m: Mesh): Mesh {
  return { positions: toShared(m.positions), indices: toShared(m.indices) };
}

export function cloneMesh(mesh: Mesh): Mesh {
  const m: Mesh = { positions: mesh.positions.slice(), indices: mesh.indices.slice() };
  if (mesh.groups) m.groups = mesh.groups.slice();
  return m;
}

/** Triangles around each vertex (CSR: tris[start[v] .. start[v + 1]]). */
export function vertexTriangles(mesh: Mesh): { start: Uint32Array; tris: Uint32Array } {
  const nv = mesh.positions.length / 3, ix = mesh.indices;
  const start = new Uint32Array(nv + 1);
  for (let i = 0; i < ix.length; i++) start[ix[i]! + 1]!++;
  for (let v = 0; v < nv; v++) start[v + 1]! += start[v]!;
  const fill = start.slice(0, nv);
  const tris = new Uint32Array(ix.length);
  for (let i = 0; i < ix.length; i++) tris[fill[ix[i]!]!++] = (i / 3) | 0;
  return { start, tris };
}
