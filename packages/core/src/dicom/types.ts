import type { Vec3 } from '../geometry/grid.js';

/**
 * One DICOM file's header, as parsed by `parseDicomHeader` (dicom/parse.ts).
 * Pixel data is located but not decoded; `decodeFrames` (dicom/decode.ts) turns it
 * into Hounsfield (rescaled) values. Strings are trimmed; absent values are undefined.
 */
export interface DicomInstance {
  /** Where it came from (path or name inside a zip), used in every message. */
  file: string;
  transferSyntaxUid: string;
  sopClassUid?: string;
  sopInstanceUid?: string;
  modality?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  seriesNumber?: number;
  seriesDescription?: string;
  instanceNumber?: number;
  imageType?: string[];
  frameOfReferenceUid?: string;
  rows?: number;
  columns?: number;
  numberOfFrames: number;
  samplesPerPixel?: number;
  photometricInterpretation?: string;
  bitsAllocated?: number;
  bitsStored?: number;
  highBit?: number;
  pixelRepresentation?: number;
  /** Geometry of frame 0 (classic single-frame images) … */
  imagePositionPatient?: Vec3;
  imageOrientationPatient?: [number, number, number, number, number, number];
  /** [row spacing, column spacing] in mm, as in DICOM PixelSpacing. */
  pixelSpacing?: [number, number];
  sliceThickness?: number;
  spacingBetweenSlices?: number;
  /** … and per frame for Enhanced (multi-frame) objects: shared + per-frame functional groups resolved. */
  frames?: FrameInfo[];
  /** Rescale for single-frame images (or the shared functional group). */
  rescaleSlope?: number;
  rescaleIntercept?: number;
  rescaleType?: string;
  /** Modality LUT Sequence, when present instead of rescale. */
  modalityLut?: { firstMapped: number; bits: number; data: Uint16Array | Uint8Array };
  pixelPaddingValue?: number;
  pixelPaddingRangeLimit?: number;
  /** Acquisition protocol for the ISO report. */
  acquisition: AcquisitionInfo;
  /** Whether pixel data is present at all (SR, RT plan … have none). */
  hasPixelData: boolean;
  burnedInAnnotation?: string;
  /** LossyImageCompression (0028,2110): "01" when the pixels went through lossy compression at some point, even if stored uncompressed now. */
  lossyImageCompression?: string;
  /** Things repaired or guessed while parsing (missing TransferSyntaxUID, VR mismatch, stray bytes …). */
  parseWarnings?: string[];
}

export interface FrameInfo {
  imagePositionPatient?: Vec3;
  imageOrientationPatient?: [number, number, number, number, number, number];
  pixelSpacing?: [number, number];
  sliceThickness?: number;
  rescaleSlope?: number;
  rescaleIntercept?: number;
}

export interface AcquisitionInfo {
  manufacturer?: string;
  manufacturerModelName?: string;
  kvp?: number;
  exposure_mAs?: number;
  xRayTubeCurrent_mA?: number;
  exposureTime_ms?: number;
  convolutionKernel?: string;
  gantryDetectorTilt_deg?: number;
  studyDate?: string;
  bodyPartExamined?: string;
  patientPosition?: string;
}
