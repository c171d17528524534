/**
 * Plateaus and crossings of one HU profile f[k] at s_k = (k − K)·h mm along the outward
 * normal (s = 0 at the vertex as the threshold placed it; bone inside, s < 0).
 *
 * The local tissue plateau is the mean just beyond the blurred edge (from 2σ past the
 * vertex); the local bone plateau the mean just inside it. Where the profile drops again
 * inside (a peak, not a step), the structure may be thinner than the blur: the caller then
 * uses the slab model (slab.ts) when no plateau fits between the two blurred faces.
 */

/** Result slots of analyseProfile, in a Float64Array (no per-vertex objects). */
export const P_KIND = 0; // 0 ambiguous, 1 step (edge with a plateau), 2 peak (thin: slab model)
export const P_T_OUT = 1;
export const P_BONE = 2; // local bone plateau (step) or peak maximum (peak)
export const P_S_OUT = 3; // outer half-way crossing
export const P_S_IN = 4; // inner half-way crossing (peak only)
export const P_EDGE = 5; // edge position (step: half-way between the local plateaus)
export const P_S75 = 6; // 75 % / 25 % crossings of a step, for the blur estimate
export const P_S25 = 7;
export const P_SLOTS = 8;

export const KIND_AMBIGUOUS = 0;
export const KIND_STEP = 1;
export const KIND_PEAK = 2;

export interface ProfileLimits {
  /** Smallest bone–tissue contrast accepted as an edge (HU). */
  minContrast: number;
  /** Length of the windows the plateaus are averaged over (mm). */
  plateau_mm: number;
  /** A plateau between two faces needs at least this length (mm) to count as thick. */
  minPlateau_mm: number;
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26, |error| < 1.5e-7). */
export function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/** Mean of f[a..b], summed in index order. */
function mean(f: Float64Array, a: number, b: number): number {
  let s = 0;
  for (let k = a; k <= b; k++) s += f[k]!;
  return s / (b - a + 1);
}

/** First crossing of `level` going up (outward, k increasing) from index k0 while f ≥ level; s in mm, NaN if none before kMax. */
export function crossOutward(f: Float64Array, k0: number, kMax: number, level: number, K: number, h: number): number {
  for (let k = k0 + 1; k <= kMax; k++) {
    if (f[k]! < level) {
      const a = f[k - 1]!, b = f[k]!;
      const t = a === b ? 0.5 : (a - level) / (a - b);
      return (k - 1 + t - K) * h;
    }
  }
  return NaN;
}

/** First crossing of `level` going inward (k decreasing) from k0; NaN if none down to kMin. */
export function crossInward(f: Float64Array, k0: number, kMin: number, level: number, K: number, h: number): number {
  for (let k = k0 - 1; k >= kMin; k--) {
    if (f[k]! < level) {
      const a = f[k + 1]!, b = f[k]!;
      const t = a === b ? 0.5 : (a - level) / (a - b);
      return (k + 1 - t - K) * h;
    }
  }
  return NaN;
}

const idx = (s: number, K: number, h: number): number => Math.round(s / h) + K;

/**
 * A profile's half-length in samples for the blur σ along its own direction (mm): the blur on
 * both sides of the edge (2σ each), the plateau windows and a thin wall (2.5 mm). One length for
 * all directions, set by the widest axis, made the in-plane profiles of a thick-slice scan ~3×
 * too long (GE head, 0.49 mm pixels, 4 mm slices): their search for the bone's top then
 * reached other structures, the 25–75 % widths read wide (median σ along x 0.72 → 0.99 mm),
 * and the blur fit, fed by them, came out at 2 mm in-plane. 2.5 mm, not the 2 of the one
 * length: near-isotropic grids lost 0.4 mm of their in-plane profiles, and plates 2–3 mm at
 * σ 0.8 mm read 0.3–0.7 % thicker (bench/results/fidelity-grid-exact.md).
 */
export function profileHalfLength(sigma: number, h: number): number {
  return Math.ceil((4 * sigma + PROFILE_WALL_MM) / h);
}

/** The part of profileHalfLength beyond the blur's 4σ: plateau windows and a thin wall (mm). */
export const PROFILE_WALL_MM = 2.5;

/**
 * The last sample analyseProfile reads (the end of its tissue window): samples beyond it
 * matter only to the slab model of a peak.
 */
export function profileReach(K: number, h: number, sigma: number, lim: ProfileLimits): number {
  const win = Math.max(2, Math.round(lim.plateau_mm / h));
  return Math.min(2 * K - win, K + Math.ceil((2 * sigma) / h)) + win;
}

/**
 * Classifies the profile and estimates its plateaus. sigma is the blur along this
 * direction (mm). Writes the P_* slots of `out`; reads f[0 .. profileReach(K, h, sigma, lim)] only.
 * widths = false leaves P_S75 and P_S25 NaN (only the blur estimate reads them).
 */
export function analyseProfile(f: Float64Array, K: number, h: number, sigma: number, lim: ProfileLimits, out: Float64Array, widths = true): void {
  out[P_KIND] = KIND_AMBIGUOUS;
  out[P_T_OUT] = NaN;
  out[P_BONE] = NaN;
  out[P_S_OUT] = NaN;
  out[P_S_IN] = NaN;
  out[P_EDGE] = NaN;
  out[P_S75] = NaN;
  out[P_S25] = NaN;
  const n = 2 * K;
  const win = Math.max(2, Math.round(lim.plateau_mm / h));
  // tissue plateau: from 2σ beyond the vertex (the threshold sits outside the true edge)
  const o1 = Math.min(n - win, K + Math.ceil((2 * sigma) / h));
  const o2 = o1 + win;
  if (o1 <= K) return;
  // its mean, and its range: the window must be flat (another structure there makes the plateau unknown)
  let sum = 0, lo = Infinity, hi = -Infinity;
  for (let k = o1; k <= o2; k++) {
    const x = f[k]!;
    sum += x;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  const tOut = sum / (o2 - o1 + 1);
  // the highest value inside (and up to σ outside, where the threshold sat inside the edge)
  let km = 0;
  let top = f[0]!;
  const kTop = Math.min(o1 - 1, K + Math.ceil(sigma / h));
  for (let k = 1; k <= kTop; k++) {
    const x = f[k]!;
    if (x > top) {
      top = x;
      km = k;
    }
  }
  if (!(top - tOut >= lim.minContrast)) return;
  if (hi - lo > 0.3 * (top - tOut)) return;
  let level = (top + tOut) / 2;
  const sOut = crossOutward(f, km, o1, level, K, h);
  if (!Number.isFinite(sOut)) return;
  const sIn = crossInward(f, km, 0, level, K, h);
  out[P_T_OUT] = tOut;
  out[P_S_OUT] = sOut;
  // bone plateau: a window ending 2σ inside the outer crossing, not reaching past the inner one
  const b2 = idx(sOut - 2 * sigma, K, h);
  const b1 = Number.isFinite(sIn) ? Math.max(idx(sIn + 2 * sigma, K, h), b2 - win) : Math.max(0, b2 - win);
  const plateauOk = b2 >= 0 && b2 - b1 + 1 >= Math.max(2, Math.round(lim.minPlateau_mm / h));
  if (Number.isFinite(sIn) && !plateauOk) {
    out[P_KIND] = KIND_PEAK;
    out[P_BONE] = top;
    out[P_S_IN] = sIn;
    return;
  }
  let bone = plateauOk ? mean(f, b1, b2) : top;
  // a plateau between two faces is still lowered by both faces' blur: at the centre of a
  // wall w thick it reads T + (B − T)(2Φ(w/2σ) − 1)
  if (plateauOk && Number.isFinite(sIn)) bone = tOut + (bone - tOut) / (2 * phi((sOut - sIn) / (2 * sigma)) - 1);
  if (!(bone - tOut >= lim.minContrast)) return;
  // the half-way crossing between the local plateaus, searched outward from the plateau
  const from = plateauOk ? Math.min(b2, km) : km;
  level = (bone + tOut) / 2;
  const edge = crossOutward(f, Math.max(0, from), o1, level, K, h);
  if (!Number.isFinite(edge)) return;
  out[P_KIND] = KIND_STEP;
  out[P_BONE] = bone;
  out[P_EDGE] = edge;
  if (Number.isFinite(sIn)) out[P_S_IN] = sIn;
  if (!widths) return;
  out[P_S75] = crossOutward(f, Math.max(0, from), o1, tOut + 0.75 * (bone - tOut), K, h);
  out[P_S25] = crossOutward(f, Math.max(0, from), o1, tOut + 0.25 * (bone - tOut), K, h);
}
