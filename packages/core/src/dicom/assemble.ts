/**
 * Pass 2 of the import: decode the chosen series file by file into one preallocated
 * slice stack (peak memory ≈ the stack + one file), then, when the stack is sheared
 * (gantry tilt) or unevenly spaced, resample it onto an orthogonal uniform grid.
 */
import type { Grid, Vec3 } from '../geometry/grid.js';
import type { Volume } from '../geometry/types.js';
import { inputError } from '../errors.js';
import { sharedFloat32, sharedInt16, type WorkerPool } from '../parallel/pool.js';
import { resampleStack, type StackResamplePlan } from '../geometry/resample-stack.js';
import type { DicomInstance } from './types.js';
import { analyseStack, type StackGeometry } from './geometry.js';
import { frameGeometry } from './series.js';
import { decodeAll, type DecodeFn } from './assemble-decode.js';
import { isLossy } from './transfer-syntax.js';

/**
 * Uneven spacing is resampled to the smallest acquired step, so the finest part of the
 * series keeps its resolution (acquired slices are interpolated between, never skipped),
 * but never below this fraction of the median step, so one near-duplicate pair cannot
 * blow the volume up.
 */
export const MIN_OUTPUT_STEP_FRACTION_OF_MEDIAN = 0.25;

export type { DecodeFn } from './assemble-decode.js';

export interface AssembleInput {
  /** Headers of the chosen series (any order). */
  instances: DicomInstance[];
  /** Reads the bytes of instance i again (pass 2). */
  read: (i: number) => Promise<Uint8Array>;
  decode: DecodeFn;
}

export interface AssembleOutput {
  volume: Volume;
  geometry: StackGeometry;
  /** Instances in slice order (first occurrence), duplicates excluded. */
  sortedInstances: DicomInstance[];
  resampled: boolean;
  /** Uniform step of the output along the normal, and why it was chosen. */
  outputStep_mm: number;
  stepRule: string;
  fill: number;
  corrections: string[];
  notes: string[];
}

interface Entry {
  instance: number;
  frame: number;
  position: Vec3;
  /** Lossy-compressed pixels (its transfer syntax, or LossyImageCompression 01): a lossless copy of the same slice wins. */
  lossy: boolean;
}

/** Slice placements of every frame of every instance (positions per frame for Enhanced objects). */
function sliceEntries(instances: DicomInstance[], notes: string[]): Entry[] {
  const out: Entry[] = [];
  instances.forEach((inst, i) => {
    const nf = Math.max(1, inst.numberOfFrames || 1);
    const lossy = isLossy(inst);
    const g0 = frameGeometry(inst, 0);
    let fallbackStep: number | undefined;
    for (let f = 0; f < nf; f++) {
      let pos = frameGeometry(inst, f).position;
      if (!pos && g0.position && g0.iop) {
        // Multi-frame without per-frame positions: frames stacked along the normal.
        fallbackStep ??= inst.spacingBetweenSlices ?? inst.sliceThickness;
        if (fallbackStep === undefined) throw inputError('NO_FRAME_POSITION', `frame ${f + 1} has no ImagePositionPatient and no SpacingBetweenSlices to place it`, inst.file);
        const u = g0.iop;
        const n: Vec3 = [u[1]! * u[5]! - u[2]! * u[4]!, u[2]! * u[3]! - u[0]! * u[5]!, u[0]! * u[4]! - u[1]! * u[3]!];
        pos = [g0.position[0] + f * fallbackStep * n[0], g0.position[1] + f * fallbackStep * n[1], g0.position[2] + f * fallbackStep * n[2]];
        if (f === 1) notes.push(`${inst.file}: frames have no per-frame positions; placed ${fallbackStep} mm apart along the normal (SpacingBetweenSlices/SliceThickness)`);
      }
      if (!pos) throw inputError('NO_POSITION', `frame ${f + 1} has no ImagePositionPatient`, inst.file);
      out.push({ instance: i, frame: f, position: pos, lossy });
    }
  });
  return out;
}

/** Whether rescaled values are certain to be integers that fit Int16 (halves the memory). */
function predictInt16(instances: DicomInstance[]): boolean {
  for (const inst of instances) {
    if (inst.modalityLut) return false;
    const bits = inst.bitsStored ?? inst.bitsAllocated ?? 16;
    const signed = inst.pixelRepresentation === 1;
    const lo = signed ? -(2 ** (bits - 1)) : 0;
    const hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
    const rescales = [{ s: inst.rescaleSlope ?? 1, b: inst.rescaleIntercept ?? 0 }];
    for (const fr of inst.frames ?? []) rescales.push({ s: fr.rescaleSlope ?? inst.rescaleSlope ?? 1, b: fr.rescaleIntercept ?? inst.rescaleIntercept ?? 0 });
    for (const { s, b } of rescales) {
      if (!Number.isInteger(s) || !Number.isInteger(b)) return false;
      const a = lo * s + b, c = hi * s + b;
      if (Math.min(a, c) < -32768 || Math.max(a, c) > 32767) return false;
    }
  }
  return true;
}

/** Allocates a volume; running out of memory is the input's size, said in numbers (exit 3, not a crash). */
function allocate<T>(make: () => T, dims: number[], bytesPerVoxel: number, file: string): T {
  try {
    return make();
  } catch (e) {
    const gb = (dims[0]! * dims[1]! * dims[2]! * bytesPerVoxel) / 2 ** 30;
    throw inputError('SERIES_TOO_LARGE', `cannot allocate a ${dims.join('×')} volume (${gb.toFixed(2)} GB): ${(e as Error).message}`, file, e);
  }
}

export async function assembleSeries(input: AssembleInput, pool?: WorkerPool, progress?: (f: number, m?: string) => void): Promise<AssembleOutput> {
  const { instances } = input;
  const corrections: string[] = [];
  const notes: string[] = [];
  const first = instances[0]!;
  const g0 = frameGeometry(first, 0);
  const rows = first.rows!, columns = first.columns!;
  const entries = sliceEntries(instances, notes);
  const geo = analyseStack(g0.iop!, g0.pixelSpacing!, rows, columns, entries);
  const M = geo.slices.length;
  const plane = rows * columns;

  // where each (instance, frame) goes in the stack; duplicates are not stored
  const slots = instances.map((x) => new Int32Array(Math.max(1, x.numberOfFrames || 1)).fill(-1));
  geo.slices.forEach((s, idx) => {
    slots[s.instance]![s.frame] = idx;
  });
  if (geo.duplicates.length) {
    corrections.push(`dropped ${geo.duplicates.length} duplicate slice(s) at the same position as a kept one: ${geo.duplicates.map((d) => `${instances[d.instance]!.file}${d.frame ? ` frame ${d.frame + 1}` : ''}`).join(', ')}`);
  }

  const useInt16 = predictInt16(instances);
  const used = new Set(geo.slices.map((s) => s.instance));
  const order = instances.map((_, i) => i).filter((i) => used.has(i));
  const decoded = await decodeAll(
    { instances, order, read: input.read, decode: input.decode, slotsOf: (i) => slots[i]!, plane, stackLength: M * plane },
    allocate(() => (useInt16 ? sharedInt16(M * plane) : sharedFloat32(M * plane)), [columns, rows, M], useInt16 ? 2 : 4, first.file),
    pool,
    progress,
  );
  const stack = decoded.stack;
  const min = decoded.min;
  const fill = Number.isFinite(min) ? min : -1024;
  const sortedInstances: DicomInstance[] = [];
  const seen = new Set<number>();
  for (const s of geo.slices) if (!seen.has(s.instance)) { seen.add(s.instance); sortedInstances.push(instances[s.instance]!); }

  const u = geo.axisU, v = geo.axisV, nrm = geo.normal;
  const p0 = geo.slices[0]!.position;
  const extent = M > 1 ? geo.slices[M - 1]!.d_mm - geo.slices[0]!.d_mm : 0;
  const direction: Grid['direction'] = [u[0], u[1], u[2], v[0], v[1], v[2], nrm[0], nrm[1], nrm[2]];
  const needsResample = M > 1 && (geo.sheared || !geo.uniform);
  if (!needsResample) {
    const step = M > 1 ? extent / (M - 1) : (first.spacingBetweenSlices ?? first.sliceThickness ?? 1);
    if (M === 1) notes.push(`single slice: its thickness along the normal taken as ${step} mm (SpacingBetweenSlices/SliceThickness)`);
    const volume: Volume = { grid: { dims: [columns, rows, M], spacing_mm: [geo.spacingU_mm, geo.spacingV_mm, step], origin_mm: [p0[0], p0[1], p0[2]], direction }, data: stack };
    return { volume, geometry: geo, sortedInstances, resampled: false, outputStep_mm: step, stepRule: M > 1 ? 'uniform acquired step (last − first position along the normal) / (slices − 1)' : 'single slice', fill, corrections, notes };
  }

  let step: number, stepRule: string;
  if (geo.uniform) {
    step = extent / (M - 1);
    stepRule = 'uniform acquired step along the normal';
  } else {
    const base = Math.max(geo.stepStats.min, MIN_OUTPUT_STEP_FRACTION_OF_MEDIAN * geo.stepStats.median);
    // shrink it slightly so whole steps run exactly from the first to the last slice
    step = extent / Math.ceil(extent / base - 1e-9);
    stepRule =
      `smallest acquired step (${geo.stepStats.min.toFixed(3)} mm, floored at ${MIN_OUTPUT_STEP_FRACTION_OF_MEDIAN} × median ${geo.stepStats.median.toFixed(3)} mm), ` +
      `shortened to ${step.toFixed(4)} mm to end exactly on the last slice: keeps the resolution of the finest part of the series`;
  }
  const nz = Math.round(extent / step) + 1;
  const offU = new Float64Array(M), offV = new Float64Array(M), dRel = new Float64Array(M);
  let minU = 0, maxU = 0, minV = 0, maxV = 0;
  geo.slices.forEach((s, i) => {
    offU[i] = s.offsetU_mm; offV[i] = s.offsetV_mm; dRel[i] = s.d_mm - geo.slices[0]!.d_mm;
    minU = Math.min(minU, s.offsetU_mm); maxU = Math.max(maxU, s.offsetU_mm);
    minV = Math.min(minV, s.offsetV_mm); maxV = Math.max(maxV, s.offsetV_mm);
  });
  const du = geo.spacingU_mm, dv = geo.spacingV_mm;
  // Keep the whole field of view: the union of every slice's in-plane extent.
  const nx = Math.ceil((maxU - minU) / du - 1e-6) + columns;
  const ny = Math.ceil((maxV - minV) / dv - 1e-6) + rows;
  const plan: StackResamplePlan = {
    columns, rows, slices: M, d_mm: dRel, offU_mm: offU, offV_mm: offV, du_mm: du, dv_mm: dv,
    nx, ny, nz, hx_mm: du, hy_mm: dv, hz_mm: step, outU0_mm: minU, outV0_mm: minV, outD0_mm: 0, fill,
  };
  const out = allocate(() => sharedFloat32(nx * ny * nz), [nx, ny, nz], 4, first.file);
  await resampleStack(stack, plan, out, pool);
  const origin: Vec3 = [p0[0] + minU * u[0] + minV * v[0], p0[1] + minU * u[1] + minV * v[1], p0[2] + minU * u[2] + minV * v[2]];
  if (geo.sheared) {
    corrections.push(
      `gantry tilt ${geo.tiltDegrees.toFixed(2)}° (slice positions sheared up to ${geo.maxInPlaneOffset_mm.toFixed(2)} mm in-plane): resampled onto an orthogonal grid along the slice normal, ` +
        `enlarged to ${nx}×${ny} pixels to keep the whole field of view (outside the acquired field = ${fill})`,
    );
  }
  if (!geo.uniform) {
    corrections.push(`uneven slice steps ${geo.stepStats.min.toFixed(3)}–${geo.stepStats.max.toFixed(3)} mm resampled to a uniform ${step.toFixed(3)} mm step (${nz} planes from ${M} slices): ${stepRule}`);
  }
  corrections.push('interpolation: bilinear within each acquired slice at its true position, linear between the two slices bracketing each output plane along the normal');
  const volume: Volume = { grid: { dims: [nx, ny, nz], spacing_mm: [du, dv, step], origin_mm: origin, direction }, data: out };
  return { volume, geometry: geo, sortedInstances, resampled: true, outputStep_mm: step, stepRule, fill, corrections, notes };
}
