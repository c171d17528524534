/**
 * 2D→3D conversion accuracy (ISO/IEC 3532-1 asks for it in every report): how far the final
 * mesh lies from the segmentation boundary it was made from, and analytic measures for
 * phantoms of known geometry.
 *
 * The segmentation boundary is the threshold iso-surface of the field that was meshed (its
 * trilinear interpolation), where the mask is that threshold; where clean-up changed the
 * mask, or without a field, it is the surface the extractor draws from the label map.
 */
import { sameGrid } from '../geometry/grid.js';
import type { LabelMap, Mesh, Volume } from '../geometry/types.js';
import { round } from '../pipeline/record.js';
import { compactMesh } from './mesh-utils.js';
import { mulberry32 } from '../synthetic/random.js';
import { buildTriangleGrid, NearestTriangle } from './distance.js';
import { distancesWithinReach } from './reach-distances.js';
import { estimateIsoLevel, extractSurfaceMesh } from './isosurface/extract.js';
import { extractSlab } from './isosurface/extract-slab.js';
import { fieldIsoDistance, type IsoField } from './accuracy-field.js';

export interface AccuracyReference {
  labels: LabelMap;
  label?: number;
  field?: Volume;
  level?: number;
  /** Measure against this surface instead (every sample, exact distance): e.g. the extracted mesh after edge placement. */
  surface?: Mesh;
}

export interface SurfaceAccuracy {
  mean_mm: number;
  p95_mm: number;
  /** Largest distance among the samples (a lower bound of the true maximum when sampled). */
  max_mm: number;
  samples: number;
  /** Vertices + triangle centroids of the mesh: what an exhaustive measure would visit. */
  population: number;
  /** True when `samples` points were drawn from the population (seeded, with replacement). */
  sampled: boolean;
  seed: number;
  /** Standard error of the mean (sample standard deviation / √n; 0 when exhaustive). */
  mean_se_mm: number;
  /** 95 % confidence interval of the 95th percentile (order statistics; equal to p95 when exhaustive). */
  p95_ci_mm: [number, number];
  /** Samples measured against the field's trilinear iso-surface (Newton along the gradient). */
  samples_from_field: number;
  /** Samples measured against the reference mesh (no field, mask changed by clean-up, scan border). */
  samples_from_reference_mesh: number;
  method: string;
}

/**
 * Samples per measure: the standard error of the mean is then ~σ/316 (σ ≈ 0.1 mm on a skull:
 * 0.0003 mm), and the 95th percentile is known to ±0.14 percentile points; ~0.1 s instead of
 * ~2 s for the 1.3 M vertices and centroids of a skull.
 */
export const ACCURACY_SAMPLES = 100_000;
export const ACCURACY_SEED = 3532;

/**
 * Distance from the mesh to the segmentation boundary at its vertices and triangle centroids.
 * With a field, each sample goes to the trilinear iso-surface of the field at `level` (the
 * continuous threshold surface), wherever the mask there is that threshold; elsewhere (no
 * field, clean-up changed the mask, the cap at the scan border) to the reference surface
 * extracted from the label map (exact point-to-triangle distance).
 *
 * Meshes whose vertices + centroids exceed `samples` (default ACCURACY_SAMPLES) are measured on
 * that many points drawn uniformly, with replacement, from them by a seeded generator (mulberry32,
 * `seed`), so the figures are reproducible; the record carries the standard error of the mean
 * and a 95 % interval for the 95th percentile. `maxSamples` is the older name of `samples`.
 */
export function measureSurfaceAccuracy(
  mesh: Mesh,
  reference: AccuracyReference,
  opts: { samples?: number; maxSamples?: number; seed?: number } = {},
): SurfaceAccuracy {
  const s = accuracySamples(mesh, opts);
  const { pts, n } = s;
  const label = reference.label ?? 0;
  const lab = reference.labels.data;
  const field = reference.field;
  const iso: IsoField | undefined = field
    ? {
        grid: field.grid,
        data: field.data,
        level: reference.level ?? estimateIsoLevel(reference.labels, label, field),
        inside: label === 0 ? (v) => lab[v] !== 0 : (v) => lab[v] === label,
      }
    : undefined;
  const d = new Float64Array(n);
  const pending: number[] = [];
  let fromField = 0;
  for (let i = 0; i < n; i++) {
    const dist = iso && !reference.surface ? fieldIsoDistance(iso, pts[3 * i]!, pts[3 * i + 1]!, pts[3 * i + 2]!) : NaN;
    if (Number.isNaN(dist)) pending.push(i);
    else {
      d[i] = dist;
      fromField++;
    }
  }
  if (pending.length) {
    if (reference.surface) referenceDistances(reference.surface, pts, pending, d);
    else labelSurfaceDistances(reference.labels, label, field, iso?.level ?? 0, pts, pending, d);
  }
  return accuracyFigures(d, s, fromField, reference.surface !== undefined);
}

/** The measure's points: the population's, or `samples` of them drawn by the seeded generator. */
export interface AccuracySamples {
  /** xyz per point. */
  pts: Float64Array;
  n: number;
  population: number;
  sampled: boolean;
  seed: number;
}

export function accuracySamples(mesh: Mesh, opts: { samples?: number; maxSamples?: number; seed?: number } = {}): AccuracySamples {
  const maxSamples = opts.samples ?? opts.maxSamples ?? ACCURACY_SAMPLES;
  const seed = opts.seed ?? ACCURACY_SEED;
  const p = mesh.positions;
  const ix = mesh.indices;
  const nt = ix.length / 3;
  // The population: used vertices, then triangle centroids.
  const used = new Uint8Array(p.length / 3);
  for (let i = 0; i < ix.length; i++) used[ix[i]!] = 1;
  let nUsed = 0;
  for (let v = 0; v < used.length; v++) nUsed += used[v]!;
  const usedList = new Uint32Array(nUsed);
  for (let v = 0, k = 0; v < used.length; v++) if (used[v]) usedList[k++] = v;
  const population = nUsed + nt;
  const sampled = population > maxSamples;
  const n = sampled ? maxSamples : population;
  const pick = new Uint32Array(n);
  if (sampled) {
    const rand = mulberry32(seed);
    for (let i = 0; i < n; i++) pick[i] = Math.min(population - 1, Math.floor(rand() * population));
  } else {
    for (let i = 0; i < n; i++) pick[i] = i;
  }
  const pts = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    const q = pick[i]!;
    if (q < nUsed) {
      const v = 3 * usedList[q]!;
      pts[3 * i] = p[v]!;
      pts[3 * i + 1] = p[v + 1]!;
      pts[3 * i + 2] = p[v + 2]!;
    } else {
      const t = q - nUsed;
      const a = 3 * ix[3 * t]!, b = 3 * ix[3 * t + 1]!, c = 3 * ix[3 * t + 2]!;
      pts[3 * i] = (p[a]! + p[b]! + p[c]!) / 3;
      pts[3 * i + 1] = (p[a + 1]! + p[b + 1]! + p[c + 1]!) / 3;
      pts[3 * i + 2] = (p[a + 2]! + p[b + 2]! + p[c + 2]!) / 3;
    }
  }
  return { pts, n, population, sampled, seed };
}

/** The figures of distances `d` at the points `s`, `fromField` of them from the field. */
export function accuracyFigures(d: Float64Array, s: AccuracySamples, fromField: number, againstSurface: boolean): SurfaceAccuracy {
  const { n, population, sampled, seed } = s;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += d[i]!;
  const mean = n ? sum / n : 0;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (d[i]! - mean) ** 2;
  const sorted = d.slice().sort();
  const at = (k: number): number => (n ? sorted[Math.max(0, Math.min(n - 1, k))]! : 0);
  const k95 = Math.floor(0.95 * n);
  // Order-statistic interval for the 0.95 quantile: ranks n·q ± 1.96·√(n·q·(1−q)).
  const half = Math.ceil(1.96 * Math.sqrt(n * 0.95 * 0.05));
  return {
    mean_mm: round(mean, 4),
    p95_mm: round(at(k95), 4),
    max_mm: round(at(n - 1), 4),
    samples: n,
    population,
    sampled,
    seed,
    mean_se_mm: sampled && n > 1 ? round(Math.sqrt(ss / (n - 1) / n), 5) : 0,
    p95_ci_mm: sampled ? [round(at(k95 - half), 4), round(at(k95 + half), 4)] : [round(at(k95), 4), round(at(k95), 4)],
    samples_from_field: fromField,
    samples_from_reference_mesh: n - fromField,
    method:
      (sampled ? `${n} seeded random samples of the vertices and triangle centroids` : 'every vertex and triangle centroid') +
      (againstSurface
        ? ' → exact distance to the given reference surface'
        : " → trilinear field iso-surface (Newton along the gradient) where the mask is its threshold, else exact distance to the label map's reference surface"),
  };
}

/**
 * Exact distances from the listed points to a reference mesh. Only the reference triangles near
 * the points are binned (cells of NEAR_MM around every point and their neighbours, marked in a
 * dense bitmap over the reference's box), so a few thousand points do not pay for a grid over a
 * million triangles; a point whose nearest triangle is farther than that margin is measured
 * again against the whole mesh. When the points cover most of the surface (20k samples spread
 * over a skull) the whole mesh is binned once instead: the nearest triangle, and so every
 * distance, is the same either way.
 */
const NEAR_MM = 4;
/**
 * Points within this of the reference are measured triangle-driven first (distancesWithinReach),
 * the rest (if many, or beyond 4× reach) as below. A conditioned mesh lies within tenths of a
 * mm of its source (phantom skull: p95 0.17, max 0.52 mm); a larger reach offers each point
 * more triangles (1 mm: 1.5× the CPU).
 */
const REACH_MM = 0.5;
/** Above this share of the reference's triangles kept, bin the whole mesh (no copy). */
const WHOLE_SHARE = 0.5;
/** Above this share of every 16th triangle near, bin the whole mesh without counting. */
const PROBE_WHOLE_SHARE = 0.65;

export function referenceDistances(ref: Mesh, pts: Float64Array, all: number[], out: Float64Array): void {
  const reached = distancesWithinReach(ref, pts, all, out, REACH_MM);
  let list = reached.rest;
  // A few points beyond reach (the farthest of a sample): a second pass at 4× reach looks
  // only at the triangles near them, where binning the mesh costs several passes.
  if (list.length > 0 && list.length <= all.length / 64) list = distancesWithinReach(ref, pts, list, out, 4 * REACH_MM, reached.extent).rest;
  if (list.length === 0) return;
  const rp = ref.positions;
  const rix = ref.indices;
  const nRef = rix.length / 3;
  let lx = Infinity, ly = Infinity, lz = Infinity, hx = -Infinity, hy = -Infinity, hz = -Infinity;
  for (let v = 0; v < rp.length; v += 3) {
    const x = rp[v]!, y = rp[v + 1]!, z = rp[v + 2]!;
    if (x < lx) lx = x;
    if (y < ly) ly = y;
    if (z < lz) lz = z;
    if (x > hx) hx = x;
    if (y > hy) hy = y;
    if (z > hz) hz = z;
  }
  // Cells of NEAR_MM over the reference's box; a centroid always falls inside it.
  const nx = nRef ? Math.floor((hx - lx) / NEAR_MM) + 1 : 1, ny = nRef ? Math.floor((hy - ly) / NEAR_MM) + 1 : 1, nz = nRef ? Math.floor((hz - lz) / NEAR_MM) + 1 : 1;
  const near = new Uint8Array(nx * ny * nz);
  for (const i of list) {
    const ci = Math.floor((pts[3 * i]! - lx) / NEAR_MM), cj = Math.floor((pts[3 * i + 1]! - ly) / NEAR_MM), ck = Math.floor((pts[3 * i + 2]! - lz) / NEAR_MM);
    for (let c = Math.max(0, ck - 1); c <= Math.min(nz - 1, ck + 1); c++) {
      for (let b = Math.max(0, cj - 1); b <= Math.min(ny - 1, cj + 1); b++) {
        for (let a = Math.max(0, ci - 1); a <= Math.min(nx - 1, ci + 1); a++) near[a + nx * (b + ny * c)] = 1;
      }
    }
  }
  const isNear = (t: number): boolean => {
    const a = 3 * rix[3 * t]!, b = 3 * rix[3 * t + 1]!, c = 3 * rix[3 * t + 2]!;
    const x = (rp[a]! + rp[b]! + rp[c]!) / 3, y = (rp[a + 1]! + rp[b + 1]! + rp[c + 1]!) / 3, z = (rp[a + 2]! + rp[b + 2]! + rp[c + 2]!) / 3;
    const ci = Math.min(nx - 1, Math.max(0, Math.floor((x - lx) / NEAR_MM)));
    const cj = Math.min(ny - 1, Math.max(0, Math.floor((y - ly) / NEAR_MM)));
    const ck = Math.min(nz - 1, Math.max(0, Math.floor((z - lz) / NEAR_MM)));
    return near[ci + nx * (cj + ny * ck)] === 1;
  };
  // Either way gives the same distances; a look at every 16th triangle first spares counting
  // most of a mesh that will be binned whole anyway (samples spread over all of it).
  let probe = 0;
  let nearProbe = 0;
  for (let t = 0; t < nRef; t += 16, probe++) if (isNear(t)) nearProbe++;
  const keep = new Uint8Array(nRef);
  let kept = 0;
  let maxEdge = 0;
  // Once more than WHOLE_SHARE of the triangles are near, the whole mesh is binned: stop counting.
  const wholeAbove = nearProbe > PROBE_WHOLE_SHARE * probe ? -1 : WHOLE_SHARE * nRef;
  for (let t = 0; t < nRef && kept <= wholeAbove; t++) {
    if (!isNear(t)) continue;
    const a = 3 * rix[3 * t]!, b = 3 * rix[3 * t + 1]!;
    keep[t] = 1;
    kept++;
    const e = Math.abs(rp[a]! - rp[b]!) + Math.abs(rp[a + 1]! - rp[b + 1]!) + Math.abs(rp[a + 2]! - rp[b + 2]!);
    if (e > maxEdge) maxEdge = e;
  }
  if (kept > wholeAbove) {
    const whole = new NearestTriangle(buildTriangleGrid(ref));
    for (const i of list) out[i] = whole.distance(pts[3 * i]!, pts[3 * i + 1]!, pts[3 * i + 2]!);
    return;
  }
  const local = new NearestTriangle(buildTriangleGrid(compactMesh(ref, keep)));
  // A triangle within distance r of a point has its centroid within r + its size of it.
  const trusted = NEAR_MM - maxEdge;
  let whole: NearestTriangle | undefined;
  for (const i of list) {
    const x = pts[3 * i]!, y = pts[3 * i + 1]!, z = pts[3 * i + 2]!;
    let dist = local.distance(x, y, z);
    if (!(dist <= trusted)) {
      whole ??= new NearestTriangle(buildTriangleGrid(ref));
      dist = whole.distance(x, y, z);
    }
    out[i] = dist;
  }
}

/** Cube layers within this distance (mm, along the grid's k axis) of a point are extracted for it. */
const LAYER_MARGIN_MM = 4;

/**
 * Exact distances from the listed points to the surface the extractor draws from the label
 * map, extracting only the layers of cubes (along k) near the points: the extractor's slabs
 * hold exactly the whole surface's triangles of their layers (extract-slab.ts), so a distance
 * no longer than the way to the nearest layer left out is the whole surface's. Points farther
 * from their surface than that (none, usually) are measured again on the whole extraction.
 * Exported for the spec, which checks it against the whole surface.
 */
export function labelSurfaceDistances(labels: LabelMap, label: number, field: Volume | undefined, level: number, pts: Float64Array, list: number[], out: Float64Array): void {
  const g = labels.grid;
  if (field && (!sameGrid(field.grid, g) || field.data.length !== labels.data.length)) {
    referenceDistances(extractSurfaceMesh(labels, { label, field, level }), pts, list, out); // throws FIELD_GRID_MISMATCH, as before
    return;
  }
  const [nx, ny, nz] = g.dims;
  const sz = g.spacing_mm[2];
  const dr = g.direction;
  const o = g.origin_mm;
  // k index of every point; cube layer c (mask coordinates, extract-slab.ts) spans source planes c − 2 .. c − 1
  const fk = new Float64Array(list.length);
  const layers = new Uint8Array(nz + 3);
  const m = Math.ceil(LAYER_MARGIN_MM / sz);
  list.forEach((i, n) => {
    const k = ((pts[3 * i]! - o[0]) * dr[6] + (pts[3 * i + 1]! - o[1]) * dr[7] + (pts[3 * i + 2]! - o[2]) * dr[8]) / sz;
    fk[n] = k;
    const c = Math.min(nz + 1, Math.max(1, Math.floor(k) + 2));
    for (let a = Math.max(1, c - m); a <= Math.min(nz + 1, c + m); a++) layers[a] = 1;
  });
  // runs of layers [c0, c1) → one mesh; runOf: the run of each layer
  const runOf = new Int32Array(nz + 3).fill(-1);
  const runs: Array<[number, number]> = [];
  for (let c = 1; c <= nz + 1; c++) {
    if (!layers[c]) continue;
    if (!layers[c - 1] || c === 1) runs.push([c, c + 1]);
    else runs[runs.length - 1]![1] = c + 1;
    runOf[c] = runs.length - 1;
  }
  const { direction: d, spacing_mm: s } = g;
  const matrix = [o[0], o[1], o[2], d[0] * s[0], d[1] * s[0], d[2] * s[0], d[3] * s[1], d[4] * s[1], d[5] * s[1], d[6] * s[2], d[7] * s[2], d[8] * s[2]];
  const parts = runs.map(([c0, c1]) => extractSlab({ labels: labels.data, field: field ? field.data : null, dims: [nx, ny, nz], matrix, label, level, eps: 0.02, c0, c1 }));
  let nv = 0;
  let ni = 0;
  for (const r of parts) {
    nv += r.positions.length / 3;
    ni += r.indices.length;
  }
  const positions = new Float32Array(3 * nv);
  const indices = new Uint32Array(ni);
  for (let r = 0, vo = 0, io = 0; r < parts.length; r++) {
    const part = parts[r]!;
    positions.set(part.positions, 3 * vo);
    for (let q = 0; q < part.indices.length; q++) indices[io + q] = part.indices[q]! + vo;
    vo += part.positions.length / 3;
    io += part.indices.length;
  }
  referenceDistances({ positions, indices }, pts, list, out);
  const again: number[] = [];
  list.forEach((i, n) => {
    const c = Math.min(nz + 1, Math.max(1, Math.floor(fk[n]!) + 2));
    const [c0, c1] = runs[runOf[c]!]!;
    // the layers left out lie beyond source planes c0 − 2 (below) and c1 − 2 (above)
    const below = c0 === 1 ? Infinity : (fk[n]! - (c0 - 2)) * sz;
    const above = c1 === nz + 2 ? Infinity : (c1 - 2 - fk[n]!) * sz;
    if (!(out[i]! <= Math.min(below, above))) again.push(i);
  });
  if (again.length) referenceDistances(extractSurfaceMesh(labels, { label, ...(field ? { field, level } : {}) }), pts, again, out);
}

// Errors against analytic surfaces (the validation phantoms' spheres and slabs) live beside it.
export { meshVolume_mm3, radialError, surfaceErrorToSdf, type SurfaceError } from './surface-error.js';
