/**
 * Mesh files by name: pick the reader or writer from the extension (or the content for
 * reading), so the CLI and the web viewer need one call.
 */
import { inputError, usageError, type ScanError } from '../errors.js';
import type { Mesh } from '../geometry/types.js';
import { read3mf, read3mfContent, write3mf, write3mfAsync, type ThreeMfOptions } from './3mf.js';
import type { WorkerPool } from '../parallel/pool.js';
import type { RawDeflater } from './zip-write.js';
import { readObj, writeObj } from './obj.js';
import { readPly, writePly } from './ply.js';
import { readStl, writeStlAscii, writeStlBinary } from './stl.js';

export type MeshFormat = 'stl' | '3mf' | 'obj' | 'ply';

export function meshFormatOf(file: string): MeshFormat | undefined {
  const m = /\.(stl|3mf|obj|ply)$/i.exec(file);
  return m ? (m[1]!.toLowerCase() as MeshFormat) : undefined;
}

/** Reads one of our mesh formats; the format comes from the bytes (zip, "ply", binary size) or the name. */
export function readMesh(bytes: Uint8Array, file: string): Mesh {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return read3mf(bytes, file);
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 16));
  if (head.startsWith('ply')) return readPly(bytes, file);
  const fmt = meshFormatOf(file);
  if (fmt === 'obj') return readObj(bytes, file);
  if (fmt === 'stl' || fmt === undefined) {
    if (bytes.length < 84 && !/^\s*solid/i.test(head)) throw inputError('MESH_FORMAT', 'not a mesh file this reader knows (STL, 3MF, OBJ, PLY)', file);
    return readStl(bytes, file);
  }
  throw inputError('MESH_FORMAT', `the content does not match the .${fmt} extension`, file);
}

/*
 * A model file given by path (prepare, quote): the host supplies the read (Node's readFileSync;
 * core reads no files), the rest is the same everywhere: the name's format checked first, a
 * failed read worded the same, and a 3MF's CreationDate kept, so outputs made from it can carry
 * the same date (same input → same bytes).
 */

/** The input error for a model file the host could not read, from the error's errno code. */
function modelReadError(file: string, e: unknown): ScanError {
  const code = (e as { code?: string } | undefined)?.code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, expected a model file' : `cannot read (${(e as Error)?.message ?? String(e)})`;
  return inputError('READ_FAILED', why, file, e);
}

/**
 * A model file's bytes → its mesh, and the CreationDate of a 3MF. A 3MF's mesh is as its build
 * items place it (what a slicer prints; prepare's parts lie on the bed), not the raw object data.
 */
export function readModel(bytes: Uint8Array, file: string): { mesh: Mesh; creationDate?: string } {
  if (meshFormatOf(file) === '3mf' || (bytes[0] === 0x50 && bytes[1] === 0x4b)) {
    const c = read3mfContent(bytes, file);
    return { mesh: c.placed, ...(c.metadata.CreationDate ? { creationDate: c.metadata.CreationDate } : {}) };
  }
  return { mesh: readMesh(bytes, file) };
}

/**
 * A model file by path, read with the host's `read`: an unknown format's ending is refused
 * (usage, exit 2) before the read, a failed read is an input error naming the file.
 */
export function readModelFile(file: string, read: (file: string) => Uint8Array): { mesh: Mesh; bytes: Uint8Array; creationDate?: string } {
  if (!meshFormatOf(file)) throw usageError('MESH_FORMAT', `${file}: unknown model format (use .3mf, .stl, .obj or .ply)`);
  let bytes: Uint8Array;
  try {
    bytes = read(file);
  } catch (e) {
    throw modelReadError(file, e);
  }
  return { ...readModel(bytes, file), bytes };
}

export interface WriteMeshOptions extends ThreeMfOptions {
  /** STL only: ASCII instead of binary. */
  ascii?: boolean;
  /** Object name for OBJ / ASCII STL. */
  name?: string;
}

export function writeMesh(mesh: Mesh, file: string, opts: WriteMeshOptions = {}): Uint8Array {
  const fmt = meshFormatOf(file);
  switch (fmt) {
    case 'stl':
      return opts.ascii ? writeStlAscii(mesh, opts.name !== undefined ? { name: opts.name } : {}) : writeStlBinary(mesh);
    case '3mf':
      return write3mf(mesh, opts);
    case 'obj':
      return writeObj(mesh, opts.name !== undefined ? { name: opts.name } : {});
    case 'ply':
      return writePly(mesh);
    default:
      throw usageError('MESH_FORMAT', `${file}: unknown mesh format (use .stl, .3mf, .obj or .ply)`);
  }
}

/**
 * writeMesh with the heavy part on the worker pool where that pays (the 3MF's deflate, chunk
 * by chunk); the same bytes as writeMesh. With a host deflater the 3MF's model part is deflated
 * by it instead (write3mfAsync): other bytes, the same file content.
 */
export async function writeMeshAsync(mesh: Mesh, file: string, opts: WriteMeshOptions = {}, pool?: WorkerPool, deflater?: RawDeflater): Promise<Uint8Array> {
  if (meshFormatOf(file) === '3mf') return write3mfAsync(mesh, opts, pool, deflater);
  return writeMesh(mesh, file, opts);
}
