/**
 * 2D→3D conversion accuracy (ISO/IEC 3532-1 asks for it in every report): how far the final
 * mesh lies from the segmentation boundary it was made from, and analytic measures for
 * phantoms of known geometry.
 *
 * The segmentation boundary is the threshold iso-surface of the field that was meshed (its
 * trilinear interpolation), where the mask is that threshold; where clean-up changed the
 * mask, or without a field, it is the surface the extractor draws from the label map.
 */
import type { Vec3 } from '../geometry/grid.js';
import type { LabelMap, Mesh, Volume } from '../geometry/types.js';
import { round } from '../pipeline/record.js';
import { compactMesh, signedVolume_mm3 } from './mesh-utils.js';
import { buildTriangleGrid, NearestTriangle } from './distance.js';
import { estimateIsoLevel, extractSurfaceMesh } from './isosurface/extract.js';
import { fieldIsoDistance, type IsoField } from './accuracy-field.js';

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
  /** Samples measured against the field's trilinear iso-surface (Newton along the gradient). */
  samples_from_field: number;
  /** Samples measured against the reference mesh (no field, mask changed by clean-up, scan border). */
  samples_from_reference_mesh: number;
  method: string;
}

/**
 * Distance from the mesh to the segmentation boundary, sampled at the mesh's vertices and
 * triangle centroids. With a field, each sample goes to the trilinear iso-surface of the
 * field at `level` (the continuous threshold surface), wherever the mask there is that
 * threshold; elsewhere (no field, clean-up changed the mask, the cap at the scan border) to
 * the reference surface extracted from the label map (exact point-to-triangle distance).
 * Meshes with more than `maxSamples` samples are measured on every n-th triangle.
 */
export function measureSurfaceAccuracy(mesh: Mesh, reference: AccuracyReference, opts: { maxSamples?: number } = {}): SurfaceAccuracy {
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
  let near: NearestTriangle | undefined;
  const refDistance = (x: number, y: number, z: number): number => {
    if (!near) {
      const ref = extractSurfaceMesh(reference.labels, {
        label,
        ...(field ? { field, level: iso!.level } : {}),
      });
      near = new NearestTriangle(buildTriangleGrid(ref));
    }
    return near.distance(x, y, z);
  };
  const p = sampled.positions;
  const ix = sampled.indices;
  const nv = p.length / 3;
  const nt = ix.length / 3;
  const d = new Float64Array(nv + nt);
  let n = 0, fromField = 0, sum = 0;
  const measure = (x: number, y: number, z: number) => {
    let dist = iso ? fieldIsoDistance(iso, x, y, z) : NaN;
    if (Number.isNaN(dist)) dist = refDistance(x, y, z);
    else fromField++;
    d[n++] = dist;
    sum += dist;
  };
  for (let v = 0; v < nv; v++) measure(p[3 * v]!, p[3 * v + 1]!, p[3 * v + 2]!);
  for (let t = 0; t < nt; t++) {
    const a = 3 * ix[3 * t]!, b = 3 * ix[3 * t + 1]!, c = 3 * ix[3 * t + 2]!;
    measure((p[a]! + p[b]! + p[c]!) / 3, (p[a + 1]! + p[b + 1]! + p[c + 1]!) / 3, (p[a + 2]! + p[b + 2]! + p[c + 2]!) / 3);
  }
  const sorted = d.subarray(0, n).sort();
  return {
    mean_mm: n ? round(sum / n, 4) : 0,
    p95_mm: n ? round(sorted[Math.min(n - 1, Math.floor(0.95 * n))]!, 4) : 0,
    max_mm: n ? round(sorted[n - 1]!, 4) : 0,
    samples: n,
    samples_from_field: fromField,
    samples_from_reference_mesh: n - fromField,
    method: 'vertices + triangle centroids → trilinear field iso-surface (Newton along the gradient) where the mask is its threshold, else exact distance to the label map\'s reference surface',
  };
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
