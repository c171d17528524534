import { ScanError } from '../../errors.js';
import type { CodecFrame } from './wasm.js';

/**
 * JPEG Extended (Process 2 & 4, 1.2.840.10008.1.2.4.51) decoding via dcmjs-codecs, a
 * WebAssembly build of DCMTK's IJG codecs: libjpeg-turbo's 8-bit build cannot read
 * 12-bit samples, DCMTK's ijg12 can. Loaded lazily and initialised once.
 *
 * In a browser the host must tell where dcmjs-native-codecs.wasm is served
 * (`setDcmtkWasmUrl`); under Node the library finds it in node_modules.
 */
type DcmjsCodecs = typeof import('dcmjs-codecs');

let wasmUrl: string | undefined;
let loading: Promise<DcmjsCodecs> | undefined;

export function setDcmtkWasmUrl(url: string | undefined): void {
  wasmUrl = url;
}

function load(): Promise<DcmjsCodecs> {
  if (!loading) {
    loading = (async () => {
      const m = (await import('dcmjs-codecs')) as unknown as { default?: DcmjsCodecs } & DcmjsCodecs;
      const lib = m.default ?? m;
      if (!lib.NativeCodecs.isInitialized()) {
        await lib.NativeCodecs.initializeAsync(wasmUrl !== undefined ? { webAssemblyModulePathOrUrl: wasmUrl } : {});
      }
      return lib;
    })();
    loading.catch(() => {
      loading = undefined;
    });
  }
  return loading;
}

export interface JpegFrameParams {
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  samplesPerPixel: number;
  pixelRepresentation: number;
  photometricInterpretation: string;
}

export async function decodeJpegWithDcmtk(encoded: Uint8Array, p: JpegFrameParams, file: string): Promise<CodecFrame> {
  let lib: DcmjsCodecs;
  try {
    lib = await load();
  } catch (e) {
    throw new ScanError('CODEC_UNAVAILABLE', `the DCMTK JPEG codec (dcmjs-codecs) could not be loaded: ${String(e)}`, { kind: 'internal', file, cause: e });
  }
  const bytesPerSample = p.bitsAllocated <= 8 ? 1 : 2;
  const count = p.rows * p.columns * p.samplesPerPixel;
  let decoded: Uint8Array | undefined;
  try {
    const ctx = new lib.Context({
      width: p.columns,
      height: p.rows,
      bitsAllocated: p.bitsAllocated,
      bitsStored: p.bitsStored,
      samplesPerPixel: p.samplesPerPixel,
      pixelRepresentation: p.pixelRepresentation,
      planarConfiguration: 0,
      photometricInterpretation: p.photometricInterpretation,
      encodedBuffer: encoded,
    });
    decoded = lib.NativeCodecs.decodeJpeg(ctx, { convertColorspaceToRgb: false }).getDecodedBuffer();
  } catch (e) {
    throw new ScanError('CORRUPT_PIXEL_DATA', `the DCMTK JPEG decoder rejected the compressed pixel data (${e instanceof Error ? e.message : String(e)})`, { kind: 'input', file, cause: e });
  }
  if (!decoded || decoded.length < count * bytesPerSample) {
    throw new ScanError('CORRUPT_PIXEL_DATA', `the DCMTK JPEG decoder returned ${decoded?.length ?? 0} bytes, expected ${count * bytesPerSample}`, { kind: 'input', file });
  }
  const copy = decoded.slice(0, count * bytesPerSample);
  const signed = p.pixelRepresentation === 1;
  const samples =
    bytesPerSample === 1 ? (signed ? new Int8Array(copy.buffer) : copy) : signed ? new Int16Array(copy.buffer, 0, count) : new Uint16Array(copy.buffer, 0, count);
  return { samples, width: p.columns, height: p.rows, components: p.samplesPerPixel, bitsPerSample: p.bitsStored, signed };
}
