/**
 * Basic mesh measures and the undirected-edge table every topology check, clean-up and
 * smoothing step is built on. Everything works on plain typed arrays (no per-triangle
 * objects) so a 5-million-triangle skull stays fast and small.
 */
import type { Vec3 } from '../geometry/grid.js';
import type { Mesh } from '../geometry/types.js';
import { findRoot, makeSets, unionSets } from '../geometry/union-find.js';

export function triangleCount(mesh: Mesh): number {
  return (mesh.indices.length / 3) | 0;
}

export function vertexCount(mesh: Mesh): number {
  return (mesh.positions.length / 3) | 0;
}

/**
 * Undirected edges of a triangle soup. Half-edge h = 3·t + c runs from corner c to corner
 * (c+1)%3 of triangle t. `heEdge[h]` is its undirected edge; edge e's half-edges are
 * `edgeHe[edgeStart[e] .. edgeStart[e+1])` (ascending h, so the order is deterministic).
 * Edges are numbered by (min vertex, first appearance).
 */
export interface EdgeTable {
  edgeCount: number;
  heEdge: Uint32Array;
  edgeStart: Uint32Array;
  edgeHe: Uint32Array;
  /** Endpoints of edge e: edgeV[2e] < edgeV[2e+1]. */
  edgeV: Uint32Array;
  /** How the edges are used, when whoever made the table counted it on the way (no pass over the edges then). */
  uses?: EdgeUses;
}

/** Edges used once, more than twice, and twice in the same direction (the two tails equal). */
export interface EdgeUses {
  open: number;
  nonManifold: number;
  misoriented: number;
}

/** The table's EdgeUses: as recorded, else counted (one pass over the edges). */
export function edgeUses(indices: Uint32Array, et: EdgeTable): EdgeUses {
  if (et.uses) return et.uses;
  let open = 0;
  let nonManifold = 0;
  let misoriented = 0;
  for (let e = 0; e < et.edgeCount; e++) {
    const s = et.edgeStart[e]!;
    const n = et.edgeStart[e + 1]! - s;
    if (n === 1) open++;
    else if (n > 2) nonManifold++;
    else if (indices[et.edgeHe[s]!] === indices[et.edgeHe[s + 1]!]) misoriented++;
  }
  return { open, nonManifold, misoriented };
}

/** Every edge used exactly twice, in opposite directions. */
export function pairedOpposite(u: EdgeUses): boolean {
  return u.open === 0 && u.nonManifold === 0 && u.misoriented === 0;
}

export function buildEdgeTable(indices: Uint32Array, nVerts: number): EdgeTable {
  const nHe = indices.length;
  const nTri = (nHe / 3) | 0;
  // Bucket half-edges by their smaller endpoint (CSR), keeping the larger one beside each
  // entry, then group each bucket (a handful of entries) by the larger endpoint. A bucket's
  // entries are in ascending half-edge order (filled triangle by triangle, corner by corner),
  // so each edge's half-edges are written straight into edgeHe in ascending order.
  const count = new Uint32Array(nVerts + 1);
  for (let t = 0, h = 0; t < nTri; t++, h += 3) {
    const a = indices[h]!, b = indices[h + 1]!, c = indices[h + 2]!;
    count[(a < b ? a : b) + 1]!++;
    count[(b < c ? b : c) + 1]!++;
    count[(c < a ? c : a) + 1]!++;
  }
  for (let v = 0; v < nVerts; v++) count[v + 1]! += count[v]!;
  const fill = count.slice(0, nVerts);
  const bucket = new Uint32Array(nHe);
  const other = new Uint32Array(nHe);
  // 1 where the half-edge runs from the smaller endpoint: two uses of an edge with the same
  // value run the same way (misoriented), counted here without reading the indices again.
  const up = new Uint8Array(nHe);
  for (let t = 0, h = 0; t < nTri; t++, h += 3) {
    const a = indices[h]!, b = indices[h + 1]!, c = indices[h + 2]!;
    let i = a < b ? fill[a]!++ : fill[b]!++;
    bucket[i] = h;
    other[i] = a < b ? b : a;
    up[i] = a < b ? 1 : 0;
    i = b < c ? fill[b]!++ : fill[c]!++;
    bucket[i] = h + 1;
    other[i] = b < c ? c : b;
    up[i] = b < c ? 1 : 0;
    i = c < a ? fill[c]!++ : fill[a]!++;
    bucket[i] = h + 2;
    other[i] = c < a ? a : c;
    up[i] = c < a ? 1 : 0;
  }
  const heEdge = new Uint32Array(nHe);
  const edgeHe = new Uint32Array(nHe);
  // A closed mesh has nHe / 2 edges; an open one up to nHe (the arrays grow when needed).
  let edgeV: Uint32Array<ArrayBuffer> = new Uint32Array(nHe + 2);
  let edgeStart: Uint32Array<ArrayBuffer> = new Uint32Array((nHe >> 1) + 2);
  const DONE = 0xffffffff; // `other` of a slot already grouped (never a vertex index)
  let edgeCount = 0;
  let o = 0;
  let open = 0;
  let nonManifold = 0;
  let misoriented = 0;
  for (let v = 0; v < nVerts; v++) {
    const s = count[v]!;
    const e = count[v + 1]!;
    for (let i = s; i < e; i++) {
      const w = other[i]!;
      if (w === DONE) continue;
      const id = edgeCount++;
      if (id + 2 > edgeStart.length) edgeStart = growU32(edgeStart, 2 * edgeStart.length);
      if (2 * id + 2 > edgeV.length) edgeV = growU32(edgeV, 2 * edgeV.length);
      edgeStart[id] = o;
      edgeV[2 * id] = v;
      edgeV[2 * id + 1] = w;
      heEdge[bucket[i]!] = id;
      edgeHe[o++] = bucket[i]!;
      let n = 1;
      let same = 0;
      for (let j = i + 1; j < e; j++) {
        if (other[j] === w) {
          other[j] = DONE;
          heEdge[bucket[j]!] = id;
          edgeHe[o++] = bucket[j]!;
          n++;
          if (up[j] === up[i]) same = 1;
        }
      }
      if (n === 1) open++;
      else if (n > 2) nonManifold++;
      else misoriented += same;
    }
  }
  edgeStart[edgeCount] = o;
  return {
    edgeCount,
    heEdge,
    edgeStart: edgeStart.subarray(0, edgeCount + 1),
    edgeHe,
    edgeV: edgeV.subarray(0, 2 * edgeCount),
    uses: { open, nonManifold, misoriented },
  };
}

function growU32(a: Uint32Array, n: number): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(n);
  b.set(a);
  return b;
}

/** Tail vertex of half-edge h (its direction is tail → head). */
export function heTail(indices: Uint32Array, h: number): number {
  return indices[h]!;
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

/**
 * Shells: connected components of triangles, two triangles being connected when they share
 * an edge. Shell ids are numbered by the lowest triangle they contain (deterministic).
 */
export function labelShells(mesh: Mesh, edges?: EdgeTable): { shellOf: Uint32Array; shellCount: number } {
  const nTri = triangleCount(mesh);
  const et = edges ?? buildEdgeTable(mesh.indices, vertexCount(mesh));
  const parent = makeSets(new Uint32Array(nTri));
  const find = (x: number): number => findRoot(parent, x);
  for (let e = 0; e < et.edgeCount; e++) {
    const s = et.edgeStart[e]!;
    const t0 = (et.edgeHe[s]! / 3) | 0;
    for (let i = s + 1; i < et.edgeStart[e + 1]!; i++) unionSets(parent, t0, (et.edgeHe[i]! / 3) | 0);
  }
  const shellOf = new Uint32Array(nTri);
  const idOfRoot = new Int32Array(nTri).fill(-1);
  let shellCount = 0;
  for (let t = 0; t < nTri; t++) {
    const r = find(t);
    if (idOfRoot[r] === -1) idOfRoot[r] = shellCount++;
    shellOf[t] = idOfRoot[r]!;
  }
  return { shellOf, shellCount };
}

/**
 * Connected components of triangles joined at shared vertices (union-find over vertices, no
 * edge table), numbered like labelShells by their lowest triangle. Equal to labelShells on a
 * manifold mesh (every vertex fan is edge-connected there); used to split exports into parts.
 */
export function labelShellsByVertex(mesh: Mesh): { shellOf: Uint32Array; shellCount: number } {
  const ix = mesh.indices;
  const nTri = triangleCount(mesh);
  const parent = makeSets(new Uint32Array(vertexCount(mesh)));
  const find = (x: number): number => findRoot(parent, x);
  for (let t = 0; t < nTri; t++) {
    unionSets(parent, ix[3 * t]!, ix[3 * t + 1]!);
    unionSets(parent, ix[3 * t]!, ix[3 * t + 2]!);
  }
  const idOfRoot = new Int32Array(parent.length).fill(-1);
  const shellOf = new Uint32Array(nTri);
  let shellCount = 0;
  for (let t = 0; t < nTri; t++) {
    const r = find(ix[3 * t]!);
    if (idOfRoot[r] === -1) idOfRoot[r] = shellCount++;
    shellOf[t] = idOfRoot[r]!;
  }
  return { shellOf, shellCount };
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

/**
 * The edge table of compactMesh(mesh, keep, remap) derived from the mesh's own, when `keep`
 * drops whole shells (every edge then keeps all its uses or none): no rebuild. Edges keep their
 * relative order; endpoints are renumbered (and put in ascending order again).
 */
export function compactEdgeTable(et: EdgeTable, keep: Uint8Array, vertexRemap: Int32Array): EdgeTable {
  const nTri = keep.length;
  const triNew = new Int32Array(nTri);
  let nt = 0;
  for (let t = 0; t < nTri; t++) triNew[t] = keep[t] ? nt++ : -1;
  // Whole shells go, so the kept edges hold exactly the kept triangles' 3·nt half-edges; the
  // edge count is at most the old one: one pass, the edge arrays trimmed at the end.
  const heEdge = new Uint32Array(3 * nt);
  const edgeHe = new Uint32Array(3 * nt);
  const edgeStart = new Uint32Array(et.edgeCount + 1);
  const edgeV = new Uint32Array(2 * et.edgeCount);
  let edgeCount = 0;
  let o = 0;
  for (let e = 0; e < et.edgeCount; e++) {
    const s = et.edgeStart[e]!;
    const end = et.edgeStart[e + 1]!;
    if (!keep[(et.edgeHe[s]! / 3) | 0]) continue;
    const id = edgeCount++;
    if (o + end - s > edgeHe.length) throw new Error('compactEdgeTable: keep must drop whole shells');
    for (let i = s; i < end; i++) {
      const h = et.edgeHe[i]!;
      const t = (h / 3) | 0;
      const h2 = 3 * triNew[t]! + (h - 3 * t);
      edgeHe[o++] = h2;
      heEdge[h2] = id;
    }
    edgeStart[id + 1] = o;
    const a = vertexRemap[et.edgeV[2 * e]!]!, b = vertexRemap[et.edgeV[2 * e + 1]!]!;
    edgeV[2 * id] = a < b ? a : b;
    edgeV[2 * id + 1] = a < b ? b : a;
  }
  if (o !== edgeHe.length) throw new Error('compactEdgeTable: keep must drop whole shells');
  const out: EdgeTable = { edgeCount, heEdge, edgeStart: edgeStart.subarray(0, edgeCount + 1), edgeHe, edgeV: edgeV.subarray(0, 2 * edgeCount) };
  // A subset of edges that were all used twice in opposite directions still is; other counts are not known.
  if (et.uses && pairedOpposite(et.uses)) out.uses = { open: 0, nonManifold: 0, misoriented: 0 };
  return out;
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

export function cloneMesh(mesh: Mesh): Mesh {
  const m: Mesh = { positions: mesh.positions.slice(), indices: mesh.indices.slice() };
  if (mesh.groups) m.groups = mesh.groups.slice();
  return m;
}
