/**
 * 2D→3D conversion accuracy (ISO/IEC 3532-1 asks for it in every report): how far the final
 * mesh lies from the segmentation boundary it was made from, and analytic measures for
 * phantoms of known geometry.
 *
 * The segmentation boundary is the reference surface extracted from the same label map and
 * field at the segmentation's own resolution by the isosurface rule (the field's iso-surface
 * at `level` where the field's threshold agrees with the mask, the smoothed mask boundary
 * where clean-up changed it). Distances are exact point-to-triangle distances from samples
 * of the mesh (its vertices and triangle centroids) to that surface. A raw extraction gives
 * 0 by construction; smoothing and decimation show as non-zero figures.
 */
import type { Vec3 } from '../geometry/grid.js';
import type { LabelMap, Mesh, Volume } from '../geometry/types.js';
import { round } from '../pipeline/record.js';
import { compactMesh, signedVolume_mm3 } from './mesh-utils.js';
import { oneSidedDistance } from './distance.js';
import { extractSurfaceMesh } from './isosurface/extract.js';

export interface AccuracyReference {
  labels: LabelMap;
  label?: number;
  field?: Volume;
  level?: number;
}

export interface SurfaceAccuracy {
  mean_mm: number;
  p95_mm: number;
  max_mm: number;
  samples: number;
  /** Triangles of the reference surface. */
  reference_triangles: number;
}

/**
 * Distance from the mesh to the segmentation boundary. Meshes with more than `maxSamples`
 * sample points are measured on every n-th triangle (deterministic).
 */
export function measureSurfaceAccuracy(mesh: Mesh, reference: AccuracyReference, opts: { maxSamples?: number } = {}): SurfaceAccuracy {
  const ref = extractSurfaceMesh(reference.labels, {
    ...(reference.label !== undefined ? { label: reference.label } : {}),
    ...(reference.field ? { field: reference.field } : {}),
    ...(reference.level !== undefined ? { level: reference.level } : {}),
  });
  const maxSamples = opts.maxSamples ?? 1_000_000;
  const nTri = mesh.indices.length / 3;
  // A closed mesh has about half as many vertices as triangles: samples ≈ 1.5 × triangles.
  const stride = Math.max(1, Math.ceil((1.5 * nTri) / maxSamples));
  let sampled = mesh;
  if (stride > 1) {
    const keep = new Uint8Array(nTri);
    for (let t = 0; t < nTri; t += stride) keep[t] = 1;
    sampled = compactMesh({ positions: mesh.positions, indices: mesh.indices }, keep);
  }
  const d = oneSidedDistance(sampled, ref);
  return { mean_mm: round(d.mean_mm, 4), p95_mm: round(d.p95_mm, 4), max_mm: round(d.max_mm, 4), samples: d.samples, reference_triangles: ref.indices.length / 3 };
}

/** Enclosed volume in mm³ (divergence theorem), positive for an outward-oriented closed mesh. */
export function meshVolume_mm3(mesh: Mesh): number {
  return signedVolume_mm3(mesh);
}

export interface SurfaceError {
  /** Mean and max of |error|, mean signed error (positive = outside the true surface), RMS; mm. */
  mean_abs_mm: number;
  max_abs_mm: number;
  mean_signed_mm: number;
  rms_mm: number;
  samples: number;
}

/**
 * Error of the mesh against an analytic surface given by a signed distance function (mm,
 * negative inside), sampled at the vertices used and at the triangle centroids.
 */
export function surfaceErrorToSdf(mesh: Mesh, sdf: (x: number, y: number, z: number) => number): SurfaceError {
  const p = mesh.positions;
  const ix = mesh.indices;
  const used = new Uint8Array(p.length / 3);
  for (let i = 0; i < ix.length; i++) used[ix[i]!] = 1;
  let n = 0, sumAbs = 0, sum = 0, sum2 = 0, max = 0;
  const add = (e: number) => {
    n++;
    sum += e;
    sumAbs += Math.abs(e);
    sum2 += e * e;
    if (Math.abs(e) > max) max = Math.abs(e);
  };
  for (let v = 0; v < used.length; v++) if (used[v]) add(sdf(p[3 * v]!, p[3 * v + 1]!, p[3 * v + 2]!));
  for (let t = 0; t < ix.length; t += 3) {
    const a = 3 * ix[t]!, b = 3 * ix[t + 1]!, c = 3 * ix[t + 2]!;
    add(sdf((p[a]! + p[b]! + p[c]!) / 3, (p[a + 1]! + p[b + 1]! + p[c + 1]!) / 3, (p[a + 2]! + p[b + 2]! + p[c + 2]!) / 3));
  }
  return {
    mean_abs_mm: n ? sumAbs / n : 0,
    max_abs_mm: max,
    mean_signed_mm: n ? sum / n : 0,
    rms_mm: n ? Math.sqrt(sum2 / n) : 0,
    samples: n,
  };
}

/** Radial error of a mesh against a sphere (centre, radius in mm). */
export function radialError(mesh: Mesh, centre: Vec3, radius_mm: number): SurfaceError {
  const [cx, cy, cz] = centre;
  return surfaceErrorToSdf(mesh, (x, y, z) => Math.hypot(x - cx, y - cy, z - cz) - radius_mm);
}
