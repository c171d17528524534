/**
 * Reads a label map from bytes whatever its format: DICOM SEG (DICM preamble) or
 * NIfTI-1 (.nii, gzip'd or not). The format is told by content, not by name.
 */
import type { LabelMap } from '../geometry/types.js';
import { readDicomSeg } from './dicom-seg-read.js';
import { readNiftiLabels } from './nifti.js';

function isDicom(bytes: Uint8Array): boolean {
  return bytes.length > 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

export function readLabelFile(bytes: Uint8Array, file: string): LabelMap {
  if (isDicom(bytes)) return readDicomSeg(bytes, file).labels;
  return readNiftiLabels(bytes, file);
}
