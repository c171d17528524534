/**
 * Slice-stack geometry from DICOM headers, in LPS millimetres.
 *
 * Every slice (a single-frame image or one frame of an Enhanced multi-frame object)
 * carries ImagePositionPatient P and shares ImageOrientationPatient (row direction u,
 * column direction v). The slice normal is n = u × v. Order and spacing come only from
 * d = P·n (never from file names, InstanceNumber or SliceThickness). The in-plane part
 * of P − P₀ (its components along u and v) is the shear a gantry tilt leaves: an
 * untilted stack has zero in-plane offsets.
 */
import type { Vec3 } from '../geometry/grid.js';

/** Two slices closer than this along the normal are the same position (duplicates). */
export const DUPLICATE_TOLERANCE_MM = 0.01;
/**
 * Steps that differ from the median by less than this are treated as uniform (IPP is
 * often written with ~0.001 mm rounding). Relative part: 1 % of the median step.
 */
export const UNIFORM_STEP_TOLERANCE_MM = 0.02;
export const UNIFORM_STEP_TOLERANCE_REL = 0.01;
/**
 * An in-plane drift of the stack larger than this fraction of a pixel is a shear
 * (gantry tilt) that must be resampled away; below it the grid is taken as orthogonal.
 */
export const SHEAR_TOLERANCE_PX = 0.05;
/** A step above this multiple of the median step is a gap (slices missing). */
export const GAP_FACTOR = 1.5;

/** One slice of a stack: which instance and frame it comes from, and where it lies. */
export interface SlicePlacement {
  /** Index into the instance list the stack was built from. */
  instance: number;
  frame: number;
  position: Vec3;
  /** Position along the slice normal, mm. */
  d_mm: number;
  /** In-plane offset from the first slice along the row (u) and column (v) directions, mm. */
  offsetU_mm: number;
  offsetV_mm: number;
}

export interface StackGeometry {
  /** Unit row direction, column direction and normal (orthonormalised). */
  axisU: Vec3;
  axisV: Vec3;
  normal: Vec3;
  /** Spacing along u (between columns) and along v (between rows), mm. */
  spacingU_mm: number;
  spacingV_mm: number;
  rows: number;
  columns: number;
  /** Slices kept (duplicates removed), sorted by increasing d. */
  slices: SlicePlacement[];
  /** Slices dropped as duplicates of a kept one (same position). */
  duplicates: SlicePlacement[];
  /** Steps between consecutive kept slices along the normal, mm (length = slices − 1). */
  steps_mm: number[];
  stepStats: { min: number; median: number; max: number; mean: number };
  uniform: boolean;
  /** Largest distance of a slice from its place on a uniform grid from first to last slice (mm). */
  maxPositionResidual_mm: number;
  /** Steps > GAP_FACTOR × median: index of the slice before the gap and the step. */
  gaps: Array<{ after: number; step_mm: number }>;
  /**
   * True when every step that is not a gap is uniform: a regular series with slices
   * missing (MISSING_SLICES), as opposed to one acquired with varying steps (UNEVEN_SPACING).
   */
  regularExceptGaps: boolean;
  /** Signed shear angle between the slice normal and the stack direction, degrees (see tiltDegrees). */
  tiltDegrees: number;
  /** Largest in-plane offset of any slice from the first, mm. */
  maxInPlaneOffset_mm: number;
  sheared: boolean;
}

export function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}
export function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
function normalise(a: Vec3): Vec3 {
  const n = Math.hypot(a[0], a[1], a[2]);
  return n > 0 ? [a[0] / n, a[1] / n, a[2] / n] : [0, 0, 0];
}

/**
 * Row, column and normal unit vectors from ImageOrientationPatient. The column
 * direction is made exactly orthogonal to the row (Gram–Schmidt) because IOP is
 * written with limited precision; the grids we build must be orthonormal.
 */
export function orientationAxes(iop: readonly number[]): { u: Vec3; v: Vec3; n: Vec3 } {
  const u = normalise([iop[0]!, iop[1]!, iop[2]!]);
  const v0: Vec3 = [iop[3]!, iop[4]!, iop[5]!];
  const p = dot(u, v0);
  const v = normalise([v0[0] - p * u[0], v0[1] - p * u[1], v0[2] - p * u[2]]);
  return { u, v, n: cross(u, v) };
}

export function median(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  return n % 2 ? sorted[(n - 1) >> 1]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

/**
 * The tilt sign convention (documented because vendors disagree): the angle from the
 * slice normal n to the stack direction s (the direction the table moved, first slice →
 * last slice, i.e. increasing d), positive when (n × s) points along the row direction
 * u. Both `ct/ge-head-tilt-variable-spacing` and `ct/philips-head-phantom-tilt` give
 * +18.5° (their IOP and positions are the same shear); their GantryDetectorTilt tags
 * say +18.5 and −18.5 (vendor sign conventions), which is why the tag is not used.
 * dcm2niix's "estimated from slice vector" agrees: 18.5 for both.
 */
function shearAngle(s: Vec3, u: Vec3, n: Vec3): number {
  const c = cross(n, s);
  const sinAbs = Math.hypot(c[0], c[1], c[2]);
  const cos = dot(n, s);
  const sign = dot(c, u) >= 0 ? 1 : -1;
  // when the shear lies along v (the usual gantry tilt) c is parallel to u
  return (sign * Math.atan2(sinAbs, cos) * 180) / Math.PI;
}

/**
 * Builds the stack geometry from slice positions. `positions[i]` belongs to
 * (instance[i], frame[i]). Throws nothing: callers validate IOP/spacing presence.
 */
export function analyseStack(
  iop: readonly number[],
  pixelSpacing: readonly [number, number],
  rows: number,
  columns: number,
  entries: Array<{ instance: number; frame: number; position: Vec3; lossy?: boolean }>,
): StackGeometry {
  const { u, v, n } = orientationAxes(iop);
  const lossy = new Set<SlicePlacement>();
  const all: SlicePlacement[] = entries.map((e) => {
    const s: SlicePlacement = { instance: e.instance, frame: e.frame, position: e.position, d_mm: dot(e.position, n), offsetU_mm: 0, offsetV_mm: 0 };
    if (e.lossy) lossy.add(s);
    return s;
  });
  // Sort by position along the normal; ties broken by instance/frame for determinism.
  all.sort((a, b) => a.d_mm - b.d_mm || a.instance - b.instance || a.frame - b.frame);
  const slices: SlicePlacement[] = [];
  const duplicates: SlicePlacement[] = [];
  for (const s of all) {
    const last = slices[slices.length - 1];
    if (!last || s.d_mm - last.d_mm >= DUPLICATE_TOLERANCE_MM) slices.push(s);
    else if (lossy.has(last) && !lossy.has(s)) {
      // Copies of one slice: a lossless one is kept over a lossy one (its HU are the scanner's).
      duplicates.push(last);
      slices[slices.length - 1] = s;
    } else duplicates.push(s);
  }
  const p0 = slices[0]!.position;
  let maxOff = 0;
  for (const s of slices) {
    const dp: Vec3 = [s.position[0] - p0[0], s.position[1] - p0[1], s.position[2] - p0[2]];
    s.offsetU_mm = dot(dp, u);
    s.offsetV_mm = dot(dp, v);
    maxOff = Math.max(maxOff, Math.hypot(s.offsetU_mm, s.offsetV_mm));
  }
  const steps: number[] = [];
  for (let i = 1; i < slices.length; i++) steps.push(slices[i]!.d_mm - slices[i - 1]!.d_mm);
  const sorted = [...steps].sort((a, b) => a - b);
  const med = median(sorted);
  const stepStats = steps.length
    ? { min: sorted[0]!, median: med, max: sorted[sorted.length - 1]!, mean: steps.reduce((a, b) => a + b, 0) / steps.length }
    : { min: NaN, median: NaN, max: NaN, mean: NaN };
  const tol = Math.max(UNIFORM_STEP_TOLERANCE_MM, UNIFORM_STEP_TOLERANCE_REL * (med || 0));
  // Uniform: every step near the median AND every slice near its place on the uniform
  // grid (steps can each pass while a slow drift adds up along the stack).
  let maxResidual = 0;
  if (slices.length > 2) {
    const d0 = slices[0]!.d_mm, step = (slices[slices.length - 1]!.d_mm - d0) / (slices.length - 1);
    slices.forEach((s, k) => (maxResidual = Math.max(maxResidual, Math.abs(s.d_mm - (d0 + k * step)))));
  }
  const uniform = steps.every((s) => Math.abs(s - med) <= tol) && maxResidual <= tol;
  const gaps: StackGeometry['gaps'] = [];
  steps.forEach((s, i) => {
    if (s > GAP_FACTOR * med) gaps.push({ after: i, step_mm: s });
  });
  const regularExceptGaps = steps.every((s) => s > GAP_FACTOR * med || Math.abs(s - med) <= tol);
  const spacingV = pixelSpacing[0];
  const spacingU = pixelSpacing[1];
  const sheared = maxOff > SHEAR_TOLERANCE_PX * Math.min(spacingU, spacingV);
  let tilt = 0;
  if (slices.length > 1) {
    // Least-squares stack direction: regress in-plane offsets on d (robust to uneven steps).
    const d0 = slices[0]!.d_mm;
    let sdd = 0, sdu = 0, sdv = 0, sd = 0, su = 0, sv = 0;
    for (const s of slices) {
      const dd = s.d_mm - d0;
      sdd += dd * dd; sdu += dd * s.offsetU_mm; sdv += dd * s.offsetV_mm;
      sd += dd; su += s.offsetU_mm; sv += s.offsetV_mm;
    }
    const m = slices.length;
    const den = sdd - (sd * sd) / m;
    const ku = den > 0 ? (sdu - (sd * su) / m) / den : 0;
    const kv = den > 0 ? (sdv - (sd * sv) / m) / den : 0;
    const sdir: Vec3 = normalise([n[0] + ku * u[0] + kv * v[0], n[1] + ku * u[1] + kv * v[1], n[2] + ku * u[2] + kv * v[2]]);
    tilt = sheared ? shearAngle(sdir, u, n) : 0;
  }
  return {
    axisU: u,
    axisV: v,
    normal: n,
    spacingU_mm: spacingU,
    spacingV_mm: spacingV,
    rows,
    columns,
    slices,
    duplicates,
    steps_mm: steps,
    stepStats,
    uniform,
    maxPositionResidual_mm: maxResidual,
    gaps,
    regularExceptGaps,
    tiltDegrees: tilt,
    maxInPlaneOffset_mm: maxOff,
    sheared,
  };
}

/** Axial-ish: the slice normal is closer to the patient's z axis than to x or y. */
export function isAxialish(n: Vec3): boolean {
  return Math.abs(n[2]) >= Math.abs(n[0]) && Math.abs(n[2]) >= Math.abs(n[1]);
}

export function orientationLabel(n: Vec3): 'axial' | 'coronal' | 'sagittal' {
  const ax = Math.abs(n[0]), ay = Math.abs(n[1]), az = Math.abs(n[2]);
  if (az >= ax && az >= ay) return 'axial';
  return ay >= ax ? 'coronal' : 'sagittal';
}
