import { ScanError } from '../../errors.js';

/**
 * Lazily loaded WebAssembly codecs (cornerstonejs codec builds of libjpeg-turbo, CharLS,
 * OpenJPEG and OpenJPH). Each module is imported on first use, instantiated once and
 * cached; a module that aborted is dropped so the next call starts a fresh instance.
 *
 * Under Node the emscripten glue finds its .wasm beside itself in node_modules. In a
 * browser bundle the host may have to say where the .wasm files are served:
 * `setCodecWasmLocator(name => url)`.
 */
export type CodecName = 'libjpeg-turbo' | 'charls' | 'openjpeg' | 'openjph';

/** What every codec returns: samples of one frame, interleaved when components > 1. */
export interface CodecFrame {
  samples: Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;
  width: number;
  height: number;
  components: number;
  bitsPerSample: number;
  signed: boolean;
  /** JPEG-LS NEAR parameter (0 = lossless), when the codec reports it. */
  nearLossless?: number;
}

interface EmbindDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  readHeader?(): void;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned: boolean };
  getDecodedBuffer(): Uint8Array;
  getNearLossless?(): number;
  delete(): void;
}
type EmbindModule = Record<string, new () => EmbindDecoder>;

let locator: ((file: string) => string) | undefined;

/** For browser hosts: where to fetch a codec's .wasm (file name → URL). */
export function setCodecWasmLocator(fn: ((file: string) => string) | undefined): void {
  locator = fn;
}

const cache = new Map<CodecName, Promise<EmbindModule>>();

async function importFactory(name: CodecName): Promise<(opts?: Record<string, unknown>) => Promise<unknown>> {
  // Literal specifiers so bundlers can see them; dynamic so nothing loads until needed.
  let mod: { default?: unknown };
  switch (name) {
    case 'libjpeg-turbo':
      mod = await import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs');
      break;
    case 'charls':
      mod = await import('@cornerstonejs/codec-charls/decodewasmjs');
      break;
    case 'openjpeg':
      mod = await import('@cornerstonejs/codec-openjpeg/decodewasmjs');
      break;
    case 'openjph':
      mod = await import('@cornerstonejs/codec-openjph/wasmjs');
      break;
  }
  const factory = (mod.default ?? mod) as unknown;
  if (typeof factory !== 'function') throw new Error(`codec module ${name} has no factory`);
  return factory as (opts?: Record<string, unknown>) => Promise<unknown>;
}

function loadCodec(name: CodecName): Promise<EmbindModule> {
  let p = cache.get(name);
  if (!p) {
    p = (async () => {
      const factory = await importFactory(name);
      // OpenJPEG prints progress ([INFO] …) through stdout: keep the CLI's output clean.
      // Failures still reach us as exceptions.
      const opts: Record<string, unknown> = { print: () => {}, printErr: () => {} };
      if (locator) opts.locateFile = (f: string) => locator!(f);
      return (await factory(opts)) as EmbindModule;
    })();
    p.catch(() => cache.delete(name));
    cache.set(name, p);
  }
  return p;
}

const CLASS: Record<CodecName, string> = {
  'libjpeg-turbo': 'JPEGDecoder',
  charls: 'JpegLSDecoder',
  openjpeg: 'J2KDecoder',
  openjph: 'HTJ2KDecoder',
};

function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'number') return `native exception ${e}`;
  return String(e);
}

/**
 * Decodes one compressed frame with `name`. Throws ScanError 'CORRUPT_PIXEL_DATA'
 * (naming `file`) when the codec rejects the stream.
 */
export async function decodeWithWasm(name: CodecName, encoded: Uint8Array, file: string): Promise<CodecFrame> {
  let mod: EmbindModule;
  try {
    mod = await loadCodec(name);
  } catch (e) {
    throw new ScanError('CODEC_UNAVAILABLE', `the ${name} codec could not be loaded: ${describe(e)}`, { kind: 'internal', file, cause: e });
  }
  const Ctor = mod[CLASS[name]];
  if (!Ctor) throw new ScanError('CODEC_UNAVAILABLE', `the ${name} codec lacks ${CLASS[name]}`, { kind: 'internal', file });
  let decoder: EmbindDecoder | undefined;
  try {
    decoder = new Ctor();
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    decoder.decode();
    const fi = decoder.getFrameInfo();
    const raw = decoder.getDecodedBuffer();
    const bytesPerSample = fi.bitsPerSample <= 8 ? 1 : 2;
    const count = fi.width * fi.height * fi.componentCount;
    if (raw.length < count * bytesPerSample) throw new Error(`decoder returned ${raw.length} bytes for ${count} samples`);
    // Copy out of wasm memory (the next decode reuses it), into an aligned buffer.
    const copy = raw.slice(0, count * bytesPerSample);
    const samples =
      bytesPerSample === 1
        ? fi.isSigned
          ? new Int8Array(copy.buffer)
          : copy
        : fi.isSigned
          ? new Int16Array(copy.buffer, 0, count)
          : new Uint16Array(copy.buffer, 0, count);
    const out: CodecFrame = {
      samples,
      width: fi.width,
      height: fi.height,
      components: fi.componentCount,
      bitsPerSample: fi.bitsPerSample,
      signed: fi.isSigned,
    };
    if (decoder.getNearLossless) out.nearLossless = decoder.getNearLossless();
    return out;
  } catch (e) {
    if (e instanceof Error && e.name === 'RuntimeError') cache.delete(name); // wasm aborted: start afresh next time
    throw new ScanError('CORRUPT_PIXEL_DATA', `the ${name} decoder rejected the compressed pixel data (${describe(e)})`, { kind: 'input', file, cause: e });
  } finally {
    try {
      decoder?.delete();
    } catch {
      // a decoder of an aborted module cannot be freed; the module is dropped anyway
    }
  }
}
