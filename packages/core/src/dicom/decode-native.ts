import type { DicomInstance } from './types.js';
import { CT_PADDING_HU, type DecodeStats, type StoredLayout } from './decode-values.js';

/**
 * The common case of the import, native 16-bit pixels into an Int16 slice stack with an
 * integer rescale, in one pass: container value → stored value → rescaled value, with no
 * Int32 frame in between (nativeToStored then modalityInto allocate and walk one per slice,
 * which was most of the import's decoding time). Gives exactly what those two give: the
 * same values, the same minimum, NaN exactly when one of them would (a kept value outside
 * Int16, or a padding replacement outside it). Returns undefined where it does not apply
 * (then the caller takes the general path): another container or target, a Modality LUT,
 * a fractional or huge slope/intercept, a padding value far outside 16 bits.
 */
export function nativeInt16Into(
  inst: DicomInstance,
  src: Uint8Array | Uint16Array | Uint32Array,
  layout: StoredLayout,
  frameIndex: number,
  stats: DecodeStats,
  target: Int16Array,
  offset: number,
): number | undefined {
  if (!(src instanceof Uint16Array) || layout.bitsStored > 16 || layout.bitsStored < 1) return undefined;
  const fr = inst.frames?.[frameIndex];
  const slope = fr?.rescaleSlope ?? inst.rescaleSlope;
  const intercept = fr?.rescaleIntercept ?? inst.rescaleIntercept;
  if (slope === undefined && intercept === undefined && inst.modalityLut) return undefined;
  const m = slope ?? 1;
  const b = intercept ?? 0;
  // |s·m + b| < 2^31 for every 16-bit s: the products stay exact small integers.
  if (!Number.isInteger(m) || !Number.isInteger(b) || Math.abs(m) > 2 ** 13 || Math.abs(b) > 2 ** 29) return undefined;
  const pv = inst.pixelPaddingValue;
  const limit = inst.pixelPaddingRangeLimit ?? pv;
  const tol = stats.nearLossless ?? 0;
  let lo = 1, span = -1; // no padding: an empty range
  if (pv !== undefined) {
    lo = Math.min(pv, limit!) - tol;
    span = Math.max(pv, limit!) + tol - lo;
    if (!Number.isInteger(lo) || !Number.isInteger(span) || Math.abs(lo) > 2 ** 20 || span > 2 ** 20) return undefined;
  }
  stats.transform = slope !== undefined || intercept !== undefined ? 'rescale' : 'identity';
  // Stored value: the bits HighBit−BitsStored+1 … HighBit moved to the top of 32 bits, then
  // back down (sign-extending for PixelRepresentation 1), so no mask is needed.
  const up = 32 - (layout.shift + layout.bitsStored);
  const down = 32 - layout.bitsStored;
  const isCt = inst.modality === 'CT' || inst.rescaleType === 'HU';
  const r = span < 0
    ? plainLoop(src, up, down, layout.signed, m, b, target, offset)
    : paddedLoop(src, up, down, layout.signed, lo, span, isCt ? CT_PADDING_HU : 0, isCt, m, b, target, offset);
  const { kept, sMin, sMax, padded } = r;
  let minKept = Infinity;
  if (kept > 0) {
    const a = sMin * m + b, c = sMax * m + b;
    if (Math.min(a, c) < -32768 || Math.max(a, c) > 32767) return NaN;
    minKept = Math.min(a, c);
  }
  if (padded === 0) return minKept;
  const replacement = isCt ? CT_PADDING_HU : Number.isFinite(minKept) ? minKept : 0;
  if (!isCt) fillPadding(src, up, down, layout.signed, lo, span, replacement, target, offset);
  stats.paddedPixels += padded;
  stats.paddingReplacement = replacement;
  return Math.min(minKept, replacement);
}

interface LoopResult {
  kept: number;
  sMin: number;
  sMax: number;
  padded: number;
}

// Monomorphic loops (one container type, one target type, no padding test when there is no
// padding value): each walks the frame once. The range is checked afterwards from the
// extreme stored values, since s·m + b is monotonic in s; a value outside Int16 written in
// the meantime is overwritten when the caller widens the stack and decodes the file again.

function plainLoop(src: Uint16Array, up: number, down: number, signed: boolean, m: number, b: number, target: Int16Array, offset: number): LoopResult {
  const n = src.length;
  let sMin = 0x7fffffff, sMax = -0x80000000;
  if (signed) {
    for (let i = 0; i < n; i++) {
      const s = (src[i]! << up) >> down;
      if (s < sMin) sMin = s;
      if (s > sMax) sMax = s;
      target[offset + i] = s * m + b;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const s = (src[i]! << up) >>> down;
      if (s < sMin) sMin = s;
      if (s > sMax) sMax = s;
      target[offset + i] = s * m + b;
    }
  }
  return { kept: n, sMin, sMax, padded: 0 };
}

/** As plainLoop, skipping stored values in [lo, lo + span]; those get `fill` when `fillNow`. */
function paddedLoop(
  src: Uint16Array, up: number, down: number, signed: boolean, lo: number, span: number,
  fill: number, fillNow: boolean, m: number, b: number, target: Int16Array, offset: number,
): LoopResult {
  const n = src.length;
  let sMin = 0x7fffffff, sMax = -0x80000000, padded = 0;
  for (let i = 0; i < n; i++) {
    const s = signed ? (src[i]! << up) >> down : (src[i]! << up) >>> down;
    if ((s - lo) >>> 0 <= span) {
      padded++;
      if (fillNow) target[offset + i] = fill;
      continue;
    }
    if (s < sMin) sMin = s;
    if (s > sMax) sMax = s;
    target[offset + i] = s * m + b;
  }
  return { kept: n - padded, sMin, sMax, padded };
}

function fillPadding(src: Uint16Array, up: number, down: number, signed: boolean, lo: number, span: number, fill: number, target: Int16Array, offset: number): void {
  const n = src.length;
  for (let i = 0; i < n; i++) {
    const s = signed ? (src[i]! << up) >> down : (src[i]! << up) >>> down;
    if ((s - lo) >>> 0 <= span) target[offset + i] = fill;
  }
}
