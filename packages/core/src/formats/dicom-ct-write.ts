/**
 * Writes a CT Image Storage series (one Part 10 file per slice, explicit VR little
 * endian, signed 16-bit, rescale 1/0 so stored values are HU) from slices we generate:
 * the demo head and the validation phantoms. Uses dcmjs (a kept library) for the
 * encoding. Deterministic: UIDs derive from `uidRoot`, dates are given by the caller.
 */
import dcmjs from 'dcmjs';
import type { Vec3 } from '../geometry/grid.js';
import { SCAN2PRINT_VERSION } from '../version.js';

const { DicomMetaDictionary, DicomDict } = (dcmjs as any).data;

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
const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
export const SCAN2PRINT_IMPLEMENTATION_UID = '2.25.206331093498106716563612400858330297216';

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
    const ds: Record<string, unknown> = {
      SpecificCharacterSet: 'ISO_IR 100',
      ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
      SOPClassUID: CT_IMAGE_STORAGE,
      SOPInstanceUID: sop,
      StudyDate: o.studyDate,
      SeriesDate: o.studyDate,
      StudyTime: '120000',
      Modality: 'CT',
      Manufacturer: o.manufacturer ?? 'scan2print synthetic',
      ManufacturerModelName: `scan2print ${SCAN2PRINT_VERSION}`,
      PatientName: o.patientName ?? 'PHANTOM^SYNTHETIC',
      PatientID: o.patientId ?? 'PHANTOM',
      PatientBirthDate: '',
      PatientSex: 'O',
      SliceThickness: o.sliceThickness,
      KVP: o.kvp ?? 120,
      ConvolutionKernel: o.convolutionKernel ?? 'SYNTHETIC',
      GantryDetectorTilt: o.gantryDetectorTilt ?? 0,
      PatientPosition: 'HFS',
      StudyInstanceUID: study,
      SeriesInstanceUID: series,
      StudyID: '1',
      SeriesNumber: o.seriesNumber ?? 1,
      InstanceNumber: k + 1,
      ImagePositionPatient: [...s.imagePositionPatient],
      ImageOrientationPatient: [...o.imageOrientationPatient],
      FrameOfReferenceUID: frame,
      SeriesDescription: o.seriesDescription ?? 'scan2print synthetic CT',
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      Rows: o.rows,
      Columns: o.columns,
      PixelSpacing: [...o.pixelSpacing],
      BitsAllocated: 16,
      BitsStored: 16,
      HighBit: 15,
      PixelRepresentation: 1,
      RescaleIntercept: 0,
      RescaleSlope: 1,
      RescaleType: 'HU',
      PixelData: px.buffer,
      _vrMap: { PixelData: 'OW' },
    };
    const meta = {
      FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
      MediaStorageSOPClassUID: CT_IMAGE_STORAGE,
      MediaStorageSOPInstanceUID: sop,
      TransferSyntaxUID: EXPLICIT_VR_LE,
      ImplementationClassUID: SCAN2PRINT_IMPLEMENTATION_UID,
      ImplementationVersionName: `SCAN2PRINT_${SCAN2PRINT_VERSION}`.slice(0, 16),
    };
    const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
    dict.dict = DicomMetaDictionary.denaturalizeDataset(ds);
    return new Uint8Array(dict.write());
  });
}
