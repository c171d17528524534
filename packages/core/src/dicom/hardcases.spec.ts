import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataPath } from '../../../../test/data.js';
import { ScanError } from '../errors.js';
import { decodeFrames } from './decode.js';
import { parseDicomHeader } from './parse.js';

/**
 * Every file under hardcases/ is either read (parsed, and decoded when it has pixels)
 * or refused with a ScanError naming it — and the refused set is exactly the one we
 * expect, each for the reason we expect.
 */

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
}

/** Refused files → error code, with the evidence for each. */
const REFUSED: Record<string, string> = {
  // PixelData declares 8192 bytes, 8130 are in the file (pydicom refuses it too).
  'pydicom/MR_truncated.dcm': 'TRUNCATED_PIXEL_DATA',
  // A sequence item runs past the end of the file.
  'pydicom/rtplan_truncated.dcm': 'MALFORMED_DICOM',
  // No (0002,0010) and the dataset starts with the illegal odd group 0001: no encoding
  // can be recognised (it holds no image: no Rows/Columns, 2 bytes of "pixel data").
  'pydicom/meta_missing_tsyntax.dcm': 'MALFORMED_DICOM',
  // Retired JPEG processes.
  'cornerstone-ct-ts/CTImage.dcm_JPEGProcess6_8TransferSyntax_1.2.840.10008.1.2.4.53.dcm': 'UNSUPPORTED_TRANSFER_SYNTAX',
  'cornerstone-ct-ts/CTImage.dcm_JPEGProcess10_12TransferSyntax_1.2.840.10008.1.2.4.55.dcm': 'UNSUPPORTED_TRANSFER_SYNTAX',
};

/** DICOM objects that parse but carry no pixels (SR, RT plan, bare test datasets). */
const NO_PIXELS = new Set([
  'cornerstone-ct-ts/no-pixel-data.dcm',
  'pydicom/ExplVR_BigEndNoMeta.dcm',
  'pydicom/ExplVR_LitEndNoMeta.dcm',
  'pydicom/empty_charset_LEI.dcm',
  'pydicom/no_meta_group_length.dcm',
]);

const NOT_DICOM = /(^|\/)(LICENSE[^/]*|License\.txt|README\.txt|MANIFEST[^/]*\.json)$/;

describe('every file under hardcases/', () => {
  it('is read or refused with a ScanError naming it, exactly as expected', async () => {
    const root = dataPath('hardcases');
    const files = walk(root);
    expect(files.length).toBeGreaterThan(150);
    const refused: Record<string, string> = {};
    const notDicom: string[] = [];
    const noPixels: string[] = [];
    let decoded = 0;
    for (const path of files) {
      const rel = relative(root, path);
      const bytes = new Uint8Array(readFileSync(path));
      try {
        const inst = parseDicomHeader(bytes, rel);
        if (!inst) {
          notDicom.push(rel);
          continue;
        }
        if (!inst.hasPixelData) {
          noPixels.push(rel);
          continue;
        }
        const frames = await decodeFrames(inst, bytes);
        expect(frames.length, rel).toBe(inst.numberOfFrames);
        for (const f of frames) {
          expect(f.length, rel).toBe(inst.rows! * inst.columns!);
          let finite = true;
          for (let i = 0; i < f.length; i += 97) if (!Number.isFinite(f[i]!)) finite = false;
          expect(finite, rel).toBe(true);
        }
        decoded++;
      } catch (e) {
        if (!(e instanceof ScanError)) throw new Error(`${rel}: not a ScanError: ${String(e)}`);
        expect(e.message, rel).toContain(rel);
        expect(e.kind, rel).toBe('input');
        refused[rel] = e.code;
      }
    }
    expect(refused).toEqual(REFUSED);
    expect(new Set(noPixels)).toEqual(NO_PIXELS);
    expect(notDicom.length).toBeGreaterThan(0);
    for (const n of notDicom) expect(n, 'only licences, READMEs and manifests are not DICOM').toMatch(NOT_DICOM);
    expect(decoded).toBe(files.length - notDicom.length - noPixels.length - Object.keys(REFUSED).length);
    expect(decoded).toBeGreaterThan(140);
  });
});
