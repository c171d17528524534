/**
 * Triangles of a mesh that cross other triangles of the same mesh. A closed, manifold, oriented
 * mesh can still pass through itself (a fold, or the two faces of a thin wall moved past each
 * other); a slicer then sees overlapping outlines and may leave a hole or a notch. Marching cubes
 * never does this, but moving vertices can: edge placement (each vertex along its own normal)
 * and smoothing.
 *
 * Own code (no library here takes flat typed arrays and answers in linear time): the triangles
 * binned in distance.ts's uniform grid (each in every cell its bounding box touches), and each
 * pair of triangles in a cell tested once (in the cell holding the low corner of their boxes'
 * overlap). Pairs that share an edge are neighbours, not crossings; pairs that share one corner
 * cross when an edge not at that corner passes through the other triangle. The test is Möller's
 * segment-triangle test in double precision: touching within ~1e-12 of a triangle's size does
 * not count, which can miss exact touches but never reports a neighbour.
 */
import { buildTriangleGrid } from './distance.js';

export interface SelfIntersections {
  /** Pairs of triangles that cross. */
  pairs: number;
  /** 1 for a triangle that crosses another (length: triangle count). */
  crossing: Uint8Array;
  /** How many triangles have crossing[t] = 1. */
  triangles: number;
}

/** Crossing triangle pairs of `indices` over `positions`. */
export function findSelfIntersections(positions: Float32Array, indices: Uint32Array): SelfIntersections {
  const nt = indices.length / 3;
  const crossing = new Uint8Array(nt);
  if (nt < 2) return { pairs: 0, crossing, triangles: 0 };
  const { origin, cell, dims, cellStart, cellTri } = buildTriangleGrid({ positions, indices });
  const [nx, ny, nz] = dims;
  // A coordinate's cell as the grid bins it, so the low corner of two boxes' overlap lies in a cell both triangles are in.
  const cellOf = (x: number, a: number, n: number) => Math.min(n - 1, Math.floor((x - origin[a]) / cell));
  const box = new Float32Array(6 * nt);
  for (let t = 0; t < nt; t++)
    for (let a = 0; a < 3; a++) {
      const x = positions[3 * indices[3 * t]! + a]!, y = positions[3 * indices[3 * t + 1]! + a]!, z = positions[3 * indices[3 * t + 2]! + a]!;
      box[6 * t + a] = Math.min(x, y, z);
      box[6 * t + 3 + a] = Math.max(x, y, z);
    }
  let pairs = 0;
  for (let c = 0; c < nx * ny * nz; c++) {
    const first = cellStart[c]!, end = cellStart[c + 1]!;
    if (end - first < 2) continue;
    const ci = c % nx, cj = Math.floor(c / nx) % ny, ck = Math.floor(c / (nx * ny));
    for (let p = first; p < end; p++) {
      const t = cellTri[p]!;
      const op = 6 * t;
      const px0 = box[op]!, py0 = box[op + 1]!, pz0 = box[op + 2]!, px1 = box[op + 3]!, py1 = box[op + 4]!, pz1 = box[op + 5]!;
      for (let q = p + 1; q < end; q++) {
        const u = cellTri[q]!;
        const oq = 6 * u;
        // Boxes overlap? Then test the pair only in the cell of the overlap's low corner.
        const qx0 = box[oq]!, qx1 = box[oq + 3]!;
        if (qx0 > px1 || qx1 < px0) continue;
        const qy0 = box[oq + 1]!, qy1 = box[oq + 4]!;
        if (qy0 > py1 || qy1 < py0) continue;
        const qz0 = box[oq + 2]!, qz1 = box[oq + 5]!;
        if (qz0 > pz1 || qz1 < pz0) continue;
        if (cellOf(qx0 > px0 ? qx0 : px0, 0, nx) !== ci || cellOf(qy0 > py0 ? qy0 : py0, 1, ny) !== cj || cellOf(qz0 > pz0 ? qz0 : pz0, 2, nz) !== ck) continue;
        if (trianglesCross(positions, indices, t, u)) {
          pairs++;
          crossing[t] = 1;
          crossing[u] = 1;
        }
      }
    }
  }
  let triangles = 0;
  for (let t = 0; t < nt; t++) triangles += crossing[t]!;
  return { pairs, crossing, triangles };
}

/** Do triangles t and u cross (not counting a shared edge or corner)? */
export function trianglesCross(P: ArrayLike<number>, I: Uint32Array, t: number, u: number): boolean {
  const a0 = I[3 * t]!, a1 = I[3 * t + 1]!, a2 = I[3 * t + 2]!;
  const b0 = I[3 * u]!, b1 = I[3 * u + 1]!, b2 = I[3 * u + 2]!;
  const sa0 = a0 === b0 || a0 === b1 || a0 === b2;
  const sa1 = a1 === b0 || a1 === b1 || a1 === b2;
  const sa2 = a2 === b0 || a2 === b1 || a2 === b2;
  const shared = +sa0 + +sa1 + +sa2;
  if (shared >= 2) return false;
  // Either triangle wholly on one side of the other's plane (its shared corner on it): no
  // crossing. Most neighbours on a curved surface end here, before any edge test.
  if (oneSide(P, a0, a1, a2, b0, b1, b2, shared > 0) || oneSide(P, b0, b1, b2, a0, a1, a2, shared > 0)) return false;
  const sb0 = b0 === a0 || b0 === a1 || b0 === a2;
  const sb1 = b1 === a0 || b1 === a1 || b1 === a2;
  const sb2 = b2 === a0 || b2 === a1 || b2 === a2;
  // Each edge of one triangle not at a shared corner, through the other triangle.
  if (!sa0 && !sa1 && edgeThrough(P, a0, a1, b0, b1, b2)) return true;
  if (!sa1 && !sa2 && edgeThrough(P, a1, a2, b0, b1, b2)) return true;
  if (!sa2 && !sa0 && edgeThrough(P, a2, a0, b0, b1, b2)) return true;
  if (!sb0 && !sb1 && edgeThrough(P, b0, b1, a0, a1, a2)) return true;
  if (!sb1 && !sb2 && edgeThrough(P, b1, b2, a0, a1, a2)) return true;
  if (!sb2 && !sb0 && edgeThrough(P, b2, b0, a0, a1, a2)) return true;
  return false;
}

/**
 * Do the corners p, q, r lie strictly on one side of the plane of triangle abc? A corner shared
 * with abc (index equal to a, b or c) lies on the plane and is skipped; `sharing` says one is.
 */
function oneSide(P: ArrayLike<number>, a: number, b: number, c: number, p: number, q: number, r: number, sharing: boolean): boolean {
  const ax = P[3 * a]!, ay = P[3 * a + 1]!, az = P[3 * a + 2]!;
  const e1x = P[3 * b]! - ax, e1y = P[3 * b + 1]! - ay, e1z = P[3 * b + 2]! - az;
  const e2x = P[3 * c]! - ax, e2y = P[3 * c + 1]! - ay, e2z = P[3 * c + 2]! - az;
  const nx = e1y * e2z - e1z * e2y, ny = e1z * e2x - e1x * e2z, nz = e1x * e2y - e1y * e2x;
  // Distances times |n|; a margin of 1e-9 of the triangle's size keeps near-coplanar pairs for the exact tests.
  const n2 = nx * nx + ny * ny + nz * nz;
  const eps = 1e-9 * Math.sqrt(n2) * Math.sqrt(Math.sqrt(n2));
  let above = 0, below = 0;
  for (let k = 0; k < 3; k++) {
    const v = k === 0 ? p : k === 1 ? q : r;
    if (sharing && (v === a || v === b || v === c)) continue;
    const d = nx * (P[3 * v]! - ax) + ny * (P[3 * v + 1]! - ay) + nz * (P[3 * v + 2]! - az);
    if (d > eps) above++;
    else if (d < -eps) below++;
    else return false;
  }
  return above === 0 || below === 0;
}

/** Does the open segment p→q pass through the inside of triangle abc? (Möller–Trumbore.) */
function edgeThrough(P: ArrayLike<number>, p: number, q: number, a: number, b: number, c: number): boolean {
  const px = P[3 * p]!, py = P[3 * p + 1]!, pz = P[3 * p + 2]!;
  const dx = P[3 * q]! - px, dy = P[3 * q + 1]! - py, dz = P[3 * q + 2]! - pz;
  const ax = P[3 * a]!, ay = P[3 * a + 1]!, az = P[3 * a + 2]!;
  const e1x = P[3 * b]! - ax, e1y = P[3 * b + 1]! - ay, e1z = P[3 * b + 2]! - az;
  const e2x = P[3 * c]! - ax, e2y = P[3 * c + 1]! - ay, e2z = P[3 * c + 2]! - az;
  const hx = dy * e2z - dz * e2y, hy = dz * e2x - dx * e2z, hz = dx * e2y - dy * e2x;
  const det = e1x * hx + e1y * hy + e1z * hz;
  const scale = (e1x * e1x + e1y * e1y + e1z * e1z) * Math.sqrt(dx * dx + dy * dy + dz * dz);
  if (Math.abs(det) <= 1e-12 * scale) return false; // parallel (or degenerate): not a crossing
  const f = 1 / det;
  const sx = px - ax, sy = py - ay, sz = pz - az;
  const u = f * (sx * hx + sy * hy + sz * hz);
  if (u <= 0 || u >= 1) return false;
  const qx = sy * e1z - sz * e1y, qy = sz * e1x - sx * e1z, qz = sx * e1y - sy * e1x;
  const v = f * (dx * qx + dy * qy + dz * qz);
  if (v <= 0 || u + v >= 1) return false;
  const s = f * (e2x * qx + e2y * qy + e2z * qz);
  return s > 0 && s < 1;
}

export interface CrossingSite {
  /** Mean of the crossing triangles' centroids in this 5 mm cell (patient mm). */
  at_mm: [number, number, number];
  triangles: number;
}

/** Where the crossing triangles are: grouped in cells of `cell_mm`, the `max` fullest first. */
export function crossingSites(positions: ArrayLike<number>, indices: Uint32Array, crossing: Uint8Array, cell_mm = 5, max = 20): CrossingSite[] {
  const cells = new Map<string, { x: number; y: number; z: number; n: number }>();
  for (let t = 0; t < crossing.length; t++) {
    if (!crossing[t]) continue;
    let x = 0, y = 0, z = 0;
    for (let c = 0; c < 3; c++) {
      const v = 3 * indices[3 * t + c]!;
      x += positions[v]! / 3;
      y += positions[v + 1]! / 3;
      z += positions[v + 2]! / 3;
    }
    const key = `${Math.floor(x / cell_mm)},${Math.floor(y / cell_mm)},${Math.floor(z / cell_mm)}`;
    const s = cells.get(key);
    if (!s) cells.set(key, { x, y, z, n: 1 });
    else {
      s.x += x;
      s.y += y;
      s.z += z;
      s.n++;
    }
  }
  const r2 = (v: number) => Math.round(v * 100) / 100;
  return [...cells.values()]
    .sort((a, b) => b.n - a.n || a.z - b.z || a.y - b.y || a.x - b.x)
    .slice(0, max)
    .map((s) => ({ at_mm: [r2(s.x / s.n), r2(s.y / s.n), r2(s.z / s.n)], triangles: s.n }));
}
