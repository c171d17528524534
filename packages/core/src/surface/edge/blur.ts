/**
 * The scanner's blur, estimated from the scan: on a blurred step the 25 % and 75 %
 * crossings between the local plateaus lie 1.349σ apart (σ of the Gaussian that the point
 * spread, the voxel's partial volume and the interpolation make together along the
 * profile). Along grid axis i, σᵢ² = σ₀ᵢ² + c·sᵢ² (sᵢ the voxel side; c = 0.185, measured on
 * phantoms at 0.5–1.25 mm: box 1/12 plus the interpolation), and along a direction with
 * components aᵢ, σ² = Σ aᵢ² σᵢ². The point-spread part σ₀ᵢ² is fitted per axis by least
 * squares with a pull to the median, so directions the scan lacks (a plate's faces seen
 * only at its rims) keep the voxel's anisotropy.
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
  // drop outliers (corners, noise): keep σ₀² within [med/4, 4·med]
  const A = new Float64Array(9);
  const r = new Float64Array(3);
  for (let p = 0; p < count; p++) {
    const y = sig2[p]!;
    if (!(y > med / 4 && y < 4 * med)) continue;
    for (let i = 0; i < 3; i++) {
      const ai = dirs[3 * p + i]!;
      r[i]! += ai * y;
      for (let j = 0; j < 3; j++) A[3 * i + j]! += ai * dirs[3 * p + j]!;
    }
  }
  const lambda = 0.05 * count;
  for (let i = 0; i < 3; i++) {
    A[4 * i]! += lambda;
    r[i]! += lambda * med;
  }
  const x = solve3(A, r);
  const s = x.map((v, i) => Math.sqrt(Math.min(4 * med, Math.max(med / 4, v)) + VOXEL_BLUR_C * spacing[i]! ** 2)) as [number, number, number];
  return { sigma_mm: s, median_mm: Math.sqrt(med), samples: count };
}

function solve3(A: Float64Array, b: Float64Array): number[] {
  const [a, b1, c, d, e, f, g, h, i] = A as unknown as number[];
  const det = a! * (e! * i! - f! * h!) - b1! * (d! * i! - f! * g!) + c! * (d! * h! - e! * g!);
  if (Math.abs(det) < 1e-12) return [b[0]! / a!, b[1]! / e!, b[2]! / i!];
  const x = (b[0]! * (e! * i! - f! * h!) - b1! * (b[1]! * i! - f! * b[2]!) + c! * (b[1]! * h! - e! * b[2]!)) / det;
  const y = (a! * (b[1]! * i! - f! * b[2]!) - b[0]! * (d! * i! - f! * g!) + c! * (d! * b[2]! - b[1]! * g!)) / det;
  const z = (a! * (e! * b[2]! - b[1]! * h!) - b1! * (d! * b[2]! - b[1]! * g!) + b[0]! * (d! * h! - e! * g!)) / det;
  return [x, y, z];
}
