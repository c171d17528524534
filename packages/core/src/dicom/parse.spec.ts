import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dataPath } from '../../../../test/data.js';
import { ScanError } from '../errors.js';
import { parseDicomHeader } from './parse.js';
import { transferSyntaxInfo } from './transfer-syntax.js';

const hard = (...p: string[]): string => dataPath('hardcases', ...p);
const read = (p: string): Uint8Array => new Uint8Array(readFileSync(p));
const header = (rel: string) => {
  const inst = parseDicomHeader(read(hard(rel)), rel);
  if (!inst) throw new Error(`${rel} not recognised as DICOM`);
  return inst;
};

describe('parseDicomHeader', () => {
  it('reads a classic CT header (values as dcmdump prints them)', () => {
    const i = header('pydicom/CT_small.dcm');
    expect(i.transferSyntaxUid).toBe('1.2.840.10008.1.2.1');
    expect(i.modality).toBe('CT');
    expect([i.rows, i.columns, i.bitsAllocated, i.bitsStored, i.highBit, i.pixelRepresentation]).toEqual([128, 128, 16, 16, 15, 1]);
    expect(i.imagePositionPatient).toEqual([-158.135803, -179.035797, -75.699997]);
    expect(i.imageOrientationPatient).toEqual([1, 0, 0, 0, 1, 0]);
    expect(i.pixelSpacing).toEqual([0.661468, 0.661468]);
    expect(i.sliceThickness).toBe(5);
    expect([i.rescaleSlope, i.rescaleIntercept]).toEqual([1, -1024]);
    expect(i.pixelPaddingValue).toBe(-2000); // SS
    expect(i.imageType).toEqual(['ORIGINAL', 'PRIMARY', 'AXIAL']);
    expect(i.acquisition).toMatchObject({
      manufacturer: 'GE MEDICAL SYSTEMS',
      manufacturerModelName: 'RHAPSODE',
      kvp: 120,
      exposure_mAs: 170,
      xRayTubeCurrent_mA: 170,
      exposureTime_ms: 1601,
      convolutionKernel: 'STANDARD',
      gantryDetectorTilt_deg: 0,
      studyDate: '20040119',
      patientPosition: 'FFS',
    });
    expect(i.hasPixelData).toBe(true);
    expect(i.numberOfFrames).toBe(1);
  });

  it('resolves Enhanced CT shared + per-frame functional groups into frames[]', () => {
    const i = header('pydicom/eCT_Supplemental.dcm');
    expect(i.numberOfFrames).toBe(2);
    expect(i.frames).toHaveLength(2);
    expect(i.frames![0]).toMatchObject({
      imagePositionPatient: [99.5, -301.5, -159],
      imageOrientationPatient: [-1, 0, 0, 0, 1, 0],
      pixelSpacing: [0.388672, 0.388672],
      sliceThickness: 10,
      rescaleSlope: 1,
      rescaleIntercept: -1024,
    });
    expect(i.frames![1]!.imagePositionPatient).toEqual([99.5, -301.5, -149]);
    // The top level lacks geometry and rescale: filled from frame 0 / the shared group.
    expect(i.imagePositionPatient).toEqual([99.5, -301.5, -159]);
    expect(i.rescaleIntercept).toBe(-1024);
  });

  it('reads files without preamble and meta (explicit LE, explicit BE, a stray leading byte)', () => {
    const le = header('pydicom/ExplVR_LitEndNoMeta.dcm');
    const be = header('pydicom/ExplVR_BigEndNoMeta.dcm');
    expect(le.transferSyntaxUid).toBe('1.2.840.10008.1.2.1');
    expect(be.transferSyntaxUid).toBe('1.2.840.10008.1.2.2');
    expect(be.modality).toBe('RTPLAN');
    expect(be.studyInstanceUid).toBe(le.studyInstanceUid);
    expect(be.hasPixelData).toBe(false);
    // no_meta.dcm is CT_small.dcm's dataset, preceded by the meta's last padding byte.
    const nm = header('pydicom/no_meta.dcm');
    const ref = header('pydicom/CT_small.dcm');
    expect(nm.sopInstanceUid).toBe(ref.sopInstanceUid);
    expect(nm.imagePositionPatient).toEqual(ref.imagePositionPatient);
    expect(nm.parseWarnings?.join(' ')).toMatch(/stray byte/);
  });

  it('reads implicit VR, big endian and deflated datasets to the same header', () => {
    const base = header('cornerstone-ct-ts/CTImage.dcm');
    for (const rel of [
      'cornerstone-ct-ts/CTImage.dcm_BigEndianExplicitTransferSyntax_1.2.840.10008.1.2.2.dcm',
      'cornerstone-ct-ts/CTImage.dcm_DeflatedExplicitVRLittleEndianTransferSyntax_1.2.840.10008.1.2.1.99.dcm',
      'cornerstone-ct-ts/CTImage.dcm_LittleEndianImplicitTransferSyntax_1.2.840.10008.1.2.dcm',
    ]) {
      const i = header(rel);
      expect(i.imagePositionPatient, rel).toEqual(base.imagePositionPatient);
      expect(i.pixelSpacing, rel).toEqual(base.pixelSpacing);
      expect([i.rows, i.columns, i.pixelRepresentation, i.rescaleIntercept, i.pixelPaddingValue], rel).toEqual([
        base.rows,
        base.columns,
        base.pixelRepresentation,
        base.rescaleIntercept,
        base.pixelPaddingValue,
      ]);
    }
  });

  it('reads the Modality LUT Sequence (descriptor 4096\\-2048\\16)', () => {
    const i = header('pydicom/mlut_18.dcm');
    expect(i.modalityLut).toBeDefined();
    expect(i.modalityLut!.firstMapped).toBe(-2048);
    expect(i.modalityLut!.bits).toBe(16);
    expect(i.modalityLut!.data.length).toBe(4096);
    expect(Array.from(i.modalityLut!.data.slice(0, 4))).toEqual([0, 16, 32, 48]);
  });

  it('returns null for bytes that are not DICOM', () => {
    expect(parseDicomHeader(read(hard('pydicom/README.txt')), 'README.txt')).toBeNull();
    expect(parseDicomHeader(read(hard('wg04-ct/MANIFEST.files.json')), 'MANIFEST.files.json')).toBeNull();
    expect(parseDicomHeader(new Uint8Array(0), 'empty')).toBeNull();
    expect(parseDicomHeader(new Uint8Array(200), 'zeros')).toBeNull();
  });

  it('refuses corrupt DICOM with a ScanError naming the file', () => {
    const cases: Array<[string, string]> = [
      ['pydicom/MR_truncated.dcm', 'TRUNCATED_PIXEL_DATA'],
      ['pydicom/rtplan_truncated.dcm', 'MALFORMED_DICOM'],
      ['pydicom/meta_missing_tsyntax.dcm', 'MALFORMED_DICOM'],
    ];
    for (const [rel, code] of cases) {
      let err: unknown;
      try {
        parseDicomHeader(read(hard(rel)), rel);
      } catch (e) {
        err = e;
      }
      expect(err, rel).toBeInstanceOf(ScanError);
      expect((err as ScanError).code, rel).toBe(code);
      expect((err as ScanError).kind).toBe('input');
      expect((err as ScanError).message).toContain(rel);
    }
  });

  it('refuses a Part 10 file cut inside the meta group or right after it', () => {
    const bytes = read(hard('pydicom/CT_small.dcm'));
    expect(() => parseDicomHeader(bytes.subarray(0, 150), 'cut-meta.dcm')).toThrow(/cut-meta\.dcm: file meta information is truncated/);
    const metaEnd = 132 + 12 + 192; // (0002,0000) = 192
    expect(() => parseDicomHeader(bytes.subarray(0, metaEnd), 'no-dataset.dcm')).toThrow(/no-dataset\.dcm: .*no dataset/);
  });
});

describe('parseDicomHeader on hostile headers', () => {
  it('refuses a NumberOfFrames that disagrees with the per-frame functional groups', () => {
    const bytes = read(hard('pydicom/eCT_Supplemental.dcm')).slice();
    // (0028,0008) IS, explicit VR LE: 28 00 08 00 'I' 'S' len16 value
    const tag = [0x28, 0x00, 0x08, 0x00, 0x49, 0x53];
    let at = -1;
    for (let i = 0; i < bytes.length - 6 && at < 0; i++) if (tag.every((b, k) => bytes[i + k] === b)) at = i;
    expect(at).toBeGreaterThan(0);
    expect(String.fromCharCode(bytes[at + 8]!)).toBe('2');
    bytes[at + 8] = '7'.charCodeAt(0);
    expect(() => parseDicomHeader(bytes, 'frames7.dcm')).toThrow(/frames7\.dcm: NumberOfFrames is 7 but the Per-Frame Functional Groups hold 2 items/);
  });
});

describe('transferSyntaxInfo', () => {
  it('names retired and unknown syntaxes as unsupported', () => {
    expect(transferSyntaxInfo('1.2.840.10008.1.2.4.53')).toMatchObject({ supported: false, encapsulated: false });
    expect(transferSyntaxInfo('1.2.840.10008.1.2.4.55').name).toMatch(/Full Progression/);
    expect(transferSyntaxInfo('1.2.3.4').supported).toBe(false);
    expect(transferSyntaxInfo('1.2.840.10008.1.2.4.90')).toMatchObject({ supported: true, encapsulated: true, codec: 'jpeg2000' });
    expect(transferSyntaxInfo('1.2.840.10008.1.2.2')).toMatchObject({ supported: true, encapsulated: false, bigEndian: true });
  });
});
