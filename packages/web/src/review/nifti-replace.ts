/**
 * The edited label map goes back to the server in the SAME geometry as the labels.nii.gz
 * it came from: the downloaded file's header (dims, sform/qform, datatype, descrip) is kept
 * byte for byte and only the voxel data is replaced, then gzipped again.
 */
import { gunzipSync, gzipSync } from 'fflate';
import { parseNiftiHeader } from '@scan2print/core';

/** Decompressed bytes of a .nii or .nii.gz. */
export function niftiBytes(file: Uint8Array): Uint8Array {
  return file.length >= 2 && file[0] === 0x1f && file[1] === 0x8b ? gunzipSync(file) : file;
}

/**
 * A copy of the NIfTI `file` whose voxels are `voxels` (native order, one value per voxel),
 * gzipped. The datatype must be uint8 or uint16 (what label maps are written as); values
 * are written in the file's byte order.
 */
export function replaceNiftiVoxels(file: Uint8Array, voxels: Uint8Array, opts: { level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 } = {}): Uint8Array {
  const raw = niftiBytes(file);
  const h = parseNiftiHeader(raw, 'labels.nii.gz');
  const n = h.dims[0] * h.dims[1] * h.dims[2];
  if (voxels.length !== n) throw new RangeError(`the edited map has ${voxels.length} voxels, the label file ${h.dims.join('×')} = ${n}`);
  const off = Math.max(348, Math.floor(h.voxOffset));
  const out = raw.slice(0, off + n * (h.datatypeCode === 2 ? 1 : 2));
  if (h.datatypeCode === 2) out.set(voxels, off);
  else if (h.datatypeCode === 512) {
    const dv = new DataView(out.buffer, out.byteOffset + off, n * 2);
    for (let p = 0; p < n; p++) dv.setUint16(p * 2, voxels[p]!, h.littleEndian);
  } else throw new TypeError(`label file datatype ${h.datatype}: only uint8 or uint16 label maps can be edited`);
  return gzipSync(out, { level: opts.level ?? 6, mtime: 0 });
}
