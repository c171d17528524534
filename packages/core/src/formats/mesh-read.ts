/**
 * Mesh files by name: pick the reader or writer from the extension (or the content for
 * reading), so the CLI and the web viewer need one call.
 */
import { inputError, usageError } from '../errors.js';
import type { Mesh } from '../geometry/types.js';
import { read3mf, write3mf, write3mfAsync, type ThreeMfOptions } from './3mf.js';
import type { WorkerPool } from '../parallel/pool.js';
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
 * by chunk); the same bytes as writeMesh.
 */
export async function writeMeshAsync(mesh: Mesh, file: string, opts: WriteMeshOptions = {}, pool?: WorkerPool): Promise<Uint8Array> {
  if (meshFormatOf(file) === '3mf') return write3mfAsync(mesh, opts, pool);
  return writeMesh(mesh, file, opts);
}
