/**
 * Alignment connectors on a cut face: where a hole (and the peg that goes into it) has solid
 * material all round. The face region of one part pair is the model's cross-section inside
 * the pair's rectangle (the other cuts' planes bound it), intersected over the depths the
 * connector occupies (the hole side down to the hole's bottom plus a wall, the peg side down
 * to the peg's root), then shrunk by the hole radius plus the wall. Any point left is a centre
 * where the hole is enclosed by at least `wall_mm` of material. Centres are picked per
 * connected piece of that region: the first farthest from the piece's centroid, each next one
 * farthest from those already chosen (spread out, so the parts cannot turn on the pegs), up to
 * one per `areaPerConnector_mm2` of the face and never closer than `spacing_mm`; and never within
 * `wall_mm` of a connector on another cut (connectorGap_mm).
 */
import { round } from '../pipeline/record.js';
import type { CrossSection, ManifoldModule } from './manifold-mesh.js';
import { free } from './manifold-mesh.js';
import type { Slicer } from './slicer.js';

export interface ConnectorParams {
  holeDiameter_mm: number;
  holeDepth_mm: number;
  pegDiameter_mm: number;
  pegLength_mm: number;
  /** How far the peg reaches back into its own part (so the union is one solid). */
  pegRoot_mm: number;
  /** Solid material kept around a hole, radially and below its bottom. */
  wall_mm: number;
  spacing_mm: number;
  areaPerConnector_mm2: number;
  maxPerPiece: number;
  /** Polygon sides of a peg or hole. */
  segments: number;
  /** Grid pitch of candidate centres. */
  pitch_mm: number;
}

/** The published method's sizes: 3 mm holes 4 mm deep, 2.8 mm pegs (0.1 mm radial clearance), 0.2 mm short of the bottom. */
export const DEFAULT_CONNECTORS: ConnectorParams = {
  holeDiameter_mm: 3,
  holeDepth_mm: 4,
  pegDiameter_mm: 2.8,
  pegLength_mm: 3.8,
  pegRoot_mm: 1,
  wall_mm: 1,
  spacing_mm: 10,
  areaPerConnector_mm2: 400,
  maxPerPiece: 3,
  segments: 24,
  pitch_mm: 0.5,
};

/** Plane offsets (along the cut axis, from the cut) whose sections must all hold the connector. */
export function connectorDepths(p: ConnectorParams): number[] {
  return [-p.pegRoot_mm, -0.05, 0.05, p.holeDepth_mm / 2, p.holeDepth_mm, p.holeDepth_mm + p.wall_mm];
}

export interface FaceSites {
  /** Centres in plane coordinates (u, v). */
  sites: [number, number][];
  faceArea_mm2: number;
  /** Area where a centre may go. */
  usableArea_mm2: number;
  pieces: number;
}

type Rect = { min: [number, number]; max: [number, number] };

/** The cross-sections at a cut's connector depths (the caller frees them). */
export function cutSections(slicer: Slicer, a: number, c: number, p: ConnectorParams): CrossSection[] {
  return connectorDepths(p).map((d) => slicer.slice(a, c + d));
}

/** A connector placed on a cut: axis a (0, 1, 2), plane position c, centre (u, v) on axes (a+1)%3, (a+2)%3. */
export interface PlacedConnector {
  a: number;
  c: number;
  u: number;
  v: number;
}

/**
 * The material between two connectors: the shortest distance between their cylinders (hole
 * radius, from the peg's root in the lower part to the hole's bottom in the upper one), mm;
 * negative where they overlap. Why: a face's region keeps its connectors clear of the face's own
 * edges, but the cut across it has connectors of its own, and near the line where two cuts meet
 * the holes of both reached into the same part and ran into each other (a peg then meets the
 * other's hole: found on the phantom skull, two holes 3 mm apart in one part).
 */
export function connectorGap_mm(x: PlacedConnector, y: PlacedConnector, p: ConnectorParams): number {
  const lo = (q: PlacedConnector, k: number): number => (k === q.a ? q.c - p.pegRoot_mm : k === (q.a + 1) % 3 ? q.u : q.v);
  const hi = (q: PlacedConnector, k: number): number => (k === q.a ? q.c + p.holeDepth_mm : lo(q, k));
  // the axes' segments are boxes: their distance is the per-axis gaps' length
  let d2 = 0;
  for (let k = 0; k < 3; k++) {
    const g = Math.max(0, lo(x, k) - hi(y, k), lo(y, k) - hi(x, k));
    d2 += g * g;
  }
  return Math.sqrt(d2) - p.holeDiameter_mm;
}

/** `clear(u, v)`: whether a centre keeps its distance from connectors already placed on other cuts. */
export function faceSites(m: ManifoldModule, sections: CrossSection[], atCut: CrossSection, rect: Rect, p: ConnectorParams, clear?: (u: number, v: number) => boolean): FaceSites {
  const box = m.CrossSection.ofPolygons([
    [rect.min[0], rect.min[1]],
    [rect.max[0], rect.min[1]],
    [rect.max[0], rect.max[1]],
    [rect.min[0], rect.max[1]],
  ]);
  const face = atCut.intersect(box);
  const faceArea = face.area();
  let all = box;
  for (const s of sections) {
    const next = all.intersect(s);
    if (all !== box) free(all);
    all = next;
  }
  const usable = all.offset(-(p.holeDiameter_mm / 2 + p.wall_mm), 'Round', 2, p.segments);
  const out: FaceSites = { sites: [], faceArea_mm2: round(faceArea, 1), usableArea_mm2: round(usable.area(), 1), pieces: 0 };
  const pieces = usable.decompose();
  out.pieces = pieces.length;
  // Pieces in a fixed order (largest area first, then position) so the result never depends on decomposition order.
  const ordered = pieces
    .map((cs) => ({ cs, area: cs.area(), b: cs.bounds() }))
    .sort((x, y) => y.area - x.area || x.b.min[0] - y.b.min[0] || x.b.min[1] - y.b.min[1]);
  for (const { cs, area } of ordered) {
    const grid = gridPoints(cs.toPolygons() as [number, number][][], p.pitch_mm);
    const pts = clear ? grid.filter(([u, v]) => clear(u, v)) : grid;
    if (pts.length === 0) continue;
    const want = Math.min(p.maxPerPiece, 1 + Math.floor(area / p.areaPerConnector_mm2));
    for (const s of spread(pts, want, p.spacing_mm, out.sites)) out.sites.push(s);
  }
  free(box, face, usable, ...pieces);
  if (all !== box) free(all);
  return out;
}

/** Centres of a `pitch` grid inside the polygons (even-odd), by scanlines. */
export function gridPoints(polys: [number, number][][], pitch: number): [number, number][] {
  let u0 = Infinity, u1 = -Infinity, v0 = Infinity, v1 = -Infinity;
  for (const poly of polys) for (const [u, v] of poly) {
    u0 = Math.min(u0, u);
    u1 = Math.max(u1, u);
    v0 = Math.min(v0, v);
    v1 = Math.max(v1, v);
  }
  const out: [number, number][] = [];
  if (!(u1 > u0 && v1 > v0)) return out;
  // Grid aligned to multiples of the pitch, so the same region always gives the same points.
  const ja = Math.floor(u0 / pitch), jb = Math.ceil(u1 / pitch);
  for (let i = Math.floor(v0 / pitch); i <= Math.ceil(v1 / pitch); i++) {
    const v = (i + 0.5) * pitch;
    const xs: number[] = [];
    for (const poly of polys) {
      for (let e = 0; e < poly.length; e++) {
        const [ua, va] = poly[e]!;
        const [ub, vb] = poly[(e + 1) % poly.length]!;
        if (va <= v !== vb <= v) xs.push(ua + ((v - va) / (vb - va)) * (ub - ua));
      }
    }
    xs.sort((x, y) => x - y);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      for (let j = Math.max(ja, Math.ceil(xs[k]! / pitch - 0.5)); j <= jb; j++) {
        const u = (j + 0.5) * pitch;
        if (u > xs[k + 1]!) break;
        if (u >= xs[k]!) out.push([u, v]);
      }
    }
  }
  return out;
}

/** Farthest-point choice of up to `want` points at least `spacing` apart (and from `taken`). */
function spread(pts: [number, number][], want: number, spacing: number, taken: [number, number][]): [number, number][] {
  let cu = 0, cv = 0;
  for (const [u, v] of pts) {
    cu += u;
    cv += v;
  }
  cu /= pts.length;
  cv /= pts.length;
  const chosen: [number, number][] = [];
  // Distance to the nearest chosen (or taken) point; the first pick uses the centroid instead.
  const near = new Float64Array(pts.length);
  for (let i = 0; i < pts.length; i++) {
    let d = Infinity;
    for (const [u, v] of taken) d = Math.min(d, Math.hypot(pts[i]![0] - u, pts[i]![1] - v));
    near[i] = d;
  }
  for (let n = 0; n < want; n++) {
    let best = -1, bestScore = -Infinity;
    for (let i = 0; i < pts.length; i++) {
      const score = n === 0 ? Math.hypot(pts[i]![0] - cu, pts[i]![1] - cv) : near[i]!;
      if (near[i]! < spacing) continue;
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    if (best < 0) break;
    const s = pts[best]!;
    chosen.push(s);
    for (let i = 0; i < pts.length; i++) near[i] = Math.min(near[i]!, Math.hypot(pts[i]![0] - s[0], pts[i]![1] - s[1]));
  }
  return chosen;
}
