/**
 * Face checks of the clean-up: faces with a repeated vertex and duplicated faces are dropped,
 * with a linear pre-check on the edge table that skips the face hash for an extractor's
 * closed output.
 */
import type { Mesh } from '../geometry/types.js';
import { buildEdgeTable, edgeUses, labelShells, triangleCount, vertexCount, type EdgeTable, type MeshShells } from './mesh-utils.js';

/** What the face checks dropped; `keep` (1 for every kept triangle) only when they dropped any. */
export interface FaceCheck {
  mesh: Mesh;
  degenerate: number;
  duplicate: number;
  keep?: Uint8Array;
}

/**
 * Drops faces with a repeated vertex (zero area after merging), and duplicated faces: two
 * copies with opposite winding cancel (both go, they are a zero-thickness fin), extra copies
 * with the same winding go.
 */
export function removeDegenerateFaces(mesh: Mesh): FaceCheck {
  return facesChecked(mesh, undefined);
}

/**
 * removeDegenerateFaces where only the triangles `among` (ascending) can be degenerate or
 * duplicated, all others being known clean: the same result, the hash over those alone. The
 * checks decide within each set of faces on the same three vertices, in triangle order, so
 * leaving out triangles that share their vertex set with no other changes no decision.
 */
export function removeDegenerateFacesAmong(mesh: Mesh, among: Uint32Array): FaceCheck {
  return facesChecked(mesh, among);
}

function facesChecked(mesh: Mesh, among: Uint32Array | undefined): FaceCheck {
  const ix = mesh.indices;
  const nTri = triangleCount(mesh);
  const keep = new Uint8Array(nTri);
  if (among) keep.fill(1);
  const n = among ? among.length : nTri;
  let degenerate = 0;
  let size = 1;
  while (size < 2 * n) size <<= 1;
  const table = new Int32Array(size).fill(-1);
  let duplicate = 0;
  for (let k = 0; k < n; k++) {
    const t = among ? among[k]! : k;
    const a = ix[3 * t]!, b = ix[3 * t + 1]!, c = ix[3 * t + 2]!;
    if (a === b || b === c || a === c) {
      degenerate++;
      keep[t] = 0;
      continue;
    }
    keep[t] = 1;
    const lo = Math.min(a, b, c), hi = Math.max(a, b, c), mid = a + b + c - lo - hi;
    let h = Math.imul(lo, 0x9e3779b1) ^ Math.imul(mid, 0x85ebca6b) ^ Math.imul(hi, 0xc2b2ae35);
    h ^= h >>> 16;
    let slot = h & (size - 1);
    for (;;) {
      const u = table[slot]!;
      if (u === -1) {
        table[slot] = t;
        break;
      }
      if (keep[u] && sameVertexSet(ix, u, lo, mid, hi)) {
        duplicate++;
        keep[t] = 0;
        if (sameWinding(ix, u, a, b, c)) break;
        keep[u] = 0; // opposite winding: the pair cancels
        duplicate++;
        break;
      }
      slot = (slot + 1) & (size - 1);
    }
  }
  if (degenerate + duplicate === 0) return { mesh, degenerate, duplicate };
  return { mesh: keptFaces(mesh, keep), degenerate, duplicate, keep };
}

/**
 * The triangles `keep` marks (removeDegenerateFaces' `keep`), with their groups, on `mesh`'s
 * positions: the same triangles for a mesh whose vertices have moved since the faces were checked.
 */
export function keptFaces(mesh: Mesh, keep: Uint8Array): Mesh {
  return compactTrianglesOnly(mesh, keep);
}

function sameVertexSet(ix: Uint32Array, u: number, lo: number, mid: number, hi: number): boolean {
  const a = ix[3 * u]!, b = ix[3 * u + 1]!, c = ix[3 * u + 2]!;
  const l = Math.min(a, b, c), h = Math.max(a, b, c);
  return l === lo && h === hi && a + b + c - l - h === mid;
}

function sameWinding(ix: Uint32Array, u: number, a: number, b: number, c: number): boolean {
  const x = ix[3 * u]!, y = ix[3 * u + 1]!, z = ix[3 * u + 2]!;
  return (x === a && y === b && z === c) || (x === b && y === c && z === a) || (x === c && y === a && z === b);
}

/** Keeps the listed triangles without renumbering vertices (callers compact at the end). */
function compactTrianglesOnly(mesh: Mesh, keep: Uint8Array): Mesh {
  let n = 0;
  for (let t = 0; t < keep.length; t++) if (keep[t]) n++;
  const indices = new Uint32Array(3 * n);
  const groups = mesh.groups ? new Uint32Array(n) : undefined;
  const ix = mesh.indices;
  let o = 0;
  for (let t = 0; t < keep.length; t++) {
    if (!keep[t]) continue;
    if (groups) groups[o] = mesh.groups![t]!;
    // three plain copies: a subarray per triangle (a view object each) measured ~100 ms on a skull
    const h = 3 * t, d = 3 * o++;
    indices[d] = ix[h]!;
    indices[d + 1] = ix[h + 1]!;
    indices[d + 2] = ix[h + 2]!;
  }
  return groups ? { positions: mesh.positions, indices, groups } : { positions: mesh.positions, indices };
}

/**
 * removeDegenerateFaces and the edge table of its output, without the face hash when the
 * edge table and the shells prove there is nothing to drop: no face repeats a vertex, every
 * edge is used exactly twice, and no shell has exactly two triangles. With two uses per edge
 * and no repeated vertex, a duplicated face (either winding) shares all three edges with its
 * copy and with nothing else, so the pair is a shell of its own, and a shell of two triangles
 * is such a pair. An extractor's closed output takes this path (its shells come back with
 * it); anything else gets the hash, and the table is rebuilt only if faces went.
 */
export function checkedFacesAndEdges(mesh: Mesh): { m2: FaceCheck; edges: EdgeTable; shells?: MeshShells } {
  const ix = mesh.indices;
  const nv = vertexCount(mesh);
  let degenerate = false;
  for (let h = 0; h < ix.length && !degenerate; h += 3) {
    const a = ix[h]!, b = ix[h + 1]!, c = ix[h + 2]!;
    degenerate = a === b || b === c || a === c;
  }
  if (degenerate) {
    const m2 = removeDegenerateFaces(mesh);
    return { m2, edges: buildEdgeTable(m2.mesh.indices, nv) };
  }
  const edges = buildEdgeTable(ix, nv);
  const uses = edgeUses(ix, edges);
  if (uses.open + uses.nonManifold === 0) {
    const shells = labelShells(mesh, edges);
    if (!hasTwoTriangleShell(shells)) return { m2: { mesh, degenerate: 0, duplicate: 0 }, edges, shells };
  }
  const m2 = removeDegenerateFaces(mesh);
  return { m2, edges: m2.mesh === mesh ? edges : buildEdgeTable(m2.mesh.indices, nv) };
}

/**
 * The face checks of checkedFacesAndEdges on a mesh whose faces were clean (no degenerate or
 * duplicate face) before a few vertices were merged into those `touched` marks: only faces on a
 * touched vertex can have become degenerate or duplicated, so only they are hashed (`among`: those
 * triangles, ascending); the same faces kept. After smoothing, a collapsed pocket can put two
 * vertices on one position (default convert of ct/philips-head-phantom-1mm: one pair, 6 faces
 * cancel): the second clean-up then took 720-800 ms with the full checks and ~400 ms with these
 * (and ~240 ms where it need not build the edge table of the faces kept: cleanup.ts checkedNear).
 */
export function checkedFacesNear(mesh: Mesh, touched: Uint8Array): { m2: FaceCheck; among: Uint32Array } {
  const ix = mesh.indices;
  const nTri = triangleCount(mesh);
  let n = 0;
  for (let t = 0; t < nTri; t++) if (touched[ix[3 * t]!] || touched[ix[3 * t + 1]!] || touched[ix[3 * t + 2]!]) n++;
  const among = new Uint32Array(n);
  n = 0;
  for (let t = 0; t < nTri; t++) if (touched[ix[3 * t]!] || touched[ix[3 * t + 1]!] || touched[ix[3 * t + 2]!]) among[n++] = t;
  return { m2: removeDegenerateFacesAmong(mesh, among), among };
}

function hasTwoTriangleShell({ shellOf, shellCount }: MeshShells): boolean {
  const n = new Uint32Array(shellCount);
  for (let t = 0; t < shellOf.length; t++) n[shellOf[t]!]!++;
  for (let s = 0; s < shellCount; s++) if (n[s] === 2) return true;
  return false;
}
