/**
 * Nesting of shells (which closed shell lies inside which) and the "fill internal cavities"
 * step: a closed void inside a printed part traps resin or powder, so by default every shell
 * enclosed by another shell (the void's wall, and anything floating inside the void) is
 * removed, which fills the void with material.
 *
 * Inside-ness is a ray-parity test along +z: a point is inside shell T when a vertical ray
 * from it crosses T an odd number of times. The crossings are counted exactly once on shared
 * edges and vertices by a half-open ("top-left") rule on the xy projection, so the answer is
 * deterministic and never depends on a random ray.
 */
import type { Mesh } from '../geometry/types.js';
import { round, type StageRecord, type StageResult } from '../pipeline/record.js';
import { compactShells } from './compact-shells.js';
import { labelShells, shellVolumes_mm3, triangleCount, type MeshShells, type NestedShells } from './mesh-utils.js';

/**
 * Nesting depth of every shell: the number of other shells that enclose it (majority of
 * three sample vertices, so a shell that grazes another is not misjudged by one vertex).
 */
export function shellNesting(mesh: Mesh, shellOf: Uint32Array, shellCount: number): Uint32Array {
  return nestingDepth(shellEnclosures(mesh, shellOf, shellCount), shellCount);
}

/** Depth per shell from enclosure pairs (shellEnclosures): how many shells enclose it. */
export function nestingDepth(enclosures: Uint32Array, shellCount: number): Uint32Array {
  const depth = new Uint32Array(shellCount);
  for (let i = 0; i < enclosures.length; i += 2) depth[enclosures[i]!]!++;
  return depth;
}

/**
 * Which shell encloses which, as pairs (shell, enclosing shell) flat in one array. A pair
 * depends only on the two shells' own triangles (the enclosed shell's three sample vertices,
 * the crossings of the other's triangles), so dropping other shells keeps the remaining pairs:
 * a later step on the same triangles takes the depths from them (nestingDepth) instead of
 * casting the rays again.
 */
export function shellEnclosures(mesh: Mesh, shellOf: Uint32Array, shellCount: number, shellTriangles?: Uint32Array): Uint32Array {
  if (shellCount < 2) return new Uint32Array(0);
  const nTri = triangleCount(mesh);
  const p = mesh.positions;
  const ix = mesh.indices;

  // Sample triangles per shell: first, middle and last in triangle order (`shellTriangles`:
  // the shells' triangle counts, when the caller counted them on its own pass).
  const samples = sampleVertices(ix, shellOf, shellTriangles ?? countPerShell(shellOf, shellCount));

  // The few query points go in an xy grid; one pass over the triangles then tests each
  // triangle only against the queries in the cells its xy box covers. Parity is kept per
  // (query, crossed shell) pair in a map: only shells a ray actually crosses are touched (a
  // noisy scan can have 100 000 specks: nothing here may be quadratic in the number of shells).
  const nQ = 3 * shellCount;
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let q = 0; q < nQ; q++) {
    const v = samples[q]!;
    if (v < 0) continue;
    const x = p[3 * v]!, y = p[3 * v + 1]!;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  // About four cells per query: the grid only filters (a query inside a triangle's xy lies in a
  // cell its box covers, whatever the cell size), so its size changes the work, never the result.
  // Cells much smaller than a triangle made every triangle visit many empty cells.
  const side = Math.max(1, Math.min(1024, Math.ceil(Math.sqrt(nTri / 4)), Math.ceil(2 * Math.sqrt(nQ))));
  const cw = Math.max((maxX - minX) / side, 1e-9);
  const ch = Math.max((maxY - minY) / side, 1e-9);
  const cellStart = new Uint32Array(side * side + 1);
  const cellOf = (x: number, y: number): number => {
    const cx = Math.min(side - 1, Math.max(0, Math.floor((x - minX) / cw)));
    const cy = Math.min(side - 1, Math.max(0, Math.floor((y - minY) / ch)));
    return cy * side + cx;
  };
  for (let q = 0; q < nQ; q++) if (samples[q]! >= 0) cellStart[cellOf(p[3 * samples[q]!]!, p[3 * samples[q]! + 1]!) + 1]!++;
  for (let i = 0; i < side * side; i++) cellStart[i + 1]! += cellStart[i]!;
  const fillQ = cellStart.slice(0, side * side);
  const cellQ = new Uint32Array(cellStart[side * side]!);
  for (let q = 0; q < nQ; q++) if (samples[q]! >= 0) cellQ[fillQ[cellOf(p[3 * samples[q]!]!, p[3 * samples[q]! + 1]!)]!++] = q;

  // Each vertex's clamped cell and whether it lies left/right (below/above) of the queries'
  // box, once, packed in one word: a triangle's cell range is then the min/max of its
  // corners' cells (the cell rule is monotone in x and y), the same cells as from its own xy
  // box, without per-triangle float work. Most triangles (1.6 M on a skull) touch no query
  // cell: a bit per cell (a few tens of kB, cache-resident) says so before cellStart is read.
  // (Each hot loop is a function of its own: a first call, as in a one-off convert, then
  // compiles each small loop once instead of the whole function once per loop.)
  const packed = packCells(p, side, minX, minY, maxX, maxY, cw, ch);
  const occupied = new Int32Array((side * side + 31) >> 5);
  for (let c = 0; c < side * side; c++) if (cellStart[c + 1]! > cellStart[c]!) occupied[c >> 5]! |= 1 << (c & 31);
  const parity = crossingParity(mesh, shellOf, shellCount, samples, { side, cellStart, cellQ, occupied, packed });
  // Votes per (shell, enclosing shell): a majority of the shell's samples must be inside.
  const votes = new Map<number, number>();
  for (const [key, odd] of parity) {
    if (!odd) continue;
    const q = Math.floor(key / shellCount);
    const sh = key - q * shellCount;
    const k = ((q / 3) | 0) * shellCount + sh;
    votes.set(k, (votes.get(k) ?? 0) + 1);
  }
  const nSamples = new Uint8Array(shellCount);
  for (let q = 0; q < nQ; q++) if (samples[q]! >= 0) nSamples[(q / 3) | 0]!++;
  const pairs: number[] = [];
  for (const [k, n] of votes) {
    const s = Math.floor(k / shellCount);
    if (2 * n > nSamples[s]!) pairs.push(s, k - s * shellCount);
  }
  return Uint32Array.from(pairs);
}

interface QueryGrid {
  side: number;
  cellStart: Uint32Array;
  cellQ: Uint32Array;
  occupied: Int32Array;
  packed: Int32Array;
}

/** Sample vertices per shell: of its first, middle and last triangle in triangle order (−1: none). */
function sampleVertices(ix: Uint32Array, shellOf: Uint32Array, triCount: Uint32Array): Int32Array {
  const shellCount = triCount.length;
  const seen = new Uint32Array(shellCount);
  const samples = new Int32Array(3 * shellCount).fill(-1);
  for (let t = 0; t < shellOf.length; t++) {
    const s = shellOf[t]!;
    const k = seen[s]!++;
    const n = triCount[s]!;
    if (k === 0) samples[3 * s] = ix[3 * t]!;
    if (k === n >> 1) samples[3 * s + 1] = ix[3 * t + 1]!;
    if (k === n - 1) samples[3 * s + 2] = ix[3 * t + 2]!;
  }
  return samples;
}

/** Every vertex's clamped cell and outside bits: cx | cy << 10 | outside << 20 (side ≤ 1024). */
function packCells(p: Float32Array, side: number, minX: number, minY: number, maxX: number, maxY: number, cw: number, ch: number): Int32Array {
  const nv = (p.length / 3) | 0;
  const packed = new Int32Array(nv);
  for (let v = 0, o = 0; v < nv; v++, o += 3) {
    const x = p[o]!, y = p[o + 1]!;
    const cx = Math.min(side - 1, Math.max(0, Math.floor((x - minX) / cw)));
    const cy = Math.min(side - 1, Math.max(0, Math.floor((y - minY) / ch)));
    // outside bits: 1 x < minX, 2 x > maxX, 4 y < minY, 8 y > maxY
    const out = (x < minX ? 1 : 0) | (x > maxX ? 2 : 0) | (y < minY ? 4 : 0) | (y > maxY ? 8 : 0);
    packed[v] = (cx | 0) | ((cy | 0) << 10) | (out << 20);
  }
  return packed;
}

/** Parity of the crossings of every (query, other shell) pair met, keyed q · shellCount + shell. */
function crossingParity(mesh: Mesh, shellOf: Uint32Array, shellCount: number, samples: Int32Array, grid: QueryGrid): Map<number, number> {
  const p = mesh.positions;
  const ix = mesh.indices;
  const { side, cellStart, cellQ, occupied, packed } = grid;
  const nTri = shellOf.length;
  const parity = new Map<number, number>();
  for (let t = 0; t < nTri; t++) {
    const pa = packed[ix[3 * t]!]!, pb = packed[ix[3 * t + 1]!]!, pc = packed[ix[3 * t + 2]!]!;
    // Entirely beyond one side of the queries' box (tx1 < minX, tx0 > maxX, ...): no query inside.
    if ((pa & pb & pc) >> 20) continue;
    const ax = pa & 1023, bx = pb & 1023, cx = pc & 1023;
    const ay = (pa >> 10) & 1023, by = (pb >> 10) & 1023, cy = (pc >> 10) & 1023;
    const x0 = ax < bx ? (ax < cx ? ax : cx) : bx < cx ? bx : cx;
    const x1 = ax > bx ? (ax > cx ? ax : cx) : bx > cx ? bx : cx;
    const y0 = ay < by ? (ay < cy ? ay : cy) : by < cy ? by : cy;
    const y1 = ay > by ? (ay > cy ? ay : cy) : by > cy ? by : cy;
    let any = 0;
    for (let y = y0; y <= y1 && !any; y++) {
      for (let x = x0; x <= x1; x++) {
        const cell = y * side + x;
        if ((occupied[cell >> 5]! >>> (cell & 31)) & 1) {
          any = 1;
          break;
        }
      }
    }
    if (!any) continue;
    const sh = shellOf[t]!;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const cell = y * side + x;
        for (let i = cellStart[cell]!; i < cellStart[cell + 1]!; i++) {
          const q = cellQ[i]!;
          const s = (q / 3) | 0;
          if (sh === s) continue;
          const v = samples[q]!;
          if (crossesAbove(p, ix, t, p[3 * v]!, p[3 * v + 1]!, p[3 * v + 2]!)) {
            const key = q * shellCount + sh;
            parity.set(key, (parity.get(key) ?? 0) ^ 1);
          }
        }
      }
    }
  }
  return parity;
}

function countPerShell(shellOf: Uint32Array, shellCount: number): Uint32Array {
  const n = new Uint32Array(shellCount);
  for (let t = 0; t < shellOf.length; t++) n[shellOf[t]!]!++;
  return n;
}

/**
 * Does the vertical ray from (px, py, pz) towards +z cross triangle t? Half-open on edges:
 * for the triangle wound counter-clockwise in xy, a point on an edge counts only when the
 * edge runs downwards (or exactly leftwards), so a shared edge or vertex counts once.
 */
function crossesAbove(p: Float32Array, ix: Uint32Array, t: number, px: number, py: number, pz: number): boolean {
  const a = 3 * ix[3 * t]!;
  let b = 3 * ix[3 * t + 1]!;
  let c = 3 * ix[3 * t + 2]!;
  let area2 = (p[b]! - p[a]!) * (p[c + 1]! - p[a + 1]!) - (p[b + 1]! - p[a + 1]!) * (p[c]! - p[a]!);
  if (area2 === 0) return false; // vertical triangle: seen edge-on by the ray
  if (area2 < 0) {
    const tmp = b;
    b = c;
    c = tmp;
    area2 = -area2;
  }
  const wA = edgeWeight(p, b, c, px, py); // weight of vertex a
  if (wA < 0) return false;
  const wB = edgeWeight(p, c, a, px, py);
  if (wB < 0) return false;
  const wC = edgeWeight(p, a, b, px, py);
  if (wC < 0) return false;
  if ((wA === 0 && !topLeft(p, b, c)) || (wB === 0 && !topLeft(p, c, a)) || (wC === 0 && !topLeft(p, a, b))) return false;
  const z = (wA * p[a + 2]! + wB * p[b + 2]! + wC * p[c + 2]!) / area2;
  return z > pz;
}

function edgeWeight(p: Float32Array, u: number, v: number, px: number, py: number): number {
  return (p[v]! - p[u]!) * (py - p[u + 1]!) - (p[v + 1]! - p[u + 1]!) * (px - p[u]!);
}

function topLeft(p: Float32Array, u: number, v: number): boolean {
  const dy = p[v + 1]! - p[u + 1]!;
  const dx = p[v]! - p[u]!;
  return dy < 0 || (dy === 0 && dx < 0);
}

export interface CavityParams {
  /** Keep internal voids (a hollow model was asked for). Default false: voids are filled. */
  keepCavities?: boolean;
}

/** Removes every shell enclosed by another shell (fills internal voids), unless keepCavities. */
/**
 * `shells`: the mesh's shells when known, with their enclosure pairs and volumes (magnitudes
 * used) when a clean-up on the same triangles found them.
 */
export function fillCavities(
  mesh: Mesh,
  params: CavityParams = {},
  shells?: NestedShells,
): StageResult<Mesh> & { shells: MeshShells } {
  const keepCavities = params.keepCavities ?? false;
  const { shellOf, shellCount } = shells ?? labelShells(mesh);
  const depth = shells?.enclosures ? nestingDepth(shells.enclosures, shellCount) : shellNesting(mesh, shellOf, shellCount);
  const vols = shells?.volumes ?? shellVolumes_mm3(mesh, shellOf, shellCount);
  let cavities = 0;
  let inCavities = 0;
  let voidVolume = 0;
  for (let s = 0; s < shellCount; s++) {
    if (depth[s]! === 0) continue;
    if (depth[s]! % 2 === 1) {
      cavities++;
      voidVolume += Math.abs(vols[s]!);
    } else inCavities++;
  }
  const record: StageRecord = {
    stage: 'condition',
    method: 'fill-cavities',
    params: { keepCavities, test: 'ray parity along +z, 3 sample vertices per shell, majority' },
    figures: {
      shellsBefore: shellCount,
      cavities,
      shellsInsideCavities: inCavities,
      cavityVolume_mm3: round(voidVolume, 3),
    },
  };
  if (keepCavities || cavities + inCavities === 0) {
    record.figures.shellsRemoved = 0;
    if (keepCavities && cavities > 0) {
      record.findings = [
        {
          code: 'CAVITIES_KEPT',
          severity: 'warn',
          message: `${cavities} internal cavit${cavities === 1 ? 'y' : 'ies'} (${round(voidVolume, 1)} mm³) kept as asked: a closed void traps resin or powder when printed`,
        },
      ];
    }
    return { output: mesh, record, shells: { shellOf, shellCount } };
  }
  const keep = new Uint8Array(triangleCount(mesh));
  for (let t = 0; t < keep.length; t++) keep[t] = depth[shellOf[t]!]! === 0 ? 1 : 0;
  record.figures.shellsRemoved = cavities + inCavities;
  record.corrections = [`filled ${cavities} internal cavit${cavities === 1 ? 'y' : 'ies'} (${round(voidVolume, 1)} mm³) by removing the enclosed shells`];
  // compactShells (the clean-up's compaction, no turns) gives compactMesh's mesh; sharing it
  // with the clean-ups that ran just before means one compiled loop, not a second one cold.
  const packed = compactShells(mesh, keep, { shellOf, shellCount });
  return { output: packed.mesh, record, shells: { shellOf: packed.shellOf, shellCount: packed.shellCount } };
}
