/**
 * Encapsulated documents for the PACS (PS3.3 A.45 Encapsulated PDF, A.85 Encapsulated
 * STL/OBJ/MTL): the file's bytes in (0042,0011), its length and MIME type beside them, filed
 * in the source study. Written with core's own Part 10 encoder (Explicit VR Little Endian,
 * defined lengths), so the bytes are fully determined by the input, the UIDs and the date.
 *
 * A 3D model is in the source CT's patient coordinates (LPS, mm): its Frame of Reference UID
 * is the CT's, and the Manufacturing 3D Model module says the unit is the millimetre.
 */
import { usageError } from '../errors.js';
import { encodePart10, type DicomElement } from '../formats/dicom-encode.js';
import { newUidRoot, SCAN2PRINT_IMPLEMENTATION_UID } from '../formats/dicom-seg.js';
import { SCAN2PRINT_VERSION } from '../version.js';
import { checkUid, dicomDateTime, patientStudyElements, sourceElements, type PacsObjectOptions, type PacsStudyRef } from './study-ref.js';

export const ENCAPSULATED_PDF_STORAGE = '1.2.840.10008.5.1.4.1.1.104.1';
export const ENCAPSULATED_STL_STORAGE = '1.2.840.10008.5.1.4.1.1.104.3';
export const ENCAPSULATED_OBJ_STORAGE = '1.2.840.10008.5.1.4.1.1.104.4';
export const ENCAPSULATED_MTL_STORAGE = '1.2.840.10008.5.1.4.1.1.104.5';

export type ModelKind = 'stl' | 'obj' | 'mtl';

const MODEL_CLASSES: Record<ModelKind, { sopClassUid: string; mime: string; title: string }> = {
  stl: { sopClassUid: ENCAPSULATED_STL_STORAGE, mime: 'model/stl', title: 'scan2print 3D model (STL)' },
  obj: { sopClassUid: ENCAPSULATED_OBJ_STORAGE, mime: 'model/obj', title: 'scan2print 3D model (OBJ)' },
  mtl: { sopClassUid: ENCAPSULATED_MTL_STORAGE, mime: 'model/mtl', title: 'scan2print 3D model materials (MTL)' },
};

/** UCUM millimetre, the Measurement Units Code Sequence item of every model we write. */
const UCUM_MM: DicomElement[] = [
  [0x00080100, 'SH', 'mm'],
  [0x00080102, 'SH', 'UCUM'],
  [0x00080104, 'LO', 'millimeter'],
];

export interface EncapsulatedResult {
  bytes: Uint8Array;
  sopClassUid: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
}

interface Common {
  who: string;
  sopClassUid: string;
  modality: string;
  mime: string;
  title: string;
  doc: Uint8Array;
  extra: DicomElement[];
}

function encapsulate(ref: PacsStudyRef, opts: PacsObjectOptions, c: Common): EncapsulatedResult {
  if (c.doc.length === 0) throw usageError('EMPTY_DOCUMENT', `${c.who}: the document to encapsulate is empty`);
  // (0042,0011) is OB with a 32-bit length; an odd length is padded, (0042,0015) keeps the true one.
  if (c.doc.length > 0xfffffffd) throw usageError('DOCUMENT_TOO_LARGE', `${c.who}: ${c.doc.length} bytes do not fit one DICOM element`);
  const root = opts.uidRoot ?? newUidRoot();
  const seriesUid = checkUid(`${root}.1`, 'SeriesInstanceUID', c.who);
  const sopUid = checkUid(`${root}.2`, 'SOPInstanceUID', c.who);
  const { date, time } = dicomDateTime(opts.dateTime, c.who);
  const ds: DicomElement[] = [
    ...patientStudyElements(ref, c.who),
    ...sourceElements(ref),
    ...c.extra,
    // SOP Common
    [0x00080005, 'CS', 'ISO_IR 192'],
    [0x00080012, 'DA', date],
    [0x00080013, 'TM', time],
    [0x00080016, 'UI', c.sopClassUid],
    [0x00080018, 'UI', sopUid],
    // Encapsulated Document Series
    [0x00080021, 'DA', date],
    [0x00080031, 'TM', time],
    [0x00080060, 'CS', c.modality],
    [0x0008103e, 'LO', (opts.seriesDescription ?? c.title).slice(0, 64)],
    [0x0020000e, 'UI', seriesUid],
    [0x00200011, 'IS', opts.seriesNumber ?? 9100],
    // General / Enhanced General Equipment (all type 1 for the 3D model IODs)
    [0x00080070, 'LO', 'scan2print'],
    [0x00081090, 'LO', (opts.modelName ?? 'scan2print').slice(0, 64)],
    [0x00181000, 'LO', (opts.deviceSerialNumber ?? 'none').slice(0, 64)],
    [0x00181020, 'LO', SCAN2PRINT_VERSION],
    // Encapsulated Document
    [0x00080023, 'DA', date],
    [0x00080033, 'TM', time],
    [0x0008002a, 'DT', ''],
    [0x00200013, 'IS', opts.instanceNumber ?? 1],
    [0x00280301, 'CS', 'NO'],
    [0x00420010, 'ST', (opts.documentTitle ?? c.title).slice(0, 1024)],
    [0x0040a043, 'SQ', []],
    [0x00420011, 'OB', c.doc],
    [0x00420012, 'LO', c.mime],
    [0x00420015, 'UL', c.doc.length],
  ];
  const bytes = encodePart10(
    { sopClassUid: c.sopClassUid, sopInstanceUid: sopUid, implementationClassUid: SCAN2PRINT_IMPLEMENTATION_UID, implementationVersion: `SCAN2PRINT_${SCAN2PRINT_VERSION}` },
    ds,
  );
  return { bytes, sopClassUid: c.sopClassUid, sopInstanceUid: sopUid, seriesInstanceUid: seriesUid };
}

/** Whether `bytes` look like a binary STL (80-byte header, count, 50 bytes per triangle) or an ASCII one. */
function checkStl(bytes: Uint8Array, who: string): void {
  if (bytes.length >= 84) {
    const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(80, true);
    if (84 + 50 * n === bytes.length) return;
  }
  const head = String.fromCharCode(...bytes.subarray(0, Math.min(bytes.length, 6)));
  if (head.startsWith('solid')) return;
  throw usageError('NOT_STL', `${who}: the model is neither a binary STL (length ${bytes.length} does not match its triangle count) nor an ASCII one`);
}

/**
 * An Encapsulated STL/OBJ/MTL instance (PS3.3 A.85): Modality M3D, the source CT's Frame of
 * Reference, units mm. `ref.frameOfReferenceUid` is required: a model without it cannot be
 * placed on the images it came from.
 */
export function encapsulated3dModel(kind: ModelKind, bytes: Uint8Array, ref: PacsStudyRef, opts: PacsObjectOptions = {}): EncapsulatedResult {
  const who = `encapsulated ${kind.toUpperCase()}`;
  const cls = MODEL_CLASSES[kind];
  if (!ref.frameOfReferenceUid) throw usageError('NO_FRAME_OF_REFERENCE', `${who}: the source series has no FrameOfReferenceUID; the model cannot be placed in its study`);
  checkUid(ref.frameOfReferenceUid, 'FrameOfReferenceUID', who);
  if (kind === 'stl') checkStl(bytes, who);
  const extra: DicomElement[] = [
    // Frame of Reference
    [0x00200052, 'UI', ref.frameOfReferenceUid],
    [0x00201040, 'LO', ''],
    // Manufacturing 3D Model: 1:1 in millimetres, neither altered nor mirrored from the scan.
    [0x004008ea, 'SQ', [UCUM_MM]],
    [0x00687001, 'CS', 'NO'],
    [0x00687002, 'CS', 'NO'],
  ];
  return encapsulate(ref, opts, { who, sopClassUid: cls.sopClassUid, modality: 'M3D', mime: cls.mime, title: cls.title, doc: bytes, extra });
}

/** An Encapsulated STL instance (SOP class 1.2.840.10008.5.1.4.1.1.104.3). */
export function encapsulatedStl(stlBytes: Uint8Array, ref: PacsStudyRef, opts: PacsObjectOptions = {}): EncapsulatedResult {
  return encapsulated3dModel('stl', stlBytes, ref, opts);
}

/** An Encapsulated PDF instance (SOP class 1.2.840.10008.5.1.4.1.1.104.1), Modality DOC. */
export function encapsulatedPdf(pdfBytes: Uint8Array, ref: PacsStudyRef, opts: PacsObjectOptions = {}): EncapsulatedResult {
  const who = 'encapsulated PDF';
  if (String.fromCharCode(...pdfBytes.subarray(0, 5)) !== '%PDF-') throw usageError('NOT_PDF', `${who}: the document does not start with %PDF-`);
  // SC Equipment: made on a workstation, not acquired.
  // The Encapsulated PDF IOD has no Frame of Reference module: none is written.
  const extra: DicomElement[] = [[0x00080064, 'CS', 'WSD']];
  return encapsulate(ref, { seriesNumber: 9102, ...opts }, { who, sopClassUid: ENCAPSULATED_PDF_STORAGE, modality: 'DOC', mime: 'application/pdf', title: 'scan2print model report (ISO/IEC 3532-1)', doc: pdfBytes, extra });
}
