/**
 * NIfTI-1 single-file writer (see nifti.ts for the coordinate conventions):
 * LPS grid → RAS sform and qform, xyzt_units = mm, deterministic bytes.
 */
import { gzipSync } from 'fflate';
import type { Grid } from '../geometry/grid.js';
import type { LabelMap, Volume } from '../geometry/types.js';
import { SCAN2PRINT_VERSION } from '../version.js';

const HEADER_BYTES = 348;
const VOX_OFFSET = 352; // header + 4-byte extension flag (no extensions)
/** Bytes per voxel of the datatype codes the writer produces. */
const BYTES: Record<number, number> = { 2: 1, 4: 2, 16: 4, 512: 2 };

export const NIFTI_INTENT_LABEL = 1002;
/** NIFTI_XFORM_SCANNER_ANAT: coordinates are the scanner's (our DICOM patient frame). */
export const NIFTI_XFORM_SCANNER_ANAT = 1;
/** NIFTI_XFORM_ALIGNED_ANAT: aligned to another file's scanner frame (e.g. after resampling). */
export const NIFTI_XFORM_ALIGNED_ANAT = 2;

export interface WriteNiftiOptions {
  /** gzip the result (.nii.gz). Fixed level 6 and mtime 0, so bytes are deterministic. */
  gzip?: boolean;
  /** Appended to "scan2print <version>, units mm" in descrip (80 bytes in all). */
  description?: string;
  /** sform/qform code: 1 scanner (default, our DICOM patient frame) or 2 aligned. */
  xformCode?: 1 | 2;
}

/** Voxel → RAS affine (row-major 3×4) of a Grid. */
export function rasAffineFromGrid(g: Grid): number[] {
  const flip = [-1, -1, 1];
  const A: number[] = [];
  for (let r = 0; r < 3; r++) {
    for (let col = 0; col < 3; col++) A.push(flip[r]! * g.direction[col * 3 + r]! * g.spacing_mm[col]!);
    A.push(flip[r]! * g.origin_mm[r]!);
  }
  return A;
}

/** Rotation (columns = unit axes, row-major R[r*3+c]) → NIfTI quaternion (b, c, d) and qfac. */
function quaternFromRotation(Rin: number[]): { b: number; c: number; d: number; qfac: number } {
  const R = Rin.slice();
  const det =
    R[0]! * (R[4]! * R[8]! - R[5]! * R[7]!) - R[1]! * (R[3]! * R[8]! - R[5]! * R[6]!) + R[2]! * (R[3]! * R[7]! - R[4]! * R[6]!);
  let qfac = 1;
  if (det < 0) {
    qfac = -1;
    R[2] = -R[2]!;
    R[5] = -R[5]!;
    R[8] = -R[8]!;
  }
  // nifti1_io.c nifti_mat44_to_quatern
  const r11 = R[0]!, r12 = R[1]!, r13 = R[2]!, r21 = R[3]!, r22 = R[4]!, r23 = R[5]!, r31 = R[6]!, r32 = R[7]!, r33 = R[8]!;
  let a = r11 + r22 + r33 + 1;
  let b: number, c: number, d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      a = (0.25 * (r21 - r12)) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return { b, c, d, qfac };
}

/**
 * Writes a Volume or LabelMap as a NIfTI-1 single file with both sform and qform set
 * (RAS), xyzt_units = mm, datatype from the typed array (Float32 → float32,
 * Int16 → int16, Uint8 → uint8, Uint16 → uint16; label maps also get intent LABEL).
 * Deterministic bytes.
 */
export function writeNifti(img: Volume | LabelMap, opts: WriteNiftiOptions = {}): Uint8Array {
  const g = img.grid;
  const data = img.data;
  let code: number;
  if (data instanceof Float32Array) code = 16;
  else if (data instanceof Int16Array) code = 4;
  else if (data instanceof Uint8Array) code = 2;
  else if (data instanceof Uint16Array) code = 512;
  else throw new TypeError('writeNifti: data must be Float32Array, Int16Array, Uint8Array or Uint16Array');
  const n = g.dims[0] * g.dims[1] * g.dims[2];
  if (data.length !== n) throw new RangeError(`writeNifti: data has ${data.length} voxels, grid ${g.dims.join('×')} needs ${n}`);
  const bpv = BYTES[code]!;
  const out = new Uint8Array(VOX_OFFSET + n * bpv);
  const dv = new DataView(out.buffer);
  const le = true;
  dv.setInt32(0, HEADER_BYTES, le);
  out[39] = 0; // dim_info
  const dim = [3, g.dims[0], g.dims[1], g.dims[2], 1, 1, 1, 1];
  for (let a = 0; a < 8; a++) dv.setInt16(40 + 2 * a, dim[a]!, le);
  const isLabel = code === 2 || code === 512;
  dv.setInt16(68, isLabel ? NIFTI_INTENT_LABEL : 0, le);
  dv.setInt16(70, code, le);
  dv.setInt16(72, bpv * 8, le);
  const A = rasAffineFromGrid(g);
  const R: number[] = [];
  for (let r = 0; r < 3; r++) for (let col = 0; col < 3; col++) R.push(A[r * 4 + col]! / g.spacing_mm[col]!);
  const q = quaternFromRotation(R);
  const pixdim = [q.qfac, g.spacing_mm[0], g.spacing_mm[1], g.spacing_mm[2], 1, 1, 1, 1];
  for (let a = 0; a < 8; a++) dv.setFloat32(76 + 4 * a, pixdim[a]!, le);
  dv.setFloat32(108, VOX_OFFSET, le);
  dv.setFloat32(112, 1, le); // scl_slope: values are stored as they are
  dv.setFloat32(116, 0, le);
  out[123] = 2; // xyzt_units: NIFTI_UNITS_MM, no time unit
  const desc = `scan2print ${SCAN2PRINT_VERSION}, units mm${opts.description ? `; ${opts.description}` : ''}`;
  const descBytes = new TextEncoder().encode(desc).subarray(0, 79);
  out.set(descBytes, 148);
  const xform = opts.xformCode ?? NIFTI_XFORM_SCANNER_ANAT;
  dv.setInt16(252, xform, le);
  dv.setInt16(254, xform, le);
  dv.setFloat32(256, q.b, le);
  dv.setFloat32(260, q.c, le);
  dv.setFloat32(264, q.d, le);
  dv.setFloat32(268, A[3]!, le);
  dv.setFloat32(272, A[7]!, le);
  dv.setFloat32(276, A[11]!, le);
  for (let a = 0; a < 12; a++) dv.setFloat32(280 + 4 * a, A[a]!, le);
  out.set([0x6e, 0x2b, 0x31, 0x00], 344); // "n+1\0"
  // bytes 348..351: extension flag 0 (no extensions)
  const dst = new DataView(out.buffer, VOX_OFFSET);
  if (code === 2) out.set(data as Uint8Array, VOX_OFFSET);
  else if (code === 16) for (let p = 0; p < n; p++) dst.setFloat32(p * 4, data[p]!, le);
  else if (code === 4) for (let p = 0; p < n; p++) dst.setInt16(p * 2, data[p]!, le);
  else for (let p = 0; p < n; p++) dst.setUint16(p * 2, data[p]!, le);
  return opts.gzip ? gzipSync(out, { level: 6, mtime: 0 }) : out;
}
