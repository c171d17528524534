/**
 * Writes a CT Image Storage series (one Part 10 file per slice, explicit VR little
 * endian, signed 16-bit, rescale 1/0 so stored values are HU) from slices we generate:
 * the demo head and the validation phantoms, with the project's Part 10 encoder. Deterministic: UIDs derive from `uidRoot`, dates are given by the caller.
 */
import type { Vec3 } from '../geometry/grid.js';
import { SCAN2PRINT_VERSION } from '../version.js';
import { encodePart10, formatDS, type DicomElement } from './dicom-encode.js';
import { SCAN2PRINT_IMPLEMENTATION_UID } from './dicom-seg.js';

export interface CtSlice {
  /** rows × columns HU values, row-major (column index fastest). */
  hu: Float32Array;
  imagePositionPatient: Vec3;
}

export interface CtSeriesOptions {
  rows: number;
  columns: number;
  /** [row spacing, column spacing] in mm (DICOM PixelSpacing order). */
  pixelSpacing: [number, number];
  /** Row direction then column direction cosines (DICOM ImageOrientationPatient). */
  imageOrientationPatient: [number, number, number, number, number, number];
  sliceThickness: number;
  /** Numeric UID root, e.g. "2.25.1234…"; every UID in the series derives from it. */
  uidRoot: string;
  /** YYYYMMDD */
  studyDate: string;
  patientName?: string;
  patientId?: string;
  seriesDescription?: string;
  seriesNumber?: number;
  manufacturer?: string;
  kvp?: number;
  convolutionKernel?: string;
  gantryDetectorTilt?: number;
}

const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

const ds = (xs: number[]) => xs.map(formatDS);

export function writeCtSeries(slices: CtSlice[], o: CtSeriesOptions): Uint8Array[] {
  const study = `${o.uidRoot}.1`;
  const series = `${o.uidRoot}.2`;
  const frame = `${o.uidRoot}.3`;
  return slices.map((s, k) => {
    const n = o.rows * o.columns;
    if (s.hu.length !== n) throw new Error(`slice ${k}: expected ${n} values, got ${s.hu.length}`);
    const px = new Int16Array(n);
    for (let i = 0; i < n; i++) px[i] = Math.max(-32768, Math.min(32767, Math.round(s.hu[i]!)));
    const sop = `${o.uidRoot}.4.${k + 1}`;
    const elements: DicomElement[] = [
      [0x00080005, 'CS', 'ISO_IR 100'],
      [0x00080008, 'CS', ['ORIGINAL', 'PRIMARY', 'AXIAL']],
      [0x00080016, 'UI', CT_IMAGE_STORAGE],
      [0x00080018, 'UI', sop],
      [0x00080020, 'DA', o.studyDate],
      [0x00080021, 'DA', o.studyDate],
      [0x00080030, 'TM', '120000'],
      [0x00080060, 'CS', 'CT'],
      [0x00080070, 'LO', o.manufacturer ?? 'scan2print synthetic'],
      [0x0008103e, 'LO', o.seriesDescription ?? 'scan2print synthetic CT'],
      [0x00081090, 'LO', `scan2print ${SCAN2PRINT_VERSION}`],
      [0x00100010, 'PN', o.patientName ?? 'PHANTOM^SYNTHETIC'],
      [0x00100020, 'LO', o.patientId ?? 'PHANTOM'],
      [0x00100030, 'DA', ''],
      [0x00100040, 'CS', 'O'],
      [0x00180050, 'DS', formatDS(o.sliceThickness)],
      [0x00180060, 'DS', formatDS(o.kvp ?? 120)],
      [0x00181120, 'DS', formatDS(o.gantryDetectorTilt ?? 0)],
      [0x00181210, 'SH', o.convolutionKernel ?? 'SYNTHETIC'],
      [0x00185100, 'CS', 'HFS'],
      [0x0020000d, 'UI', study],
      [0x0020000e, 'UI', series],
      [0x00200010, 'SH', '1'],
      [0x00200011, 'IS', String(o.seriesNumber ?? 1)],
      [0x00200013, 'IS', String(k + 1)],
      [0x00200032, 'DS', ds([...s.imagePositionPatient])],
      [0x00200037, 'DS', ds([...o.imageOrientationPatient])],
      [0x00200052, 'UI', frame],
      [0x00280002, 'US', 1],
      [0x00280004, 'CS', 'MONOCHROME2'],
      [0x00280010, 'US', o.rows],
      [0x00280011, 'US', o.columns],
      [0x00280030, 'DS', ds([...o.pixelSpacing])],
      [0x00280100, 'US', 16],
      [0x00280101, 'US', 16],
      [0x00280102, 'US', 15],
      [0x00280103, 'US', 1],
      [0x00281052, 'DS', '0'],
      [0x00281053, 'DS', '1'],
      [0x00281054, 'LO', 'HU'],
      [0x7fe00010, 'OW', new Uint8Array(px.buffer)],
    ];
    return encodePart10(
      { sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: sop, implementationClassUid: SCAN2PRINT_IMPLEMENTATION_UID, implementationVersion: `SCAN2PRINT_${SCAN2PRINT_VERSION}`.slice(0, 16) },
      elements,
    );
  });
}
