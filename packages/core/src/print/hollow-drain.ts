/**
 * Where a cavity's drain holes start: on its floor in the print orientation, away from its
 * side walls. Uncured resin pools at the lowest point, so that is where a drain belongs; but
 * "the lowest vertex" of a flat floor is whichever of its many equally low vertices comes
 * first, in practice a corner, and a hole there runs into the side wall (its nearest way out)
 * and cuts it. So: the floor is the cavity's vertices within a band above its lowest height;
 * a hole goes where the floor leaves it the most room from the rising wall around it (measured
 * across, perpendicular to up, up to a few hole radii), and of those places the nearest to
 * the floor's centre. Its way out (hollow.ts) is then the shortest: down through the floor.
 */
import type { Vec3 } from './dowel-nearest.js';

export interface DrainSpot {
  at: Vec3;
  /** Room across from the floor's edge (the rising wall), mm, capped at `cap`. */
  room_mm: number;
}

/** Two unit vectors across `up` (perpendicular to it and to each other). */
function across(up: Vec3): [Vec3, Vec3] {
  const a: Vec3 = Math.abs(up[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const c = (u: Vec3, v: Vec3): Vec3 => [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
  const e1 = c(up, a);
  const n = Math.hypot(...e1);
  const u1: Vec3 = [e1[0] / n, e1[1] / n, e1[2] / n];
  return [u1, c(up, u1)];
}

/**
 * Up to `want` drain starts on the cavity whose vertices are `verts` (indices into positions
 * `cp`), lowest along `up` first, at least `spacing` apart. `band` is how far above the
 * lowest height still counts as floor (about a voxel: the surface's own roughness).
 */
export function drainSpots(cp: ArrayLike<number>, verts: readonly number[], want: number, up: Vec3, opts: { spacing: number; radius: number; band: number }): DrainSpot[] {
  if (want <= 0 || verts.length === 0) return [];
  const P = (v: number): Vec3 => [cp[3 * v]!, cp[3 * v + 1]!, cp[3 * v + 2]!];
  const height = (p: Vec3) => p[0] * up[0] + p[1] * up[1] + p[2] * up[2];
  const [e1, e2] = across(up);
  const flat = (p: Vec3): [number, number] => [p[0] * e1[0] + p[1] * e1[1] + p[2] * e1[2], p[0] * e2[0] + p[1] * e2[1] + p[2] * e2[2]];
  const sorted = [...verts].sort((a, b) => height(P(a)) - height(P(b)) || a - b);
  const low = height(P(sorted[0]!));
  const cap = 4 * opts.radius;
  const chosen: DrainSpot[] = [];
  // The floor band; widened step by step when it has no room left for another hole.
  for (let band = opts.band; chosen.length < want; band *= 2) {
    const floor = sorted.filter((v) => height(P(v)) <= low + band);
    // The wall around the floor: vertices just above the band (higher ones are the ceiling).
    const wall = sorted.filter((v) => {
      const z = height(P(v)) - low;
      return z > band && z <= band + opts.radius + opts.band;
    });
    const cell = Math.max(cap / 2, 1e-3);
    const grid = new Map<string, [number, number][]>();
    for (const v of wall) {
      const q = flat(P(v));
      const key = `${Math.floor(q[0] / cell)},${Math.floor(q[1] / cell)}`;
      const list = grid.get(key) ?? [];
      list.push(q);
      grid.set(key, list);
    }
    const room = (p: Vec3): number => {
      const q = flat(p);
      const [cx, cy] = [Math.floor(q[0] / cell), Math.floor(q[1] / cell)];
      let best = cap;
      for (let dx = -2; dx <= 2; dx++) {
        for (let dy = -2; dy <= 2; dy++) {
          for (const w of grid.get(`${cx + dx},${cy + dy}`) ?? []) best = Math.min(best, Math.hypot(w[0] - q[0], w[1] - q[1]));
        }
      }
      return best;
    };
    // The floor's centre, on the floor's height: a flat floor's inside may have no vertex at all
    // (the surface's large flat triangles), so it is a candidate of its own.
    const mid = floor.reduce<Vec3>((s, v) => {
      const q = P(v);
      return [s[0] + q[0] / floor.length, s[1] + q[1] / floor.length, s[2] + q[2] / floor.length];
    }, [0, 0, 0]);
    const lift = low - height(mid);
    const centreAt: Vec3 = [mid[0] + lift * up[0], mid[1] + lift * up[1], mid[2] + lift * up[2]];
    const centre = flat(centreAt);
    const spots = [...floor.map((v) => ({ at: P(v), v })), { at: centreAt, v: -1 }].map(({ at, v }) => {
      const q = flat(at);
      return { at, room_mm: room(at), off: Math.hypot(q[0] - centre[0], q[1] - centre[1]), v };
    });
    // Most room first (a hole's width away from the wall, or more); then nearest the centre.
    spots.sort((a, b) => b.room_mm - a.room_mm || a.off - b.off || a.v - b.v);
    for (const s of spots) {
      if (chosen.length >= want) break;
      if (chosen.some((c) => Math.hypot(c.at[0] - s.at[0], c.at[1] - s.at[1], c.at[2] - s.at[2]) < opts.spacing)) continue;
      chosen.push({ at: s.at, room_mm: s.room_mm });
    }
    if (floor.length === sorted.length) break;
  }
  return chosen;
}
