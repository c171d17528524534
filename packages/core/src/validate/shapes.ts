/**
 * Analytic phantoms of known geometry for ISO/IEC 3532-1 6.5 (calibration and validation
 * of the 2D→3D conversion), placed at a centre in LPS mm. The shapes and their exact
 * signed distance functions (negative inside) are the ones the surface tests voxelise
 * (testing/phantoms.ts), so "surface distance to the analytic shape" is |sdf(p)|.
 */
import { shapeBlurredFraction, shapeSignedDistance, shapeVolume_mm3, type PhantomShape } from '../testing/phantoms.js';

export type PhantomKind = PhantomShape['kind'];

export interface AnalyticShape {
  kind: PhantomKind;
  /** Signed distance in mm, negative inside. */
  sdf(x: number, y: number, z: number): number;
  /** The fraction of the object a scanner with an isotropic Gaussian point spread σ (mm) sees at a point (exact). */
  blurred(x: number, y: number, z: number, sigma_mm: number): number;
  volume_mm3: number;
  /** The wall thickness a print lab would measure (plate: its thickness; shell: its wall). */
  wallThickness_mm: number | null;
  describe: Record<string, unknown> & { centre_mm: [number, number, number] };
}

function placed(shape: PhantomShape, centre: [number, number, number], wall: number | null, describe: Record<string, unknown>): AnalyticShape {
  const [cx, cy, cz] = centre;
  return {
    kind: shape.kind,
    sdf: (x, y, z) => shapeSignedDistance(shape, x - cx, y - cy, z - cz),
    blurred: (x, y, z, sigma) => shapeBlurredFraction(shape, x - cx, y - cy, z - cz, sigma),
    volume_mm3: shapeVolume_mm3(shape),
    wallThickness_mm: wall,
    describe: { ...describe, centre_mm: centre },
  };
}

export function sphere(radius_mm = 15, centre: [number, number, number] = [0, 0, 0]): AnalyticShape {
  return placed({ kind: 'sphere', radius_mm }, centre, null, { radius_mm });
}

export function shell(outer_mm = 20, wall_mm = 2, centre: [number, number, number] = [0, 0, 0]): AnalyticShape {
  return placed({ kind: 'shell', outerRadius_mm: outer_mm, wall_mm }, centre, wall_mm, { outer_radius_mm: outer_mm, wall_mm });
}

/**
 * A square plate, thickness along z (axial slices cut through its thickness; gantry tilt
 * shears it), or tilted by tilt_deg about the x axis (its normal (0, −sin, cos)).
 */
export function plate(width_mm = 40, thickness_mm = 3, centre: [number, number, number] = [0, 0, 0], tilt_deg = 0): AnalyticShape {
  const shape = { kind: 'plate' as const, width_mm, thickness_mm, ...(tilt_deg ? { tilt_deg } : {}) };
  return placed(shape, centre, thickness_mm, { width_mm, thickness_mm, ...(tilt_deg ? { tilt_deg } : {}) });
}
