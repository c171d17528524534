/**
 * Pass 2 of the import: decode the chosen files into the preallocated slice stack.
 * Frames are decoded straight into the stack (decodeFramesInto: no Float32 copy per slice).
 * With a worker pool (and shared memory) on the pool: each worker decodes one file and
 * writes its frames straight into the shared stack (disjoint slices, so the result does not
 * depend on which worker ran which file), while the calling thread reads the next files.
 * Otherwise sequential on the calling thread (the next file is read while one decodes).
 */
import { inputError } from '../errors.js';
import { sharedFloat32, type WorkerPool } from '../parallel/pool.js';
import type { DicomInstance } from './types.js';
import { transferSyntaxInfo } from './transfer-syntax.js';
import { decodeFrames, decodeFramesInto } from './decode.js';
import type { StackArray } from './decode-values.js';
import { yieldEvery } from '../parallel/yield.js';

export type DecodeFn = (inst: DicomInstance, bytes: Uint8Array) => Promise<Float32Array[]>;
/** A decoder that writes a file's frames straight into the stack (decodeFramesInto). */
export type DecodeIntoFn = (inst: DicomInstance, bytes: Uint8Array, target: StackArray, slotOf: (frame: number) => number, plane: number) => Promise<{ ok: boolean; min: number }>;

export const DECODE_INTO_STACK_TASK = 'dicom.decodeIntoStack';
/** Pass 1's header parse of one file on a worker (import.ts scanSources). */
export const PARSE_HEADER_TASK = 'dicom.parseHeader';
/** Files read ahead of the one being decoded (sequential path). */
const READ_AHEAD = 3;

/** Copies a frame into an Int16 stack; returns its minimum, or NaN if a value is not an int16. */
export function copyInt16(stack: Int16Array, o: number, px: Float32Array): number {
  let mn = Infinity;
  const n = px.length;
  for (let p = 0; p < n; p++) {
    const v = px[p]!;
    if ((v | 0) !== v || v < -32768 || v > 32767) return NaN;
    stack[o + p] = v;
    if (v < mn) mn = v;
  }
  return mn;
}

export function copyFloat32(stack: Float32Array, o: number, px: Float32Array): number {
  let mn = Infinity;
  const n = px.length;
  for (let p = 0; p < n; p++) {
    const v = px[p]!;
    stack[o + p] = v;
    if (v < mn) mn = v;
  }
  return mn;
}

export interface DecodeIntoPayload {
  inst: DicomInstance;
  bytes: Uint8Array;
  stack: Int16Array | Float32Array;
  plane: number;
  /** Stack slice of each frame, −1 for frames not kept (duplicates). */
  slots: Int32Array;
}

/**
 * The decoder of a plan: decodeFrames (the default) decodes straight into the stack
 * (decodeFramesInto: no Float32 frame per slice); another DecodeFn (a test's) through copies.
 */
export function intoStack(decode: DecodeFn | undefined): DecodeIntoFn {
  if (!decode || decode === decodeFrames) return decodeFramesInto;
  return (inst, bytes, target, slotOf, plane) => decodeIntoStack({ inst, bytes, stack: target, plane, slots: Int32Array.from({ length: Math.max(1, inst.numberOfFrames || 1) }, (_, f) => slotOf(f)) }, decode);
}

/** Decodes one file into the stack through `decode`'s frames. ok = false: an Int16 stack cannot hold a value (widen, redo). */
export async function decodeIntoStack(p: DecodeIntoPayload, decode: DecodeFn): Promise<{ ok: boolean; min: number }> {
  const frames = await decode(p.inst, p.bytes);
  let min = Infinity;
  for (let f = 0; f < frames.length; f++) {
    const k = p.slots[f] ?? -1;
    if (k < 0) continue;
    const px = frames[f]!;
    if (px.length !== p.plane) throw inputError('FRAME_SIZE', `frame ${f + 1} decoded to ${px.length} pixels, expected ${p.inst.rows}×${p.inst.columns}`, p.inst.file);
    const m = p.stack instanceof Int16Array ? copyInt16(p.stack, k * p.plane, px) : copyFloat32(p.stack, k * p.plane, px);
    if (Number.isNaN(m)) return { ok: false, min };
    if (m < min) min = m;
  }
  return { ok: true, min };
}

export interface DecodePlan {
  instances: DicomInstance[];
  /** Instance indices to decode, in order. */
  order: number[];
  read: (i: number) => Promise<Uint8Array>;
  /** decodeFrames or undefined: straight into the stack; another decoder (a test's) through copies. */
  decode?: DecodeFn;
  slotsOf: (i: number) => Int32Array;
  plane: number;
  stackLength: number;
}

/**
 * Pixels per file from which native (uncompressed) files are decoded on the pool too: a
 * 512×512 CT slice takes 1–3 ms to decode and its first writes fault in fresh pages of the
 * stack, against ~0.1 ms to post the file to a worker; tiny images are not worth a message.
 */
export const POOL_NATIVE_MIN_PIXELS = 1 << 16;

/** Whether decoding is heavy enough (compressed pixels, or native images of some size) to be worth worker threads. */
export function worthParallelDecode(instances: DicomInstance[], pool?: WorkerPool): boolean {
  if (!pool || pool.size < 2 || typeof SharedArrayBuffer === 'undefined' || instances.length < 4) return false;
  return instances.some((x) => {
    try {
      return transferSyntaxInfo(x.transferSyntaxUid).encapsulated || (x.rows ?? 0) * (x.columns ?? 0) * Math.max(1, x.numberOfFrames || 1) >= POOL_NATIVE_MIN_PIXELS;
    } catch {
      return false;
    }
  });
}

/**
 * Decodes every planned file into `stack` (Int16 or Float32, shared memory when a pool is
 * used). Returns the stack (a new Float32 one if an Int16 stack had to be widened) and the
 * minimum value written.
 */
export async function decodeAll(
  plan: DecodePlan,
  stack: Int16Array | Float32Array,
  pool: WorkerPool | undefined,
  progress?: (f: number, m?: string) => void,
): Promise<{ stack: Int16Array | Float32Array; min: number }> {
  const { order, instances } = plan;
  let min = Infinity;
  let done = 0;
  const tick = () => progress?.(++done / order.length, `decoded ${done}/${order.length} files`);
  const redo: number[] = [];
  const into = intoStack(plan.decode);
  const decodeOne = (i: number, bytes: Uint8Array) => {
    const slots = plan.slotsOf(i);
    return into(instances[i]!, bytes, stack, (f) => slots[f] ?? -1, plan.plane);
  };
  // workers write into the stack itself: only a shared one (a copy's writes would be lost)
  if (worthParallelDecode(instances, pool) && stack.buffer instanceof SharedArrayBuffer) {
    let next = 0;
    const lane = async () => {
      while (next < order.length) {
        const i = order[next++]!;
        const bytes = await plan.read(i);
        const payload: DecodeIntoPayload = { inst: instances[i]!, bytes, stack, plane: plan.plane, slots: plan.slotsOf(i) };
        // a worker's input error arrives as the ScanError it was (the pool rebuilds it): exit 3 naming the file
        const r = await pool!.run<{ ok: boolean; min: number }>(DECODE_INTO_STACK_TASK, payload);
        if (r.ok) min = Math.min(min, r.min);
        else redo.push(i);
        tick();
      }
    };
    await Promise.all(Array.from({ length: Math.min(pool!.size + 1, order.length) }, lane));
  } else {
    // read ahead a few files so decoding never waits for the disk (memory: a few files)
    const pending: Array<Promise<Uint8Array>> = [];
    const ahead = (i: number) => {
      const pr = plan.read(i);
      pr.catch(() => {}); // a failure surfaces when awaited; never as an unhandled rejection
      pending.push(pr);
    };
    for (let n = 0; n < Math.min(READ_AHEAD, order.length); n++) ahead(order[n]!);
    const breathe = yieldEvery(); // decoding is synchronous per file: let the host run between files
    for (let n = 0; n < order.length; n++) {
      await breathe();
      const i = order[n]!;
      const bytes = await pending.shift()!;
      if (n + READ_AHEAD < order.length) ahead(order[n + READ_AHEAD]!);
      const r = await decodeOne(i, bytes);
      if (r.ok) min = Math.min(min, r.min);
      else if (stack instanceof Int16Array) {
        // a value the header did not predict (fractional or out of range): widen once, redo this file
        stack = widen(stack, plan.stackLength);
        const again = await decodeOne(i, bytes);
        min = Math.min(min, again.min);
      }
      tick();
    }
  }
  if (redo.length) {
    if (stack instanceof Int16Array) stack = widen(stack, plan.stackLength);
    redo.sort((a, b) => a - b);
    for (const i of redo) {
      const r = await decodeOne(i, await plan.read(i));
      min = Math.min(min, r.min);
    }
  }
  return { stack, min };
}

function widen(stack: Int16Array, n: number): Float32Array {
  const wide = sharedFloat32(n);
  for (let p = 0; p < n; p++) wide[p] = stack[p]!;
  return wide;
}
