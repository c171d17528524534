/**
 * DICOM Segmentation (SEG) reader: binary (and fractional, thresholded at half the
 * maximum) SEG → LabelMap whose values are the segment numbers.
 *
 * Geometry comes from the SEG's own functional groups (Plane Orientation, Pixel
 * Measures, per-frame Plane Position). Without a target grid the slice axis is the
 * normal of the orientation (axisI × axisJ) and the slices span the frames' extent at
 * SpacingBetweenSlices (or the smallest frame gap). With `grid` (the referenced
 * series' grid) frames are placed on that grid, so a SEG that omits empty slices
 * still lands on the full source geometry. Where segments overlap (legal in binary
 * SEG) the higher segment number wins and the overlap is counted.
 */
import dcmjs from 'dcmjs';
import { inputError } from '../errors.js';
import { physicalToIndex, type Grid, type Vec3 } from '../geometry/grid.js';
import type { LabelMap } from '../geometry/types.js';
import { SEGMENTATION_STORAGE, type CodedConcept } from './dicom-seg.js';

export interface SegSegmentInfo {
  number: number;
  label: string;
  category?: CodedConcept;
  type?: CodedConcept;
  algorithmType?: string;
  algorithmName?: string;
}

export interface DicomSegRead {
  /** Values = segment numbers; `labels` names them by SegmentLabel. */
  labels: LabelMap;
  segments: SegSegmentInfo[];
  frames: number;
  segmentationType: string;
  referencedSeriesUid?: string;
  referencedInstanceUids: string[];
  frameOfReferenceUid?: string;
  /** Voxels claimed by more than one segment. */
  overlapVoxels: number;
}

type Nat = Record<string, any>;

function first(v: unknown): Nat | undefined {
  return Array.isArray(v) ? (v[0] as Nat | undefined) : (v as Nat | undefined);
}

function codeOf(seq: unknown): CodedConcept | undefined {
  const c = first(seq);
  if (!c || c.CodeValue === undefined) return undefined;
  return { value: String(c.CodeValue), scheme: String(c.CodingSchemeDesignator ?? ''), meaning: String(c.CodeMeaning ?? '') };
}

function nums(v: unknown, n: number): number[] | undefined {
  const a = Array.isArray(v) ? v.map(Number) : v === undefined ? [] : [Number(v)];
  return a.length >= n && a.slice(0, n).every(Number.isFinite) ? a.slice(0, n) : undefined;
}

/** A functional-group value: the frame's own group first, else the shared group. */
function fg(frame: Nat | undefined, shared: Nat | undefined, group: string): Nat | undefined {
  return first(frame?.[group]) ?? first(shared?.[group]);
}

function pixelBytes(ds: Nat, file: string): Uint8Array {
  const pd = ds.PixelData;
  const parts: ArrayBuffer[] = Array.isArray(pd) ? pd : pd ? [pd] : [];
  if (parts.length === 0) throw inputError('SEG_NO_PIXELS', 'the SEG has no pixel data', file);
  let n = 0;
  for (const b of parts) n += b.byteLength;
  const out = new Uint8Array(n);
  let o = 0;
  for (const b of parts) {
    out.set(new Uint8Array(b), o);
    o += b.byteLength;
  }
  return out;
}

/** Reads a DICOM SEG. `grid`: place frames on this (referenced) grid instead of deriving one. */
export function readDicomSeg(bytes: Uint8Array, file: string, opts: { grid?: Grid } = {}): DicomSegRead {
  let ds: Nat;
  let ts = '';
  try {
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const dict = dcmjs.data.DicomMessage.readFile(ab, { ignoreErrors: false });
    ts = String((dict.meta as Nat)['00020010']?.Value?.[0] ?? '');
    ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict) as Nat;
  } catch (e) {
    throw inputError('SEG_PARSE', `not a readable DICOM file (${(e as Error).message})`, file, e);
  }
  if (ds.SOPClassUID !== SEGMENTATION_STORAGE) throw inputError('SEG_NOT_SEG', `SOP Class ${String(ds.SOPClassUID)} is not Segmentation Storage (${SEGMENTATION_STORAGE})`, file);
  if (/^1\.2\.840\.10008\.1\.2\.4\.|^1\.2\.840\.10008\.1\.2\.5$/.test(ts)) throw inputError('SEG_COMPRESSED', `compressed SEG pixel data (transfer syntax ${ts}) is not supported`, file);
  const type = String(ds.SegmentationType ?? '');
  if (type !== 'BINARY' && type !== 'FRACTIONAL') throw inputError('SEG_TYPE', `SegmentationType "${type}" (expected BINARY or FRACTIONAL)`, file);
  const rows = Number(ds.Rows), cols = Number(ds.Columns);
  const nFrames = Number(ds.NumberOfFrames ?? 1);
  const bits = Number(ds.BitsAllocated);
  if (!(rows > 0 && cols > 0 && nFrames > 0)) throw inputError('SEG_DIMS', `bad Rows/Columns/NumberOfFrames ${rows}/${cols}/${nFrames}`, file);
  if (type === 'BINARY' ? bits !== 1 : bits !== 8) throw inputError('SEG_BITS', `BitsAllocated ${bits} for a ${type} SEG`, file);

  const shared = first(ds.SharedFunctionalGroupsSequence);
  const perFrame: Nat[] = Array.isArray(ds.PerFrameFunctionalGroupsSequence) ? ds.PerFrameFunctionalGroupsSequence : [];
  if (perFrame.length !== nFrames) throw inputError('SEG_FRAMES', `${perFrame.length} per-frame functional groups for ${nFrames} frames`, file);
  const iop = nums(fg(perFrame[0], shared, 'PlaneOrientationSequence')?.ImageOrientationPatient, 6);
  const measures = fg(perFrame[0], shared, 'PixelMeasuresSequence');
  const ps = nums(measures?.PixelSpacing, 2);
  if (!iop || !ps) throw inputError('SEG_GEOMETRY', 'missing ImageOrientationPatient or PixelSpacing in the functional groups', file);
  const ax: Vec3 = [iop[0]!, iop[1]!, iop[2]!];
  const ay: Vec3 = [iop[3]!, iop[4]!, iop[5]!];
  const nrm: Vec3 = [ax[1] * ay[2] - ax[2] * ay[1], ax[2] * ay[0] - ax[0] * ay[2], ax[0] * ay[1] - ax[1] * ay[0]];
  const positions: Vec3[] = [];
  const segOfFrame: number[] = [];
  for (let f = 0; f < nFrames; f++) {
    const pos = nums(fg(perFrame[f], shared, 'PlanePositionSequence')?.ImagePositionPatient, 3);
    const sn = Number(fg(perFrame[f], shared, 'SegmentIdentificationSequence')?.ReferencedSegmentNumber);
    if (!pos) throw inputError('SEG_GEOMETRY', `frame ${f + 1} has no ImagePositionPatient`, file);
    if (!(sn >= 1)) throw inputError('SEG_SEGMENT', `frame ${f + 1} has no ReferencedSegmentNumber`, file);
    positions.push(pos as Vec3);
    segOfFrame.push(sn);
  }

  const grid = opts.grid ?? deriveGrid(positions, ax, ay, nrm, ps, measures, rows, cols, file);
  if (grid.dims[0] !== cols || grid.dims[1] !== rows) throw inputError('SEG_GRID', `SEG frames are ${cols}×${rows}, the referenced grid is ${grid.dims[0]}×${grid.dims[1]}`, file);
  const d = grid.direction;
  if (Math.abs(d[0] * ax[0] + d[1] * ax[1] + d[2] * ax[2] - 1) > 1e-3 || Math.abs(d[3] * ay[0] + d[4] * ay[1] + d[5] * ay[2] - 1) > 1e-3) {
    throw inputError('SEG_GRID', 'SEG orientation differs from the referenced grid', file);
  }
  const [nx, ny, nz] = grid.dims;
  let maxSeg = 0;
  for (const s of segOfFrame) maxSeg = Math.max(maxSeg, s);
  const data = maxSeg > 255 ? new Uint16Array(nx * ny * nz) : new Uint8Array(nx * ny * nz);
  const px = pixelBytes(ds, file);
  const frameVoxels = rows * cols;
  const need = type === 'BINARY' ? Math.ceil((nFrames * frameVoxels) / 8) : nFrames * frameVoxels;
  if (px.length < need) throw inputError('SEG_TRUNCATED', `pixel data has ${px.length} bytes, ${need} needed for ${nFrames} frames`, file);
  const half = Number(ds.MaximumFractionalValue ?? 255) / 2;
  let overlap = 0;
  const claims = new Uint8Array(data.length); // segments claiming each voxel; only the step 1 → 2 is counted
  const q: Vec3 = [0, 0, 0];
  for (let f = 0; f < nFrames; f++) {
    const [x, y, z] = positions[f]!;
    physicalToIndex(grid, x, y, z, q);
    const k = Math.round(q[2]);
    if (Math.abs(q[0]) > 0.05 || Math.abs(q[1]) > 0.05 || Math.abs(q[2] - k) > 0.05 || k < 0 || k >= nz) {
      throw inputError('SEG_GRID', `frame ${f + 1} at (${positions[f]!.join(', ')}) does not lie on a slice of the grid`, file);
    }
    const s = segOfFrame[f]!;
    const base = k * frameVoxels;
    let bit = f * frameVoxels;
    for (let p = 0; p < frameVoxels; p++, bit++) {
      const on = type === 'BINARY' ? (px[bit >>> 3]! >>> (bit & 7)) & 1 : px[bit]! > half ? 1 : 0;
      if (!on) continue;
      const cur = data[base + p]!;
      if (cur !== 0 && cur !== s && claims[base + p]++ === 1) overlap++;
      if (cur === 0) claims[base + p] = 1;
      if (s > cur) data[base + p] = s;
    }
  }

  const segments: SegSegmentInfo[] = (Array.isArray(ds.SegmentSequence) ? ds.SegmentSequence : []).map((it: Nat) => ({
    number: Number(it.SegmentNumber),
    label: String(it.SegmentLabel ?? ''),
    ...(codeOf(it.SegmentedPropertyCategoryCodeSequence) ? { category: codeOf(it.SegmentedPropertyCategoryCodeSequence)! } : {}),
    ...(codeOf(it.SegmentedPropertyTypeCodeSequence) ? { type: codeOf(it.SegmentedPropertyTypeCodeSequence)! } : {}),
    ...(it.SegmentAlgorithmType ? { algorithmType: String(it.SegmentAlgorithmType) } : {}),
    ...(it.SegmentAlgorithmName ? { algorithmName: String(it.SegmentAlgorithmName) } : {}),
  }));
  const names: Record<number, string> = {};
  for (const s of segments) names[s.number] = s.label;
  const refSeries = first(ds.ReferencedSeriesSequence);
  const refInst: Nat[] = Array.isArray(refSeries?.ReferencedInstanceSequence) ? refSeries!.ReferencedInstanceSequence : [];
  return {
    labels: { grid, data, labels: names },
    segments,
    frames: nFrames,
    segmentationType: type,
    ...(refSeries?.SeriesInstanceUID ? { referencedSeriesUid: String(refSeries.SeriesInstanceUID) } : {}),
    referencedInstanceUids: refInst.map((r) => String(r.ReferencedSOPInstanceUID)),
    ...(ds.FrameOfReferenceUID ? { frameOfReferenceUid: String(ds.FrameOfReferenceUID) } : {}),
    overlapVoxels: overlap,
  };
}

function deriveGrid(positions: Vec3[], ax: Vec3, ay: Vec3, nrm: Vec3, ps: number[], measures: Nat | undefined, rows: number, cols: number, file: string): Grid {
  const dist = positions.map((p) => p[0] * nrm[0] + p[1] * nrm[1] + p[2] * nrm[2]);
  const uniq = [...new Set(dist.map((v) => Math.round(v * 1000) / 1000))].sort((a, b) => a - b);
  const declared = Number(measures?.SpacingBetweenSlices);
  let step: number;
  if (uniq.length < 2) step = declared > 0 ? declared : Number(measures?.SliceThickness) > 0 ? Number(measures?.SliceThickness) : 1;
  else {
    let minGap = Infinity;
    for (let a = 1; a < uniq.length; a++) minGap = Math.min(minGap, uniq[a]! - uniq[a - 1]!);
    step = declared > 0 && declared <= minGap * 1.01 ? declared : minGap;
    for (const v of uniq) {
      const r = (v - uniq[0]!) / step;
      if (Math.abs(r - Math.round(r)) > 0.02) throw inputError('SEG_SPACING', `frame positions are not on a regular ${step.toFixed(4)} mm slice spacing`, file);
    }
  }
  const lo = dist.indexOf(Math.min(...dist));
  const o = positions[lo]!;
  const nz = uniq.length < 2 ? 1 : Math.round((uniq[uniq.length - 1]! - uniq[0]!) / step) + 1;
  return {
    dims: [cols, rows, nz],
    spacing_mm: [ps[1]!, ps[0]!, step],
    origin_mm: [o[0], o[1], o[2]],
    direction: [...ax, ...ay, ...nrm] as Grid['direction'],
  };
}
