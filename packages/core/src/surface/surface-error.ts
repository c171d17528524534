/**
 * Error of a mesh against an analytic surface (a signed distance function, a sphere) and its
 * enclosed volume: how the validation phantoms and the specs judge a surface whose true shape
 * is known. The accuracy against a segmentation (no analytic truth) is accuracy.ts.
 */
import type { Vec3 } from '../geometry/grid.js';
import type { Mesh } from '../geometry/types.js';
import { signedVolume_mm3 } from './mesh-utils.js';

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
