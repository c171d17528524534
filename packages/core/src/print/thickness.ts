/**
 * Wall thickness, estimated by rays: from sample points on the surface (triangle centroids, an
 * even stride through the triangles), a ray goes inward along the face normal to the first
 * other surface it meets; that distance is the local wall thickness (the "shape diameter"
 * along the normal: exact for parallel walls, an over-estimate where the opposite wall is
 * oblique, an under-estimate nowhere except at sharp concave corners). Rays longer than
 * `maxDistance_mm` are not followed (thick enough). Samples thinner than the printer's minimum
 * feature are grouped into features (samples within `clusterRadius_mm` of each other), each
 * reported with its location in the mesh's frame (patient LPS mm), thinnest value and count.
 * A uniform grid over the triangles keeps each ray to the few cells it crosses.
 */
import type { Mesh } from '../geometry/types.js';
import { round } from '../pipeline/record.js';
import { findRoot, makeSets, unionSets } from '../geometry/union-find.js';

export interface ThicknessParams {
  maxSamples: number;
  maxDistance_mm: number;
  clusterRadius_mm: number;
  maxLocations: number;
}

export const DEFAULT_THICKNESS: ThicknessParams = { maxSamples: 50_000, maxDistance_mm: 20, clusterRadius_mm: 3, maxLocations: 20 };

export interface ThinFeature {
  at_mm: [number, number, number];
  minThickness_mm: number;
  samples: number;
}

export interface ThicknessResult {
  samples: number;
  /** Samples whose ray met the opposite wall within maxDistance_mm. */
  measured: number;
  min_mm: number | null;
  p1_mm: number | null;
  p5_mm: number | null;
  median_mm: number | null;
  thinSamples: number;
  thinFeatures: number;
  /** The thinnest features first, at most maxLocations. */
  locations: ThinFeature[];
}

export function wallThickness(mesh: Mesh, minFeature_mm: number, params: ThicknessParams = DEFAULT_THICKNESS): ThicknessResult {
  const p = mesh.positions, ix = mesh.indices;
  const nt = ix.length / 3;
  const grid = buildGrid(mesh);
  const stride = Math.max(1, Math.ceil(nt / params.maxSamples));
  const values: number[] = [];
  const thin: { at: [number, number, number]; t: number }[] = [];
  let samples = 0;
  for (let t = 0; t < nt; t += stride) {
    const a = ix[3 * t]! * 3, b = ix[3 * t + 1]! * 3, c = ix[3 * t + 2]! * 3;
    const ux = p[b]! - p[a]!, uy = p[b + 1]! - p[a + 1]!, uz = p[b + 2]! - p[a + 2]!;
    const vx = p[c]! - p[a]!, vy = p[c + 1]! - p[a + 1]!, vz = p[c + 2]! - p[a + 2]!;
    let nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
    const len = Math.hypot(nx, ny, nz);
    // A degenerate triangle has no normal; one with a NaN or infinite corner has no place to cast from.
    if (!(len > 0 && len < Infinity)) continue;
    nx /= len;
    ny /= len;
    nz /= len;
    samples++;
    const o: [number, number, number] = [(p[a]! + p[b]! + p[c]!) / 3, (p[a + 1]! + p[b + 1]! + p[c + 1]!) / 3, (p[a + 2]! + p[b + 2]! + p[c + 2]!) / 3];
    const d = castRay(mesh, grid, o, [-nx, -ny, -nz], t, params.maxDistance_mm);
    if (d === undefined) continue;
    values.push(d);
    if (d < minFeature_mm) thin.push({ at: o, t: d });
  }
  values.sort((x, y) => x - y);
  const q = (f: number): number | null => (values.length ? round(values[Math.min(values.length - 1, Math.floor(f * values.length))]!, 3) : null);
  const features = cluster(thin, params.clusterRadius_mm);
  return {
    samples,
    measured: values.length,
    min_mm: q(0),
    p1_mm: q(0.01),
    p5_mm: q(0.05),
    median_mm: q(0.5),
    thinSamples: thin.length,
    thinFeatures: features.length,
    locations: features.slice(0, params.maxLocations),
  };
}

interface TriGrid {
  origin: [number, number, number];
  cell: number;
  dims: [number, number, number];
  start: Uint32Array;
  tris: Uint32Array;
}

function buildGrid(mesh: Mesh): TriGrid {
  const p = mesh.positions, ix = mesh.indices;
  const nt = ix.length / 3;
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < ix.length; i++) for (let k = 0; k < 3; k++) {
    const x = p[ix[i]! * 3 + k]!;
    if (x < lo[k]!) lo[k] = x;
    if (x > hi[k]!) hi[k] = x;
  }
  const ext = [0, 1, 2].map((k) => Math.max(hi[k]! - lo[k]!, 1e-3));
  // About one triangle per cell, at most ~4 M cells.
  let cell = Math.max(0.25, Math.cbrt((ext[0]! * ext[1]! * ext[2]!) / Math.max(1, nt)) * 1.5);
  while (Math.ceil(ext[0]! / cell) * Math.ceil(ext[1]! / cell) * Math.ceil(ext[2]! / cell) > 4_000_000) cell *= 1.25;
  const dims = ext.map((e) => Math.max(1, Math.ceil(e / cell))) as [number, number, number];
  const origin = lo as [number, number, number];
  const count = new Uint32Array(dims[0] * dims[1] * dims[2] + 1);
  const visit = (t: number, f: (c: number) => void): void => {
    const r = [0, 1, 2].map((k) => {
      const a = p[ix[3 * t]! * 3 + k]!, b = p[ix[3 * t + 1]! * 3 + k]!, c = p[ix[3 * t + 2]! * 3 + k]!;
      const i0 = Math.max(0, Math.min(dims[k]! - 1, Math.floor((Math.min(a, b, c) - origin[k]!) / cell)));
      const i1 = Math.max(0, Math.min(dims[k]! - 1, Math.floor((Math.max(a, b, c) - origin[k]!) / cell)));
      return [i0, i1] as const;
    });
    for (let z = r[2]![0]; z <= r[2]![1]; z++) for (let y = r[1]![0]; y <= r[1]![1]; y++) for (let x = r[0]![0]; x <= r[0]![1]; x++) f((z * dims[1] + y) * dims[0] + x);
  };
  for (let t = 0; t < nt; t++) visit(t, (c) => count[c + 1]!++);
  for (let i = 1; i < count.length; i++) count[i]! += count[i - 1]!;
  const start = count;
  const fill = start.slice();
  const tris = new Uint32Array(start[start.length - 1]!);
  for (let t = 0; t < nt; t++) visit(t, (c) => (tris[fill[c]!++] = t));
  return { origin, cell, dims, start, tris };
}

/** Distance along the unit direction `d` from `o` to the nearest triangle other than `self`, up to maxDist. */
function castRay(mesh: Mesh, g: TriGrid, o: [number, number, number], d: [number, number, number], self: number, maxDist: number): number | undefined {
  const cellOf = (k: number, x: number): number => Math.max(0, Math.min(g.dims[k]! - 1, Math.floor((x - g.origin[k]!) / g.cell)));
  const idx = [cellOf(0, o[0]), cellOf(1, o[1]), cellOf(2, o[2])];
  const step = d.map((x) => (x > 0 ? 1 : x < 0 ? -1 : 0));
  const tMax = [0, 1, 2].map((k) => (d[k] === 0 ? Infinity : ((g.origin[k]! + (idx[k]! + (d[k]! > 0 ? 1 : 0)) * g.cell - o[k]!) / d[k]!)));
  const tDelta = d.map((x) => (x === 0 ? Infinity : g.cell / Math.abs(x)));
  let best = Infinity;
  // Each step moves one axis one cell in its fixed direction, so a ray crosses at most
  // dims[0] + dims[1] + dims[2] cells; the bound ends the walk even when a non-finite input
  // makes every comparison below false (a NaN once hung prepare for good).
  for (let steps = g.dims[0] + g.dims[1] + g.dims[2]; steps >= 0; steps--) {
    const c = (idx[2]! * g.dims[1] + idx[1]!) * g.dims[0] + idx[0]!;
    for (let j = g.start[c]!; j < g.start[c + 1]!; j++) {
      const t = g.tris[j]!;
      if (t === self) continue;
      const h = hit(mesh, t, o, d);
      // Only a wall the ray leaves the solid through counts (its normal along the ray).
      if (h > 1e-5 && h < best && facesAlong(mesh, t, d)) best = h;
    }
    const exit = Math.min(tMax[0]!, tMax[1]!, tMax[2]!);
    if (best <= exit) break;
    if (exit > maxDist) break;
    const k = tMax[0]! === exit ? 0 : tMax[1]! === exit ? 1 : 2;
    idx[k]! += step[k]!;
    if (idx[k]! < 0 || idx[k]! >= g.dims[k]!) break;
    tMax[k]! += tDelta[k]!;
  }
  return best <= maxDist ? best : undefined;
}

function facesAlong(mesh: Mesh, t: number, d: readonly number[]): boolean {
  const p = mesh.positions, ix = mesh.indices;
  const a = ix[3 * t]! * 3, b = ix[3 * t + 1]! * 3, c = ix[3 * t + 2]! * 3;
  const ux = p[b]! - p[a]!, uy = p[b + 1]! - p[a + 1]!, uz = p[b + 2]! - p[a + 2]!;
  const vx = p[c]! - p[a]!, vy = p[c + 1]! - p[a + 1]!, vz = p[c + 2]! - p[a + 2]!;
  return (uy * vz - uz * vy) * d[0]! + (uz * vx - ux * vz) * d[1]! + (ux * vy - uy * vx) * d[2]! > 0;
}

/** Möller–Trumbore: ray parameter of the hit, or −1. */
function hit(mesh: Mesh, t: number, o: readonly number[], d: readonly number[]): number {
  const p = mesh.positions, ix = mesh.indices;
  const a = ix[3 * t]! * 3, b = ix[3 * t + 1]! * 3, c = ix[3 * t + 2]! * 3;
  const e1x = p[b]! - p[a]!, e1y = p[b + 1]! - p[a + 1]!, e1z = p[b + 2]! - p[a + 2]!;
  const e2x = p[c]! - p[a]!, e2y = p[c + 1]! - p[a + 1]!, e2z = p[c + 2]! - p[a + 2]!;
  const px = d[1]! * e2z - d[2]! * e2y, py = d[2]! * e2x - d[0]! * e2z, pz = d[0]! * e2y - d[1]! * e2x;
  const det = e1x * px + e1y * py + e1z * pz;
  if (Math.abs(det) < 1e-12) return -1;
  const inv = 1 / det;
  const sx = o[0]! - p[a]!, sy = o[1]! - p[a + 1]!, sz = o[2]! - p[a + 2]!;
  const u = (sx * px + sy * py + sz * pz) * inv;
  if (u < 0 || u > 1) return -1;
  const qx = sy * e1z - sz * e1y, qy = sz * e1x - sx * e1z, qz = sx * e1y - sy * e1x;
  const v = (d[0]! * qx + d[1]! * qy + d[2]! * qz) * inv;
  if (v < 0 || u + v > 1) return -1;
  return (e2x * qx + e2y * qy + e2z * qz) * inv;
}

function cluster(thin: { at: [number, number, number]; t: number }[], radius: number): ThinFeature[] {
  const parent = makeSets(new Uint32Array(thin.length));
  const key = (x: number, y: number, z: number): string => `${x},${y},${z}`;
  const buckets = new Map<string, number[]>();
  thin.forEach((s, i) => {
    const k = key(Math.floor(s.at[0] / radius), Math.floor(s.at[1] / radius), Math.floor(s.at[2] / radius));
    let b = buckets.get(k);
    if (!b) buckets.set(k, (b = []));
    b.push(i);
  });
  thin.forEach((s, i) => {
    const cx = Math.floor(s.at[0] / radius), cy = Math.floor(s.at[1] / radius), cz = Math.floor(s.at[2] / radius);
    for (let dz = -1; dz <= 1; dz++) for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
      for (const j of buckets.get(key(cx + dx, cy + dy, cz + dz)) ?? []) {
        if (j > i && Math.hypot(s.at[0] - thin[j]!.at[0], s.at[1] - thin[j]!.at[1], s.at[2] - thin[j]!.at[2]) <= radius) unionSets(parent, i, j);
      }
    }
  });
  const groups = new Map<number, number[]>();
  thin.forEach((_, i) => {
    const r = findRoot(parent, i);
    let g = groups.get(r);
    if (!g) groups.set(r, (g = []));
    g.push(i);
  });
  const out: ThinFeature[] = [];
  for (const g of groups.values()) {
    let thinnest = g[0]!;
    for (const i of g) if (thin[i]!.t < thin[thinnest]!.t) thinnest = i;
    const s = thin[thinnest]!;
    out.push({ at_mm: [round(s.at[0], 2), round(s.at[1], 2), round(s.at[2], 2)], minThickness_mm: round(s.t, 3), samples: g.length });
  }
  return out.sort((a, b) => a.minThickness_mm - b.minThickness_mm || b.samples - a.samples || a.at_mm[0] - b.at_mm[0] || a.at_mm[1] - b.at_mm[1] || a.at_mm[2] - b.at_mm[2]);
}
