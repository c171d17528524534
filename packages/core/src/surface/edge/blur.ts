/**
 * The scanner's blur, estimated from the scan: on a blurred step the 25 % and 75 %
 * crossings between the local plateaus lie 1.349σ apart (σ of the Gaussian that the point
 * spread, the voxel's partial volume and the interpolation make together along the
 * profile). Along grid axis i, σᵢ² = σ₀ᵢ² + c·sᵢ² (sᵢ the voxel side; c = 0.185, measured on
 * phantoms at 0.5–1.25 mm: box 1/12 plus the interpolation), and along a direction with
 * components aᵢ, σ² = Σ aᵢ² σᵢ². The point-spread part σ₀ᵢ² is fitted per axis, least
 * absolute deviations in σ (refineL1) from a least-squares start, over the profiles within
 * ¼–4× of what each axis's own median predicts (axisMedians), with a pull to the median, so
 * directions the scan lacks (a plate's faces seen only at its rims) keep the voxel's
 * anisotropy.
 */
export const VOXEL_BLUR_C = 0.185;

export interface BlurEstimate {
  /** σ per grid axis (mm). */
  sigma_mm: [number, number, number];
  /** Median point-spread σ₀ (mm), the voxel's share removed. */
  median_mm: number;
  /** Profiles used. */
  samples: number;
}

/**
 * sig2: per-profile σ²; dirs: squared direction components per profile (3 per profile,
 * summing to 1); count: profiles filled; fallback: point-spread σ when fewer than 16
 * profiles; spacing: voxel sides (mm). Returns σ per axis, point spread and voxel together.
 */
export function fitBlur(sig2in: Float64Array, dirs: Float64Array, count: number, fallback: number, spacing: readonly number[]): BlurEstimate {
  const fromPsf = (p: number): [number, number, number] => [0, 1, 2].map((i) => Math.sqrt(p * p + VOXEL_BLUR_C * spacing[i]! ** 2)) as [number, number, number];
  if (count < 16) return { sigma_mm: fromPsf(fallback), median_mm: fallback, samples: count };
  // the point-spread part of each profile's σ²
  const sig2 = new Float64Array(count);
  for (let p = 0; p < count; p++) {
    let v = 0;
    for (let i = 0; i < 3; i++) v += dirs[3 * p + i]! * spacing[i]! ** 2;
    sig2[p] = sig2in[p]! - VOXEL_BLUR_C * v;
  }
  const sorted = Float64Array.from(sig2).sort();
  const med = Math.max(1e-4, sorted[count >> 1]!);
  // each axis's own level: the median of the profiles within ~18° of it, at least med/4 (the
  // global median where fewer than 16 lie there, a direction the scan lacks)
  const m = axisMedians(sig2, dirs, count, med);
  // drop outliers (corners, noise): keep σ₀² within [¼, 4] × what the axis levels predict
  const keep = new Uint8Array(count);
  const A = new Float64Array(9);
  const r = new Float64Array(3);
  for (let p = 0; p < count; p++) {
    const y = sig2[p]!;
    const a0 = dirs[3 * p]!, a1 = dirs[3 * p + 1]!, a2 = dirs[3 * p + 2]!;
    const pred = a0 * m[0]! + a1 * m[1]! + a2 * m[2]!;
    if (!(y > pred / 4 && y < 4 * pred)) continue;
    keep[p] = 1;
    for (let i = 0; i < 3; i++) {
      const ai = dirs[3 * p + i]!;
      r[i]! += ai * y;
      for (let j = 0; j < 3; j++) A[3 * i + j]! += ai * dirs[3 * p + j]!;
    }
  }
  // the pull to the global median keeps a direction the scan lacks at the voxel's anisotropy;
  // the clamp only bounds the fit (16×: a thick-slice scan's axes differ 4× and more in σ₀²)
  const lambda = 0.05 * count;
  for (let i = 0; i < 3; i++) {
    A[4 * i]! += lambda;
    r[i]! += lambda * med;
  }
  const clamp = (v: number): number => Math.min(16 * med, Math.max(med / 16, v));
  const x = solve3(A, r).map(clamp);
  refineL1(x, sig2, dirs, count, keep, med, lambda, clamp);
  const s = x.map((v, i) => Math.sqrt(v + VOXEL_BLUR_C * spacing[i]! ** 2)) as [number, number, number];
  return { sigma_mm: s, median_mm: Math.sqrt(med), samples: count };
}

/**
 * Per grid axis, the median σ₀² of the profiles within ~18° of it (squared component > 0.9), not
 * below med/4 (along thick slices the voxel's share, 0.185·s², can exceed a profile's whole σ²),
 * or `med` where fewer than 16 lie there. Why not one median for all: on thick slices the axes
 * differ 4× in σ₀ (GE head: 0.6 mm in-plane, 2.4 mm along the slices), and a cut and a clamp
 * at ¼–4× of the global median (σ₀ 1.4 mm there) dropped half of the in-plane profiles, the
 * narrow half, and held the in-plane σ₀ above 0.7 mm.
 */
function axisMedians(sig2: Float64Array, dirs: Float64Array, count: number, med: number): number[] {
  const out = [med, med, med];
  const buf = new Float64Array(count);
  for (let i = 0; i < 3; i++) {
    let n = 0;
    for (let p = 0; p < count; p++) if (dirs[3 * p + i]! > 0.9) buf[n++] = sig2[p]!;
    if (n < 16) continue;
    const v = buf.subarray(0, n).sort();
    out[i] = Math.max(med / 4, v[n >> 1]!);
  }
  return out;
}

/**
 * The per-axis σ₀² (x, refined in place) that minimise Σ |σ_model − σ_profile| over the kept
 * profiles, in σ, not σ² (iteratively reweighted Gauss–Newton steps, with the least-squares
 * fit's pull to the median). Why: on a real scan the profiles' widths spread with a
 * long upper tail (a neighbouring structure in a window, a rim), and least squares of σ²
 * follows that tail. On coarse slices it is worst: profiles that lean even a little toward the
 * slice axis read wide, and the fit put the in-plane blur where those lie.
 */
function refineL1(x: number[], sig2: Float64Array, dirs: Float64Array, count: number, keep: Uint8Array, med: number, lambda: number, clamp: (v: number) => number): void {
  const B = new Float64Array(9);
  const g = new Float64Array(3);
  for (let it = 0; it < L1_ITERATIONS; it++) {
    B.fill(0);
    g.fill(0);
    for (let p = 0; p < count; p++) {
      if (!keep[p]) continue;
      const a0 = dirs[3 * p]!, a1 = dirs[3 * p + 1]!, a2 = dirs[3 * p + 2]!;
      const s = Math.sqrt(Math.max(1e-6, a0 * x[0]! + a1 * x[1]! + a2 * x[2]!));
      const res = s - Math.sqrt(sig2[p]!);
      const w = 1 / Math.max(Math.abs(res), L1_FLOOR_MM);
      const j0 = a0 / (2 * s), j1 = a1 / (2 * s), j2 = a2 / (2 * s);
      B[0]! += w * j0 * j0; B[1]! += w * j0 * j1; B[2]! += w * j0 * j2;
      B[4]! += w * j1 * j1; B[5]! += w * j1 * j2; B[8]! += w * j2 * j2;
      g[0]! -= w * j0 * res; g[1]! -= w * j1 * res; g[2]! -= w * j2 * res;
    }
    B[3] = B[1]!; B[6] = B[2]!; B[7] = B[5]!;
    // the pull in σ units: Δσ ≈ Δσ² / 2σ
    const mu = lambda / (4 * med);
    for (let i = 0; i < 3; i++) {
      B[4 * i]! += mu;
      g[i]! += mu * (med - x[i]!);
    }
    const dx = solve3(B, g);
    for (let i = 0; i < 3; i++) x[i] = clamp(x[i]! + dx[i]!);
  }
}

/** IRLS steps of refineL1 (it settles in ~10 on real and phantom scans), and the residual below which a profile's weight stops growing (mm). */
const L1_ITERATIONS = 20;
const L1_FLOOR_MM = 0.02;

function solve3(A: Float64Array, b: Float64Array): number[] {
  const [a, b1, c, d, e, f, g, h, i] = A as unknown as number[];
  const det = a! * (e! * i! - f! * h!) - b1! * (d! * i! - f! * g!) + c! * (d! * h! - e! * g!);
  if (Math.abs(det) < 1e-12) return [b[0]! / a!, b[1]! / e!, b[2]! / i!];
  const x = (b[0]! * (e! * i! - f! * h!) - b1! * (b[1]! * i! - f! * b[2]!) + c! * (b[1]! * h! - e! * b[2]!)) / det;
  const y = (a! * (b[1]! * i! - f! * b[2]!) - b[0]! * (d! * i! - f! * g!) + c! * (d! * b[2]! - b[1]! * g!)) / det;
  const z = (a! * (e! * b[2]! - b[1]! * h!) - b1! * (d! * b[2]! - b[1]! * g!) + b[0]! * (d! * h! - e! * g!)) / det;
  return [x, y, z];
}
