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
 * cross when an edge not at that corner passes through the other triangle (on a closed mesh,
 * never where that corner's fan lies flat: flat-fans.ts). The test is Möller's
 * segment-triangle test in double precision: touching within ~1e-12 of a triangle's size does
 * not count, which can miss exact touches but never reports a neighbour.
 */
import { buildTriangleGrid, type TriangleGrid } from './distance.js';
import { flatFans } from './flat-fans.js';

export interface SelfIntersections {
  /** Pairs of triangles that cross. */
  pairs: number;
  /** 1 for a triangle that crosses another (length: triangle count). */
  crossing: Uint8Array;
  /** How many triangles have crossing[t] = 1. */
  triangles: number;
}

/**
 * Crossing triangle pairs of `indices` over `positions`. `closed`: the caller vouches that every
 * edge is used by exactly two triangles in opposite directions, so the pairs round a vertex
 * whose fan lies flat are skipped (flat-fans.ts); the result is the same.
 */
export function findSelfIntersections(positions: Float32Array, indices: Uint32Array, opts: { closed?: boolean } = {}): SelfIntersections {
  const nt = indices.length / 3;
  const crossing = new Uint8Array(nt);
  if (nt < 2) return { pairs: 0, crossing, triangles: 0 };
  const grid = buildTriangleGrid({ positions, indices });
  const flat = opts.closed ? flatFans(positions, indices) : undefined;
  const pairs = crossingsInCells(positions, indices, grid, 0, grid.cellStart.length - 1, crossing, undefined, undefined, flat);
  let triangles = 0;
  for (let t = 0; t < nt; t++) triangles += crossing[t]!;
  return { pairs, crossing, triangles };
}

/** The cells of a triangle grid (distance.ts) over the mesh whose pairs are tested. */
export type CrossingGrid = Pick<TriangleGrid, 'origin' | 'cell' | 'dims' | 'cellStart' | 'cellTri'> & {
  /** Where cellStart and cellTri hold some cells only (in their own order): the grid cell of each. */
  cellId?: ArrayLike<number>;
};

/**
 * Crossing pairs tested in cells [c0, c1) of `grid` (built over these positions and triangles),
 * or in cells list[c0 .. c1) when a list is given, and only pairs with a triangle t of only[t] = 1
 * when `only` is given: sets crossing[t] = 1 for each triangle of a crossing pair and returns the
 * pair count. Each pair is tested in one cell only (that of the
 * low corner of its boxes' overlap), so disjoint cell ranges (one per worker) add up to the whole.
 * `flat` (flatFans of a closed mesh): pairs sharing only a vertex flagged there are skipped.
 */
export function crossingsInCells(P: Float32Array, I: Uint32Array, grid: CrossingGrid, c0: number, c1: number, crossing: Uint8Array, list?: ArrayLike<number>, only?: Uint8Array, flat?: Uint8Array): number {
  const { origin, cell, dims, cellStart, cellTri } = grid;
  const [nx, ny] = dims;
  // The cell's triangles' boxes, low cells and planes, computed per cell (a triangle is in a few
  // cells): per-triangle arrays over a skull would hold ~120 MB on every thread that runs this.
  let cap = 64;
  let box = new Float64Array(6 * cap), low = new Int32Array(3 * cap), plane = new Float64Array(5 * cap);
  let pairs = 0;
  for (let i = c0; i < c1; i++) {
    const c = list ? list[i]! : i;
    const first = cellStart[c]!, end = cellStart[c + 1]!;
    const n = end - first;
    if (n < 2) continue;
    if (n > cap) {
      cap = 2 * n;
      box = new Float64Array(6 * cap);
      low = new Int32Array(3 * cap);
      plane = new Float64Array(5 * cap);
    }
    for (let p = 0; p < n; p++) triangleBoxAndPlane(P, I, cellTri[first + p]!, origin, cell, dims, box, low, plane, p);
    const g = grid.cellId ? grid.cellId[c]! : c;
    const ci = g % nx, cj = Math.floor(g / nx) % ny, ck = Math.floor(g / (nx * ny));
    for (let p = 0; p < n; p++) {
      const op = 6 * p;
      const px0 = box[op]!, py0 = box[op + 1]!, pz0 = box[op + 2]!, px1 = box[op + 3]!, py1 = box[op + 4]!, pz1 = box[op + 5]!;
      const li = low[3 * p]!, lj = low[3 * p + 1]!, lk = low[3 * p + 2]!;
      const pOnly = only ? only[cellTri[first + p]!] === 1 : true;
      for (let q = p + 1; q < n; q++) {
        if (!pOnly && !only![cellTri[first + q]!]) continue;
        const oq = 6 * q;
        // Boxes overlap? Then test the pair only in the cell of the overlap's low corner (the
        // cell of a coordinate is monotone in it: that cell's indices are the larger of the two lows').
        const qx0 = box[oq]!, qx1 = box[oq + 3]!;
        if (qx0 > px1 || qx1 < px0) continue;
        const qy0 = box[oq + 1]!, qy1 = box[oq + 4]!;
        if (qy0 > py1 || qy1 < py0) continue;
        const qz0 = box[oq + 2]!, qz1 = box[oq + 5]!;
        if (qz0 > pz1 || qz1 < pz0) continue;
        const ui = low[3 * q]!, uj = low[3 * q + 1]!, uk = low[3 * q + 2]!;
        if ((li > ui ? li : ui) !== ci || (lj > uj ? lj : uj) !== cj || (lk > uk ? lk : uk) !== ck) continue;
        const t = cellTri[first + p]!, u = cellTri[first + q]!;
        if (crossPair(P, I, plane, t, p, u, q, flat)) {
          pairs++;
          crossing[t] = 1;
          crossing[u] = 1;
        }
      }
    }
  }
  return pairs;
}

/**
 * Triangle t's box (x0 y0 z0 x1 y1 z1), the grid cell of its low corner (as buildTriangleGrid
 * bins: floor((x − origin) / cell), clamped) and its plane (unnormalised normal n, n·a, the side
 * test's margin), into slot s of the scratch arrays.
 */
function triangleBoxAndPlane(P: Float32Array, I: Uint32Array, t: number, origin: readonly number[], cell: number, dims: readonly number[], box: Float64Array, low: Int32Array, plane: Float64Array, s: number): void {
  const a = 3 * I[3 * t]!, b = 3 * I[3 * t + 1]!, c = 3 * I[3 * t + 2]!;
  const ax = P[a]!, ay = P[a + 1]!, az = P[a + 2]!;
  const bx = P[b]!, by = P[b + 1]!, bz = P[b + 2]!;
  const cx = P[c]!, cy = P[c + 1]!, cz = P[c + 2]!;
  const x0 = ax < bx ? (ax < cx ? ax : cx) : bx < cx ? bx : cx;
  const y0 = ay < by ? (ay < cy ? ay : cy) : by < cy ? by : cy;
  const z0 = az < bz ? (az < cz ? az : cz) : bz < cz ? bz : cz;
  const o6 = 6 * s, o3 = 3 * s, o5 = 5 * s;
  box[o6] = x0;
  box[o6 + 1] = y0;
  box[o6 + 2] = z0;
  box[o6 + 3] = ax > bx ? (ax > cx ? ax : cx) : bx > cx ? bx : cx;
  box[o6 + 4] = ay > by ? (ay > cy ? ay : cy) : by > cy ? by : cy;
  box[o6 + 5] = az > bz ? (az > cz ? az : cz) : bz > cz ? bz : cz;
  low[o3] = Math.min(dims[0]! - 1, Math.floor((x0 - origin[0]!) / cell));
  low[o3 + 1] = Math.min(dims[1]! - 1, Math.floor((y0 - origin[1]!) / cell));
  low[o3 + 2] = Math.min(dims[2]! - 1, Math.floor((z0 - origin[2]!) / cell));
  const e1x = bx - ax, e1y = by - ay, e1z = bz - az;
  const e2x = cx - ax, e2y = cy - ay, e2z = cz - az;
  const nx = e1y * e2z - e1z * e2y, ny = e1z * e2x - e1x * e2z, nz = e1x * e2y - e1y * e2x;
  const n2 = nx * nx + ny * ny + nz * nz;
  plane[o5] = nx;
  plane[o5 + 1] = ny;
  plane[o5 + 2] = nz;
  plane[o5 + 3] = nx * ax + ny * ay + nz * az;
  // Distances times |n|; a margin of 1e-9 of the triangle's size keeps near-coplanar pairs for the exact tests.
  plane[o5 + 4] = 1e-9 * Math.sqrt(n2) * Math.sqrt(Math.sqrt(n2));
}

/** Do triangles t and u cross (not counting a shared edge or corner)? */
export function trianglesCross(P: Float32Array, I: Uint32Array, t: number, u: number): boolean {
  const box = new Float64Array(12), low = new Int32Array(6), plane = new Float64Array(10);
  triangleBoxAndPlane(P, I, t, [0, 0, 0], 1, [1, 1, 1], box, low, plane, 0);
  triangleBoxAndPlane(P, I, u, [0, 0, 0], 1, [1, 1, 1], box, low, plane, 1);
  return crossPair(P, I, plane, t, 0, u, 1);
}

/** Do triangles t and u (planes in slots s and r of `plane`) cross? */
function crossPair(P: Float32Array, I: Uint32Array, plane: Float64Array, t: number, s: number, u: number, r: number, flat?: Uint8Array): boolean {
  const a0 = I[3 * t]!, a1 = I[3 * t + 1]!, a2 = I[3 * t + 2]!;
  const b0 = I[3 * u]!, b1 = I[3 * u + 1]!, b2 = I[3 * u + 2]!;
  const sa0 = a0 === b0 || a0 === b1 || a0 === b2;
  const sa1 = a1 === b0 || a1 === b1 || a1 === b2;
  const sa2 = a2 === b0 || a2 === b1 || a2 === b2;
  const shared = +sa0 + +sa1 + +sa2;
  if (shared >= 2) return false;
  // two triangles round a vertex whose fan lies flat meet at it only (flat-fans.ts)
  if (shared === 1 && flat !== undefined && flat[sa0 ? a0 : sa1 ? a1 : a2] === 1) return false;
  // Either triangle wholly on one side of the other's plane (its shared corner on it): no
  // crossing. Most neighbours on a curved surface end here, before any edge test.
  if (oneSide(P, plane, s, a0, a1, a2, b0, b1, b2, shared > 0) || oneSide(P, plane, r, b0, b1, b2, a0, a1, a2, shared > 0)) return false;
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
 * Do the corners p, q, r lie strictly on one side of the plane of triangle abc (its plane in
 * slot t of `planes`)? A corner shared with it (index equal to a, b or c) lies on the plane
 * and is skipped; `sharing` says one is.
 */
function oneSide(P: Float32Array, planes: Float64Array, t: number, a: number, b: number, c: number, p: number, q: number, r: number, sharing: boolean): boolean {
  const o = 5 * t;
  const nx = planes[o]!, ny = planes[o + 1]!, nz = planes[o + 2]!, d0 = planes[o + 3]!, eps = planes[o + 4]!;
  let above = 0, below = 0;
  for (let k = 0; k < 3; k++) {
    const v = k === 0 ? p : k === 1 ? q : r;
    if (sharing && (v === a || v === b || v === c)) continue;
    const d = nx * P[3 * v]! + ny * P[3 * v + 1]! + nz * P[3 * v + 2]! - d0;
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
