/**
 * The automatic bone threshold from the HU histogram (SPEC §1 step 4, the published
 * method of US 11,922,631): find the peak of the tissue class next to bone (soft
 * tissue), find its inflection point on the high side (zero crossing of the smoothed
 * histogram's second derivative), threshold = peak + 3 × (inflection − peak).
 *
 * Choices, each a parameter recorded with the result:
 * - Bins of 1 HU with edges at half-integers, so integral HU values (the usual CT
 *   case) sit at bin centres and binning adds no offset. Range −1100.5..3100.5 HU;
 *   values outside (padding such as −2048/−3024, metal) are left out and counted.
 * - Smoothing: Gaussian of 6 HU sd, enough to suppress counting noise in the second
 *   derivative of a 1 M-voxel scan while much narrower than a soft-tissue peak (sd
 *   15–40 HU). Smoothing widens a Gaussian peak from σ to √(σ² + s²), which would move
 *   the inflection outward; with `correctSmoothing` (default) the half-width used is
 *   √((inflection − peak)² − s²), so a Gaussian peak of sd σ gives exactly μ + 3σ
 *   whatever the smoothing. Both values are recorded.
 * - Peak search window −60..+200 HU: soft tissue, muscle, organs, blood, brain and
 *   water-equivalent phantom material, but not the fat peak (≈ −100 HU), which in
 *   abdominal scans is often higher than the soft-tissue peak. The chosen peak is the
 *   highest-HU "clear" local maximum in the window (the class next to bone).
 * - "Clear": prominence (height above the higher of the two bases, as in
 *   scipy.signal.peak_prominences, bases searched within 150 HU of the peak) ≥ 30 % of
 *   the peak's height, and peak density
 *   ≥ 5e-5 of all counted voxels per HU.
 * - Inflection: the first zero crossing (− to +) of the second difference to the right
 *   of the peak, linearly interpolated; it must come before the smoothed histogram
 *   rises again and within 400 HU of the peak.
 * - Plausibility: a result outside 100..700 HU is not used. Below 100 HU the rule
 *   would label soft tissue as bone; this happens with smooth reconstruction kernels,
 *   whose soft-tissue peak is very narrow (measured: the GE head series of the test
 *   data, peak 30.7 HU, sd ≈ 7 HU → 52 HU).
 * - Fallback when any step fails: 226 HU, the lower bound of the InVesalius/Mimics bone
 *   preset, i.e. what users of those tools get by default; the record says why.
 */
import { z } from 'zod';
import { int16ValueCounts } from '../assess/value-counts.js';

export interface HuHistogram {
  start_HU: number;
  binWidth_HU: number;
  counts: Float64Array;
  /** Voxels counted in the bins. */
  total: number;
  /** Voxels outside [start, end) (and NaN), not counted. */
  outOfRange: number;
}

export const autoThresholdParamsSchema = z.object({
  histStart_HU: z.number().default(-1100.5),
  histEnd_HU: z.number().default(3100.5),
  binWidth_HU: z.number().positive().default(1),
  smoothingSd_HU: z.number().nonnegative().default(6),
  correctSmoothing: z.boolean().default(true),
  peakWindow_HU: z.tuple([z.number(), z.number()]).default([-60, 200]),
  minProminenceRatio: z.number().min(0).max(1).default(0.3),
  prominenceReach_HU: z.number().positive().default(150),
  minPeakDensity_perHU: z.number().nonnegative().default(5e-5),
  maxInflectionDistance_HU: z.number().positive().default(400),
  /** Multiplier k in peak + k × (inflection − peak); 3 in the published method. */
  k: z.number().positive().default(3),
  fallback_HU: z.number().default(226),
  /** A rule result outside this range is not used (fallback instead). */
  plausibleRange_HU: z.tuple([z.number(), z.number()]).default([100, 700]),
  /** Upper end of the labelled range. */
  hi_HU: z.number().default(3071),
});

export type AutoThresholdParams = z.output<typeof autoThresholdParamsSchema>;

export interface AutoThresholdResult {
  threshold_HU: number;
  fallback: boolean;
  reason?: string;
  peak_HU?: number;
  peakHeight?: number;
  peakProminenceRatio?: number;
  /** Inflection as found on the smoothed histogram. */
  inflectionSmoothed_HU?: number;
  /** Inflection after the smoothing correction (= smoothed one when correction is off). */
  inflection_HU?: number;
  halfWidth_HU?: number;
  /** What the rule gave, also when it was rejected as implausible. */
  ruleThreshold_HU?: number;
}

/** Histogram of HU values (NaN and out-of-range values are counted apart). */
export function huHistogram(data: ArrayLike<number>, start_HU: number, end_HU: number, binWidth_HU: number): HuHistogram {
  const nb = Math.max(1, Math.ceil((end_HU - start_HU) / binWidth_HU));
  const counts = new Float64Array(nb);
  const inv = 1 / binWidth_HU;
  let out = 0;
  if (data instanceof Int16Array) {
    // Integer HU: the count of each of the 65536 values (made once per volume, shared with
    // the assessment: value-counts.ts), then the values binned (same bin per value as
    // below, so the same histogram).
    const perValue = int16ValueCounts(data);
    for (let q = 0; q < 65536; q++) {
      const c = perValue[q]!;
      if (c === 0) continue;
      const b = Math.floor((q - 32768 - start_HU) * inv);
      if (b >= 0 && b < nb) counts[b]! += c;
      else out += c;
    }
    return { start_HU, binWidth_HU, counts, total: data.length - out, outOfRange: out };
  }
  for (let v = 0; v < data.length; v++) {
    const b = Math.floor((data[v]! - start_HU) * inv);
    if (b >= 0 && b < nb) counts[b]!++;
    else out++; // NaN lands here too (floor(NaN) fails both tests)
  }
  return { start_HU, binWidth_HU, counts, total: data.length - out, outOfRange: out };
}

/** Zero-padded Gaussian smoothing of a 1-D array (sd in bins). */
export function smooth1d(x: Float64Array, sdBins: number): Float64Array {
  if (sdBins <= 0) return Float64Array.from(x);
  const r = Math.ceil(4 * sdBins);
  const k = new Float64Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) s += k[i + r] = Math.exp(-(i * i) / (2 * sdBins * sdBins));
  for (let i = 0; i < k.length; i++) k[i]! /= s;
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    let acc = 0;
    const a = Math.max(-r, -i);
    const b = Math.min(r, x.length - 1 - i);
    for (let t = a; t <= b; t++) acc += k[t + r]! * x[i + t]!;
    out[i] = acc;
  }
  return out;
}

/**
 * scipy-style prominence of the local maximum at index p, with the base search limited
 * to `reach` bins on each side: a peak is "clear" by its own neighbourhood, not because
 * the histogram happens to fall to zero far away.
 */
function prominence(s: Float64Array, p: number, reach: number): number {
  const h = s[p]!;
  let minL = h;
  for (let i = p - 1; i >= Math.max(0, p - reach) && s[i]! <= h; i--) if (s[i]! < minL) minL = s[i]!;
  let minR = h;
  for (let i = p + 1; i < Math.min(s.length, p + reach + 1) && s[i]! <= h; i++) if (s[i]! < minR) minR = s[i]!;
  return h - Math.max(minL, minR);
}

/** The published method on a histogram. Pure: the synthetic-histogram tests call it directly. */
export function autoThresholdFromHistogram(h: HuHistogram, params: Partial<AutoThresholdParams> = {}): AutoThresholdResult & { smoothed: Float64Array } {
  const P = autoThresholdParamsSchema.parse(params);
  const w = h.binWidth_HU;
  const sdBins = P.smoothingSd_HU / w;
  const s = smooth1d(h.counts, sdBins);
  const centre = (i: number) => h.start_HU + (i + 0.5) * w;
  const fail = (reason: string, extra: Partial<AutoThresholdResult> = {}) => ({
    threshold_HU: P.fallback_HU,
    fallback: true,
    reason,
    ...extra,
    smoothed: s,
  });
  const n = s.length;
  const total = Math.max(1, h.total);
  const iLo = Math.max(1, Math.ceil((P.peakWindow_HU[0] - h.start_HU) / w - 0.5));
  const iHi = Math.min(n - 2, Math.floor((P.peakWindow_HU[1] - h.start_HU) / w - 0.5));

  let best = -1;
  let bestRatio = 0;
  let strongestSeen: { i: number; ratio: number } | undefined;
  for (let i = iLo; i <= iHi; i++) {
    // Strict rise on the left, no rise on the right: one index per plateau.
    if (!(s[i]! > s[i - 1]! && s[i]! >= s[i + 1]!)) continue;
    const ratio = prominence(s, i, Math.round(P.prominenceReach_HU / w)) / s[i]!;
    const density = s[i]! / w / total;
    if (!strongestSeen || ratio > strongestSeen.ratio) strongestSeen = { i, ratio };
    if (ratio >= P.minProminenceRatio && density >= P.minPeakDensity_perHU) {
      best = i; // keep the highest-HU clear peak
      bestRatio = ratio;
    }
  }
  if (best < 0) {
    const why = strongestSeen
      ? `no clear peak in ${P.peakWindow_HU[0]}..${P.peakWindow_HU[1]} HU (best local maximum at ${round2(centre(strongestSeen.i))} HU has prominence ratio ${round2(strongestSeen.ratio)} < ${P.minProminenceRatio}, or too few voxels)`
      : `no local maximum of the smoothed histogram in ${P.peakWindow_HU[0]}..${P.peakWindow_HU[1]} HU`;
    return fail(why);
  }

  // Sub-bin peak position by parabolic interpolation through the three top bins.
  const a = s[best - 1]!;
  const b = s[best]!;
  const c = s[best + 1]!;
  const den = a - 2 * b + c;
  const peak_HU = centre(best) + (den < 0 ? (0.5 * (a - c)) / den : 0) * w;
  const peakInfo = { peak_HU: round2(peak_HU), peakHeight: round2(b), peakProminenceRatio: round2(bestRatio) };

  // Second difference; its first − → + crossing right of the peak is the inflection.
  const d2 = (i: number) => s[i - 1]! - 2 * s[i]! + s[i + 1]!;
  const maxI = Math.min(n - 2, best + Math.ceil(P.maxInflectionDistance_HU / w));
  let infl = NaN;
  for (let i = best + 1; i <= maxI; i++) {
    if (s[i]! > s[i - 1]!) break; // the histogram rises again before bending: no inflection
    const d0 = d2(i - 1);
    const d1 = d2(i);
    if (d0 < 0 && d1 >= 0) {
      infl = centre(i - 1) + (w * -d0) / (d1 - d0);
      break;
    }
  }
  if (!Number.isFinite(infl)) {
    return fail(`no inflection point on the high side of the soft-tissue peak at ${peakInfo.peak_HU} HU`, peakInfo);
  }
  const raw = infl - peak_HU;
  const halfWidth = P.correctSmoothing ? Math.sqrt(Math.max(0, raw * raw - P.smoothingSd_HU * P.smoothingSd_HU)) : raw;
  const threshold = peak_HU + P.k * halfWidth;
  const found = { ...peakInfo, inflectionSmoothed_HU: round2(infl), inflection_HU: round2(peak_HU + halfWidth), halfWidth_HU: round2(halfWidth), ruleThreshold_HU: round2(threshold) };
  if (threshold < P.plausibleRange_HU[0] || threshold > P.plausibleRange_HU[1]) {
    return fail(
      `the rule gives ${round2(threshold)} HU (peak ${peakInfo.peak_HU}, inflection ${found.inflection_HU}), outside the plausible bone threshold range ${P.plausibleRange_HU[0]}..${P.plausibleRange_HU[1]} HU` +
        (threshold < P.plausibleRange_HU[0] ? ': the soft-tissue peak is too narrow (smooth reconstruction kernel?) and soft tissue would be labelled as bone' : ''),
      found,
    );
  }
  return {
    threshold_HU: round2(threshold),
    fallback: false,
    ...peakInfo,
    inflectionSmoothed_HU: round2(infl),
    inflection_HU: round2(peak_HU + halfWidth),
    halfWidth_HU: round2(halfWidth),
    smoothed: s,
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** A compact copy of the histogram for the record: counts summed into `binWidth_HU` bins. */
export function compactHistogram(h: HuHistogram, binWidth_HU = 10): { start_HU: number; binWidth_HU: number; counts: number[] } {
  const f = Math.max(1, Math.round(binWidth_HU / h.binWidth_HU));
  const counts: number[] = [];
  for (let i = 0; i < h.counts.length; i += f) {
    let c = 0;
    for (let j = i; j < Math.min(h.counts.length, i + f); j++) c += h.counts[j]!;
    counts.push(c);
  }
  return { start_HU: h.start_HU, binWidth_HU: f * h.binWidth_HU, counts };
}
