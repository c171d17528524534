import type { DataSet } from 'dicom-parser';
import type { Vec3 } from '../geometry/grid.js';
import { inputError, isScanError } from '../errors.js';
import type { AcquisitionInfo, DicomInstance, FrameInfo } from './types.js';
import { parseDicomDataset, PIXEL_DATA_TAG, rememberParsed } from './parse-dataset.js';
import type { ParsedDataset } from './parse-dataset.js';
import { fd, num, nums, seqItem, seqLength, str, strList, us, us16Signed } from './parse-values.js';

export { parseDicomDataset } from './parse-dataset.js';
export type { ParsedDataset } from './parse-dataset.js';

/**
 * DicomInstance from one file's bytes (see types.ts for the fields).
 *
 * Returns null when the bytes are not DICOM (the caller skips and counts such files);
 * throws ScanError (kind 'input': MALFORMED_DICOM, TRUNCATED_PIXEL_DATA) for DICOM that
 * is corrupt. For Enhanced (multi-frame) objects the shared and per-frame functional
 * groups are resolved into `frames[]` (per-frame wins over shared), and the top-level
 * geometry/rescale fields are filled from frame 0 / the shared group when the dataset
 * lacks them, so single-frame code reading the top level sees sensible values.
 */
export function parseDicomHeader(bytes: Uint8Array, file: string): DicomInstance | null {
  const parsed = parseDicomDataset(bytes, file);
  if (!parsed) return null;
  const inst = instanceFromDataset(parsed, file);
  rememberParsed(bytes, parsed);
  return inst;
}

const T = {
  sopClassUid: 'x00080016',
  sopInstanceUid: 'x00080018',
  imageType: 'x00080008',
  studyDate: 'x00080020',
  modality: 'x00080060',
  manufacturer: 'x00080070',
  modelName: 'x00081090',
  bodyPart: 'x00180015',
  sliceThickness: 'x00180050',
  kvp: 'x00180060',
  spacingBetweenSlices: 'x00180088',
  gantryTilt: 'x00181120',
  exposureTime: 'x00181150',
  tubeCurrent: 'x00181151',
  exposure: 'x00181152',
  exposureUas: 'x00181153',
  kernel: 'x00181210',
  patientPosition: 'x00185100',
  studyUid: 'x0020000d',
  seriesUid: 'x0020000e',
  seriesNumber: 'x00200011',
  instanceNumber: 'x00200013',
  ipp: 'x00200032',
  iop: 'x00200037',
  frameOfReferenceUid: 'x00200052',
  seriesDescription: 'x0008103e',
  samplesPerPixel: 'x00280002',
  photometric: 'x00280004',
  numberOfFrames: 'x00280008',
  rows: 'x00280010',
  columns: 'x00280011',
  pixelSpacing: 'x00280030',
  bitsAllocated: 'x00280100',
  bitsStored: 'x00280101',
  highBit: 'x00280102',
  pixelRepresentation: 'x00280103',
  paddingValue: 'x00280120',
  paddingRangeLimit: 'x00280121',
  rescaleIntercept: 'x00281052',
  rescaleSlope: 'x00281053',
  rescaleType: 'x00281054',
  burnedIn: 'x00280301',
  lossyCompression: 'x00282110',
  modalityLutSeq: 'x00283000',
  lutDescriptor: 'x00283002',
  lutData: 'x00283006',
  // Enhanced multi-frame functional groups (PS3.3 C.7.6.16)
  sharedFg: 'x52009229',
  perFrameFg: 'x52009230',
  pixelMeasuresSeq: 'x00289110',
  planePositionSeq: 'x00209113',
  planeOrientationSeq: 'x00209116',
  pixelValueTransformSeq: 'x00289145',
  ctAcquisitionDetailsSeq: 'x00189304',
  ctReconstructionSeq: 'x00189314',
  ctExposureSeq: 'x00189321',
  ctXRayDetailsSeq: 'x00189325',
  exposureTimeMs: 'x00189328',
  tubeCurrentMa: 'x00189330',
  exposureMas: 'x00189332',
} as const;

function vec3(v: number[] | undefined): Vec3 | undefined {
  return v ? [v[0]!, v[1]!, v[2]!] : undefined;
}

function iop(ds: DataSet | undefined): DicomInstance['imageOrientationPatient'] {
  const v = ds ? nums(ds, T.iop, 6) : undefined;
  return v ? [v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!] : undefined;
}

function spacing(ds: DataSet | undefined): [number, number] | undefined {
  const v = ds ? nums(ds, T.pixelSpacing, 2) : undefined;
  return v ? [v[0]!, v[1]!] : undefined;
}

function set<K extends keyof FrameInfo>(target: FrameInfo, key: K, value: FrameInfo[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

/** One functional-group item (shared or per-frame) → the FrameInfo fields it carries. */
function frameInfoFrom(fg: DataSet | undefined): FrameInfo {
  const f: FrameInfo = {};
  if (!fg) return f;
  const pm = seqItem(fg, T.pixelMeasuresSeq);
  set(f, 'pixelSpacing', spacing(pm));
  set(f, 'sliceThickness', pm ? num(pm, T.sliceThickness) : undefined);
  set(f, 'imagePositionPatient', vec3(seqItem(fg, T.planePositionSeq) && nums(seqItem(fg, T.planePositionSeq)!, T.ipp, 3)));
  set(f, 'imageOrientationPatient', iop(seqItem(fg, T.planeOrientationSeq)));
  const pvt = seqItem(fg, T.pixelValueTransformSeq);
  set(f, 'rescaleSlope', pvt ? num(pvt, T.rescaleSlope) : undefined);
  set(f, 'rescaleIntercept', pvt ? num(pvt, T.rescaleIntercept) : undefined);
  return f;
}

/** Resolves shared + per-frame functional groups; undefined for classic objects. */
function resolveFrames(ds: DataSet, numberOfFrames: number): FrameInfo[] | undefined {
  const shared = seqItem(ds, T.sharedFg);
  const perCount = seqLength(ds, T.perFrameFg);
  if (!shared && perCount === 0) return undefined;
  const base = frameInfoFrom(shared);
  const frames: FrameInfo[] = [];
  for (let i = 0; i < numberOfFrames; i++) {
    const own = frameInfoFrom(seqItem(ds, T.perFrameFg, i));
    frames.push({ ...base, ...own });
  }
  return frames;
}

/** A value from a functional-group macro sequence: shared group first, then frame 0. */
function fgValue(ds: DataSet, seqTag: string, read: (item: DataSet) => number | string | undefined): number | string | undefined {
  for (const fg of [seqItem(ds, T.sharedFg), seqItem(ds, T.perFrameFg, 0)]) {
    const item = seqItem(fg, seqTag);
    const v = item ? read(item) : undefined;
    if (v !== undefined) return v;
  }
  return undefined;
}

function acquisitionInfo(ds: DataSet): AcquisitionInfo {
  const a: AcquisitionInfo = {};
  const put = <K extends keyof AcquisitionInfo>(k: K, v: AcquisitionInfo[K] | undefined): void => {
    if (v !== undefined) a[k] = v;
  };
  put('manufacturer', str(ds, T.manufacturer));
  put('manufacturerModelName', str(ds, T.modelName));
  put('kvp', num(ds, T.kvp) ?? (fgValue(ds, T.ctXRayDetailsSeq, (i) => num(i, T.kvp)) as number | undefined));
  const uAs = num(ds, T.exposureUas);
  put(
    'exposure_mAs',
    num(ds, T.exposure) ?? (uAs !== undefined ? uAs / 1000 : undefined) ?? (fgValue(ds, T.ctExposureSeq, (i) => fd(i, T.exposureMas)) as number | undefined),
  );
  put('xRayTubeCurrent_mA', num(ds, T.tubeCurrent) ?? (fgValue(ds, T.ctExposureSeq, (i) => fd(i, T.tubeCurrentMa)) as number | undefined));
  put('exposureTime_ms', num(ds, T.exposureTime) ?? (fgValue(ds, T.ctExposureSeq, (i) => fd(i, T.exposureTimeMs)) as number | undefined));
  put('convolutionKernel', strList(ds, T.kernel)?.join('\\') ?? (fgValue(ds, T.ctReconstructionSeq, (i) => strList(i, T.kernel)?.join('\\')) as string | undefined));
  put('gantryDetectorTilt_deg', num(ds, T.gantryTilt) ?? (fgValue(ds, T.ctAcquisitionDetailsSeq, (i) => num(i, T.gantryTilt)) as number | undefined));
  put('studyDate', str(ds, T.studyDate));
  put('bodyPartExamined', str(ds, T.bodyPart));
  put('patientPosition', str(ds, T.patientPosition));
  return a;
}

function modalityLut(ds: DataSet, signed: boolean, file: string): DicomInstance['modalityLut'] {
  const item = seqItem(ds, T.modalityLutSeq);
  if (!item) return undefined;
  const entriesRaw = us(item, T.lutDescriptor, 0);
  const firstMapped = us16Signed(item, T.lutDescriptor, signed, 1);
  const bits = us(item, T.lutDescriptor, 2);
  const dataEl = item.elements[T.lutData];
  if (entriesRaw === undefined || firstMapped === undefined || bits === undefined || !dataEl) {
    throw inputError('MALFORMED_DICOM', 'Modality LUT Sequence lacks LUTDescriptor or LUTData', file);
  }
  const entries = entriesRaw === 0 ? 65536 : entriesRaw; // PS3.3 C.11.1.1: 0 means 2^16
  const byteArray = item.byteArray;
  if (bits <= 8 && dataEl.length === entries) {
    return { firstMapped, bits, data: byteArray.slice(dataEl.dataOffset, dataEl.dataOffset + entries) };
  }
  if (dataEl.length < entries * 2) {
    throw inputError('MALFORMED_DICOM', `Modality LUT has ${entries} entries but LUTData holds ${dataEl.length} bytes`, file);
  }
  const data = new Uint16Array(entries);
  for (let i = 0; i < entries; i++) data[i] = item.byteArrayParser.readUint16(byteArray, dataEl.dataOffset + 2 * i);
  return { firstMapped, bits, data };
}

/** Builds the DicomInstance from a parsed dataset (exported for callers that parse once). */
export function instanceFromDataset(parsed: ParsedDataset, file: string): DicomInstance {
  const ds = parsed.dataSet;
  const pixelRepresentation = us(ds, T.pixelRepresentation);
  const signed = pixelRepresentation === 1;
  const nf = num(ds, T.numberOfFrames);
  const numberOfFrames = nf !== undefined && nf >= 1 ? Math.floor(nf) : 1;

  const inst: DicomInstance = {
    file,
    transferSyntaxUid: parsed.transferSyntaxUid,
    numberOfFrames,
    acquisition: acquisitionInfo(ds),
    hasPixelData: ds.elements[PIXEL_DATA_TAG] !== undefined,
  };
  const put = <K extends keyof DicomInstance>(k: K, v: DicomInstance[K] | undefined): void => {
    if (v !== undefined) inst[k] = v;
  };
  put('sopClassUid', str(ds, T.sopClassUid) ?? parsed.metaSopClassUid);
  put('sopInstanceUid', str(ds, T.sopInstanceUid) ?? parsed.metaSopInstanceUid);
  put('modality', str(ds, T.modality));
  put('studyInstanceUid', str(ds, T.studyUid));
  put('seriesInstanceUid', str(ds, T.seriesUid));
  put('seriesNumber', num(ds, T.seriesNumber));
  put('seriesDescription', str(ds, T.seriesDescription));
  put('instanceNumber', num(ds, T.instanceNumber));
  put('imageType', strList(ds, T.imageType));
  put('frameOfReferenceUid', str(ds, T.frameOfReferenceUid));
  put('rows', us(ds, T.rows));
  put('columns', us(ds, T.columns));
  put('samplesPerPixel', us(ds, T.samplesPerPixel));
  put('photometricInterpretation', str(ds, T.photometric));
  put('bitsAllocated', us(ds, T.bitsAllocated));
  put('bitsStored', us(ds, T.bitsStored));
  put('highBit', us(ds, T.highBit));
  put('pixelRepresentation', pixelRepresentation);
  put('imagePositionPatient', vec3(nums(ds, T.ipp, 3)));
  put('imageOrientationPatient', iop(ds));
  put('pixelSpacing', spacing(ds));
  put('sliceThickness', num(ds, T.sliceThickness));
  put('spacingBetweenSlices', num(ds, T.spacingBetweenSlices));
  put('rescaleSlope', num(ds, T.rescaleSlope));
  put('rescaleIntercept', num(ds, T.rescaleIntercept));
  put('rescaleType', str(ds, T.rescaleType));
  put('modalityLut', modalityLut(ds, signed, file));
  put('pixelPaddingValue', us16Signed(ds, T.paddingValue, signed));
  put('pixelPaddingRangeLimit', us16Signed(ds, T.paddingRangeLimit, signed));
  put('burnedInAnnotation', str(ds, T.burnedIn));
  put('lossyImageCompression', str(ds, T.lossyCompression));

  // A hostile NumberOfFrames must not make us loop or allocate per frame: every frame
  // needs at least one byte of pixel data, and Enhanced objects one per-frame item each.
  const size = (ds.byteArray as Uint8Array).length;
  const perFrameItems = seqLength(ds, T.perFrameFg);
  if (inst.hasPixelData && numberOfFrames > size) {
    throw inputError('MALFORMED_DICOM', `NumberOfFrames ${numberOfFrames} cannot fit in ${size} bytes`, file);
  }
  if (perFrameItems > 0 && perFrameItems !== numberOfFrames) {
    throw inputError('MALFORMED_DICOM', `NumberOfFrames is ${numberOfFrames} but the Per-Frame Functional Groups hold ${perFrameItems} items`, file);
  }
  const frames = resolveFrames(ds, numberOfFrames);
  if (frames) {
    inst.frames = frames;
    const f0 = frames[0];
    const sharedPvt = seqItem(seqItem(ds, T.sharedFg), T.pixelValueTransformSeq);
    if (f0) {
      if (inst.imagePositionPatient === undefined) put('imagePositionPatient', f0.imagePositionPatient);
      if (inst.imageOrientationPatient === undefined) put('imageOrientationPatient', f0.imageOrientationPatient);
      if (inst.pixelSpacing === undefined) put('pixelSpacing', f0.pixelSpacing);
      if (inst.sliceThickness === undefined) put('sliceThickness', f0.sliceThickness);
      // Top-level rescale is the shared group's, or frame 0's when every frame agrees.
      const uniform = frames.every((f) => f.rescaleSlope === f0.rescaleSlope && f.rescaleIntercept === f0.rescaleIntercept);
      if (inst.rescaleSlope === undefined && inst.rescaleIntercept === undefined && (sharedPvt || uniform)) {
        put('rescaleSlope', f0.rescaleSlope);
        put('rescaleIntercept', f0.rescaleIntercept);
      }
      if (inst.rescaleType === undefined && sharedPvt) put('rescaleType', str(sharedPvt, T.rescaleType));
    }
  }
  if (parsed.warnings.length > 0) inst.parseWarnings = parsed.warnings.slice();
  return inst;
}

/** A source's header, or why it could not be parsed (the reason as the list of unreadable files gives it). */
export type HeaderOrReason = { h: DicomInstance | null } | { reason: string };

/** Why a file could not be read or parsed, as the import lists it (without the file's name in front). */
export function unreadableReason(e: unknown, name: string): string {
  const msg = isScanError(e) ? e.message : `could not be parsed (${(e as Error)?.message ?? String(e)})`;
  return msg.startsWith(`${name}: `) ? msg.slice(name.length + 2) : msg;
}

/**
 * parseDicomHeader, a failure turned into its reason: one bad file must not sink a folder of
 * good ones, it is listed with its reason. A worker runs this too (the reason is the same text).
 */
export function parseHeaderOrReason(bytes: Uint8Array, name: string): HeaderOrReason {
  try {
    return { h: parseDicomHeader(bytes, name) };
  } catch (e) {
    return { reason: unreadableReason(e, name) };
  }
}
