/** The windowed-sinc filter's coefficients (smooth.ts runs the filter, smooth-sweep.ts its steps). */

/** The window the windowed-sinc coefficients are tapered with (recorded; windowedSincCoefficients says why). */
export const WINDOWED_SINC_WINDOW = 'blackman';

/**
 * Chebyshev coefficients of the windowed-sinc low-pass filter, and the Newton search for the
 * pass-band offset σ that makes the response 1 at the pass band (VTK 9.1).
 *
 * A Blackman window, not VTK's Hamming: the Hamming filter's response ripples ±0.4 % inside the
 * pass band, at the small k where a smooth closed surface's size lives (a sphere's shape sits at
 * k ≈ (edge/r)²), so the filter itself grew or shrank curved models by up to ~1 % in volume,
 * by an amount that flipped sign with the pass band (a sphere r 15 at 1 mm voxels after edge
 * placement: +0.77 / −0.08 / −0.48 / +0.59 / −0.05 % at pass band 0.03 / 0.05 / 0.08 / 0.1 / 0.2).
 * Blackman's side lobes are ~30 dB lower: the ripple is ≤ 0.03 % at every pass band, for a
 * wider transition band (WINDOWED_SINC_WINDOW).
 */
export function windowedSincCoefficients(iterations: number, passBand: number): Float64Array {
  const n = iterations;
  const thetaPb = Math.acos(1 - 0.5 * passBand);
  const w = new Float64Array(n + 1);
  for (let i = 0; i <= n; i++) w[i] = 0.42 + 0.5 * Math.cos((i * Math.PI) / (n + 1)) + 0.08 * Math.cos((2 * i * Math.PI) / (n + 1));
  const c = new Float64Array(n + 1);
  const cp = new Float64Array(n + 1);
  let sigma = 0;
  for (let iter = 0; iter < 500; iter++) {
    c[0] = (w[0]! * (thetaPb + sigma)) / Math.PI;
    for (let i = 1; i <= n; i++) c[i] = (2 * w[i]! * Math.sin(i * (thetaPb + sigma))) / (i * Math.PI);
    if (n < 2) break;
    cp[n] = 0;
    cp[n - 1] = 0;
    cp[n - 2] = 2 * (n - 1) * c[n - 1]!;
    for (let i = n - 3; i >= 0; i--) cp[i] = cp[i + 2]! + 2 * (i + 1) * c[i + 1]!;
    let f = c[0]!;
    let fp = cp[0]!;
    for (let i = 1; i <= n; i++) {
      const t = Math.cos(i * thetaPb);
      f += c[i]! * t;
      fp += cp[i]! * t;
    }
    if (Math.abs(f - 1) < 1e-3) break;
    sigma -= (f - 1) / fp;
  }
  // The response at k = 0 (a translation, and nearly so the overall size) is Σ c_i, which the
  // search above leaves up to ~0.2 % off 1: with patient coordinates ~800 mm from the origin
  // that alone moved a skull by 1.5 mm and grew it by 0.6 % in volume (the bias VTK had).
  // Normalising makes the filter pass the lowest frequencies exactly.
  let sum = 0;
  for (let i = 0; i <= n; i++) sum += c[i]!;
  for (let i = 0; i <= n; i++) c[i] = c[i]! / sum;
  return c;
}
