/** The CT's HU voxels from uncompressed NIfTI bytes (volume.worker.ts). */
import { gridFromRASAffine, niftiAffineRAS, parseNiftiHeader, readNifti, type Volume } from '@scan2print/core';

/**
 * The HU voxels as a view into the file's bytes when they can be used as they are (int16,
 * little-endian, no scaling: what the convert job writes), so the preview needs no copy of
 * 73 MB first; otherwise core's reader (a copy, any datatype).
 */
export function huOf(bytes: Uint8Array): Volume {
  const h = parseNiftiHeader(bytes, 'volume.nii');
  const off = Math.max(348, Math.floor(h.voxOffset));
  const n = h.dims[0] * h.dims[1] * h.dims[2];
  const plain = (h.sclSlope === 0 || Number.isNaN(h.sclSlope) || (h.sclSlope === 1 && h.sclInter === 0)) && h.extraVolumes <= 1;
  if (h.datatypeCode === 4 && h.littleEndian && plain && (bytes.byteOffset + off) % 2 === 0 && bytes.length >= off + 2 * n) {
    return { grid: gridFromRASAffine(niftiAffineRAS(h).affine, h.dims, 'volume.nii'), data: new Int16Array(bytes.buffer, bytes.byteOffset + off, n) };
  }
  return readNifti(bytes, 'volume.nii').volume;
}

