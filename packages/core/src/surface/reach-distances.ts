/**
 * Exact point-to-mesh distances for points that lie close to the mesh, driven by the mesh's
 * triangles instead of by a grid over them: the points (a few ten thousand samples) are
 * binned, and one pass over the triangles (a million on a skull) offers each triangle to the
 * points within `reach` of its box. Binning a million triangles into a search grid cost more
 * than all the searches it served; here each triangle is read once and most meet no point.
 *
 * A point whose nearest triangle lies within `reach` is offered that triangle (its box is at
 * least as near), and its distance is the minimum of pointTriangleDistance2 over the triangles
 * offered, the same value any exhaustive search finds. Points with no triangle within reach
 * are returned, for a search that is not bounded.
 */
import type { Mesh } from '../geometry/types.js';
import { pointTriangleDistance2 } from './distance.js';

/** At most this many point cells (a dense grid over the points' box; coarser cells beyond it). */
const MAX_CELLS = 2_000_000;

/** What a pass leaves: the points beyond reach, and the largest triangle box side per axis of the triangles it looked at (all, without `extent`). */
export interface ReachPass {
  rest: number[];
  extent: [number, number, number];
}

/**
 * Writes out[i] for every i of `list` whose nearest triangle of `mesh` lies within `reach`
 * (mm) of point i of `pts` (xyz triples), and returns the others in list order. `extent`, from
 * an earlier pass over the same mesh, lets this one skip, on one vertex's coordinates, the
 * triangles whose vertices lie too far from all the points (worth it for a few points).
 *
 * Its passes (binPoints, offerTriangles, the collection here) are separate functions so that V8
 * optimises each on its own: in one function, each loop's on-stack replacement compiled the whole
 * function again (the triangle pass included), and the code after that loop, not yet run, then
 * deoptimised it.
 */
export function distancesWithinReach(mesh: Mesh, pts: Float64Array, list: readonly number[], out: Float64Array, reach: number, extent?: readonly [number, number, number]): ReachPass {
  const n = list.length;
  const nTri = (mesh.indices.length / 3) | 0;
  if (n === 0 || nTri === 0) return { rest: list.slice(), extent: [0, 0, 0] };
  const bins = binPoints(pts, list, reach);
  // best[s]: the nearest squared distance so far, starting at reach²: nothing farther is kept.
  const best = new Float64Array(n).fill(reach * reach);
  const found = new Uint8Array(n);
  const ext = offerTriangles(mesh, bins, best, found, reach, extent);
  const rest: number[] = [];
  const slotOf = bins.slotOf;
  for (let q = 0; q < n; q++) {
    const s = slotOf[q]!;
    if (found[s]) out[list[q]!] = Math.sqrt(best[s]!);
    else rest.push(list[q]!);
  }
  return { rest, extent: ext };
}

/**
 * The points binned in a dense grid of cells (counting sort): cell c's points are slots
 * start[c] .. start[c+1], their coordinates xyz[3·slot…], point q of the list in slot slotOf[q].
 */
interface PointBins {
  lx: number;
  ly: number;
  lz: number;
  hx: number;
  hy: number;
  hz: number;
  nx: number;
  ny: number;
  nz: number;
  inv: number;
  start: Uint32Array;
  xyz: Float64Array;
  slotOf: Uint32Array;
}

function binPoints(pts: Float64Array, list: readonly number[], reach: number): PointBins {
  const n = list.length;
  let lx = Infinity, ly = Infinity, lz = Infinity, hx = -Infinity, hy = -Infinity, hz = -Infinity;
  for (let q = 0; q < n; q++) {
    const i = list[q]!;
    const x = pts[3 * i]!, y = pts[3 * i + 1]!, z = pts[3 * i + 2]!;
    if (x < lx) lx = x;
    if (y < ly) ly = y;
    if (z < lz) lz = z;
    if (x > hx) hx = x;
    if (y > hy) hy = y;
    if (z > hz) hz = z;
  }
  // Cells of about 4 reach: a triangle's box grown by reach meets one or two cells an axis.
  let cell = 4 * reach;
  const count = (h: number): number => (Math.floor((hx - lx) / h) + 1) * (Math.floor((hy - ly) / h) + 1) * (Math.floor((hz - lz) / h) + 1);
  while (count(cell) > MAX_CELLS) cell *= 1.25;
  const nx = Math.floor((hx - lx) / cell) + 1, ny = Math.floor((hy - ly) / cell) + 1, nz = Math.floor((hz - lz) / cell) + 1;
  const nxy = nx * ny;
  const inv = 1 / cell;
  // Points by cell (counting sort), their coordinates copied beside them in cell order.
  const cellOf = new Int32Array(n);
  const start = new Uint32Array(nxy * nz + 1);
  for (let q = 0; q < n; q++) {
    const i = list[q]!;
    const c = Math.min(nx - 1, Math.floor((pts[3 * i]! - lx) * inv)) + nx * Math.min(ny - 1, Math.floor((pts[3 * i + 1]! - ly) * inv)) + nxy * Math.min(nz - 1, Math.floor((pts[3 * i + 2]! - lz) * inv));
    cellOf[q] = c;
    start[c + 1]!++;
  }
  for (let c = 0; c < nxy * nz; c++) start[c + 1]! += start[c]!;
  const fill = start.slice(0, nxy * nz);
  const xyz = new Float64Array(3 * n);
  const slotOf = new Uint32Array(n);
  for (let q = 0; q < n; q++) {
    const s = fill[cellOf[q]!]!++;
    const i = list[q]!;
    slotOf[q] = s;
    xyz[3 * s] = pts[3 * i]!;
    xyz[3 * s + 1] = pts[3 * i + 1]!;
    xyz[3 * s + 2] = pts[3 * i + 2]!;
  }
  return { lx, ly, lz, hx, hy, hz, nx, ny, nz, inv, start, xyz, slotOf };
}

/** One pass over the triangles, each offered to the binned points within reach of its box; returns the largest box side per axis. */
function offerTriangles(mesh: Mesh, bins: PointBins, best: Float64Array, found: Uint8Array, reach: number, extent?: readonly [number, number, number]): [number, number, number] {
  const p = mesh.positions;
  const ix = mesh.indices;
  const nTri = (ix.length / 3) | 0;
  const { lx, ly, lz, hx, hy, hz, nx, ny, nz, inv, start, xyz } = bins;
  const nxy = nx * ny;
  // A box is grown by a hair more than reach (1e-5 of it, far above rounding), so that rounding
  // neither leaves a cell out nor rejects a triangle whose distance would be kept.
  const grow = reach * (1 + 1e-5);
  const hair = 1e-5 * reach;
  // A triangle within reach of a point has every vertex within reach + its box's side of it
  // (per axis): with `extent`, vertex a outside the points' box grown by that skips it.
  const fx = extent ? extent[0] + grow + hair : Infinity, fy = extent ? extent[1] + grow + hair : Infinity, fz = extent ? extent[2] + grow + hair : Infinity;
  const sx0 = lx - fx, sx1 = hx + fx, sy0 = ly - fy, sy1 = hy + fy, sz0 = lz - fz, sz1 = hz + fz;
  let ex = 0, ey = 0, ez = 0;
  for (let t = 0; t < nTri; t++) {
    const a = 3 * ix[3 * t]!;
    const ax = p[a]!, ay = p[a + 1]!, az = p[a + 2]!;
    if (ax < sx0 || ax > sx1 || ay < sy0 || ay > sy1 || az < sz0 || az > sz1) continue;
    const b = 3 * ix[3 * t + 1]!, c = 3 * ix[3 * t + 2]!;
    const bx = p[b]!, by = p[b + 1]!, bz = p[b + 2]!;
    const cx = p[c]!, cy = p[c + 1]!, cz = p[c + 2]!;
    const x0 = (ax < bx ? (ax < cx ? ax : cx) : bx < cx ? bx : cx) - hair, x1 = (ax > bx ? (ax > cx ? ax : cx) : bx > cx ? bx : cx) + hair;
    const y0 = (ay < by ? (ay < cy ? ay : cy) : by < cy ? by : cy) - hair, y1 = (ay > by ? (ay > cy ? ay : cy) : by > cy ? by : cy) + hair;
    const z0 = (az < bz ? (az < cz ? az : cz) : bz < cz ? bz : cz) - hair, z1 = (az > bz ? (az > cz ? az : cz) : bz > cz ? bz : cz) + hair;
    if (x1 - x0 > ex) ex = x1 - x0;
    if (y1 - y0 > ey) ey = y1 - y0;
    if (z1 - z0 > ez) ez = z1 - z0;
    let i0 = Math.floor((x0 - grow - lx) * inv), i1 = Math.floor((x1 + grow - lx) * inv);
    if (i1 < 0 || i0 >= nx) continue;
    let j0 = Math.floor((y0 - grow - ly) * inv), j1 = Math.floor((y1 + grow - ly) * inv);
    if (j1 < 0 || j0 >= ny) continue;
    let k0 = Math.floor((z0 - grow - lz) * inv), k1 = Math.floor((z1 + grow - lz) * inv);
    if (k1 < 0 || k0 >= nz) continue;
    if (i0 < 0) i0 = 0;
    if (i1 >= nx) i1 = nx - 1;
    if (j0 < 0) j0 = 0;
    if (j1 >= ny) j1 = ny - 1;
    if (k0 < 0) k0 = 0;
    if (k1 >= nz) k1 = nz - 1;
    for (let k = k0; k <= k1; k++) {
      for (let j = j0; j <= j1; j++) {
        // the cells i0..i1 of a row are consecutive: so are their points
        const row = nx * j + nxy * k;
        const e = start[row + i1 + 1]!;
        for (let s = start[row + i0]!; s < e; s++) {
          const px = xyz[3 * s]!, py = xyz[3 * s + 1]!, pz = xyz[3 * s + 2]!;
          // the box's distance, a lower bound of the triangle's (the box holds the triangle)
          const dx = px < x0 ? x0 - px : px > x1 ? px - x1 : 0;
          const dy = py < y0 ? y0 - py : py > y1 ? py - y1 : 0;
          const dz = pz < z0 ? z0 - pz : pz > z1 ? pz - z1 : 0;
          if (dx * dx + dy * dy + dz * dz > best[s]!) continue;
          const d2 = pointTriangleDistance2(p, a, b, c, px, py, pz);
          if (d2 < best[s]!) {
            best[s] = d2;
            found[s] = 1;
          }
        }
      }
    }
  }
  return [ex, ey, ez];
}
