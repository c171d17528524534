import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { dataPath } from '../../../../test/data.js';
import { runTool } from '../../../../test/run-tool.js';
import { anonymiseDataset } from './anonymise.js';

/**
 * Every transfer syntax and odd layout in the shared data: the anonymised file keeps the
 * transfer syntax and the pixel data (native bytes, or the encapsulated fragments and offset
 * table) exactly, has no private attributes, and an independent parser (dcmtk's dcmdump) reads it.
 */
const FILES: string[][] = [
  ['hardcases', 'wg04-ct', 'CT1_J2KR'],
  ['hardcases', 'wg04-ct', 'CT1_RLE'],
  ['hardcases', 'wg04-ct', 'CT1_JLSL'],
  ['hardcases', 'wg04-ct', 'CT1_JPLL'],
  ['hardcases', 'wg04-ct', 'CT2_UNC'],
  ...readdirSync(dataPath('hardcases', 'cornerstone-ct-ts')).filter((f) => f.endsWith('.dcm')).map((f) => ['hardcases', 'cornerstone-ct-ts', f]),
  ...['MR_small_bigendian.dcm', 'image_dfl.dcm', 'ExplVR_BigEndNoMeta.dcm', 'ExplVR_LitEndNoMeta.dcm', 'explicit_VR-UN.dcm', 'eCT_Supplemental.dcm',
    'liver.dcm', 'emri_small_jpeg_2k_lossless.dcm', 'JPEG2000.dcm', 'MR_small_padded.dcm', 'no_meta_group_length.dcm'].map((f) => ['hardcases', 'pydicom', f]),
  ['labelled', 'totalsegmentator', 'example_ct_dicom', readdirSync(dataPath('labelled', 'totalsegmentator', 'example_ct_dicom')).sort()[0]!],
];

const DEFLATED = '1.2.840.10008.1.2.1.99';
let scratch = 0;

/** Parses with dicom-parser; a deflated file is first inflated by dcmtk (dcmconv +te), independently of our code. */
async function parseAny(bytes: Uint8Array, tmp: string, ts?: string): Promise<any> {
  const meta = ts ? undefined : dicomParser.readPart10Header(bytes);
  if (meta?.string('x00020010') === DEFLATED) {
    const a = join(tmp, `deflated-${scratch}.dcm`);
    const b = join(tmp, `inflated-${scratch++}.dcm`);
    writeFileSync(a, bytes);
    const r = await runTool('dcmconv', ['+te', a, b]);
    if (r.status !== 0) throw new Error(`dcmconv failed: ${r.stderr}`);
    const ds: any = dicomParser.parseDicom(new Uint8Array(readFileSync(b)));
    ds.deflatedTs = DEFLATED;
    return ds;
  }
  return dicomParser.parseDicom(bytes, ts ? ({ TransferSyntaxUID: ts } as any) : undefined);
}
const tsOf = (ds: any) => ds.deflatedTs ?? ds.string('x00020010');

function pixelDigest(ds: any): string {
  const e = ds.elements.x7fe00010;
  if (!e) return 'none';
  const h = createHash('sha256');
  if (e.fragments || e.encapsulatedPixelData) {
    h.update(JSON.stringify(e.basicOffsetTable ?? []));
    for (const f of e.fragments) h.update(ds.byteArray.subarray(f.position, f.position + f.length));
    return 'encapsulated:' + h.digest('hex');
  }
  h.update(ds.byteArray.subarray(e.dataOffset, e.dataOffset + e.length));
  return 'native:' + h.digest('hex');
}

function hasPrivate(ds: any): boolean {
  for (const k of Object.keys(ds.elements)) {
    if (parseInt(k.slice(1, 5), 16) & 1) return true;
    for (const item of ds.elements[k].items ?? []) if (item.dataSet && hasPrivate(item.dataSet)) return true;
  }
  return false;
}

describe('anonymise keeps every transfer syntax and the pixel data bit for bit', () => {
  const tmp = mkdtempSync(join(tmpdir(), 's2p-anon-ts-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const key = 'transfer-syntax-test-key-0123456789';

  for (const parts of FILES) {
    it(parts.slice(1).join('/'), async () => {
      const p = dataPath(...parts);
      const input = new Uint8Array(readFileSync(p));
      const noMeta = parts[2]?.includes('NoMeta');
      const inTs = noMeta
        ? (parts[2]!.includes('BigEnd') ? '1.2.840.10008.1.2.2' : parts[2]!.includes('LitEnd') ? '1.2.840.10008.1.2.1' : '1.2.840.10008.1.2')
        : undefined;
      const a = await parseAny(input, tmp, inTs);
      const r = await anonymiseDataset(input, p, { key });
      const b = await parseAny(r.bytes, tmp);
      expect(tsOf(b)).toBe(inTs ?? tsOf(a));
      expect(r.summary.transferSyntax).toBe(tsOf(b));
      expect(pixelDigest(b)).toBe(pixelDigest(a));
      expect(hasPrivate(b)).toBe(false);
      expect(b.string('x00020003')).toBe(r.summary.sopInstanceUid);
      const out = join(tmp, parts.join('_') + '.dcm');
      writeFileSync(out, r.bytes);
      const dump = await runTool('dcmdump', ['-q', out]);
      expect(dump.status, dump.stderr).toBe(0);
      expect(dump.stderr).toBe('');
    });
  }
});
