/**
 * Analytic phantoms of known geometry for ISO/IEC 3532-1 6.5 (calibration and validation
 * of the 2D→3D conversion). Each shape is a signed distance function in LPS mm
 * (negative inside), exact for the sphere and the shell, exact outside and inside for
 * the box (plate), so "surface distance to the analytic shape" is |sdf(p)|.
 */
export type PhantomKind = 'sphere' | 'shell' | 'plate';

export interface AnalyticShape {
  kind: PhantomKind;
  /** Signed distance in mm, negative inside. */
  sdf(x: number, y: number, z: number): number;
  volume_mm3: number;
  /** The wall thickness a print lab would measure (plate: its thickness; shell: its wall). */
  wallThickness_mm: number | null;
  describe: Record<string, unknown>;
}

export function sphere(radius_mm = 15, centre: [number, number, number] = [0, 0, 0]): AnalyticShape {
  const [cx, cy, cz] = centre;
  return {
    kind: 'sphere',
    sdf: (x, y, z) => Math.hypot(x - cx, y - cy, z - cz) - radius_mm,
    volume_mm3: (4 / 3) * Math.PI * radius_mm ** 3,
    wallThickness_mm: null,
    describe: { radius_mm, centre_mm: centre },
  };
}

export function shell(outer_mm = 20, wall_mm = 2, centre: [number, number, number] = [0, 0, 0]): AnalyticShape {
  const [cx, cy, cz] = centre;
  const inner = outer_mm - wall_mm;
  return {
    kind: 'shell',
    sdf: (x, y, z) => {
      const r = Math.hypot(x - cx, y - cy, z - cz);
      return Math.max(r - outer_mm, inner - r);
    },
    volume_mm3: (4 / 3) * Math.PI * (outer_mm ** 3 - inner ** 3),
    wallThickness_mm: wall_mm,
    describe: { outer_radius_mm: outer_mm, wall_mm, centre_mm: centre },
  };
}

/** A rectangular plate, thickness along z (axial slices cut through its thickness at tilt ≠ 0). */
export function plate(size_mm: [number, number] = [40, 30], thickness_mm = 3, centre: [number, number, number] = [0, 0, 0]): AnalyticShape {
  const h = [size_mm[0] / 2, size_mm[1] / 2, thickness_mm / 2];
  const [cx, cy, cz] = centre;
  return {
    kind: 'plate',
    sdf: (x, y, z) => {
      const qx = Math.abs(x - cx) - h[0]!;
      const qy = Math.abs(y - cy) - h[1]!;
      const qz = Math.abs(z - cz) - h[2]!;
      const outside = Math.hypot(Math.max(qx, 0), Math.max(qy, 0), Math.max(qz, 0));
      return outside + Math.min(Math.max(qx, qy, qz), 0);
    },
    volume_mm3: size_mm[0] * size_mm[1] * thickness_mm,
    wallThickness_mm: thickness_mm,
    describe: { size_mm, thickness_mm, centre_mm: centre },
  };
}
