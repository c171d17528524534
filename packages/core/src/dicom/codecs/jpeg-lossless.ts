import { ScanError } from '../../errors.js';
import type { CodecFrame } from './wasm.js';

/**
 * JPEG Lossless (Process 14, .57 and .70) via jpeg-lossless-decoder-js (pure JS, all
 * seven predictors). It returns unsigned samples of the frame's precision; signed
 * DICOM data is two's complement in those bits and is sign-extended by the caller.
 */
type Lib = typeof import('jpeg-lossless-decoder-js');
let loading: Promise<Lib> | undefined;

/**
 * The package's exports wherever they are: Node and Vite load its ES build (named exports), but a
 * bundler that wraps its CommonJS build (esbuild for the CLI's bundle, which prefers `main` on
 * Node) hands over one default export holding them. Read only `Decoder` there, every JPEG
 * lossless file failed in the bundled command with "lib.Decoder is not a constructor".
 */
function exportsOf(mod: Lib & { default?: Lib }): Lib {
  if (typeof mod.Decoder === 'function') return mod;
  if (typeof mod.default?.Decoder === 'function') return mod.default;
  throw new Error('jpeg-lossless-decoder-js has no Decoder export');
}

function load(): Promise<Lib> {
  if (!loading) {
    loading = import('jpeg-lossless-decoder-js').then(exportsOf);
    loading.catch(() => {
      loading = undefined;
    });
  }
  return loading;
}

/** Reads SOF3 (precision, rows, columns, components) so the output can be checked. */
function readSof(b: Uint8Array): { precision: number; rows: number; columns: number; components: number } | undefined {
  let p = 2;
  while (p + 4 <= b.length) {
    if (b[p] !== 0xff) return undefined;
    const marker = b[p + 1]!;
    if (marker === 0xff) {
      p++;
      continue;
    }
    const len = (b[p + 2]! << 8) | b[p + 3]!;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (p + 10 > b.length) return undefined;
      return { precision: b[p + 4]!, rows: (b[p + 5]! << 8) | b[p + 6]!, columns: (b[p + 7]! << 8) | b[p + 8]!, components: b[p + 9]! };
    }
    if (marker === 0xda) return undefined;
    p += 2 + len;
  }
  return undefined;
}

export async function decodeJpegLossless(encoded: Uint8Array, file: string): Promise<CodecFrame> {
  const sof = readSof(encoded);
  if (!sof) throw new ScanError('CORRUPT_PIXEL_DATA', 'JPEG lossless stream has no frame header (SOF)', { kind: 'input', file });
  const lib = await load();
  const bytesPerSample = sof.precision <= 8 ? 1 : 2;
  let out: Uint8Array | Uint16Array;
  try {
    const copy = withScanPadding(encoded);
    out = new lib.Decoder().decode(copy.buffer as ArrayBuffer, 0, copy.length, bytesPerSample);
  } catch (e) {
    throw new ScanError('CORRUPT_PIXEL_DATA', `the JPEG lossless decoder rejected the compressed pixel data (${e instanceof Error ? e.message : String(e)})`, { kind: 'input', file, cause: e });
  }
  const count = sof.rows * sof.columns * sof.components;
  if (!out || out.length < count) {
    throw new ScanError('CORRUPT_PIXEL_DATA', `JPEG lossless stream decoded to ${out?.length ?? 0} samples, expected ${count}`, { kind: 'input', file });
  }
  const samples = out.length === count ? out : out.subarray(0, count);
  return { samples, width: sof.columns, height: sof.rows, components: sof.components, bitsPerSample: sof.precision, signed: false };
}

/**
 * jpeg-lossless-decoder-js drops the image's last sample when the entropy-coded data
 * ends right at the EOI marker (it sees the marker while prefetching bits for the last
 * code and stops before storing it: WG04 CT2_JPLL and cornerstone's .70 file lost their
 * bottom-right pixel). Four zero bytes between the scan data and EOI give it room;
 * decoding stops at the last pixel, so the padding itself is never used.
 * Returns a fresh copy (the decoder reads through an ArrayBuffer at offset 0).
 */
function withScanPadding(encoded: Uint8Array): Uint8Array {
  // EOI may be followed by a padding byte or two (DICOM even length: 00 or FF seen).
  // FF D9 cannot occur inside entropy-coded data (FF is always stuffed or a marker).
  let body = encoded.length;
  for (let k = encoded.length - 2; k >= Math.max(0, encoded.length - 8); k--) {
    if (encoded[k] === 0xff && encoded[k + 1] === 0xd9) {
      body = k;
      break;
    }
  }
  const out = new Uint8Array(body + 6);
  out.set(encoded.subarray(0, body), 0);
  out[body + 4] = 0xff;
  out[body + 5] = 0xd9;
  return out;
}
