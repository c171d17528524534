/**
 * 3MF (3D Manufacturing Format, core specification 2015/02): an OPC zip holding an XML model
 * with an explicit unit (millimetre, so the size is never in doubt), metadata (Title,
 * Application, CreationDate), one named object per label or shell, optional display colours
 * (core <basematerials>) and one build item per object. Coordinates are written as short
 * decimals that read back as exactly the same float32.
 *
 * Speed and memory: a skull has ~1.6 M triangles and ~130 MB of model XML. The XML is formatted
 * (3mf-model-xml.ts) straight into 1 MiB byte chunks (no strings per number, no giant string), and each chunk is
 * deflated on its own (fflate, fixed level) as it is made, on the worker pool when there is one
 * (zip-write.ts explains how the chunks form one DEFLATE stream). The chunking is fixed and the
 * zip has a fixed time stamp, so the same mesh and options give byte-identical files whether or
 * not a pool is used. A host with a native zlib may hand one in (RawDeflater): the same chunks
 * are then deflated by it at THREEMF_HOST_DEFLATE_LEVEL, other bytes (smaller, faster), again the
 * same for every run.
 */
import type { Mesh } from '../geometry/types.js';
import type { MeshShells } from '../surface/mesh-utils.js';
import { sharedUint8, toShared, type WorkerPool } from '../parallel/pool.js';
import { MODEL_PATH } from './3mf-read.js';
import { modelXmlChunks } from './3mf-model-xml.js';
import { deflateChunk, smallEntry, writeZip, type DeflatedChunk, type RawDeflater } from './zip-write.js';
import { threadDeflater } from './thread-deflater.js';

// For hosts that pass a RawDeflater: its contract, and the CRC-32 to fall back on.
export { crc32, type RawDeflater } from './zip-write.js';
export { THREEMF_CHUNK_BYTES } from './3mf-model-xml.js';

export interface ThreeMfPart {
  name?: string;
  /** Display colour "#RRGGBB" or "#RRGGBBAA". */
  color?: string;
}

export interface ThreeMfOptions {
  title?: string;
  /** ISO 8601 date (YYYY-MM-DD or full timestamp), supplied by the caller so output is deterministic. */
  creationDate?: string;
  /** One object per group (label) or per shell; default: groups when the mesh has them, else shells. */
  split?: 'groups' | 'shells' | 'none';
  /** Names and colours per group id, or per shell index when split by shells. */
  parts?: Record<number, ThreeMfPart>;
  /** Colour for objects without their own. */
  color?: string;
  /**
   * Build-item transforms per group id (or shell index): 12 numbers in the 3MF core order
   * m00 m01 m02 m10 m11 m12 m20 m21 m22 m30 m31 m32 (row vectors: x' = x·m00 + y·m10 + z·m20 + m30).
   * Objects without one get a plain item, so files written without this option are unchanged.
   */
  transforms?: Record<number, readonly number[]>;
  /**
   * The mesh's shells when the caller has them, numbered by their lowest triangle as
   * labelShellsByVertex numbers them (labelShells' shells are the same on a closed manifold
   * mesh): split 'shells' uses them instead of working them out (~0.15 s on a skull).
   */
  shells?: MeshShells;
}

/**
 * The 3MF build-item transform of a rigid map x' = R·x + t (R row-major), in the core order
 * m00 … m32; entries rounded to 1e-6 (rotations here are axis-aligned, translations in mm).
 */
export function rigidTo3mfTransform(rotation: readonly number[], translation: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) out.push(rotation[3 * j + i]!);
  out.push(translation[0]!, translation[1]!, translation[2]!);
  return out;
}

/**
 * Deflate level of the model part. Measured on a skull's model XML (fflate, 1 MiB chunks, CPU
 * ms per 24 MB / compressed fraction): level 1 370 / 0.267, level 2 445 / 0.258, level 3 530 /
 * 0.254, level 6 about 3× level 2 / 0.24. On the default convert of philips-head-phantom-1mm
 * (115 MB of XML, 1.58 M triangles; CPU medians of 3 on the loaded 2-core machine): level 1
 * 4.0 s / 22.75 MB, level 2 4.9 s / 22.09 MB, level 3 5.0 s / 21.82 MB. Level 1: the file is
 * 3 % larger than at level 2 for about 18 % less CPU, and deflate was the largest CPU item of
 * writing a 3MF.
 */
export const THREEMF_DEFLATE_LEVEL = 1;
/**
 * Deflate level of the model part when the host deflates (RawDeflater, node:zlib in the CLI and
 * the server). Measured on the 115 MB model XML of the default convert of
 * philips-head-phantom-1mm, in 1 MiB chunks through node:zlib's async deflateRaw, 4 in flight then
 * (CPU ms, medians of 3 on the loaded 2-core machine / compressed size): level 1 672 / 25.71 MB,
 * 2 761 / 25.10 MB, 3 1002 / 24.43 MB, 4 906 / 21.46 MB, 5 1394 / 20.55 MB; fflate level 1 (the
 * path without a host deflater, CRC included) 1506 / 22.75 MB. Level 4 is zlib's first level with
 * lazy matching: a file 6 % smaller than fflate's at about 40 % less CPU, where levels 1-3 would
 * give a larger file than today's for little less CPU, and level 5 costs half as much again.
 * The whole CLI convert of that phantom, fflate → node:zlib level 4: 11.08 → 10.26 s CPU
 * (user+sys, medians of 3 alternating runs, load 11-14 on 2 cores), 22.75 → 21.46 MB.
 * Level 1 instead, whole convert, 8 alternating pairs: -0.09 s wall (7 of 8), -0.4 s user CPU,
 * 25.71 MB: not taken, the file would be larger than fflate's for 2 % of the time.
 */
export const THREEMF_HOST_DEFLATE_LEVEL = 4;
/**
 * The host deflater's window: 2^9 = 512 bytes, zlib's smallest, instead of its 32 KiB. At level 4
 * zlib follows each hash chain a fixed number of steps; with a 32 KiB window those steps go to
 * far-back lines of the same shape, with a short one to the lines just before, whose leading
 * digits are the same (a vertex's coordinates, a triangle's vertex numbers): longer matches for
 * the same work. Model XML of the default convert, 1 MiB chunks, zlib level 4 (CPU ms of three
 * passes / compressed size), philips-head-phantom-1mm: window 2^15 915, 825, 844 / 21.47 MB;
 * 2^12 784, 796, 797 / 21.02; 2^10 832, 832, 833 / 20.19; 2^9 845, 843, 851 / 18.73 MB;
 * ge-head-tilt-variable-spacing: 2^15 915, 836, 830 / 22.35 MB; 2^12 790, 798, 789 / 21.75;
 * 2^9 843, 850, 841 / 19.45 MB. A file 13 % smaller for the same CPU. (Level 5 at 2^9: 17.85 MB
 * for 8 % more CPU; levels 1-3 at 2^9 are larger than level 4 at 2^15.) Any inflater reads it: a
 * DEFLATE stream's distances just never reach past 512 bytes.
 */
export const THREEMF_HOST_DEFLATE_WINDOW_BITS = 9;
/**
 * Chunks a host deflater holds at once: twice libuv's 4 threads, so the formatting runs up to four
 * chunks ahead of the four being deflated instead of waiting for the oldest each time (~10 MB of
 * buffers). Deflate is what ends a skull's 3MF: with 1 in flight the default convert of
 * philips-head-phantom-1mm took +0.58 s (8 alternating pairs), with 2 +0.15 s (7 pairs); 8 against
 * 4: -0.10 s paired (6 of 8 faster, peak RSS median +6 MB), 16 against 4 -0.13 s (5 of 8, +21 MB).
 * The bytes do not depend on it (chunks are packaged in order).
 */
export const THREEMF_HOST_DEFLATE_IN_FLIGHT = 8;
const DEFLATE_TASK = 'formats.deflate-chunk';
const FILE_TASK = 'formats.3mf-file';

const CONTENT_TYPES =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\n' +
  ' <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\n' +
  ' <Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>\n</Types>\n';
const RELS =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\n' +
  ` <Relationship Target="/${MODEL_PATH}" Id="rel0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>\n</Relationships>\n`;

/** The 3MF file of a mesh, on the calling thread (same bytes as write3mfAsync). */
export function write3mf(mesh: Mesh, opts: ThreeMfOptions = {}, alloc?: (n: number) => Uint8Array): Uint8Array {
  const chunks: DeflatedChunk[] = [];
  const spare: Uint8Array[] = [];
  let pending: Uint8Array | undefined;
  // One chunk is held back so the last one can end the DEFLATE stream.
  for (const c of modelXmlChunks(mesh, opts, spare)) {
    if (pending) {
      chunks.push(deflateChunk(pending, THREEMF_DEFLATE_LEVEL, false));
      spare.push(pending);
    }
    pending = c;
  }
  chunks.push(deflateChunk(pending ?? new Uint8Array(0), THREEMF_DEFLATE_LEVEL, true));
  return packageZip(chunks, alloc);
}

/**
 * The 3MF file of a mesh with the model XML deflated elsewhere, chunk by chunk, while the next
 * chunks are formatted here: by the host's deflater when there is one (a native zlib, at
 * THREEMF_HOST_DEFLATE_LEVEL), else on the worker pool (fflate, the same bytes as write3mf),
 * else it is write3mf. A bounded number of chunks is in flight (two per worker, or
 * THREEMF_HOST_DEFLATE_IN_FLIGHT), so memory stays about ten megabytes above the mesh.
 */
export async function write3mfAsync(mesh: Mesh, opts: ThreeMfOptions = {}, pool?: WorkerPool, deflater?: RawDeflater, alloc?: (n: number) => Uint8Array): Promise<Uint8Array> {
  if (deflater) {
    const level = THREEMF_HOST_DEFLATE_LEVEL;
    const windowBits = THREEMF_HOST_DEFLATE_WINDOW_BITS;
    return deflateInOrder(
      mesh,
      opts,
      THREEMF_HOST_DEFLATE_IN_FLIGHT,
      async (bytes, last) => {
        const d = await deflater.deflate(bytes, { level, last, windowBits });
        return { data: d.data, crc: d.crc >>> 0, size: bytes.length };
      },
      alloc,
    );
  }
  if (!pool || pool.size < 2) return write3mf(mesh, opts, alloc);
  return deflateInOrder(mesh, opts, 2 * pool.size, (bytes, last) => pool.run<DeflatedChunk>(DEFLATE_TASK, { bytes, level: THREEMF_DEFLATE_LEVEL, last } satisfies DeflateChunkPayload), alloc);
}

/** How write3mfAsync deflates the model part ("fflate level 1", "node:zlib … level 4"), for the export record. */
export function threeMfDeflateMethod(deflater?: RawDeflater): string {
  return deflater ? `${deflater.library} level ${THREEMF_HOST_DEFLATE_LEVEL} window ${2 ** THREEMF_HOST_DEFLATE_WINDOW_BITS} B` : `fflate level ${THREEMF_DEFLATE_LEVEL}`;
}

/**
 * The 3MF with each model chunk deflated by `deflate`, at most `maxInFlight` at a time, packaged
 * in chunk order. A chunk's buffer is formatted into again once its deflate has settled, so the
 * 115 MB of XML of a skull go through a handful of 1 MiB buffers (no allocation, copy or
 * garbage per chunk).
 */
async function deflateInOrder(
  mesh: Mesh,
  opts: ThreeMfOptions,
  maxInFlight: number,
  deflate: (bytes: Uint8Array, last: boolean) => Promise<DeflatedChunk>,
  alloc?: (n: number) => Uint8Array,
): Promise<Uint8Array> {
  const inFlight: Array<{ chunk: Promise<DeflatedChunk>; bytes: Uint8Array }> = [];
  const done: DeflatedChunk[] = [];
  const spare: Uint8Array[] = [];
  let pending: Uint8Array | undefined;
  const settle = async (): Promise<void> => {
    const f = inFlight.shift()!;
    done.push(await f.chunk);
    spare.push(f.bytes);
  };
  const submit = async (bytes: Uint8Array, last: boolean): Promise<void> => {
    const chunk = deflate(bytes, last);
    // Awaited in order below; a later chunk failing first must not count as unhandled meanwhile.
    chunk.catch(() => undefined);
    inFlight.push({ chunk, bytes });
    if (inFlight.length >= maxInFlight) await settle();
  };
  // One chunk is held back so the last one can end the DEFLATE stream.
  for (const c of modelXmlChunks(mesh, opts, spare)) {
    if (pending) await submit(pending, false);
    pending = c;
  }
  await submit(pending ?? new Uint8Array(0), true);
  while (inFlight.length) await settle();
  return packageZip(done, alloc);
}

export interface DeflateChunkPayload {
  bytes: Uint8Array;
  level: number;
  last: boolean;
}

export function deflateChunkTask(p: DeflateChunkPayload): DeflatedChunk {
  return deflateChunk(p.bytes, p.level, p.last);
}

export { DEFLATE_TASK as THREEMF_DEFLATE_TASK, FILE_TASK as THREEMF_FILE_TASK };

/** A whole 3MF file made on a worker (write3mfOnPool): its bytes and how its model part was deflated. */
export interface ThreeMfFile {
  bytes: Uint8Array;
  /** threeMfDeflateMethod of the deflater used: the caller's record says it, and compares it with its own. */
  deflate: string;
}

export interface ThreeMfFilePayload {
  positions: Float32Array;
  indices: Uint32Array;
  groups?: Uint32Array;
  opts: ThreeMfOptions;
}

/**
 * The 3MF of a mesh, made on this thread with the deflater its host set (threadDeflater), else
 * fflate: write3mfAsync without a pool. The file is written into shared memory, so posting it to
 * the caller copies nothing.
 */
export async function threeMfFileTask(p: ThreeMfFilePayload): Promise<ThreeMfFile> {
  const d = threadDeflater();
  const mesh: Mesh = { positions: p.positions, indices: p.indices, ...(p.groups ? { groups: p.groups } : {}) };
  return { bytes: await write3mfAsync(mesh, p.opts, undefined, d, sharedUint8), deflate: threeMfDeflateMethod(d) };
}

/**
 * The whole 3MF of `mesh` (formatting, shells, deflate) made on one pool worker, while this
 * thread does other work: the job starts it as the gate begins, so the ~1 s of writing a skull's
 * 3MF runs beside the gate and the accuracy instead of after them. The mesh is copied to shared
 * memory (it stays the caller's). Same bytes as write3mfAsync when the worker's deflater is the
 * caller's (compare `deflate` with threeMfDeflateMethod of the caller's).
 */
export function write3mfOnPool(mesh: Mesh, opts: ThreeMfOptions, pool: WorkerPool): Promise<ThreeMfFile> {
  const shells = opts.shells && { shellOf: toShared(opts.shells.shellOf), shellCount: opts.shells.shellCount };
  const payload: ThreeMfFilePayload = { positions: toShared(mesh.positions), indices: toShared(mesh.indices), opts: shells ? { ...opts, shells } : opts };
  if (mesh.groups) payload.groups = toShared(mesh.groups);
  return pool.run<ThreeMfFile>(FILE_TASK, payload);
}

function packageZip(modelChunks: DeflatedChunk[], alloc?: (n: number) => Uint8Array): Uint8Array {
  const enc = new TextEncoder();
  return writeZip(
    [smallEntry('[Content_Types].xml', enc.encode(CONTENT_TYPES)), smallEntry('_rels/.rels', enc.encode(RELS)), { name: MODEL_PATH, method: 8, chunks: modelChunks }],
    alloc,
  );
}

export { read3mf, read3mfContent, type ThreeMfContent } from './3mf-read.js';
