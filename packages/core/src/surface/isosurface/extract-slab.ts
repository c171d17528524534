/**
 * The isosurface kernel for one slab of cube layers (runs inline or on a pool worker).
 *
 * Coordinates: "mask coordinates" g = source index + 2 (a margin of two background voxels
 * on every side). The surface is extracted from the cubes between mask points 1 .. n+2,
 * i.e. with one voxel of background around the volume, so it is closed where the anatomy
 * leaves the scan. The mask itself is never stored: each row is kept as its sorted x-edge
 * crossings (slab-mask.ts); cube cases and inside/outside states come from merging the
 * crossing lists of neighbouring rows, so only cubes and edges at the boundary are visited.
 *
 * Vertex numbering is global and deterministic: point planes in order; in each plane first
 * the x- and y-edges (per point, row by row: x then y), then the z-edges to the next plane.
 * A slab of cube layers [c0, c1) numbers xy(c0), z(c0), xy(c0+1), …, z(c1−1), then the
 * trailing block xy(c1) which is exactly the first block of the next slab: so slab s's
 * local index L is global index offset_s + L, and the merged mesh is byte-identical to a
 * one-slab run whatever the number of slabs.
 *
 * Vertex placement along a crossed edge (a inside, b outside; t clamped to [ε, 1−ε]):
 *  - "field": a field is given and its threshold (inside ⇔ field ≥ level) agrees with the
 *    mask at both ends: linear interpolation of the field at `level`;
 *  - "smoothed": no field, or the field disagrees (clean-up changed the mask): linear
 *    interpolation at 0.5 of the mask smoothed by the 3×3×3 binomial kernel (1-2-1)³/64,
 *    when that crosses 0.5 on the edge;
 *  - "midpoint": otherwise (thin or isolated structures the smoothed mask cannot place);
 *  - "border": the outside end is the padding beyond the scan: the midpoint, which is the
 *    face of the last scanned voxel (a flat cap where the anatomy was cut by the scan).
 */
import { caseTable } from './case-table.js';
import { buildSlabMask } from './slab-mask.js';

export interface IsoSlabPayload {
  labels: Uint8Array | Uint16Array;
  field: Float32Array | Int16Array | null;
  dims: [number, number, number];
  /** origin (3) then the columns spacing_i·axisI, spacing_j·axisJ, spacing_k·axisK (9). */
  matrix: number[];
  /** Label value; 0 selects any non-zero label. */
  label: number;
  level: number;
  eps: number;
  /** Cube layers [c0, c1) in mask coordinates (the whole volume is [1, nz+2)). */
  c0: number;
  c1: number;
  /** Return the arrays on SharedArrayBuffer (from a worker: handed over without a copy). */
  sharedOutput?: boolean;
}

export interface IsoSlabResult {
  /** Vertex positions, including the trailing xy block shared with the next slab. */
  positions: Float32Array;
  /** Vertices this slab owns (positions beyond these belong to the next slab). */
  ownVertices: number;
  /** Triangles in slab-local vertex numbering. */
  indices: Uint32Array;
  /** Owned vertices by placement kind: field, smoothed, midpoint, border. */
  placement: [number, number, number, number];
  /** Mask voxels in the slab's own planes, and those on the faces of the scanned volume. */
  maskVoxels: number;
  borderVoxels: number;
}

const SMOOTH_W = new Float64Array(27);
for (let dz = -1, n = 0; dz <= 1; dz++)
  for (let dy = -1; dy <= 1; dy++)
    for (let dx = -1; dx <= 1; dx++, n++) SMOOTH_W[n] = ((2 - Math.abs(dx)) * (2 - Math.abs(dy)) * (2 - Math.abs(dz))) / 64;

export function extractSlab(p: IsoSlabPayload): IsoSlabResult {
  const { labels, field, label, level, eps, c0, c1 } = p;
  const [nx, ny, nz] = p.dims;
  const nxy = nx * ny;
  const kBase = c0 - 1; // local planes: mask planes c0−1 .. c1+1
  const mask = buildSlabMask(labels, p.dims, label, kBase, c1 - c0 + 3, c0, c1);
  const { mx, my, crossStart, cross } = mask;
  const P = mx * my;

  // Sized from the x-crossings (a closed surface has about 3 vertices and 6 triangles per
  // x-crossing), so the buffers rarely grow.
  // On a worker they live on SharedArrayBuffer and go back as views, without a copy.
  const shared = p.sharedOutput === true && typeof SharedArrayBuffer !== 'undefined';
  const expectVertices = 3 * crossStart[crossStart.length - 1]! + 1024;
  let positions = allocF32(3 * expectVertices, shared);
  let nv = 0;
  let indices = allocU32(6 * expectVertices, shared);
  let ni = 0;
  // Vertex ids of the edges owned by each point, interleaved per point (cache locality for
  // the cubes): slot 0/1 x-edge (plane parity 0/1), 2/3 y-edge, 4 z-edge.
  const ids = new Int32Array(5 * P);
  let nField = 0, nSmooth = 0, nMid = 0, nBorder = 0;
  const [o0, o1, o2, ix0, ix1, ix2, jx0, jx1, jx2, kx0, kx1, kx2] = p.matrix as [number, number, number, number, number, number, number, number, number, number, number, number];
  /** The 3×3×3 binomial average of the mask around source voxel (si, sj, sk), read from the labels. */
  const smoothed = (si: number, sj: number, sk: number): number => {
    let s = 0;
    for (let dz = -1, n = 0; dz <= 1; dz++) {
      const k = sk + dz;
      for (let dy = -1; dy <= 1; dy++) {
        const j = sj + dy;
        for (let dx = -1; dx <= 1; dx++, n++) {
          const i = si + dx;
          if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) continue;
          const raw = labels[i + j * nx + k * nxy]!;
          if (label === 0 ? raw !== 0 : raw === label) s += SMOOTH_W[n]!;
        }
      }
    }
    return s;
  };
  const fieldStride = [1, nx, nxy];
  const axisLen = [nx, ny, nz];

  /** Places the vertex of the crossed edge from mask point (gi, gj, gk) along axis; in0: that point is inside. */
  const addVertex = (gi: number, gj: number, gk: number, axis: number, in0: number): number => {
    let t = 0.5;
    const g0 = axis === 0 ? gi : axis === 1 ? gj : gk;
    if (g0 < 2 || g0 + 1 >= axisLen[axis]! + 2) {
      nBorder++; // one end is the padding beyond the scanned volume: the scanned voxel's face
    } else {
      let placed = false;
      if (field !== null) {
        const s0 = gi - 2 + (gj - 2) * nx + (gk - 2) * nxy;
        const f0 = field[s0]!;
        const f1 = field[s0 + fieldStride[axis]!]!;
        if (in0 ? f0 >= level && !(f1 >= level) : f1 >= level && !(f0 >= level)) {
          t = (level - f0) / (f1 - f0);
          placed = true;
          nField++;
        }
      }
      if (!placed) {
        const a = smoothed(gi - 2, gj - 2, gk - 2);
        const b = smoothed(gi - 2 + (axis === 0 ? 1 : 0), gj - 2 + (axis === 1 ? 1 : 0), gk - 2 + (axis === 2 ? 1 : 0));
        if (in0 ? a >= 0.5 && b < 0.5 : b >= 0.5 && a < 0.5) {
          t = (0.5 - a) / (b - a);
          nSmooth++;
        } else nMid++;
      }
      if (!(t >= eps)) t = eps;
      else if (t > 1 - eps) t = 1 - eps;
    }
    const x = gi - 2 + (axis === 0 ? t : 0);
    const y = gj - 2 + (axis === 1 ? t : 0);
    const z = gk - 2 + (axis === 2 ? t : 0);
    if (3 * nv + 3 > positions.length) {
      const grown = allocF32(positions.length * 2, shared);
      grown.set(positions);
      positions = grown;
    }
    const o = 3 * nv;
    positions[o] = o0 + x * ix0 + y * jx0 + z * kx0;
    positions[o + 1] = o1 + x * ix1 + y * jx1 + z * kx1;
    positions[o + 2] = o2 + x * ix2 + y * jx2 + z * kx2;
    return nv++;
  };

  const END = 0x7fffffff;
  /** x- and y-edges owned by the points of plane gk, per point x then y, row by row. */
  const xyBlock = (gk: number): void => {
    const lk = gk - kBase;
    const xs = gk & 1;
    const ys = 2 + (gk & 1);
    for (let gj = 1; gj <= ny + 1; gj++) {
      const ra = lk * my + gj;
      let pa = crossStart[ra]!;
      const ea = crossStart[ra + 1]!;
      let pb = ea; // row gj+1 follows row gj
      const eb = crossStart[ra + 2]!;
      if (pa === ea && pb === eb) continue;
      const idRow = gj * mx;
      let sa = 0, sb = 0, prev = -1;
      while (pa < ea || pb < eb) {
        const xa = pa < ea ? cross[pa]! : END;
        const xb = pb < eb ? cross[pb]! : END;
        const x = xa < xb ? xa : xb;
        if (sa !== sb) for (let gi = prev + 1; gi < x; gi++) ids[5 * (idRow + gi) + ys] = addVertex(gi, gj, gk, 1, sa);
        if (xa === x) ids[5 * (idRow + x) + xs] = addVertex(x, gj, gk, 0, sa);
        if (sa !== sb) ids[5 * (idRow + x) + ys] = addVertex(x, gj, gk, 1, sa);
        if (xa === x) {
          sa ^= 1;
          pa++;
        }
        if (xb === x) {
          sb ^= 1;
          pb++;
        }
        prev = x;
      }
    }
  };

  /** z-edges from plane gk to gk+1. */
  const zBlock = (gk: number): void => {
    const lk = gk - kBase;
    for (let gj = 2; gj <= ny + 1; gj++) {
      const ra = lk * my + gj;
      const rb = ra + my;
      let pa = crossStart[ra]!;
      const ea = crossStart[ra + 1]!;
      let pb = crossStart[rb]!;
      const eb = crossStart[rb + 1]!;
      if (pa === ea && pb === eb) continue;
      const idRow = gj * mx;
      let sa = 0, sb = 0, prev = -1;
      while (pa < ea || pb < eb) {
        const xa = pa < ea ? cross[pa]! : END;
        const xb = pb < eb ? cross[pb]! : END;
        const x = xa < xb ? xa : xb;
        if (sa !== sb) for (let gi = prev + 1; gi <= x; gi++) ids[5 * (idRow + gi) + 4] = addVertex(gi, gj, gk, 2, sa);
        if (xa === x) {
          sa ^= 1;
          pa++;
        }
        if (xb === x) {
          sb ^= 1;
          pb++;
        }
        prev = x;
      }
    }
  };

  // Per-parity offsets of the 12 cube edges' ids relative to the cube's lower corner.
  const edgeOff = [new Int32Array(12), new Int32Array(12)];
  for (let par = 0; par < 2; par++) {
    for (let e = 0; e < 12; e++) {
      let off: number;
      if (e < 4) off = 5 * ((e & 1) * mx) + (e >> 1 ? 1 - par : par);
      else if (e < 8) off = 5 * ((e - 4) & 1) + 2 + ((e - 4) >> 1 ? 1 - par : par);
      else off = 5 * (((e - 8) >> 1) * mx + ((e - 8) & 1)) + 4;
      edgeOff[par]![e] = off;
    }
  }
  const { triStart, triEdges } = caseTable();
  // The case table's edge list turned into id offsets, once per plane parity.
  const triOff = [new Int32Array(triEdges.length), new Int32Array(triEdges.length)];
  for (let par = 0; par < 2; par++) for (let e = 0; e < triEdges.length; e++) triOff[par]![e] = edgeOff[par]![triEdges[e]!]!;
  let eo = triOff[0]!;

  const emitCube = (cubeCase: number, at: number): void => {
    const t0 = triStart[cubeCase]!;
    const t1 = triStart[cubeCase + 1]!;
    if (ni + 3 * (t1 - t0) > indices.length) {
      const grown = allocU32(indices.length * 2, shared);
      grown.set(indices);
      indices = grown;
    }
    for (let e = 3 * t0; e < 3 * t1; e++) indices[ni++] = ids[at + eo[e]!]!;
  };

  /**
   * Cube layer ck, row by row. The column code q (bit b: corner row b inside) changes only at
   * a crossing of one of the four rows, so the cubes between crossings share one case.
   */
  const cubes = (ck: number): void => {
    const lk = ck - kBase;
    eo = triOff[ck & 1]!;
    for (let cj = 1; cj <= ny + 1; cj++) {
      const r0 = lk * my + cj; // bit 0: (dy 0, dz 0); bit 1: dy 1; bit 2: dz 1; bit 3: both
      const r2 = r0 + my;
      let p0 = crossStart[r0]!, p1 = crossStart[r0 + 1]!, p2 = crossStart[r2]!, p3 = crossStart[r2 + 1]!;
      const e0 = p1, e1 = crossStart[r0 + 2]!, e2 = p3, e3 = crossStart[r2 + 2]!;
      if (p0 === e0 && p1 === e1 && p2 === e2 && p3 === e3) continue;
      const idBase = cj * mx;
      let q = 0, prev = -1;
      while (true) {
        const x0 = p0 < e0 ? cross[p0]! : END;
        const x1 = p1 < e1 ? cross[p1]! : END;
        const x2 = p2 < e2 ? cross[p2]! : END;
        const x3 = p3 < e3 ? cross[p3]! : END;
        let x = x0 < x1 ? x0 : x1;
        if (x2 < x) x = x2;
        if (x3 < x) x = x3;
        if (x === END) break;
        if (q !== 0 && q !== 15) {
          const same = q | (q << 4);
          for (let ci = prev + 1; ci < x; ci++) emitCube(same, 5 * (idBase + ci));
        }
        let qn = q;
        if (x0 === x) {
          qn ^= 1;
          p0++;
        }
        if (x1 === x) {
          qn ^= 2;
          p1++;
        }
        if (x2 === x) {
          qn ^= 4;
          p2++;
        }
        if (x3 === x) {
          qn ^= 8;
          p3++;
        }
        emitCube(q | (qn << 4), 5 * (idBase + x));
        q = qn;
        prev = x;
      }
    }
  };

  xyBlock(c0);
  let own = nv;
  let ownPlacement: [number, number, number, number] = [nField, nSmooth, nMid, nBorder];
  for (let ck = c0; ck < c1; ck++) {
    zBlock(ck);
    if (ck === c1 - 1) {
      // Everything from here on is the trailing block xy(c1): the next slab's first block.
      own = nv;
      ownPlacement = [nField, nSmooth, nMid, nBorder];
    }
    xyBlock(ck + 1);
    cubes(ck);
  }
  return {
    positions: shared ? positions.subarray(0, 3 * nv) : positions.slice(0, 3 * nv),
    ownVertices: own,
    indices: shared ? indices.subarray(0, ni) : indices.slice(0, ni),
    placement: ownPlacement,
    maskVoxels: mask.maskVoxels,
    borderVoxels: mask.borderVoxels,
  };
}

function allocF32(n: number, shared: boolean): Float32Array {
  return shared ? new Float32Array(new SharedArrayBuffer(4 * n)) : new Float32Array(n);
}

function allocU32(n: number, shared: boolean): Uint32Array {
  return shared ? new Uint32Array(new SharedArrayBuffer(4 * n)) : new Uint32Array(n);
}
