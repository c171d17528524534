/**
 * The rule outside the profile table (retain.ts) and the UN-sequence reader on the byte orders and
 * VR encodings plantWalkClass does not cover: a big-endian file (items read in little endian, values
 * swapped when written as SQ), an implicit-VR file, and big-endian explicit items in a little-endian file.
 * README.md must list every retained attribute.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findBytes } from '../../../../test/anonymise-plant.js';
import { dataPath } from '../../../../test/data.js';
import { runTool } from '../../../../test/run-tool.js';
import { createAnonymiser } from './anonymise.js';
import { findIdentifyingAttributes } from './check.js';
import { encodeValue, parseDicom, tagString, type RawElement } from './dicom-codec.js';
import { writeDicom } from './dicom-write.js';
import { DUMMY_SAFE, EMPTY_SAFE, isStandardUid, outsideTableAction, RETAIN_SAFE } from './retain.js';

const KEY = 'retain-rule-test-key-0123456789!';
const text = (tag: number, vr: string, value: string): RawElement => ({ tag, vr, value: encodeValue(value, vr) });
const us = (tag: number, n: number, bigEndian = false): RawElement =>
  ({ tag, vr: 'US', value: new Uint8Array(bigEndian ? [n >> 8, n & 0xff] : [n & 0xff, n >> 8]) });

describe('retain.ts: the rule outside the table', () => {
  it('removes unknown attributes and unlisted free text, keeps coded/numeric/binary, empties or dummies the listed ones', () => {
    expect(outsideTableAction(0x00f00030, 'LO', false)).toBe('X'); // unknown public
    expect(outsideTableAction(0x00f00040, 'US', false)).toBe('X');
    expect(outsideTableAction(0x0040a160, 'UT', false)).toBe('X'); // TextValue
    expect(outsideTableAction(0x00181020, 'LO', false)).toBe('X'); // SoftwareVersions
    expect(outsideTableAction(0x00181020, 'OB', false)).toBe('X'); // a VR that lies does not change the rule
    expect(outsideTableAction(0x00080070, 'LO', false)).toBe('K'); // Manufacturer
    expect(outsideTableAction(0x00280030, 'DS', false)).toBe('K'); // PixelSpacing
    expect(outsideTableAction(0x00080008, 'CS', false)).toBe('K'); // ImageType
    expect(outsideTableAction(0x7fe00010, 'OW', false)).toBe('K'); // PixelData
    expect(outsideTableAction(0x00201040, 'LO', false)).toBe('Z'); // PositionReferenceIndicator
    expect(outsideTableAction(0x00620005, 'LO', false)).toBe('D'); // SegmentLabel
    expect(outsideTableAction(0x00082218, 'SQ', true)).toBe('K');
    expect(outsideTableAction(0x00082218, 'UN', false)).toBe('X'); // a sequence that is no sequence
    // Kept string VRs must hold what their VR allows: text hidden in a number or a code string goes.
    expect(outsideTableAction(0x00280030, 'DS', false, encodeValue('0.5\\0.5', 'DS'))).toBe('K');
    expect(outsideTableAction(0x00280030, 'DS', false, encodeValue('Doe^John', 'DS'))).toBe('X');
    expect(outsideTableAction(0x00200013, 'IS', false, encodeValue('12', 'IS'))).toBe('K');
    expect(outsideTableAction(0x00200013, 'IS', false, encodeValue('1.5e3', 'IS'))).toBe('X');
    expect(outsideTableAction(0x00080008, 'CS', false, encodeValue('ORIGINAL\\PRIMARY\\AXIAL', 'CS'))).toBe('K');
    expect(outsideTableAction(0x00080008, 'CS', false, encodeValue('Doe^John', 'CS'))).toBe('X');
    // Binary numbers: a whole number of values, as many as a fixed multiplicity says.
    expect(outsideTableAction(0x00280010, 'US', false, new Uint8Array([0, 2]))).toBe('K'); // Rows 512
    expect(outsideTableAction(0x00280010, 'US', false, new Uint8Array(Buffer.from('Doe^John  ')))).toBe('X');
    expect(outsideTableAction(0x00189313, 'FD', false, new Uint8Array(24))).toBe('K'); // DataCollectionCenterPatient, VM 3
    expect(outsideTableAction(0x00189313, 'FD', false, new Uint8Array(32))).toBe('X');
    expect(outsideTableAction(0x00209157, 'UL', false, new Uint8Array(12))).toBe('K'); // DimensionIndexValues, VM 1-n
    // A retained text attribute holding a data set (a UN value with an item inside) is no text.
    const item = new Uint8Array([0xfe, 0xff, 0x00, 0xe0, 0x0a, 0, 0, 0, 0x10, 0, 0x10, 0, 2, 0, 0, 0, 0x44, 0x6f]);
    expect(outsideTableAction(0x00080070, 'LO', false, encodeValue('ACME Medical', 'LO'))).toBe('K'); // Manufacturer
    expect(outsideTableAction(0x00080070, 'LO', false, item)).toBe('X');
  });

  it('tells standard UIDs from the rest', () => {
    for (const u of ['1.2.840.10008.1.2.1', '1.2.840.10008.5.1.4.1.1.2', '2.16.840.1.113883.6.96']) expect(isStandardUid(u), u).toBe(true);
    for (const u of ['1.2.840.10008.1.2.4.201', '1.2.840.10008.6.1.1469', '1.2.840.10008.2.16.4', '1.2.840.10008.1.4.1.1']) {
      expect(isStandardUid(u), u).toBe(true);
    }
    const others = ['1.2.840.113619.2.55', '1.2.840.10008', '2.16.840.1.113883.3.1234', '1.3.6.1.4.1.5962.3',
      '1.2.840.10008.4711.19450817'];
    for (const u of others) {
      expect(isStandardUid(u), u).toBe(false);
    }
  });

  it('a UID under a wrong explicit VR is still a UID: replaced, and named by the gate (wg04 CT1_UNC)', () => {
    const p = parseDicom(new Uint8Array(readFileSync(dataPath('hardcases', 'wg04-ct', 'CT1_UNC'))), 'CT1_UNC');
    // CreatorVersionUID (UI in the dictionary, outside the profile table) written as DS
    const uid = '1.2.999.11.1';
    const ds = [...p.dataset, text(0x00089123, 'DS', uid)].sort((a, b) => a.tag - b.tag);
    const input = writeDicom(p.meta, ds, p.transferSyntax);
    expect(findIdentifyingAttributes(input, 'vr.dcm').problems.map((x) => x.tag)).toContain(tagString(0x00089123));
    const out = createAnonymiser(KEY).anonymiseSync(input, 'vr.dcm').bytes;
    expect(findBytes(out, uid)).toBe(-1);
    const el = parseDicom(out, 'out.dcm').dataset.find((e) => e.tag === 0x00089123)!;
    expect(el.vr).toBe('UI');
    expect(new TextDecoder().decode(el.value).replace(/\0$/, '')).toMatch(/^2\.25\.\d+$/);
    expect(findIdentifyingAttributes(out, 'out.dcm').problems).toEqual([]);
  });

  it('README.md lists every retained, emptied and dummied attribute', () => {
    const readme = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'README.md'), 'utf8');
    const missing = [...RETAIN_SAFE.keys(), ...EMPTY_SAFE.keys(), ...DUMMY_SAFE.keys()].map(tagString).filter((t) => !readme.includes(t));
    expect(missing).toEqual([]);
  });
});

describe('sequences stored as VR UN in real big-endian, implicit-VR and explicit-VR files', () => {
  const tmp = mkdtempSync(join(tmpdir(), 's2p-retain-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** The item planted in each UN sequence: a code, a name, and a number whose byte order shows. */
  const item = (bigEndian = false): RawElement[] => [
    text(0x00080100, 'SH', 'T-A0100'), text(0x00080102, 'SH', 'SRT'), text(0x00080104, 'LO', 'Brain'),
    text(0x00100010, 'PN', 'Bigendianplant^Hidden'), us(0x00280010, 300, bigEndian),
  ];

  async function pydicomRegion(bytes: Uint8Array, name: string): Promise<{ vr: string; items: [string, string][][] }> {
    const f = join(tmp, name);
    writeFileSync(f, bytes);
    const script = 'import json,sys,pydicom\nds=pydicom.dcmread(sys.argv[1])\n[e.value for e in ds.iterall()]\n'
      + 'el=ds[0x00082218]\nprint(json.dumps({"vr":el.VR,"items":[[("%08X"%int(e.tag),str(e.value)) for e in it] for it in el.value]}))';
    const r = await runTool('/usr/bin/python3', ['-c', script, f]);
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout);
  }

  const BE_ITEMS = { explicit: true, littleEndian: false };
  for (const [what, parts, itemsBe] of [
    ['big endian (pydicom MR_small_bigendian.dcm)', ['hardcases', 'pydicom', 'MR_small_bigendian.dcm'], false],
    ['implicit VR (dcmqi-seg ct-3slice 01.dcm)', ['hardcases', 'dcmqi-seg', 'ct-3slice', '01.dcm'], false],
    ['explicit little endian with big-endian explicit items (cornerstone CTImage, explicit LE)',
      ['hardcases', 'cornerstone-ct-ts', 'CTImage.dcm_LittleEndianExplicitTransferSyntax_1.2.840.10008.1.2.1.dcm'], true],
  ] as const) {
    it(`${what}: a UN sequence is flagged, read, written as SQ in the file's encoding, values intact`, async () => {
      const src = parseDicom(new Uint8Array(readFileSync(dataPath(...parts))), 'src.dcm');
      const un: RawElement = itemsBe
        ? { tag: 0x00082218, vr: 'UN', items: [item(true)], itemsEncoding: BE_ITEMS }
        : { tag: 0x00082218, vr: 'UN', items: [item()], itemsImplicit: true };
      const ds = src.dataset.filter((e) => e.tag !== un.tag).concat(un).sort((a, b) => (a.tag >>> 0) - (b.tag >>> 0));
      const planted = writeDicom(src.meta, ds, src.transferSyntax);
      expect(findBytes(planted, 'Bigendianplant')).toBeGreaterThan(0);
      const flagged = findIdentifyingAttributes(planted, 'in.dcm').problems;
      expect(flagged.some((p) => p.tag === '(0008,2218)' && p.action === 'un-sequence')).toBe(src.transferSyntax !== '1.2.840.10008.1.2');
      expect(flagged.some((p) => p.tag === '(0010,0010)' && p.reason.includes('(0008,2218)'))).toBe(true);

      const out = createAnonymiser(KEY).anonymiseSync(planted, 'in.dcm');
      expect(findBytes(out.bytes, 'Bigendianplant')).toBe(-1);
      expect(findBytes(out.bytes, 'BIGENDIANPLANT')).toBe(-1);
      expect(findIdentifyingAttributes(out.bytes, 'out.dcm').problems).toEqual([]);
      const region = await pydicomRegion(out.bytes, `${parts.at(-1)}.out.dcm`);
      expect(region.vr).toBe('SQ');
      // PatientName is Z: present and empty; Rows (a US) reads 300 in either byte order.
      expect(region.items).toEqual([
        [['00080100', 'T-A0100'], ['00080102', 'SRT'], ['00080104', 'Brain'], ['00100010', ''], ['00280010', '300']],
      ]);
    });
  }
});

describe('encapsulated pixel data written as UN (undefined length)', () => {
  it('real JPEG lossless CT (wg04 CT1_JPLL): read as encapsulated, written as OB with the same fragments; dcmdump reads it', async () => {
    const original = new Uint8Array(readFileSync(dataPath('hardcases', 'wg04-ct', 'CT1_JPLL')));
    const header = Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    const at = Buffer.from(original).indexOf(header);
    expect(at).toBeGreaterThan(0);
    const asUn = original.slice();
    asUn.set([0x55, 0x4e], at + 4); // 'UN'
    const out = createAnonymiser(KEY).anonymiseSync(asUn, 'un-pixels.dcm');
    const fragments = (bytes: Uint8Array) => {
      const p = parseDicom(bytes, 'x.dcm').dataset.find((e) => e.tag === 0x7fe00010)!;
      return { vr: p.vr, bytes: Buffer.from(p.encapsulated!).toString('hex') };
    };
    expect(fragments(out.bytes)).toEqual({ vr: 'OB', bytes: fragments(original).bytes });
    const f = join(mkdtempSync(join(tmpdir(), 's2p-unpix-')), 'out.dcm');
    writeFileSync(f, out.bytes);
    const dump = await runTool('dcmdump', ['-q', f]);
    rmSync(dirname(f), { recursive: true, force: true });
    expect(dump.status, dump.stderr).toBe(0);
    expect(dump.stdout).toMatch(/\(7fe0,0010\) OB \(PixelSequence/);
  });
});
