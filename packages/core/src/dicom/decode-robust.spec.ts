import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { mulberry32 as rng } from '../synthetic/random.js';
import { dataPath } from '../../../../test/data.js';
import { ScanError } from '../errors.js';
import { decodeFrames, decodeStoredFrames, newDecodeStats } from './decode.js';
import { parseDicomHeader } from './parse.js';

const hard = (...p: string[]): string => dataPath('hardcases', ...p);

/**
 * Corrupt and truncated streams: each codec path gets the same file cut short at
 * several points and with bytes overwritten in its pixel data. Every outcome must be
 * a decoded image of the right size or a ScanError naming the file — never another
 * exception, an out-of-bounds read or a hang (the test has a timeout).
 */
const SOURCES = [
  'wg04-ct/CT1_RLE',
  'wg04-ct/CT1_JPLL',
  'wg04-ct/CT1_JLSL',
  'wg04-ct/CT1_J2KR',
  'cornerstone-ct-ts/CTImage.dcm_JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm',
  'cornerstone-ct-ts/CT0012.fragmented_no_bot_jpeg_baseline.51.dcm',
  'cornerstone-ct-ts/CTImage.dcm_DeflatedExplicitVRLittleEndianTransferSyntax_1.2.840.10008.1.2.1.99.dcm',
  'cornerstone-ct-ts/CTImage.dcm_BigEndianExplicitTransferSyntax_1.2.840.10008.1.2.2.dcm',
  'pydicom/emri_small_jpeg_2k_lossless.dcm',
  'pydicom/emri_small_jpeg_ls_lossless.dcm',
  'pydicom/MR_small_RLE.dcm',
];


type Outcome = 'decoded' | 'refused' | 'not-dicom';

async function attempt(bytes: Uint8Array, name: string): Promise<Outcome> {
  try {
    const inst = parseDicomHeader(bytes, name);
    if (!inst) return 'not-dicom';
    const frames = await decodeFrames(inst, bytes);
    for (const f of frames) expect(f.length).toBe(inst.rows! * inst.columns!);
    return 'decoded';
  } catch (e) {
    if (!(e instanceof ScanError)) throw new Error(`${name}: escaped as ${String(e)}`);
    expect(e.message).toContain(name);
    expect(e.kind, `${name}: ${e.message}`).toBe('input');
    return 'refused';
  }
}

describe('corrupt and truncated pixel data', () => {
  it('is decoded or refused with a ScanError naming the file, never anything else', async () => {
    const counts: Record<Outcome, number> = { decoded: 0, refused: 0, 'not-dicom': 0 };
    const random = rng(20261123);
    for (const rel of SOURCES) {
      const whole = new Uint8Array(readFileSync(hard(rel)));
      // Truncations: inside the header, inside the pixel data, one byte short.
      for (const frac of [0.05, 0.3, 0.6, 0.9, 0.99]) {
        const cut = whole.slice(0, Math.floor(whole.length * frac));
        counts[await attempt(cut, `${rel}@cut${frac}`)]++;
      }
      counts[await attempt(whole.slice(0, whole.length - 1), `${rel}@minus1`)]++;
      // Overwrites in the second half (the pixel data of these files).
      for (let k = 0; k < 4; k++) {
        const bad = whole.slice();
        for (let j = 0; j < 16; j++) {
          const at = Math.floor(whole.length / 2 + random() * (whole.length / 2 - 1));
          bad[at] = Math.floor(random() * 256);
        }
        counts[await attempt(bad, `${rel}@flip${k}`)]++;
      }
    }
    console.info('corrupt-stream outcomes', counts);
    // Every truncation past the header must be refused (a cut file is never "read").
    expect(counts.refused).toBeGreaterThanOrEqual(SOURCES.length * 5);
    expect(counts.decoded + counts.refused + counts['not-dicom']).toBe(SOURCES.length * 10);
  });

  it('refuses pixel data shorter than Rows×Columns×frames with TRUNCATED_PIXEL_DATA', async () => {
    const whole = new Uint8Array(readFileSync(hard('wg04-ct/CT1_UNC')));
    const inst = parseDicomHeader(whole, 'CT1_UNC')!;
    // Claim two frames: the single frame's bytes are then too few.
    const e = await decodeStoredFrames({ ...inst, numberOfFrames: 2 }, whole).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ScanError);
    expect((e as ScanError).code).toBe('TRUNCATED_PIXEL_DATA');
    expect((e as ScanError).message).toMatch(/^CT1_UNC: pixel data is truncated/);
  });

  it('refuses colour and exotic layouts with UNSUPPORTED_PIXEL_FORMAT rather than guessing', async () => {
    const whole = new Uint8Array(readFileSync(hard('wg04-ct/CT1_UNC')));
    const inst = parseDicomHeader(whole, 'CT1_UNC')!;
    for (const bad of [{ samplesPerPixel: 3 }, { bitsAllocated: 12 }]) {
      const e = await decodeFrames({ ...inst, ...bad }, whole, newDecodeStats()).catch((x: unknown) => x);
      expect((e as ScanError).code, JSON.stringify(bad)).toBe('UNSUPPORTED_PIXEL_FORMAT');
    }
    const hb = await decodeFrames({ ...inst, highBit: 16 }, whole).catch((x: unknown) => x);
    expect((hb as ScanError).code).toBe('MALFORMED_DICOM');
  });
});

describe('HTJ2K (.201/.202/.203)', () => {
  it('decodes CT1_UNC transcoded by DCMTK/OpenJPH (dcmjs-codecs): lossless bit-identical, lossy close', async () => {
    // No HTJ2K file is in the data set: make them with an independent encoder.
    const lib = ((await import('dcmjs-codecs')) as unknown as { default: typeof import('dcmjs-codecs') }).default;
    await lib.NativeCodecs.initializeAsync();
    lib.log.setLevel('silent');
    // dcmjs (inside dcmjs-codecs) prints unknown private tags while transcoding.
    const quiet = [vi.spyOn(console, 'log'), vi.spyOn(console, 'warn'), vi.spyOn(console, 'error')].map((s) => s.mockImplementation(() => {}));
    const src = readFileSync(hard('wg04-ct/CT1_UNC'));
    const unc = new Uint8Array(src);
    const ref = (await decodeStoredFrames(parseDicomHeader(unc, 'CT1_UNC')!, unc))[0]!;
    const TS = lib.constants.TransferSyntax;
    for (const [uid, lossy] of [
      [TS.HtJpeg2000Lossless, false],
      [TS.HtJpeg2000LosslessRpcl, false],
      [TS.HtJpeg2000Lossy, true],
    ] as const) {
      const t = new lib.Transcoder(src.buffer.slice(src.byteOffset, src.byteOffset + src.byteLength));
      t.transcode(uid);
      const bytes = new Uint8Array(t.getDicomPart10());
      const inst = parseDicomHeader(bytes, `CT1_${uid}`)!;
      expect(inst.transferSyntaxUid).toBe(uid);
      const got = (await decodeStoredFrames(inst, bytes))[0]!;
      let max = 0;
      for (let i = 0; i < got.length; i++) max = Math.max(max, Math.abs(got[i]! - ref[i]!));
      if (lossy) expect(max, uid).toBeLessThanOrEqual(8); // measured 1
      else expect(max, uid).toBe(0);
    }
    for (const q of quiet) q.mockRestore();
  });
});
