/**
 * A model split into its connected components, so the reviewer can hide one (a loose bone
 * fragment, the table, a screw) and see each one's size. Two triangles belong to the same
 * component when they share a vertex; the mesh must be welded first (core's readStl welds
 * identical positions, so an STL's triangle soup comes in with shared vertices).
 * Pure: no DOM, runs in the mesh worker and in unit specs.
 */
import type { Mesh } from '@scan2print/core';

export interface MeshPart {
  /** Positions (LPS mm) of the vertices this part uses, renumbered from 0. */
  positions: Float32Array;
  indices: Uint32Array;
  triangles: number;
  /** Enclosed volume (mm³, divergence theorem; positive for an outward-oriented closed shell). */
  volume_mm3: number;
  bboxMin: [number, number, number];
  bboxMax: [number, number, number];
}

function find(parent: Uint32Array, x: number): number {
  while (parent[x] !== x) {
    parent[x] = parent[parent[x]!]!; // path halving
    x = parent[x]!;
  }
  return x;
}

function union(parent: Uint32Array, a: number, b: number): void {
  const ra = find(parent, a);
  const rb = find(parent, b);
  if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
}

/** Component id of each triangle (vertex-connected), numbered in order of their lowest triangle. */
export function labelComponents(mesh: Mesh): { componentOf: Uint32Array; count: number } {
  const ix = mesh.indices;
  const nTri = ix.length / 3;
  const parent = new Uint32Array(mesh.positions.length / 3);
  for (let v = 0; v < parent.length; v++) parent[v] = v;
  for (let t = 0; t < nTri; t++) {
    union(parent, ix[3 * t]!, ix[3 * t + 1]!);
    union(parent, ix[3 * t]!, ix[3 * t + 2]!);
  }
  const idOfRoot = new Int32Array(parent.length).fill(-1);
  const componentOf = new Uint32Array(nTri);
  let count = 0;
  for (let t = 0; t < nTri; t++) {
    const r = find(parent, ix[3 * t]!);
    if (idOfRoot[r] === -1) idOfRoot[r] = count++;
    componentOf[t] = idOfRoot[r]!;
  }
  return { componentOf, count };
}

/**
 * The mesh as one sub-mesh per component, largest (most triangles) first; ties keep the
 * order of their lowest triangle, so the order is deterministic.
 */
export function splitComponents(mesh: Mesh): MeshPart[] {
  const { componentOf, count } = labelComponents(mesh);
  const ix = mesh.indices;
  const p = mesh.positions;
  const triCount = new Uint32Array(count);
  for (const c of componentOf) triCount[c]!++;
  const parts: MeshPart[] = [];
  const remap = new Int32Array(p.length / 3).fill(-1);
  // Triangles of each component, in order: one counting-sort pass instead of a filter per component.
  const start = new Uint32Array(count + 1);
  for (let c = 0; c < count; c++) start[c + 1] = start[c]! + triCount[c]!;
  const fill = start.slice(0, count);
  const order = new Uint32Array(componentOf.length);
  for (let t = 0; t < componentOf.length; t++) order[fill[componentOf[t]!]!++] = t;
  for (let c = 0; c < count; c++) {
    const n = triCount[c]!;
    const indices = new Uint32Array(3 * n);
    const used: number[] = [];
    for (let k = 0; k < n; k++) {
      const t = order[start[c]! + k]!;
      for (let j = 0; j < 3; j++) {
        const v = ix[3 * t + j]!;
        if (remap[v] === -1) {
          remap[v] = used.length;
          used.push(v);
        }
        indices[3 * k + j] = remap[v]!;
      }
    }
    const positions = new Float32Array(3 * used.length);
    const bboxMin: [number, number, number] = [Infinity, Infinity, Infinity];
    const bboxMax: [number, number, number] = [-Infinity, -Infinity, -Infinity];
    used.forEach((v, i) => {
      for (let a = 0; a < 3; a++) {
        const x = p[3 * v + a]!;
        positions[3 * i + a] = x;
        if (x < bboxMin[a]!) bboxMin[a] = x;
        if (x > bboxMax[a]!) bboxMax[a] = x;
      }
      remap[v] = -1; // reset for the next component
    });
    parts.push({ positions, indices, triangles: n, volume_mm3: enclosedVolume(positions, indices), bboxMin, bboxMax });
  }
  // Stable sort: equal counts keep the order of their lowest triangle.
  return parts.map((part, i) => ({ part, i })).sort((a, b) => b.part.triangles - a.part.triangles || a.i - b.i).map((x) => x.part);
}

/** Signed volume (mm³) enclosed by the triangles, in float64 about the first vertex (less cancellation far from the origin). */
export function enclosedVolume(p: Float32Array, ix: Uint32Array): number {
  if (ix.length === 0) return 0;
  const ox = p[0]!, oy = p[1]!, oz = p[2]!;
  let sum = 0;
  for (let i = 0; i < ix.length; i += 3) {
    const a = 3 * ix[i]!, b = 3 * ix[i + 1]!, c = 3 * ix[i + 2]!;
    const ax = p[a]! - ox, ay = p[a + 1]! - oy, az = p[a + 2]! - oz;
    const bx = p[b]! - ox, by = p[b + 1]! - oy, bz = p[b + 2]! - oz;
    const cx = p[c]! - ox, cy = p[c + 1]! - oy, cz = p[c + 2]! - oz;
    sum += ax * (by * cz - bz * cy) - ay * (bx * cz - bz * cx) + az * (bx * cy - by * cx);
  }
  return sum / 6;
}

/** Total triangles and volume of a set of parts (a version's summary). */
export function totals(parts: readonly MeshPart[]): { triangles: number; volume_mm3: number } {
  let triangles = 0;
  let volume_mm3 = 0;
  for (const x of parts) {
    triangles += x.triangles;
    volume_mm3 += x.volume_mm3;
  }
  return { triangles, volume_mm3 };
}
