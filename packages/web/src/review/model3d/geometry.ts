/**
 * Coordinates between our models and NiiVue's scene, and the small meshes drawn as markers.
 *
 * Our meshes are in DICOM LPS mm (x to the patient's left, y to the back, z up). NiiVue's
 * world space is NIfTI RAS mm (x to the right, y to the front, z up): its orientation cube
 * and its default camera assume that. So the scene gets x and y negated (a 180° turn about z:
 * lengths and triangle winding unchanged), and every point NiiVue reports (its depth picker
 * unprojects into world space, i.e. RAS) is negated back to LPS before it is shown, measured
 * or stored. The same function does both directions.
 */
export type Vec3 = [number, number, number];

/** LPS ↔ RAS (its own inverse). */
export function flipLpsRas(p: readonly number[] | Float32Array): Vec3 {
  return [-p[0]!, -p[1]!, p[2]!];
}

/** A copy of LPS positions as RAS positions for NiiVue. */
export function positionsToRas(lps: Float32Array): Float32Array {
  const out = new Float32Array(lps.length);
  for (let i = 0; i < lps.length; i += 3) {
    out[i] = -lps[i]!;
    out[i + 1] = -lps[i + 1]!;
    out[i + 2] = lps[i + 2]!;
  }
  return out;
}

export function distance(a: Vec3, b: Vec3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

export function formatPoint(p: Vec3): string {
  return p.map((x) => x.toFixed(1)).join(', ');
}

export interface SimpleMesh {
  positions: Float32Array;
  indices: Uint32Array;
}

/** A UV sphere (outward CCW triangles) around `c`. */
export function sphere(c: Vec3, r: number, segments = 12, rings = 8): SimpleMesh {
  const pos: number[] = [];
  const idx: number[] = [];
  for (let i = 0; i <= rings; i++) {
    const th = (Math.PI * i) / rings;
    for (let j = 0; j < segments; j++) {
      const ph = (2 * Math.PI * j) / segments;
      pos.push(c[0] + r * Math.sin(th) * Math.cos(ph), c[1] + r * Math.sin(th) * Math.sin(ph), c[2] + r * Math.cos(th));
    }
  }
  for (let i = 0; i < rings; i++) {
    for (let j = 0; j < segments; j++) {
      const a = i * segments + j;
      const b = i * segments + ((j + 1) % segments);
      const d = a + segments;
      const e = b + segments;
      idx.push(a, d, b, b, d, e);
    }
  }
  return { positions: Float32Array.from(pos), indices: Uint32Array.from(idx) };
}

/** A thin closed prism from a to b (the measured segment). */
export function rod(a: Vec3, b: Vec3, r: number, sides = 8): SimpleMesh {
  const d: Vec3 = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
  const len = Math.hypot(...d) || 1;
  const u: Vec3 = [d[0] / len, d[1] / len, d[2] / len];
  // Any vector not parallel to u gives the prism's cross-section axes.
  const helper: Vec3 = Math.abs(u[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const v = normalize(cross(u, helper));
  const w = cross(u, v);
  const pos: number[] = [];
  for (const end of [a, b]) {
    for (let k = 0; k < sides; k++) {
      const t = (2 * Math.PI * k) / sides;
      const cs = Math.cos(t) * r;
      const sn = Math.sin(t) * r;
      pos.push(end[0] + cs * v[0] + sn * w[0], end[1] + cs * v[1] + sn * w[1], end[2] + cs * v[2] + sn * w[2]);
    }
  }
  const idx: number[] = [];
  for (let k = 0; k < sides; k++) {
    const k1 = (k + 1) % sides;
    idx.push(k, k1, sides + k, k1, sides + k1, sides + k);
  }
  return { positions: Float32Array.from(pos), indices: Uint32Array.from(idx) };
}

function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function normalize(a: Vec3): Vec3 {
  const l = Math.hypot(...a) || 1;
  return [a[0] / l, a[1] / l, a[2] / l];
}
