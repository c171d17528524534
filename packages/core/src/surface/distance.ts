/**
 * Distances between two meshes: for sample points of A (its vertices and triangle centroids)
 * the exact distance to the nearest triangle of B, found through a uniform grid over B's
 * triangles searched in growing rings. The symmetric Hausdorff distance is the larger of the
 * two one-sided maxima. Used to bound what decimation changed.
 */
import type { Mesh } from '../geometry/types.js';
import { round } from '../pipeline/record.js';
import { bbox_mm } from './mesh-utils.js';

export interface TriangleGrid {
  mesh: Mesh;
  origin: [number, number, number];
  cell: number;
  dims: [number, number, number];
  cellStart: Uint32Array;
  cellTri: Uint32Array;
}

/**
 * Bins the triangles of a mesh into cubic cells about twice the mean edge length (the grid
 * reaching the `cover` positions too, where given). One pass
 * reads each triangle once (bounds and edge lengths, no closures or Math.hypot: this runs over
 * a million triangles per accuracy measure). A triangle's cells are those of its xyz box; as
 * the cell of a coordinate is monotone in it, the box's cell range is the min/max of its
 * corners' cells, so each vertex's cell is computed once (a vertex is in ~6 triangles) and
 * the counting and filling passes only take integer min/max.
 */
export function buildTriangleGrid(mesh: Mesh, maxCells = 4_000_000, shared = false, cover?: Float32Array): TriangleGrid {
  const p = mesh.positions;
  const ix = mesh.indices;
  const nTri = ix.length / 3;
  if (nTri === 0) return { mesh, origin: [0, 0, 0], cell: 1, dims: [1, 1, 1], cellStart: new Uint32Array(2), cellTri: new Uint32Array(0) };
  let lx = Infinity, ly = Infinity, lz = Infinity, hx = -Infinity, hy = -Infinity, hz = -Infinity;
  let edgeSum = 0;
  for (let t = 0; t < nTri; t++) {
    const a = 3 * ix[3 * t]!, b = 3 * ix[3 * t + 1]!, c = 3 * ix[3 * t + 2]!;
    const ax = p[a]!, ay = p[a + 1]!, az = p[a + 2]!;
    const bx = p[b]!, by = p[b + 1]!, bz = p[b + 2]!;
    const cx = p[c]!, cy = p[c + 1]!, cz = p[c + 2]!;
    let dx = bx - ax, dy = by - ay, dz = bz - az;
    edgeSum += Math.sqrt(dx * dx + dy * dy + dz * dz);
    dx = cx - bx; dy = cy - by; dz = cz - bz;
    edgeSum += Math.sqrt(dx * dx + dy * dy + dz * dz);
    dx = ax - cx; dy = ay - cy; dz = az - cz;
    edgeSum += Math.sqrt(dx * dx + dy * dy + dz * dz);
    const x0 = ax < bx ? (ax < cx ? ax : cx) : bx < cx ? bx : cx, x1 = ax > bx ? (ax > cx ? ax : cx) : bx > cx ? bx : cx;
    const y0 = ay < by ? (ay < cy ? ay : cy) : by < cy ? by : cy, y1 = ay > by ? (ay > cy ? ay : cy) : by > cy ? by : cy;
    const z0 = az < bz ? (az < cz ? az : cz) : bz < cz ? bz : cz, z1 = az > bz ? (az > cz ? az : cz) : bz > cz ? bz : cz;
    if (x0 < lx) lx = x0;
    if (y0 < ly) ly = y0;
    if (z0 < lz) lz = z0;
    if (x1 > hx) hx = x1;
    if (y1 > hy) hy = y1;
    if (z1 > hz) hz = z1;
  }
  // `cover`: positions the grid must reach too (the triangles binned where they are now), so
  // that triangles moving toward them can be binned in the same cells later (untangle.ts)
  if (cover) {
    const { min, max } = bbox_mm({ positions: cover, indices: ix });
    lx = Math.min(lx, min[0]);
    ly = Math.min(ly, min[1]);
    lz = Math.min(lz, min[2]);
    hx = Math.max(hx, max[0]);
    hy = Math.max(hy, max[1]);
    hz = Math.max(hz, max[2]);
  }
  const lo: [number, number, number] = [lx, ly, lz];
  let cell = Math.max((2 * edgeSum) / (3 * nTri), 1e-6);
  const ext = [hx - lx, hy - ly, hz - lz];
  const count = (h: number): number => (Math.floor(ext[0]! / h) + 1) * (Math.floor(ext[1]! / h) + 1) * (Math.floor(ext[2]! / h) + 1);
  while (count(cell) > maxCells) cell *= 1.25;
  const dims: [number, number, number] = [Math.floor(ext[0]! / cell) + 1, Math.floor(ext[1]! / cell) + 1, Math.floor(ext[2]! / cell) + 1];
  const [nx, ny, nz] = dims;
  const nxy = nx * ny;
  const nCells = nxy * nz;
  // Cell of every vertex (those no triangle uses get any value: never read).
  const nv = (p.length / 3) | 0;
  const vc = new Int32Array(3 * nv);
  for (let o = 0; o < 3 * nv; o += 3) {
    vc[o] = Math.min(nx - 1, Math.floor((p[o]! - lx) / cell));
    vc[o + 1] = Math.min(ny - 1, Math.floor((p[o + 1]! - ly) / cell));
    vc[o + 2] = Math.min(nz - 1, Math.floor((p[o + 2]! - lz) / cell));
  }
  // `shared`: on shared memory, for workers to read (posting it then copies nothing)
  const u32 = (n: number): Uint32Array => (shared && typeof SharedArrayBuffer !== 'undefined' ? new Uint32Array(new SharedArrayBuffer(4 * n)) : new Uint32Array(n));
  const cellStart = u32(nCells + 1);
  let cellTri: Uint32Array = new Uint32Array(0);
  let fill: Uint32Array | undefined;
  for (let pass = 0; pass < 2; pass++) {
    for (let t = 0; t < nTri; t++) {
      const a = 3 * ix[3 * t]!, b = 3 * ix[3 * t + 1]!, c = 3 * ix[3 * t + 2]!;
      let u = vc[a]!, v = vc[b]!, w = vc[c]!;
      const i0 = u < v ? (u < w ? u : w) : v < w ? v : w;
      u = vc[a]!; v = vc[b]!; w = vc[c]!;
      const i1 = u > v ? (u > w ? u : w) : v > w ? v : w;
      u = vc[a + 1]!; v = vc[b + 1]!; w = vc[c + 1]!;
      const j0 = u < v ? (u < w ? u : w) : v < w ? v : w;
      u = vc[a + 1]!; v = vc[b + 1]!; w = vc[c + 1]!;
      const j1 = u > v ? (u > w ? u : w) : v > w ? v : w;
      u = vc[a + 2]!; v = vc[b + 2]!; w = vc[c + 2]!;
      const k0 = u < v ? (u < w ? u : w) : v < w ? v : w;
      u = vc[a + 2]!; v = vc[b + 2]!; w = vc[c + 2]!;
      const k1 = u > v ? (u > w ? u : w) : v > w ? v : w;
      for (let k = k0; k <= k1; k++) {
        for (let j = j0; j <= j1; j++) {
          const row = nx * j + nxy * k;
          for (let i = i0; i <= i1; i++) {
            if (fill) cellTri[fill[row + i]!++] = t;
            else cellStart[row + i + 1]!++;
          }
        }
      }
    }
    if (pass === 0) {
      for (let c = 0; c < nCells; c++) cellStart[c + 1]! += cellStart[c]!;
      fill = cellStart.slice(0, nCells);
      cellTri = u32(cellStart[nCells]!);
    }
  }
  return { mesh, origin: lo, cell, dims, cellStart, cellTri };
}

/** Squared distance from point (px, py, pz) to triangle (a, b, c) given as offsets into p (Ericson §5.1.5). */
export function pointTriangleDistance2(p: Float32Array, a: number, b: number, c: number, px: number, py: number, pz: number): number {
  const ax = p[a]!, ay = p[a + 1]!, az = p[a + 2]!;
  const abx = p[b]! - ax, aby = p[b + 1]! - ay, abz = p[b + 2]! - az;
  const acx = p[c]! - ax, acy = p[c + 1]! - ay, acz = p[c + 2]! - az;
  const apx = px - ax, apy = py - ay, apz = pz - az;
  const d1 = abx * apx + aby * apy + abz * apz;
  const d2 = acx * apx + acy * apy + acz * apz;
  let qx: number, qy: number, qz: number;
  if (d1 <= 0 && d2 <= 0) {
    qx = ax; qy = ay; qz = az;
  } else {
    const bpx = px - p[b]!, bpy = py - p[b + 1]!, bpz = pz - p[b + 2]!;
    const d3 = abx * bpx + aby * bpy + abz * bpz;
    const d4 = acx * bpx + acy * bpy + acz * bpz;
    const cpx = px - p[c]!, cpy = py - p[c + 1]!, cpz = pz - p[c + 2]!;
    const d5 = abx * cpx + aby * cpy + abz * cpz;
    const d6 = acx * cpx + acy * cpy + acz * cpz;
    const vc = d1 * d4 - d3 * d2;
    const vb = d5 * d2 - d1 * d6;
    const va = d3 * d6 - d5 * d4;
    if (d3 >= 0 && d4 <= d3) {
      qx = p[b]!; qy = p[b + 1]!; qz = p[b + 2]!;
    } else if (d6 >= 0 && d5 <= d6) {
      qx = p[c]!; qy = p[c + 1]!; qz = p[c + 2]!;
    } else if (vc <= 0 && d1 >= 0 && d3 <= 0) {
      const v = d1 / (d1 - d3);
      qx = ax + v * abx; qy = ay + v * aby; qz = az + v * abz;
    } else if (vb <= 0 && d2 >= 0 && d6 <= 0) {
      const w = d2 / (d2 - d6);
      qx = ax + w * acx; qy = ay + w * acy; qz = az + w * acz;
    } else if (va <= 0 && d4 - d3 >= 0 && d5 - d6 >= 0) {
      const w = (d4 - d3) / (d4 - d3 + (d5 - d6));
      qx = p[b]! + w * (p[c]! - p[b]!); qy = p[b + 1]! + w * (p[c + 1]! - p[b + 1]!); qz = p[b + 2]! + w * (p[c + 2]! - p[b + 2]!);
    } else {
      const denom = 1 / (va + vb + vc);
      const v = vb * denom;
      const w = vc * denom;
      qx = ax + abx * v + acx * w; qy = ay + aby * v + acy * w; qz = az + abz * v + acz * w;
    }
  }
  const dx = px - qx, dy = py - qy, dz = pz - qz;
  return dx * dx + dy * dy + dz * dz;
}

/** Distance from a point to the nearest triangle of the grid's mesh (Infinity for an empty mesh). */
export class NearestTriangle {
  private readonly stamp: Uint32Array;
  private query = 0;
  /** The nearest triangle of the last `distance` call (−1 for an empty mesh). */
  triangle = -1;
  constructor(private readonly g: TriangleGrid) {
    this.stamp = new Uint32Array(g.mesh.indices.length / 3);
  }

  distance(px: number, py: number, pz: number): number {
    const g = this.g;
    const p = g.mesh.positions;
    const ix = g.mesh.indices;
    this.triangle = -1;
    if (ix.length === 0) return Infinity;
    if (++this.query === 0xffffffff) {
      this.stamp.fill(0);
      this.query = 1;
    }
    const q = this.query;
    const [nx, ny, nz] = g.dims;
    const fi = Math.floor((px - g.origin[0]) / g.cell), fj = Math.floor((py - g.origin[1]) / g.cell), fk = Math.floor((pz - g.origin[2]) / g.cell);
    const ci = clampCell(fi, nx);
    const cj = clampCell(fj, ny);
    const ck = clampCell(fk, nz);
    // A point outside the grid box is clamped to the nearest cell; it lies beyond that cell
    // away from every other cell, so the ring bound below still holds.
    // Every cell of ring r + 1 lies at least r cells plus the point's distance to the faces of
    // its own cell away (`margin`, less a hair for rounding; 0 for a clamped point), so a near
    // triangle found in the point's own cell usually ends the search there: the same nearest
    // distance with a twentieth of the triangles of the full first ring visited.
    let margin = 0;
    if (fi === ci && fj === cj && fk === ck) {
      const x0 = px - (g.origin[0] + ci * g.cell), y0 = py - (g.origin[1] + cj * g.cell), z0 = pz - (g.origin[2] + ck * g.cell);
      margin = Math.min(x0, g.cell - x0, y0, g.cell - y0, z0, g.cell - z0) - 1e-9 * g.cell;
      if (!(margin > 0)) margin = 0;
    }
    let best = Infinity;
    const maxR = Math.max(nx, ny, nz);
    // A cell farther from the point than the nearest triangle so far cannot hold a nearer one:
    // the nearest point of any triangle lies in one of the cells it is binned in (its box's).
    // Cells are widened by a hair (1e-5 of a cell, far above rounding) so none is skipped wrongly.
    const cs = g.cell;
    const hair = 1e-5 * cs;
    const ox = g.origin[0] - hair, oy = g.origin[1] - hair, oz = g.origin[2] - hair;
    const span = cs + 2 * hair;
    for (let r = 0; r <= maxR; r++) {
      for (let k = Math.max(0, ck - r); k <= Math.min(nz - 1, ck + r); k++) {
        const onK = k === ck - r || k === ck + r;
        const dz = gap(pz, oz + k * cs, span);
        for (let j = Math.max(0, cj - r); j <= Math.min(ny - 1, cj + r); j++) {
          const onJ = onK || j === cj - r || j === cj + r;
          const dy = gap(py, oy + j * cs, span);
          const dyz = dy * dy + dz * dz;
          if (dyz > best) continue;
          for (let i = Math.max(0, ci - r); i <= Math.min(nx - 1, ci + r); i++) {
            if (!onJ && i !== ci - r && i !== ci + r) continue;
            const dx = gap(px, ox + i * cs, span);
            if (dx * dx + dyz > best) continue;
            const c = i + nx * (j + ny * k);
            for (let s = g.cellStart[c]!; s < g.cellStart[c + 1]!; s++) {
              const t = g.cellTri[s]!;
              if (this.stamp[t] === q) continue;
              this.stamp[t] = q;
              const d2 = pointTriangleDistance2(p, 3 * ix[3 * t]!, 3 * ix[3 * t + 1]!, 3 * ix[3 * t + 2]!, px, py, pz);
              if (d2 < best) {
                best = d2;
                this.triangle = t;
              }
            }
          }
        }
      }
      const reach = r * g.cell + margin;
      if (best <= reach * reach) break;
    }
    return Math.sqrt(best);
  }
}

/** Distance from coordinate x to the interval [lo, lo + span] (0 inside). */
function gap(x: number, lo: number, span: number): number {
  return x < lo ? lo - x : x > lo + span ? x - lo - span : 0;
}

function clampCell(c: number, n: number): number {
  return c < 0 ? 0 : c >= n ? n - 1 : c;
}

export interface OneSidedDistance {
  samples: number;
  mean_mm: number;
  p95_mm: number;
  max_mm: number;
}

/**
 * Distances from A's vertices and triangle centroids to B's surface. With `maxSamples`, every
 * n-th vertex and centroid is measured (deterministic), so large meshes are measured in bounded time.
 */
export function oneSidedDistance(a: Mesh, b: Mesh, gridB?: TriangleGrid, maxSamples = Infinity): OneSidedDistance {
  const near = new NearestTriangle(gridB ?? buildTriangleGrid(b));
  const p = a.positions;
  const ix = a.indices;
  const used = new Uint8Array(p.length / 3);
  for (const v of ix) used[v] = 1;
  const nTri = ix.length / 3;
  const stride = Math.max(1, Math.ceil((used.length + nTri) / maxSamples));
  const d = new Float32Array(Math.ceil(used.length / stride) + Math.ceil(nTri / stride));
  let n = 0;
  let sum = 0;
  for (let v = 0; v < used.length; v += stride) {
    if (!used[v]) continue;
    const x = near.distance(p[3 * v]!, p[3 * v + 1]!, p[3 * v + 2]!);
    d[n++] = x;
    sum += x;
  }
  for (let t = 0; t < nTri; t += stride) {
    const i0 = 3 * ix[3 * t]!, i1 = 3 * ix[3 * t + 1]!, i2 = 3 * ix[3 * t + 2]!;
    const x = near.distance((p[i0]! + p[i1]! + p[i2]!) / 3, (p[i0 + 1]! + p[i1 + 1]! + p[i2 + 1]!) / 3, (p[i0 + 2]! + p[i1 + 2]! + p[i2 + 2]!) / 3);
    d[n++] = x;
    sum += x;
  }
  const sorted = d.subarray(0, n).sort();
  return {
    samples: n,
    mean_mm: n ? sum / n : 0,
    p95_mm: n ? sorted[Math.min(n - 1, Math.floor(0.95 * n))]! : 0,
    max_mm: n ? sorted[n - 1]! : 0,
  };
}

/**
 * Symmetric Hausdorff distance (max of both one-sided maxima), with both sides' mean and 95th
 * percentile; each side on at most `maxSamples` samples (all by default).
 */
export function hausdorffDistance(a: Mesh, b: Mesh, maxSamples = Infinity): { hausdorff_mm: number; aToB: OneSidedDistance; bToA: OneSidedDistance } {
  const aToB = oneSidedDistance(a, b, undefined, maxSamples);
  const bToA = oneSidedDistance(b, a, undefined, maxSamples);
  const r = (s: OneSidedDistance): OneSidedDistance => ({ samples: s.samples, mean_mm: round(s.mean_mm, 4), p95_mm: round(s.p95_mm, 4), max_mm: round(s.max_mm, 4) });
  return { hausdorff_mm: round(Math.max(aToB.max_mm, bToA.max_mm), 4), aToB: r(aToB), bToA: r(bToA) };
}
