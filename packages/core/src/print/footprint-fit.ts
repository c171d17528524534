/**
 * Whether a part's footprint fits a printer's bed when the part is turned about z (the print
 * frame's up axis stays up: orientation is chosen before scheduling, by prepare).
 *
 * A quarter turn is not enough: a long part can lie across the bed's diagonal, and a part
 * whose bounding box is larger than the bed may have a hull that is not. The footprint is the
 * convex hull of the part's vertices projected on the bed (any turn of the part is a turn of
 * its hull, and the hull's extents are the part's). Turned by φ, the hull's x extent W(φ) and
 * y extent D(φ) are, between two "critical" angles (where a hull edge lies along x or y), each
 * one sinusoid (one pair of vertices gives the extent). So the set of angles that fit is a
 * union of intervals whose ends are critical angles or roots of W(φ) = bed w or D(φ) = bed d,
 * both solved in closed form: testing those candidates is exact (no sampling), and among them
 * are the hull-edge-aligned angles, so the minimum-area bounding rectangle is tested too.
 */

export type Point2 = readonly [number, number];

/** Where the part is turned to: φ (degrees, counter-clockwise about z) and its x/y extents then, mm. */
export interface FootprintFit {
  turn_deg: number;
  w: number;
  d: number;
}

/** Tolerance for "fits", mm: as packFootprints', so a part the fit accepts is one the packer accepts. */
const EPS = 1e-6;

/** The convex hull (counter-clockwise, no collinear points) of points; Andrew's monotone chain. */
export function convexHull2(points: readonly Point2[]): [number, number][] {
  const ps = [...points].filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1])).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (ps.length <= 2) return ps.map((p) => [p[0], p[1]]);
  const cross = (o: Point2, a: Point2, b: Point2) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const half = (list: Point2[]): Point2[] => {
    const out: Point2[] = [];
    for (const p of list) {
      while (out.length >= 2 && cross(out[out.length - 2]!, out[out.length - 1]!, p) <= 0) out.pop();
      out.push(p);
    }
    out.pop();
    return out;
  };
  return [...half(ps), ...half([...ps].reverse())].map((p) => [p[0], p[1]]);
}

/** The footprint hull of xyz triplets (a mesh's positions): their convex hull on the xy plane. */
export function footprintHull(positions: ArrayLike<number>): [number, number][] {
  const pts: Point2[] = [];
  for (let i = 0; i + 2 < positions.length; i += 3) pts.push([positions[i]!, positions[i + 1]!]);
  return convexHull2(pts);
}

/** x and y extents of the hull turned by φ (radians). */
function extents(h: readonly Point2[], phi: number): { w: number; d: number; ix: [number, number]; iy: [number, number] } {
  const c = Math.cos(phi);
  const s = Math.sin(phi);
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  const ix: [number, number] = [0, 0];
  const iy: [number, number] = [0, 0];
  for (const [k, [x, y]] of h.entries()) {
    const X = x * c - y * s;
    const Y = x * s + y * c;
    if (X > x1) [x1, ix[0]] = [X, k];
    if (X < x0) [x0, ix[1]] = [X, k];
    if (Y > y1) [y1, iy[0]] = [Y, k];
    if (Y < y0) [y0, iy[1]] = [Y, k];
  }
  return { w: x1 - x0, d: y1 - y0, ix, iy };
}

const HALF_TURN = Math.PI;
const mod = (a: number, m: number) => ((a % m) + m) % m;

/**
 * The turn about z at which the footprint fits a w × d bed, or null when none does. Of the
 * turns that fit, by default the one with the smallest bounding rectangle (it packs best),
 * then the smallest turn; with prefer 'room', the one that leaves the most room to the bed's
 * edges (a slicer's skirt and brim need some). Exact up to floating point (module comment).
 */
export function fitFootprint(hull: readonly Point2[], bed: { w: number; d: number }, prefer: 'area' | 'room' = 'area'): FootprintFit | null {
  const h = convexHull2(hull);
  if (h.length === 0) return { turn_deg: 0, w: 0, d: 0 };
  // W(φ + π) = W(φ) and D(φ + π) = D(φ): turns in [0, π) are all there is.
  const critical = new Set<number>([0]);
  for (let k = 0; k < h.length; k++) {
    const [a, b] = [h[k]!, h[(k + 1) % h.length]!];
    const alpha = Math.atan2(b[1] - a[1], b[0] - a[0]);
    // The edge along x (φ = −α) or along y (φ = π/2 − α): where the extreme vertices change.
    critical.add(mod(-alpha, HALF_TURN));
    critical.add(mod(Math.PI / 2 - alpha, HALF_TURN));
  }
  const sorted = [...critical].sort((x, y) => x - y);
  const candidates: number[] = [...sorted];
  for (let k = 0; k < sorted.length; k++) {
    const lo = sorted[k]!;
    const hi = k + 1 < sorted.length ? sorted[k + 1]! : HALF_TURN;
    if (hi - lo < 1e-12) continue;
    const mid = (lo + hi) / 2;
    candidates.push(mid);
    const e = extents(h, mid);
    // W(φ) = dx cos φ − dy sin φ = R cos(φ + β) for the pair that gives the x extent here.
    const [p, q] = [h[e.ix[0]]!, h[e.ix[1]]!];
    const [dx, dy] = [p[0] - q[0], p[1] - q[1]];
    const roots: number[] = [];
    const rw = Math.hypot(dx, dy);
    if (rw >= bed.w && rw > 0) {
      const beta = Math.atan2(dy, dx);
      const t = Math.acos(Math.min(1, bed.w / rw));
      roots.push(-beta + t, -beta - t);
    }
    // D(φ) = ex sin φ + ey cos φ = R cos(φ − γ) for the pair that gives the y extent.
    const [r, s] = [h[e.iy[0]]!, h[e.iy[1]]!];
    const [ex, ey] = [r[0] - s[0], r[1] - s[1]];
    const rd = Math.hypot(ex, ey);
    if (rd >= bed.d && rd > 0) {
      const gamma = Math.atan2(ex, ey);
      const t = Math.acos(Math.min(1, bed.d / rd));
      roots.push(gamma + t, gamma - t);
    }
    for (const root of roots) {
      const phi = mod(root, 2 * Math.PI);
      for (const x of [phi, phi - HALF_TURN, phi - 2 * HALF_TURN]) if (x >= lo && x <= hi) candidates.push(x);
    }
  }
  const fits = (phi: number) => {
    const e = extents(h, phi);
    return e.w <= bed.w + EPS && e.d <= bed.d + EPS;
  };
  if (prefer === 'room') {
    // Between two turns that fit, the middle one usually fits with more room (a fitting set is intervals).
    const ok = candidates.filter(fits).sort((x, y) => x - y);
    for (let k = 0; k + 1 < ok.length; k++) if (fits((ok[k]! + ok[k + 1]!) / 2)) candidates.push((ok[k]! + ok[k + 1]!) / 2);
  }
  let best: (FootprintFit & { score: number; phi: number }) | null = null;
  for (const phi of candidates) {
    if (!fits(phi)) continue;
    const e = extents(h, phi);
    // Lower is better: the area, or minus the least room left.
    const score = prefer === 'area' ? e.w * e.d : -Math.min(bed.w - e.w, bed.d - e.d);
    if (!best || score < best.score - EPS || (Math.abs(score - best.score) <= EPS && phi < best.phi)) {
      best = { turn_deg: (phi * 180) / Math.PI, w: Math.min(e.w, bed.w), d: Math.min(e.d, bed.d), score, phi };
    }
  }
  return best && { turn_deg: best.turn_deg, w: best.w, d: best.d };
}

/** The hull of an axis-aligned x × y rectangle: what is known of a part given only its bounding box. */
export const boxHull = (x: number, y: number): [number, number][] => [[0, 0], [x, 0], [x, y], [0, y]];
