/**
 * Vertices whose fan of triangles lies flat: seen along one direction, every triangle round
 * the vertex turns the same way and the fan goes round exactly once. Two triangles that share
 * only such a vertex cannot cross: seen along that direction they are wedges round the vertex
 * with no common point but it, and each shows every point of it once, so in space too they
 * meet at that vertex only. The self-intersection check skips those pairs (self-intersections.ts).
 *
 * Why: after smoothing a skull, 7.5 M of the 10 M pairs of triangles whose boxes meet share
 * exactly one corner (the triangles round each vertex), and 99.8 % of the vertices are flat:
 * skipping those pairs takes about a fifth off the check's time.
 *
 * Only for a closed mesh: every edge used by exactly two triangles, in opposite directions
 * (the caller vouches). Round each vertex its triangles then form closed cycles, each wedge
 * starting at the edge where the one before it ends; where all of them turn the same way, a
 * cycle goes round at least once, so "exactly once in all" leaves one cycle going round once.
 * A ray across the direction counts the turns: the wedges it passes through, each wedge
 * half-open so a ray along an edge is counted in one of its two wedges.
 */

/**
 * 1 for each vertex of the closed mesh (P, I) whose fan lies flat (see above), else 0; written
 * into `out` when given (zeroed, one per vertex: shared memory a pool's worker fills).
 */
export function flatFans(P: Float32Array, I: Uint32Array, out?: Uint8Array): Uint8Array {
  const nv = (P.length / 3) | 0;
  const nt = (I.length / 3) | 0;
  if (out && out.length !== nv) throw new RangeError(`flatFans: ${out.length} flags for ${nv} vertices`);
  // The direction a vertex is seen along: the normal of the first triangle at it (its other
  // triangles on a smooth surface turn within a right angle of it), in float32 (exactness is
  // not needed: any direction will do, the same for all of the vertex's wedges).
  const dir = new Float32Array(3 * nv);
  // per vertex: 0 no triangle yet, 1 the ray passed through one wedge, 2 not flat, 3 seen, through none yet
  const state = out ?? new Uint8Array(nv);
  const TURNED = 1, NOT_FLAT = 2, SEEN = 3;
  for (let t = 0; t < nt; t++) {
    for (let k = 0; k < 3; k++) {
      const v = I[3 * t + k]!;
      const st = state[v]!;
      if (st === NOT_FLAT) continue;
      const p = I[3 * t + (k === 2 ? 0 : k + 1)]!, q = I[3 * t + (k === 0 ? 2 : k - 1)]!;
      const vx = P[3 * v]!, vy = P[3 * v + 1]!, vz = P[3 * v + 2]!;
      // the wedge at v runs from d1 = p − v to d2 = q − v (the triangle's own turn)
      const d1x = P[3 * p]! - vx, d1y = P[3 * p + 1]! - vy, d1z = P[3 * p + 2]! - vz;
      const d2x = P[3 * q]! - vx, d2y = P[3 * q + 1]! - vy, d2z = P[3 * q + 2]! - vz;
      const cx = d1y * d2z - d1z * d2y, cy = d1z * d2x - d1x * d2z, cz = d1x * d2y - d1y * d2x;
      const o = 3 * v;
      if (st === 0) {
        // the first triangle at v: its normal is the direction
        dir[o] = cx;
        dir[o + 1] = cy;
        dir[o + 2] = cz;
      }
      const nx = dir[o]!, ny = dir[o + 1]!, nz = dir[o + 2]!;
      // its turn seen along n: n · (d1 × d2), above a margin of 1e-9 of the sizes (a degenerate
      // triangle, or one seen edge-on, makes the vertex not flat)
      const turn = nx * cx + ny * cy + nz * cz;
      if (!(turn > 0 && turn * turn > 1e-18 * (nx * nx + ny * ny + nz * nz) * (cx * cx + cy * cy + cz * cz))) {
        state[v] = NOT_FLAT;
        continue;
      }
      // The ray r across n: n × the axis n leans on least (worked out again per wedge rather than
      // stored: fresh memory costs more than these few operations). r lies in the half-open
      // wedge [d1, d2) where n · (d1 × r) ≥ 0 and n · (r × d2) > 0 (a wedge turns less than half
      // a turn). r × d is the exact negative of d × r, term by term, so the two wedges on either
      // side of an edge along r agree on which of them holds it.
      const ax = Math.abs(nx), ay = Math.abs(ny), az = Math.abs(nz);
      const rx = ax <= ay && ax <= az ? 0 : ay <= az ? -nz : ny;
      const ry = ax <= ay && ax <= az ? nz : ay <= az ? 0 : -nx;
      const rz = ax <= ay && ax <= az ? -ny : ay <= az ? nx : 0;
      const o1 = nx * (d1y * rz - d1z * ry) + ny * (d1z * rx - d1x * rz) + nz * (d1x * ry - d1y * rx);
      const o2 = nx * (ry * d2z - rz * d2y) + ny * (rz * d2x - rx * d2z) + nz * (rx * d2y - ry * d2x);
      const inside = o1 >= 0 && o2 > 0;
      if (st === 0) state[v] = inside ? TURNED : SEEN;
      else if (inside) state[v] = st === SEEN ? TURNED : NOT_FLAT;
    }
  }
  for (let v = 0; v < nv; v++) state[v] = state[v] === TURNED ? 1 : 0;
  return state;
}
