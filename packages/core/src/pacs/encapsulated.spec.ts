import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPath } from '../../../../test/data.js';
import { parseDicomDataset } from '../dicom/parse-dataset.js';
import { parseDicomHeader } from '../dicom/parse.js';
import { ScanError } from '../errors.js';
import type { Mesh } from '../geometry/types.js';
import { readStl, writeStlAscii, writeStlBinary } from '../formats/stl.js';
import { ENCAPSULATED_PDF_STORAGE, ENCAPSULATED_STL_STORAGE, encapsulated3dModel, encapsulatedPdf, encapsulatedStl } from './encapsulated.js';
import type { PacsStudyRef } from './study-ref.js';

const PY = '/usr/bin/python3';
const CT3 = ['01.dcm', '02.dcm', '03.dcm'].map((f) => dataPath('hardcases/dcmqi-seg/ct-3slice', f));

function octahedron(r: number): Mesh {
  const positions = new Float32Array([r, 0, 0, -r, 0, 0, 0, r, 0, 0, -r, 0, 0, 0, r, 0, 0, -r]);
  const indices = new Uint32Array([0, 2, 4, 2, 1, 4, 1, 3, 4, 3, 0, 4, 2, 0, 5, 1, 2, 5, 3, 1, 5, 0, 3, 5]);
  return { positions, indices };
}

/** What pydicom (an independent reader) sees in an encapsulated document. */
function pydicomFacts(file: string): Record<string, unknown> {
  const out = execFileSync(PY, ['-c', `
import sys, json, hashlib, pydicom
ds = pydicom.dcmread(sys.argv[1])
doc = bytes(ds.EncapsulatedDocument)[:int(ds.EncapsulatedDocumentLength)]
print(json.dumps({
  'sopClass': str(ds.SOPClassUID), 'study': str(ds.StudyInstanceUID), 'modality': ds.Modality,
  'mime': ds.MIMETypeOfEncapsulatedDocument, 'length': int(ds.EncapsulatedDocumentLength),
  'sha256': hashlib.sha256(doc).hexdigest(), 'manufacturer': ds.Manufacturer,
  'for': str(ds.get('FrameOfReferenceUID', '')),
  'units': [c.CodeValue + '|' + c.CodingSchemeDesignator for c in ds.get('MeasurementUnitsCodeSequence', [])],
  'sources': len(ds.get('SourceInstanceSequence', [])), 'patientId': str(ds.PatientID),
}))
`, file], { encoding: 'utf8' });
  return JSON.parse(out);
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('Encapsulated STL and PDF', () => {
  let dir: string;
  let ref: PacsStudyRef;
  const stl = writeStlBinary(octahedron(20));

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 's2p-encap-'));
    const ct = CT3.map((f) => parseDicomHeader(new Uint8Array(readFileSync(f)), f)!);
    ref = {
      studyInstanceUid: ct[0]!.studyInstanceUid!,
      frameOfReferenceUid: ct[0]!.frameOfReferenceUid!,
      patientId: 'ANON-7f3a',
      patientName: 'ANON^7f3a',
      accessionNumber: 'ACC42',
      sourceSeriesUid: ct[0]!.seriesInstanceUid!,
      sourceInstances: ct.map((i) => ({ sopClassUid: i.sopClassUid!, sopInstanceUid: i.sopInstanceUid! })),
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes an Encapsulated STL with the IOD\'s required attributes, deterministic, that core reads back', () => {
    const a = encapsulatedStl(stl, ref, { uidRoot: '2.25.77', dateTime: '20261130120000' });
    expect(encapsulatedStl(stl, ref, { uidRoot: '2.25.77', dateTime: '20261130120000' }).bytes).toEqual(a.bytes);
    expect(a).toMatchObject({ sopClassUid: ENCAPSULATED_STL_STORAGE, sopInstanceUid: '2.25.77.2', seriesInstanceUid: '2.25.77.1' });
    const p = parseDicomDataset(a.bytes, 'stl.dcm')!;
    const d = p.dataSet;
    expect(p.metaSopClassUid).toBe(ENCAPSULATED_STL_STORAGE);
    expect(d.string('x00080016')).toBe('1.2.840.10008.5.1.4.1.1.104.3');
    expect(d.string('x00080060')).toBe('M3D');
    expect(d.string('x00080070')).toBe('scan2print');
    expect(d.string('x00081090')).toBe('scan2print');
    expect(d.string('x00181000')).toBeTruthy();
    expect(d.string('x00181020')).toBeTruthy();
    expect(d.string('x00200052')).toBe(ref.frameOfReferenceUid);
    expect(d.string('x0020000d')).toBe(ref.studyInstanceUid);
    expect(d.string('x00420012')).toBe('model/stl');
    expect(d.uint32('x00420015')).toBe(stl.length);
    const units = d.elements.x004008ea!.items![0]!.dataSet!;
    expect([units.string('x00080100'), units.string('x00080102')]).toEqual(['mm', 'UCUM']);
    const doc = d.elements.x00420011!;
    const back = a.bytes.subarray(doc.dataOffset, doc.dataOffset + d.uint32('x00420015')!);
    expect(readStl(back, 'back.stl').indices.length).toBe(24);
    expect(sha(back)).toBe(sha(stl));
    expect(d.elements.x00420013!.items).toHaveLength(3);
  });

  it('is read by dcmdump and pydicom: class, MIME type, length, units, frame of reference, the STL bytes', () => {
    const a = encapsulatedStl(stl, ref, { uidRoot: '2.25.77', dateTime: '20261130120000' });
    const file = join(dir, 'stl.dcm');
    writeFileSync(file, a.bytes);
    const dump = spawnSync('dcmdump', [file], { encoding: 'utf8' });
    expect(dump.status).toBe(0);
    expect(dump.stderr).toBe('');
    expect(dump.stdout).toMatch(/\(0008,0016\) UI =EncapsulatedSTLStorage/);
    expect(dump.stdout).toMatch(/\(0042,0012\) LO \[model\/stl\]/);
    expect(dump.stdout).toMatch(new RegExp(`\\(0042,0015\\) UL ${stl.length}\\b`));
    expect(dump.stdout).toMatch(/\(0008,0100\) SH \[mm\]/);
    expect(dump.stdout).toMatch(/\(0008,0102\) SH \[UCUM\]/);
    expect(pydicomFacts(file)).toEqual({
      sopClass: ENCAPSULATED_STL_STORAGE, study: ref.studyInstanceUid, modality: 'M3D', mime: 'model/stl', length: stl.length, sha256: sha(stl),
      manufacturer: 'scan2print', for: ref.frameOfReferenceUid, units: ['mm|UCUM'], sources: 3, patientId: 'ANON-7f3a',
    });
  });

  it('keeps the true length of an odd-sized (ASCII) model beside the padded element', () => {
    let ascii = writeStlAscii(octahedron(3), { name: 'odd' });
    if (ascii.length % 2 === 0) ascii = new Uint8Array([...ascii, 0x0a]);
    const a = encapsulated3dModel('stl', ascii, ref, { uidRoot: '2.25.78', dateTime: '20261130120000' });
    const file = join(dir, 'odd.dcm');
    writeFileSync(file, a.bytes);
    const py = pydicomFacts(file);
    expect(py.length).toBe(ascii.length);
    expect(py.sha256).toBe(sha(ascii));
  });

  it('refuses a model without a frame of reference, bytes that are not STL, a bad UID', () => {
    const noFor = { ...ref, frameOfReferenceUid: undefined } as PacsStudyRef;
    expect(() => encapsulatedStl(stl, noFor)).toThrowError(ScanError);
    expect(() => encapsulatedStl(stl, noFor)).toThrowError(/FrameOfReferenceUID/);
    expect(() => encapsulatedStl(new Uint8Array(100), ref)).toThrowError(/neither a binary STL/);
    expect(() => encapsulatedStl(stl, { ...ref, studyInstanceUid: '1.2.03' })).toThrowError(/not a valid DICOM UID/);
    expect(() => encapsulatedStl(stl, ref, { dateTime: '2026' })).toThrowError(/YYYYMMDDhhmmss/);
  });

  it('writes an Encapsulated PDF (Modality DOC) that dcmdump and pydicom read, with the PDF intact', () => {
    const pdf = new TextEncoder().encode('%PDF-1.7\n% a tiny stand-in: the renderer has its own spec\n%%EOF\n');
    const a = encapsulatedPdf(pdf, ref, { uidRoot: '2.25.79', dateTime: '20261130120000' });
    const file = join(dir, 'pdf.dcm');
    writeFileSync(file, a.bytes);
    const dump = spawnSync('dcmdump', [file], { encoding: 'utf8' });
    expect(dump.status).toBe(0);
    expect(dump.stderr).toBe('');
    expect(dump.stdout).toMatch(/\(0008,0016\) UI =EncapsulatedPDFStorage/);
    expect(dump.stdout).toMatch(/\(0042,0012\) LO \[application\/pdf\]/);
    expect(pydicomFacts(file)).toMatchObject({ sopClass: ENCAPSULATED_PDF_STORAGE, modality: 'DOC', mime: 'application/pdf', length: pdf.length, sha256: sha(pdf), study: ref.studyInstanceUid });
    expect(() => encapsulatedPdf(new Uint8Array([1, 2, 3]), ref)).toThrowError(/%PDF-/);
  });
});
