/**
 * nativeInt16Into (one pass from 16-bit container values to the Int16 stack) against the two
 * steps it replaces, nativeToStored then modalityInto, on synthetic frames that exercise every
 * branch: signed and unsigned stored values, HighBit below the top with garbage bits above it,
 * padding (CT and not CT, a range, near-lossless tolerance), values that do not fit Int16.
 */
import { describe, expect, it } from 'vitest';
import { nativeInt16Into } from './decode-native.js';
import { modalityInto, nativeToStored, type DecodeStats, type StoredLayout } from './decode-values.js';
import type { DicomInstance } from './types.js';

const stats = (near?: number): DecodeStats => ({ frames: 0, paddedPixels: 0, transform: 'identity', ...(near !== undefined ? { nearLossless: near } : {}) });

function inst(extra: Partial<DicomInstance>): DicomInstance {
  return { file: 'x', transferSyntaxUid: '1.2.840.10008.1.2.1', numberOfFrames: 1, hasPixelData: true, modality: 'CT', ...extra } as DicomInstance;
}

/** Deterministic container values: every bit pattern shows up, including the extremes. */
function frame(n: number, seed: number): Uint16Array {
  const a = new Uint16Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    a[i] = x & 0xffff;
  }
  a[0] = 0;
  a[1] = 0xffff;
  return a;
}

function both(h: DicomInstance, src: Uint16Array, layout: StoredLayout, near?: number) {
  const want = new Int16Array(src.length + 8).fill(7);
  const got = new Int16Array(src.length + 8).fill(7);
  const sa = stats(near);
  const sb = stats(near);
  const a = modalityInto(h, nativeToStored(src, layout), 0, sa, want, 4);
  const b = nativeInt16Into(h, src, layout, 0, sb, got, 4);
  return { a, b, want, got, sa, sb };
}

describe('nativeInt16Into', () => {
  const layouts: StoredLayout[] = [
    { bitsStored: 12, shift: 0, signed: false },
    { bitsStored: 12, shift: 0, signed: true },
    { bitsStored: 16, shift: 0, signed: true },
    { bitsStored: 16, shift: 0, signed: false },
    { bitsStored: 10, shift: 3, signed: true },
    { bitsStored: 11, shift: 2, signed: false },
  ];
  const cases: Array<Partial<DicomInstance>> = [
    { rescaleSlope: 1, rescaleIntercept: -1024 },
    { rescaleSlope: 2, rescaleIntercept: -3000 },
    { rescaleSlope: -1, rescaleIntercept: 100 },
    {},
    { rescaleSlope: 1, rescaleIntercept: -1024, pixelPaddingValue: 0 },
    { rescaleSlope: 1, rescaleIntercept: -1024, pixelPaddingValue: -2000 },
    { rescaleSlope: 1, rescaleIntercept: 0, pixelPaddingValue: 100, pixelPaddingRangeLimit: 20, modality: 'MR' },
    { rescaleSlope: 1, rescaleIntercept: 0, pixelPaddingValue: 5, modality: 'MR', rescaleType: 'HU' },
    { rescaleSlope: 3, rescaleIntercept: 0, pixelPaddingValue: 7, modality: 'PT' },
  ];

  it('gives the values, minimum, padding count and Int16 verdict of nativeToStored + modalityInto', () => {
    let compared = 0;
    let refused = 0;
    let padded = 0;
    for (const layout of layouts) {
      for (const c of cases) {
        for (const near of [undefined, 2]) {
          const h = inst(c);
          const src = frame(4099, 17 + compared);
          const r = both(h, src, layout, near);
          expect(r.b).not.toBeUndefined();
          if (Number.isNaN(r.a)) {
            // the caller widens the stack and decodes again: the values written do not matter
            expect(r.b).toBeNaN();
            refused++;
            continue;
          }
          expect(r.b).toBe(r.a);
          expect(Buffer.compare(Buffer.from(r.got.buffer), Buffer.from(r.want.buffer))).toBe(0);
          expect(r.sb).toEqual(r.sa);
          padded += r.sa.paddedPixels > 0 ? 1 : 0;
          compared++;
        }
      }
    }
    // the cases cover both answers and padding that was found
    expect(compared).toBeGreaterThan(40);
    expect(refused).toBeGreaterThan(5);
    expect(padded).toBeGreaterThan(5);
  });

  it('pads everything: the CT replacement, or 0 for other modalities', () => {
    const src = new Uint16Array(64).fill(9);
    for (const modality of ['CT', 'MR']) {
      const r = both(inst({ modality, rescaleSlope: 1, rescaleIntercept: 0, pixelPaddingValue: 9 }), src, { bitsStored: 16, shift: 0, signed: false });
      expect(r.b).toBe(r.a);
      expect(r.b).toBe(modality === 'CT' ? -1024 : 0);
      expect(Buffer.compare(Buffer.from(r.got.buffer), Buffer.from(r.want.buffer))).toBe(0);
    }
  });

  it('leaves what it does not cover to the general path', () => {
    const src = frame(16, 3);
    const lay: StoredLayout = { bitsStored: 12, shift: 0, signed: false };
    const t = new Int16Array(16);
    expect(nativeInt16Into(inst({ rescaleSlope: 0.5, rescaleIntercept: 0 }), src, lay, 0, stats(), t, 0)).toBeUndefined();
    expect(nativeInt16Into(inst({ rescaleSlope: 1, rescaleIntercept: 0.25 }), src, lay, 0, stats(), t, 0)).toBeUndefined();
    expect(nativeInt16Into(inst({ modalityLut: { firstMapped: 0, data: new Uint16Array(4), bits: 16 } }), src, lay, 0, stats(), t, 0)).toBeUndefined();
    expect(nativeInt16Into(inst({}), new Uint8Array(16), lay, 0, stats(), t, 0)).toBeUndefined();
    expect(nativeInt16Into(inst({ rescaleSlope: 1e6 }), src, lay, 0, stats(), t, 0)).toBeUndefined();
  });
});
