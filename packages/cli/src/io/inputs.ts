/**
 * Command-line inputs → DICOM sources for the core import stage: files, directories
 * (recursive, in sorted order so results never depend on the file system's listing
 * order) and .zip archives (entries read on demand). Nothing is read here except
 * directory listings, zip central directories and the 4-byte zip signature.
 */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { inputError, type DicomSource } from '@scan2print/core';
import { listZip, readZipEntry } from './zip.js';

export interface InputSet {
  sources: DicomSource[];
  /** The paths as given, for messages. */
  label: string;
}

function fsError(path: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : `cannot read (${(e as Error).message})`;
  return inputError('INPUT_UNREADABLE', why, path, e);
}

async function isZip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = new Uint8Array(4);
    const { bytesRead } = await fh.read(b, 0, 4, 0);
    // local file header, or an empty archive's end record
    return bytesRead === 4 && b[0] === 0x50 && b[1] === 0x4b && ((b[2] === 3 && b[3] === 4) || (b[2] === 5 && b[3] === 6));
  } finally {
    await fh.close();
  }
}

function fileSource(path: string): DicomSource {
  return {
    name: path,
    async read() {
      try {
        const buf = await readFile(path);
        return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      } catch (e) {
        throw fsError(path, e);
      }
    },
  };
}

async function addFile(path: string, out: DicomSource[]): Promise<void> {
  if (await isZip(path)) {
    const entries = await listZip(path);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) out.push({ name: `${path}!/${e.name}`, read: () => readZipEntry(path, e) });
  } else {
    out.push(fileSource(path));
  }
}

async function walk(dir: string, out: DicomSource[], seen: Set<string>): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (e) {
    throw fsError(dir, e);
  }
  for (const name of names) {
    const p = join(dir, name);
    let st;
    try {
      st = await stat(p); // follows symlinks
    } catch {
      continue; // dangling link: nothing to read
    }
    if (st.isDirectory()) {
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) continue; // symlink loop
      seen.add(key);
      await walk(p, out, seen);
    } else if (st.isFile()) {
      await addFile(p, out);
    }
  }
}

/** Expands the paths given on the command line into sources, in a deterministic order. */
export async function collectInputs(paths: string[]): Promise<InputSet> {
  const sources: DicomSource[] = [];
  for (const p of paths) {
    let st;
    try {
      st = await stat(p);
    } catch (e) {
      throw fsError(p, e);
    }
    if (st.isDirectory()) await walk(p, sources, new Set([`${st.dev}:${st.ino}`]));
    else if (st.isFile()) await addFile(p, sources);
    else throw inputError('INPUT_UNREADABLE', 'not a file or directory', p);
  }
  return { sources, label: paths.join(', ') };
}
