import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBytes, forbiddenStrings, GEOMETRY_TAGS, PLANTED, plantSeries, type PlantedSeries } from '../../../../test/anonymise-plant.js';
import { isScanError } from '../errors.js';
import { importSeries } from '../dicom/import.js';
import { anonymiseDataset, createAnonymiser, type AnonymiseResult } from './anonymise.js';
import { patientKey, keyBytes } from './keys.js';

const KEY = 'project-key-for-tests-0123456789';
const OTHER_KEY = 'another-project-key-9876543210!!';

function parse(bytes: Uint8Array) {
  return dicomParser.parseDicom(bytes);
}
function str(ds: any, tag: string): string | undefined {
  return ds.string('x' + tag.toLowerCase());
}
function rawValue(ds: any, tag: string): string {
  const e = ds.elements['x' + tag.toLowerCase()];
  if (!e) return '<absent>';
  return Buffer.from(ds.byteArray.subarray(e.dataOffset, e.dataOffset + e.length)).toString('hex');
}
function pixelHash(ds: any): string {
  const e = ds.elements.x7fe00010;
  return createHash('sha256').update(ds.byteArray.subarray(e.dataOffset, e.dataOffset + e.length)).digest('hex');
}

describe('anonymise: planted identity in a real CT series (hardcases/dcmqi-seg/ct-3slice)', () => {
  let tmp: string;
  let series: PlantedSeries;
  let inputs: Uint8Array[];
  let results: AnonymiseResult[];

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 's2p-anon-'));
    series = plantSeries(join(tmp, 'in'));
    inputs = series.files.map((f) => new Uint8Array(readFileSync(f)));
    const anon = createAnonymiser(KEY);
    results = [];
    for (let i = 0; i < inputs.length; i++) results.push(await anon.anonymise(inputs[i]!, series.files[i]!));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('the planted values were really in the input', () => {
    const text = Buffer.from(inputs[0]!).toString('latin1');
    for (const v of Object.values(PLANTED)) expect(text.includes(v), v).toBe(true);
  });

  it('no planted value and no original UID survives in any byte of the output', () => {
    const leaks: string[] = [];
    for (const r of results) {
      for (const s of [...forbiddenStrings(), ...series.originalUids]) if (findBytes(r.bytes, s) >= 0) leaks.push(s);
    }
    expect(leaks).toEqual([]);
  });

  it('keeps pixel data and geometry/acquisition attributes byte for byte; output parses with dicom-parser', () => {
    for (let i = 0; i < inputs.length; i++) {
      const a = parse(inputs[i]!);
      const b = parse(results[i]!.bytes);
      expect(pixelHash(b)).toBe(pixelHash(a));
      for (const t of GEOMETRY_TAGS) expect(rawValue(b, t), t).toBe(rawValue(a, t));
      expect(str(b, '00020010')).toBe(str(a, '00020010'));
    }
  });

  it('the import stage builds the identical volume (grid and HU values) from the anonymised files', async () => {
    const sources = (bufs: Uint8Array[]) => bufs.map((b, i) => ({ name: `file${i}`, read: async () => b }));
    const a = (await importSeries(sources(inputs))).output.volume;
    const b = (await importSeries(sources(results.map((r) => r.bytes)))).output.volume;
    expect(b.grid).toEqual(a.grid);
    expect(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength).equals(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength))).toBe(true);
  });

  it('writes the patient key, PatientIdentityRemoved and the de-identification method code', () => {
    const expected = patientKey(keyBytes(KEY), { id: PLANTED.PatientID, name: PLANTED.PatientName, birthDate: PLANTED.PatientBirthDate });
    for (const r of results) {
      const b = parse(r.bytes);
      expect(str(b, '00100020')).toBe(expected);
      expect(r.summary.patientKey).toBe(expected);
      expect(str(b, '00120062')).toBe('YES');
      const code = b.elements.x00120064!.items![0]!.dataSet!;
      expect(code.string('x00080100')).toBe('113100');
      expect(code.string('x00080102')).toBe('DCM');
      expect(str(b, '00100010') ?? '').toBe('');
      expect(b.elements.x00101040).toBeUndefined();
      expect(b.elements.x00400275).toBeUndefined();
      expect(b.elements.x00090010).toBeUndefined();
      expect(b.elements.x00091001).toBeUndefined();
      // Inside a kept sequence, the table still applies.
      const region = b.elements.x00082218!.items![0]!.dataSet!;
      expect(region.string('x00080104')).toBe('Head');
      expect(region.string('x00080090') ?? '').toBe('');
      expect(region.elements.x00101040).toBeUndefined();
      expect(r.summary.actions.private).toBeGreaterThan(0);
      // Overlay plane 60xx (data X, comments X: the whole plane goes) and curve 50xx,xxxx (X).
      expect(Object.keys(b.elements).filter((t) => /^x(60|50)/.test(t))).toEqual([]);
      expect(r.summary.actions.overlay).toBe(8);
      expect(r.summary.actions.curve).toBe(1);
    }
  });

  it('replaces UIDs consistently: references, meta, study/series/frame of reference across files', () => {
    const parsed = results.map((r) => parse(r.bytes));
    const sops = parsed.map((b) => str(b, '00080018')!);
    for (let i = 0; i < parsed.length; i++) {
      const b = parsed[i]!;
      expect(sops[i]).toMatch(/^2\.25\.\d+$/);
      expect(str(b, '00020003')).toBe(sops[i]);
      expect(results[i]!.summary.sopInstanceUid).toBe(sops[i]);
      const ref = b.elements.x00081140!.items![0]!.dataSet!.string('x00081155');
      expect(ref).toBe(sops[(i + 1) % parsed.length]);
      for (const t of ['0020000D', '0020000E', '00200052']) expect(str(b, t)).toBe(str(parsed[0]!, t));
    }
    expect(new Set(sops).size).toBe(parsed.length);
  });

  it('is deterministic for the same key and differs for another key', async () => {
    const again = await anonymiseDataset(inputs[1]!, series.files[1]!, { key: KEY });
    expect(Buffer.from(again.bytes).equals(Buffer.from(results[1]!.bytes))).toBe(true);
    const other = await anonymiseDataset(inputs[1]!, series.files[1]!, { key: OTHER_KEY });
    const o = parse(other.bytes);
    const s = parse(results[1]!.bytes);
    for (const t of ['00080018', '0020000D', '0020000E', '00200052', '00100020']) expect(str(o, t)).not.toBe(str(s, t));
    expect(pixelHash(o)).toBe(pixelHash(s));
  });

  it('keeps a stage record with counts per action and no identity', () => {
    const anon = createAnonymiser(KEY);
    for (let i = 0; i < inputs.length; i++) anon.anonymiseSync(inputs[i]!, series.files[i]!);
    const rec = anon.record();
    expect(rec.stage).toBe('anonymise');
    expect(rec.figures.files).toBe(3);
    expect(rec.figures.patients).toBe(1);
    const acts = rec.figures.actions as Record<string, number>;
    expect(acts.X).toBeGreaterThan(0);
    expect(acts.Z).toBeGreaterThan(0);
    expect(acts.D).toBeGreaterThan(0);
    expect(acts.U).toBeGreaterThan(0);
    expect(acts['U*']).toBe(3);
    // 3 SOP + study + series + frame of reference = 6 distinct UIDs.
    expect(rec.figures.uidsReplaced_distinct).toBe(6);
    const json = JSON.stringify(rec);
    for (const s of [...forbiddenStrings(), ...series.originalUids]) expect(json.includes(s), s).toBe(false);
  });

  it('flags BurnedInAnnotation = YES as an error finding', async () => {
    const burned = plantSeries(join(tmp, 'burned'), { burnedIn: true });
    const r = await anonymiseDataset(new Uint8Array(readFileSync(burned.files[0]!)), burned.files[0]!, { key: KEY });
    expect(r.findings.map((f) => [f.code, f.severity])).toContainEqual(['BURNED_IN_ANNOTATION', 'error']);
    // Findings name the output, never the input path.
    expect(r.findings.find((f) => f.code === 'BURNED_IN_ANNOTATION')?.files).toEqual([`${r.summary.sopInstanceUid}.dcm`]);
    const w = await anonymiseDataset(new Uint8Array(readFileSync(burned.files[0]!)), burned.files[0]!, { key: KEY, burnedInAnnotation: 'warn' });
    expect(w.findings.find((f) => f.code === 'BURNED_IN_ANNOTATION')?.severity).toBe('warn');
  });

  it('counts the UIDs, files and patients of the files kept, not of a refused one (discard)', () => {
    const burned = plantSeries(join(tmp, 'burned-count'), { burnedIn: true });
    const anon = createAnonymiser(KEY);
    const refused = anon.anonymiseSync(new Uint8Array(readFileSync(burned.files[0]!)), burned.files[0]!);
    // SOP instance, study, series, frame of reference and more: mapped, then taken back.
    expect(anon.uidsReplaced).toBeGreaterThanOrEqual(4);
    anon.discard(refused);
    expect(anon.uidsReplaced).toBe(0);
    expect(anon.record().figures).toMatchObject({ files: 0, patients: 0, uidsReplaced_distinct: 0 });
    for (const f of series.files) anon.anonymiseSync(new Uint8Array(readFileSync(f)), f);
    // A refused file sharing the kept files' study takes back only what no kept file holds.
    anon.discard(anon.anonymiseSync(new Uint8Array(readFileSync(burned.files[0]!)), burned.files[0]!));
    const f = anon.record().figures as { files: number; patients: number; uidsReplaced_distinct: number; actions: { U: number } };
    expect(f).toMatchObject({ files: 3, patients: 1, uidsReplaced_distinct: 6 });
    expect(anon.uidsReplaced).toBe(6);
    expect(f.actions.U).toBe((results[0]!.summary.actions.U) * 3);
  });
});

describe('anonymise: the patient key', () => {
  const k = keyBytes(KEY);
  it('normalises case, spaces, trailing name components and date punctuation', () => {
    const a = patientKey(k, { id: 'ab 12', name: 'Doe^John', birthDate: '19450817' });
    expect(patientKey(k, { id: '  AB   12 ', name: ' doe ^ john ^^', birthDate: '1945.08.17' })).toBe(a);
    expect(patientKey(k, { id: 'AB 12', name: 'DOE^JOHN=ドウ^ジョン', birthDate: '19450817' })).toBe(a);
    expect(patientKey(k, { id: 'AB 12', name: 'DOE^JOHN', birthDate: '19450818' })).not.toBe(a);
    expect(patientKey(keyBytes(OTHER_KEY), { id: 'AB 12', name: 'DOE^JOHN', birthDate: '19450817' })).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });
  it('refuses a key shorter than 16 bytes', () => {
    expect(() => createAnonymiser('short')).toThrow(/at least 16 bytes/);
  });
});

describe('anonymise: refuses broken or unsupported inputs with a message naming the file', () => {
  const key = KEY;
  const cases: [string[], RegExp][] = [
    [['hardcases', 'pydicom', 'MR_truncated.dcm'], /truncated|malformed/i],
    [['hardcases', 'pydicom', 'rtplan_truncated.dcm'], /truncated|malformed/i],
    [['hardcases', 'pydicom', 'meta_missing_tsyntax.dcm'], /TransferSyntaxUID/],
    [['hardcases', 'wg04-ct', 'MANIFEST.files.json'], /not a DICOM file/],
    // A stray byte before a bare dataset: nothing can be located reliably.
    [['hardcases', 'pydicom', 'no_meta.dcm'], /not a DICOM file/],
    // Neither SOPInstanceUID nor MediaStorageSOPInstanceUID: no identity to replace or name the file by.
    [['hardcases', 'pydicom', 'empty_charset_LEI.dcm'], /no SOPInstanceUID/],
    [['ct', 'philips-head-phantom-tilt', 'DIRFILE'], /DICOMDIR/],
  ];
  for (const [parts, re] of cases) {
    it(parts.join('/'), async () => {
      const { dataPath } = await import('../../../../test/data.js');
      const p = dataPath(...parts);
      let err: unknown;
      try {
        await anonymiseDataset(new Uint8Array(readFileSync(p)), p, { key });
      } catch (e) {
        err = e;
      }
      expect(isScanError(err), String(err)).toBe(true);
      expect((err as Error).message).toContain(p);
      expect((err as Error).message).toMatch(re);
    });
  }
});

describe('anonymise: a preamble and DICM with no file meta group (wg04 CT1_UNC with its group 0002 cut)', () => {
  it('is read as the dataset after the marker: anonymised, a meta written, pixels byte for byte', async () => {
    const { dataPath } = await import('../../../../test/data.js');
    const p = dataPath('hardcases', 'wg04-ct', 'CT1_UNC');
    const whole = new Uint8Array(readFileSync(p));
    // group 0002 runs from byte 132 to the first element of another group (explicit VR LE, short or long length)
    let at = 132;
    const dv = new DataView(whole.buffer, whole.byteOffset);
    while (dv.getUint16(at, true) === 0x0002) {
      const vr = String.fromCharCode(whole[at + 4]!, whole[at + 5]!);
      at += ['OB', 'OW', 'UN', 'SQ', 'UT', 'UC', 'UR', 'OD', 'OF', 'OL', 'OV'].includes(vr) ? 12 + dv.getUint32(at + 8, true) : 8 + dv.getUint16(at + 6, true);
    }
    const cut = new Uint8Array([...whole.subarray(0, 132), ...whole.subarray(at)]);
    const r = createAnonymiser(KEY).anonymiseSync(cut, 'no-meta.dcm');
    expect(r.summary.notes ?? []).toContain('the input had no file meta information; one was written');
    const [a, b] = [parse(r.bytes), parse(whole)];
    expect(str(a, '00020010')).toBe('1.2.840.10008.1.2.1');
    expect(pixelHash(a)).toBe(pixelHash(b));
    expect(str(a, '00100010') ?? '').not.toBe(str(b, '00100010'));
    // Bytes that are no dataset after the marker: said as such, not "no 'DICM' marker".
    const junk = new Uint8Array([...whole.subarray(0, 132), 0x99, 0x99, 0x99, 0x99, 0, 0, 0, 0]);
    expect(() => createAnonymiser(KEY).anonymiseSync(junk, 'junk.dcm')).toThrow(/'DICM' marker at byte 128 but neither a file meta group/);
  });
});

describe('anonymise: damaged files give a ScanError or a valid result, never a crash', () => {
  it('truncated at 60 points and with 200 random byte flips (pydicom CT_small.dcm)', async () => {
    const { dataPath } = await import('../../../../test/data.js');
    const p = dataPath('hardcases', 'pydicom', 'CT_small.dcm');
    const good = new Uint8Array(readFileSync(p));
    const anon = createAnonymiser(KEY);
    let refused = 0;
    const tryOne = (bytes: Uint8Array) => {
      try {
        anon.anonymiseSync(bytes, p);
      } catch (e) {
        if (!isScanError(e)) throw e;
        refused++;
      }
    };
    for (let i = 1; i <= 60; i++) tryOne(good.subarray(0, Math.floor((good.length * i) / 61)));
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 200; i++) {
      const b = good.slice();
      for (let j = 0; j < 4; j++) b[Math.floor(rnd() * 1200)] = Math.floor(rnd() * 256);
      tryOne(b);
    }
    expect(refused).toBeGreaterThan(30);
  });

  it('refuses sequences nested deeper than 64 levels', async () => {
    // Explicit VR LE dataset: 100 nested undefined-length sequences (0008,1140) with one item each.
    const head: number[] = [];
    for (let i = 0; i < 100; i++) head.push(0x08, 0x00, 0x40, 0x11, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff);
    const bytes = new Uint8Array([0x08, 0x00, 0x05, 0x00, 0x43, 0x53, 0x00, 0x00, ...head]);
    await expect(anonymiseDataset(bytes, 'deep.dcm', { key: KEY })).rejects.toThrow(/nested deeper than 64/);
  });
});
