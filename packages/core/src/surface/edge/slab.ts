/**
 * The blurred-slab model for structures thinner than about three times the blur (thin
 * cortex, orbit and sinus walls), after cortical bone mapping (Treece et al., Med Image
 * Anal 2010): the profile across the wall is a slab of bone density B and thickness w,
 * between tissue plateaus, convolved with the scanner's point spread. No threshold is
 * right for such a wall (its peak never reaches B), but the blur keeps two moments of the
 * slab: the area above the tissue plateau, (B − T)·w, and the centroid, the slab's centre.
 * Both hold for any symmetric point spread and survive linear interpolation between
 * samples, so thickness and position come in closed form, with B from the scan's thick
 * bone (the density cannot be told from the thickness of a wall thinner than the blur).
 */
import { P_BONE, P_S_IN, P_S_OUT, P_T_OUT, phi } from './plateau.js';

export const S_OK = 0;
export const S_FACE = 1; // outer face position (mm along the profile)
export const S_WIDTH = 2; // slab thickness (mm)
export const S_AREA = 3; // area above the tissue plateau (HU·mm)
export const S_TISSUE = 4; // tissue level used (HU)
export const S_WIN_A = 5; // first and last profile sample of the window the area was summed over
export const S_WIN_B = 6;
export const S_SLOTS = 7;

/**
 * Fits the slab to a profile classified as a peak (plateau.ts slots in `p`). bone is the
 * reference density; sigma the blur along the profile. Writes S_* slots; S_OK = 0 when
 * the two tissue sides disagree (tissue on one side, air on the other) or the area is not positive.
 */
export function fitSlab(f: Float64Array, K: number, h: number, sigma: number, bone: number, plateau_mm: number, p: Float64Array, out: Float64Array): void {
  out[S_OK] = 0;
  const tOut = p[P_T_OUT]!;
  const sIn = p[P_S_IN]!;
  const sOut = p[P_S_OUT]!;
  const B = Math.max(bone, p[P_BONE]!);
  const n = 2 * K;
  // the tissue plateau behind the wall, when the profile reaches it
  const i2 = Math.round((sIn - 2 * sigma) / h) + K;
  const i1 = i2 - Math.max(2, Math.round(plateau_mm / h));
  let t = tOut;
  if (i1 >= 0) {
    let s = 0;
    for (let k = i1; k <= i2; k++) s += f[k]!;
    const tIn = s / (i2 - i1 + 1);
    if (Math.abs(tIn - tOut) > 0.15 * (B - tOut)) return;
    t = (tIn + tOut) / 2;
  }
  if (!(B - t > 0)) return;
  const a = Math.max(0, Math.round((sIn - 2.5 * sigma) / h) + K);
  const b = Math.min(n, Math.round((sOut + 2.5 * sigma) / h) + K);
  let area = 0;
  let moment = 0;
  for (let k = a; k <= b; k++) {
    const w = k === a || k === b ? 0.5 : 1; // trapezoid
    const v = (f[k]! - t) * w;
    area += v;
    moment += v * (k - K);
  }
  if (!(area > 0)) return;
  const centre = (moment / area) * h;
  const width = (area * h) / (B - t);
  out[S_OK] = 1;
  out[S_AREA] = area * h;
  out[S_WIN_A] = a;
  out[S_WIN_B] = b;
  out[S_TISSUE] = t;
  out[S_WIDTH] = width;
  out[S_FACE] = centre + width / 2;
}

/**
 * Bone density from one thin wall when the blur is known: the area A = (B − T)·w and the
 * peak M − T = (B − T)(2Φ(w/2σ) − 1) give A/(M − T) = w / (2Φ(w/2σ) − 1), increasing in w
 * from σ√(2π). Returns NaN where that ratio is within 15 % of its floor (a wall so thin
 * that its density and thickness cannot be told apart). Used only to estimate the scan's
 * bone density where it has no thick bone (e.g. a plate phantom).
 */
export function slabDensity(area: number, peak: number, sigma: number): number {
  if (!(area > 0 && peak > 0 && sigma > 0)) return NaN;
  const r = area / peak;
  if (r < 1.15 * sigma * Math.sqrt(2 * Math.PI)) return NaN;
  let lo = 0;
  let hi = 40 * sigma;
  for (let i = 0; i < 48; i++) {
    const w = (lo + hi) / 2;
    if (w / (2 * phi(w / (2 * sigma)) - 1) < r) lo = w;
    else hi = w;
  }
  const w = (lo + hi) / 2;
  return area / w;
}
