/**
 * Where the estimation pass reads its profiles: points spread evenly by area over the
 * extracted surface, each at a pseudo-random place inside its triangle, with the direction
 * interpolated from the triangle's vertices.
 *
 * Why not the vertices themselves: a vertex of the extraction lies on a grid edge, at the
 * threshold's crossing, so two of its three index coordinates are whole numbers, and every
 * profile through such vertices meets the voxel centres at one distance from the edge, set by
 * the threshold. The 25–75 % width and the peak of a linearly interpolated profile depend on
 * that phase: on a sphere at 1 mm voxels, σ 0.5 mm, no noise, the point-spread σ read 0.594 mm
 * at a 101 HU threshold, 0.522 at 226 and 0.569 at 400; a 2 mm plate's peaks read 0.854 to
 * 0.889 of the contrast, and its bone density 1192 to 1348 HU (the plate 1 % to 14 % thin).
 * Points at random places on the surface, spread by area, meet the grid at every phase as the
 * surface does: the plate's peaks read 0.858–0.863 at thresholds 101–662 HU.
 */

import { triangleArea } from '../mesh-utils.js';

/** A 32-bit integer hash (lowbias32): deterministic pseudo-random barycentric coordinates. */
function hash32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

export interface SurfacePoints {
  positions: Float32Array;
  dirs: Float32Array;
  count: number;
}

/**
 * `n` points (fewer when the mesh has fewer triangles): point j lies in the triangle where the
 * running area passes (j + ½)/n of the total. A point whose triangle has a vertex without a
 * direction (dirs zero there) gets a zero direction: the pass skips it, as it skips such vertices.
 */
export function surfacePoints(positions: Float32Array, indices: Uint32Array, dirs: Float32Array, n: number, f32: (n: number) => Float32Array): SurfacePoints {
  const P = positions;
  const I = indices;
  const nt = I.length / 3;
  const count = Math.min(n, nt);
  const outP = f32(3 * count);
  const outD = f32(3 * count);
  if (count === 0) return { positions: outP, dirs: outD, count };
  const cum = new Float64Array(nt + 1);
  for (let t = 0; t < nt; t++) {
    cum[t + 1] = cum[t]! + triangleArea(P, 3 * I[3 * t]!, 3 * I[3 * t + 1]!, 3 * I[3 * t + 2]!);
  }
  const total = cum[nt]!;
  let t = 0;
  for (let j = 0; j < count; j++) {
    const target = ((j + 0.5) / count) * total;
    while (t < nt - 1 && cum[t + 1]! < target) t++;
    let r1 = hash32(2 * j) / 4294967296;
    let r2 = hash32(2 * j + 1) / 4294967296;
    if (r1 + r2 > 1) {
      r1 = 1 - r1;
      r2 = 1 - r2;
    }
    const r0 = 1 - r1 - r2;
    const a = 3 * I[3 * t]!, b = 3 * I[3 * t + 1]!, c = 3 * I[3 * t + 2]!;
    const okA = dirs[a]! ** 2 + dirs[a + 1]! ** 2 + dirs[a + 2]! ** 2 > 0.5;
    const okB = dirs[b]! ** 2 + dirs[b + 1]! ** 2 + dirs[b + 2]! ** 2 > 0.5;
    const okC = dirs[c]! ** 2 + dirs[c + 1]! ** 2 + dirs[c + 2]! ** 2 > 0.5;
    let dx = r0 * dirs[a]! + r1 * dirs[b]! + r2 * dirs[c]!;
    let dy = r0 * dirs[a + 1]! + r1 * dirs[b + 1]! + r2 * dirs[c + 1]!;
    let dz = r0 * dirs[a + 2]! + r1 * dirs[b + 2]! + r2 * dirs[c + 2]!;
    const len = Math.hypot(dx, dy, dz);
    // directions more than ~90° apart across one triangle (a crease): no profile there
    if (!(okA && okB && okC) || !(len > 0.5)) dx = dy = dz = 0;
    else {
      dx /= len;
      dy /= len;
      dz /= len;
    }
    for (let i = 0; i < 3; i++) outP[3 * j + i] = r0 * P[a + i]! + r1 * P[b + i]! + r2 * P[c + i]!;
    outD[3 * j] = dx;
    outD[3 * j + 1] = dy;
    outD[3 * j + 2] = dz;
  }
  return { positions: outP, dirs: outD, count };
}
