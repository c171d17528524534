/**
 * NIfTI-1 single-file (.nii / .nii.gz) read and write.
 *
 * NIfTI world coordinates are RAS+ (+x towards the subject's right, +y anterior,
 * +z superior); DICOM and scan2print use LPS+ (+x left, +y posterior, +z superior).
 * So LPS = diag(-1, -1, 1) · RAS, as ITK, nibabel and dcm2niix agree. The reader
 * converts the affine on the way in and the writer converts it back.
 *
 * Affine choice on read: sform (if sform_code > 0), else the qform quaternion
 * (qform_code > 0), else pixdim scaling only (NIfTI "method 1", ANALYZE-compatible).
 * Our Grid needs an orthonormal direction, so an affine with shear is refused with a
 * ScanError naming the file instead of being silently approximated.
 */
import { gunzipSync } from 'fflate';
import { LITTLE_ENDIAN } from '../endian.js';
import { inputError } from '../errors.js';
import type { Grid, Vec3 } from '../geometry/grid.js';
import type { LabelMap, Volume } from '../geometry/types.js';

const HEADER_BYTES = 348;

/** NIfTI datatype codes → name and bytes per voxel. */
const DATATYPES: Record<number, { name: string; bytes: number }> = {
  2: { name: 'uint8', bytes: 1 },
  4: { name: 'int16', bytes: 2 },
  8: { name: 'int32', bytes: 4 },
  16: { name: 'float32', bytes: 4 },
  64: { name: 'float64', bytes: 8 },
  256: { name: 'int8', bytes: 1 },
  512: { name: 'uint16', bytes: 2 },
  768: { name: 'uint32', bytes: 4 },
};

export interface NiftiHeader {
  littleEndian: boolean;
  dims: Vec3;
  /** Number of volumes along dim 4 and beyond (1 for a plain 3D image). */
  extraVolumes: number;
  datatypeCode: number;
  datatype: string;
  bitpix: number;
  pixdim: number[];
  voxOffset: number;
  sclSlope: number;
  sclInter: number;
  xyztUnits: number;
  intentCode: number;
  description: string;
  qformCode: number;
  sformCode: number;
  quatern: [number, number, number];
  qoffset: Vec3;
  /** srow_x, srow_y, srow_z (12 numbers, RAS). */
  srow: number[];
}

export interface NiftiRead {
  volume: Volume;
  /** Datatype name on disk: uint8, int16, int32, float32, float64, int8, uint16, uint32. */
  datatype: string;
  /** The header's descrip field. */
  description: string;
}

/** True for bytes that start with the gzip magic (1f 8b). */
function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function decompress(bytes: Uint8Array, file: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw inputError('NIFTI_GZIP', `not a readable gzip stream (${(e as Error).message})`, file, e);
  }
}

function cstring(bytes: Uint8Array, off: number, len: number): string {
  let end = off;
  while (end < off + len && bytes[end] !== 0) end++;
  return new TextDecoder('latin1').decode(bytes.subarray(off, end));
}

/** Parses the 348-byte NIfTI-1 header (either byte order). */
export function parseNiftiHeader(raw: Uint8Array, file: string): NiftiHeader {
  if (raw.length < HEADER_BYTES) throw inputError('NIFTI_SHORT', `only ${raw.length} bytes, a NIfTI-1 header needs 348`, file);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  let le = true;
  const sizeLE = dv.getInt32(0, true);
  if (sizeLE !== HEADER_BYTES) {
    if (dv.getInt32(0, false) === HEADER_BYTES) le = false;
    else if (sizeLE === 540 || dv.getInt32(0, false) === 540) throw inputError('NIFTI_VERSION', 'NIfTI-2 files are not supported (NIfTI-1 only)', file);
    else throw inputError('NIFTI_MAGIC', `not a NIfTI-1 file (sizeof_hdr ${sizeLE}, expected 348)`, file);
  }
  const magic = cstring(raw, 344, 4);
  if (magic !== 'n+1') {
    throw inputError('NIFTI_MAGIC', magic === 'ni1' ? 'a two-file NIfTI (.hdr/.img) header: only single-file .nii is supported' : `bad NIfTI-1 magic "${magic}", expected "n+1"`, file);
  }
  const i16 = (o: number) => dv.getInt16(o, le);
  const f32 = (o: number) => dv.getFloat32(o, le);
  const dim: number[] = [];
  for (let a = 0; a < 8; a++) dim.push(i16(40 + 2 * a));
  const pixdim: number[] = [];
  for (let a = 0; a < 8; a++) pixdim.push(f32(76 + 4 * a));
  const nd = dim[0]!;
  if (nd < 1 || nd > 7) throw inputError('NIFTI_DIMS', `dim[0] = ${nd}, must be 1..7`, file);
  const dims: Vec3 = [1, 1, 1];
  for (let a = 0; a < 3; a++) dims[a] = a < nd ? dim[a + 1]! : 1;
  let extra = 1;
  for (let a = 3; a < nd; a++) extra *= Math.max(1, dim[a + 1]!);
  for (let a = 0; a < 3; a++) if (dims[a]! < 1) throw inputError('NIFTI_DIMS', `dimension ${a + 1} is ${dims[a]}`, file);
  const datatypeCode = i16(70);
  const dt = DATATYPES[datatypeCode];
  if (!dt) throw inputError('NIFTI_DATATYPE', `unsupported NIfTI datatype code ${datatypeCode} (supported: uint8, int8, int16, uint16, int32, uint32, float32, float64)`, file);
  const srow: number[] = [];
  for (let a = 0; a < 12; a++) srow.push(f32(280 + 4 * a));
  return {
    littleEndian: le,
    dims,
    extraVolumes: extra,
    datatypeCode,
    datatype: dt.name,
    bitpix: i16(72),
    pixdim,
    voxOffset: f32(108),
    sclSlope: f32(112),
    sclInter: f32(116),
    xyztUnits: raw[123]!,
    intentCode: i16(68),
    description: cstring(raw, 148, 80),
    qformCode: i16(252),
    sformCode: i16(254),
    quatern: [f32(256), f32(260), f32(264)],
    qoffset: [f32(268), f32(272), f32(276)],
    srow,
  };
}

/**
 * The voxel → RAS affine as a row-major 3×4 matrix, by the NIfTI-1 rules:
 * sform if sform_code > 0, else qform if qform_code > 0, else pixdim only.
 */
export function niftiAffineRAS(h: NiftiHeader): { affine: number[]; source: 'sform' | 'qform' | 'pixdim' } {
  if (h.sformCode > 0) return { affine: h.srow.slice(), source: 'sform' };
  const dx = h.pixdim[1] || 1;
  const dy = h.pixdim[2] || 1;
  const dz = h.pixdim[3] || 1;
  if (h.qformCode > 0) {
    const [b, c, d] = h.quatern;
    const a = Math.sqrt(Math.max(0, 1 - (b * b + c * c + d * d)));
    const qfac = h.pixdim[0]! < 0 ? -1 : 1;
    const R = [
      a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c),
      2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b),
      2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b,
    ];
    const s = [dx, dy, qfac * dz];
    const A: number[] = [];
    for (let r = 0; r < 3; r++) {
      for (let col = 0; col < 3; col++) A.push(R[r * 3 + col]! * s[col]!);
      A.push(h.qoffset[r]!);
    }
    return { affine: A, source: 'qform' };
  }
  return { affine: [dx, 0, 0, 0, 0, dy, 0, 0, 0, 0, dz, 0], source: 'pixdim' };
}

/** RAS affine (row-major 3×4) → LPS Grid; refuses shear. */
export function gridFromRASAffine(affine: number[], dims: Vec3, file: string): Grid {
  const flip = [-1, -1, 1];
  const spacing: Vec3 = [0, 0, 0];
  const dir: number[] = new Array(9).fill(0);
  for (let col = 0; col < 3; col++) {
    let n2 = 0;
    for (let r = 0; r < 3; r++) n2 += affine[r * 4 + col]! ** 2;
    const n = Math.sqrt(n2);
    if (!(n > 0) || !Number.isFinite(n)) throw inputError('NIFTI_AFFINE', `the voxel-to-world affine has a zero or invalid column ${col} (no spacing along axis ${col + 1})`, file);
    spacing[col] = n;
    for (let r = 0; r < 3; r++) dir[col * 3 + r] = (flip[r]! * affine[r * 4 + col]!) / n + 0; // + 0: no −0 in grids
  }
  for (let a = 0; a < 3; a++) {
    for (let b = a + 1; b < 3; b++) {
      const dot = dir[a * 3]! * dir[b * 3]! + dir[a * 3 + 1]! * dir[b * 3 + 1]! + dir[a * 3 + 2]! * dir[b * 3 + 2]!;
      // float32 storage of a rotated affine leaves ~1e-7 error; real shear is far larger
      if (Math.abs(dot) > 1e-4) {
        throw inputError('NIFTI_SHEAR', `the voxel-to-world affine is sheared (axes ${a + 1} and ${b + 1} meet at ${((Math.acos(Math.max(-1, Math.min(1, dot))) * 180) / Math.PI).toFixed(3)}°, not 90°); resample it to an orthogonal grid first`, file);
      }
    }
  }
  return {
    dims: [dims[0], dims[1], dims[2]],
    spacing_mm: spacing,
    origin_mm: [-affine[3]! + 0, -affine[7]! + 0, affine[11]! + 0],
    direction: dir as Grid['direction'],
  };
}

interface Decoded {
  header: NiftiHeader;
  grid: Grid;
  /** Raw typed view of the voxel data in native byte order. */
  values: ArrayLike<number>;
}

function decode(bytes: Uint8Array, file: string): Decoded {
  const raw = decompress(bytes, file);
  const h = parseNiftiHeader(raw, file);
  if (h.extraVolumes > 1) throw inputError('NIFTI_4D', `a ${h.extraVolumes}-volume (4D+) image; only 3D NIfTI is supported: extract one volume first`, file);
  const dt = DATATYPES[h.datatypeCode]!;
  const n = h.dims[0] * h.dims[1] * h.dims[2];
  const off = Math.max(HEADER_BYTES, Math.floor(h.voxOffset));
  if (raw.length < off + n * dt.bytes) {
    const held = raw.length <= off ? `the file ends at byte ${raw.length}, before the voxel data's offset ${off}` : `${raw.length - off} bytes after offset ${off}`;
    throw inputError('NIFTI_TRUNCATED', `voxel data truncated: ${held}, expected ${n * dt.bytes} for ${h.dims.join('×')} ${dt.name}`, file);
  }
  const { affine } = niftiAffineRAS(h);
  const grid = gridFromRASAffine(affine, h.dims, file);
  return { header: h, grid, values: readValues(raw, off, n, h.datatypeCode, h.littleEndian) };
}

function readValues(raw: Uint8Array, off: number, n: number, code: number, le: boolean): ArrayLike<number> {
  const bytes = DATATYPES[code]!.bytes;
  // Copy to an aligned buffer, swapping bytes if the file is big-endian.
  const buf = new Uint8Array(raw.subarray(off, off + n * bytes));
  if (bytes > 1 && le !== LITTLE_ENDIAN) {
    for (let p = 0; p < buf.length; p += bytes) {
      for (let a = 0, b = bytes - 1; a < b; a++, b--) {
        const t = buf[p + a]!;
        buf[p + a] = buf[p + b]!;
        buf[p + b] = t;
      }
    }
  }
  const ab = buf.buffer;
  switch (code) {
    case 2: return buf;
    case 4: return new Int16Array(ab);
    case 8: return new Int32Array(ab);
    case 16: return new Float32Array(ab);
    case 64: return new Float64Array(ab);
    case 256: return new Int8Array(ab);
    case 512: return new Uint16Array(ab);
    default: return new Uint32Array(ab);
  }
}

/** scl_slope/scl_inter: slope 0 (or NaN) means "no scaling" per the NIfTI-1 standard. */
function scaling(h: NiftiHeader): { slope: number; inter: number; identity: boolean } {
  const slope = Number.isFinite(h.sclSlope) && h.sclSlope !== 0 ? h.sclSlope : 1;
  const inter = Number.isFinite(h.sclInter) && h.sclSlope !== 0 ? h.sclInter : 0;
  return { slope, inter, identity: slope === 1 && inter === 0 };
}

function fitsInt16(v: ArrayLike<number>): boolean {
  if (v instanceof Int16Array || v instanceof Uint8Array || v instanceof Int8Array) return true;
  for (let p = 0; p < v.length; p++) if (v[p]! < -32768 || v[p]! > 32767) return false;
  return true;
}

/**
 * Reads a NIfTI-1 image as a scalar Volume (LPS grid). Integer data without scaling
 * whose values fit in int16 (CT in HU usually does) becomes Int16Array; everything
 * else becomes Float32Array with scl_slope/scl_inter applied.
 */
export function readNifti(bytes: Uint8Array, file: string): NiftiRead {
  const { header: h, grid, values } = decode(bytes, file);
  const s = scaling(h);
  const n = values.length;
  let data: Float32Array | Int16Array;
  if (s.identity && h.datatypeCode !== 16 && h.datatypeCode !== 64 && fitsInt16(values)) {
    data = values instanceof Int16Array ? values : Int16Array.from(values);
  } else {
    data = new Float32Array(n);
    for (let p = 0; p < n; p++) data[p] = values[p]! * s.slope + s.inter;
  }
  return { volume: { grid, data }, datatype: h.datatype, description: h.description };
}

/**
 * Reads a NIfTI-1 label image as a LabelMap. Values (after scaling) must be
 * non-negative integers ≤ 65535; Uint8Array when all fit in a byte, else Uint16Array.
 */
export function readNiftiLabels(bytes: Uint8Array, file: string): LabelMap {
  const { header: h, grid, values } = decode(bytes, file);
  const s = scaling(h);
  const n = values.length;
  let max = 0;
  if (s.identity && (h.datatypeCode === 2 || h.datatypeCode === 512)) {
    if (values instanceof Uint8Array) return { grid, data: values };
    for (let p = 0; p < n; p++) if (values[p]! > max) max = values[p]!;
    if (max > 255) return { grid, data: values as Uint16Array };
    return { grid, data: Uint8Array.from(values) };
  }
  const tmp = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    const v = values[p]! * s.slope + s.inter;
    const r = Math.round(v);
    if (!(Math.abs(v - r) < 1e-3) || r < 0 || r > 65535) {
      throw inputError('NIFTI_NOT_LABELS', `voxel ${p} holds ${v}: a label map needs non-negative integers up to 65535 (datatype ${h.datatype})`, file);
    }
    tmp[p] = r;
    if (r > max) max = r;
  }
  return { grid, data: max > 255 ? Uint16Array.from(tmp) : Uint8Array.from(tmp) };
}

// The writer lives beside the reader; re-exported so `formats/nifti.js` is the one import.
export * from './nifti-write.js';
