/**
 * Command-line inputs → DICOM sources for the core import stage: files, directories
 * (recursive, in sorted order so results never depend on the file system's listing
 * order) and .zip archives (entries read on demand). Nothing is read here except
 * directory listings, zip central directories and the 4-byte zip signature — and a zip
 * inside a zip (an entry named *.zip, one level deep, at most MAX_NESTED_ZIP_BYTES), which
 * is inflated once to list it and again when its entries are read (one held at a time).
 * A zip nested deeper, a larger one, or an entry that is a zip without the name becomes a
 * source whose read fails naming it, so it is reported, never silently counted as non-DICOM.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { inputError, isScanError, type DicomSource } from '@scan2print/core/job';
import { listZip, readZipEntry, type ZipArchive } from './zip.js';
import { readWhole, SharedBlocks } from './shared-blocks.js';

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

function fileSource(path: string, blocks?: SharedBlocks): DicomSource {
  return {
    name: path,
    async read() {
      try {
        const fh = await open(path, 'r');
        try {
          return await (blocks ? blocks.read(fh) : readWhole(fh));
        } finally {
          await fh.close();
        }
      } catch (e) {
        throw fsError(path, e);
      }
    },
  };
}

/** Zips are opened this deep: a zip on disk is depth 1, a zip inside it depth 2. */
export const MAX_ZIP_DEPTH = 2;
/** A zip inside a zip is held in memory while read: at most this large uncompressed. */
export const MAX_NESTED_ZIP_BYTES = 1024 * 2 ** 20;

function startsLikeZip(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && ((b[2] === 3 && b[3] === 4) || (b[2] === 5 && b[3] === 6));
}

function refused(name: string, code: string, message: string): DicomSource {
  return {
    name,
    read: () => Promise.reject(inputError(code, message, name)),
  };
}

/** The nested zip last inflated, kept while its entries (listed, then read, consecutively) are read. */
interface NestedCache {
  name?: string;
  bytes?: Promise<Uint8Array>;
}

/**
 * Adds a zip's entries. `archive` gives the zip each time it is needed: the path of a zip on disk, or a
 * nested zip's bytes through the one-slot cache, so only the nested zip in use is held in memory.
 */
async function addZip(
  archive: () => Promise<ZipArchive>,
  label: string,
  depth: number,
  out: DicomSource[],
  cache: NestedCache,
): Promise<void> {
  const entries = await listZip(await archive());
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const name = `${label}!/${e.name}`;
    if (!/\.zip$/i.test(e.name)) {
      out.push({
        name,
        async read() {
          const b = await readZipEntry(await archive(), e);
          if (startsLikeZip(b)) {
            const why = 'is a zip archive inside a zip, not named .zip: not opened (unpack it, or name it .zip)';
            throw inputError('ZIP_NESTED_NOT_OPENED', why, name);
          }
          return b;
        },
      });
      continue;
    }
    if (depth >= MAX_ZIP_DEPTH) {
      const why = `is a zip inside a zip inside a zip: not opened (zips are opened ${MAX_ZIP_DEPTH} levels deep); unpack it`;
      out.push(refused(name, 'ZIP_NESTED_TOO_DEEP', why));
      continue;
    }
    if (e.size > MAX_NESTED_ZIP_BYTES) {
      const mib = (n: number) => `${Math.round(n / 2 ** 20)} MiB`;
      const why = `is a zip inside a zip of ${mib(e.size)}: not opened (the limit is ${mib(MAX_NESTED_ZIP_BYTES)}); unpack it`;
      out.push(refused(name, 'ZIP_NESTED_TOO_LARGE', why));
      continue;
    }
    const nested = async (): Promise<ZipArchive> => {
      if (cache.name !== name || !cache.bytes) {
        // Name and bytes are set together (no await between): concurrent reads (import reads 8 at once) share one inflation.
        // The DICOM sniff does not apply (the name says zip; the signature is checked below).
        cache.name = name;
        cache.bytes = archive().then((outer) => readZipEntry(outer, e, { maxBytes: MAX_NESTED_ZIP_BYTES, sniffAbove: Infinity }));
      }
      const bytes = await cache.bytes.catch((err: unknown) => {
        if (cache.name === name) cache.bytes = undefined;
        throw err;
      });
      if (!startsLikeZip(bytes)) throw inputError('ZIP_CORRUPT', 'is named .zip inside a zip but is not a zip archive', name);
      return { name, bytes };
    };
    try {
      await addZip(nested, name, depth + 1, out, cache);
    } catch (err) {
      // A damaged nested zip must not stop the rest: it is reported by name when read.
      if (!isScanError(err)) throw err;
      out.push({ name, read: () => Promise.reject(err) });
    }
  }
}

/** Zip containers that are not archives of a scan: a model (ours, left beside its series) or a document. */
const NOT_AN_ARCHIVE = /\.(3mf|docx|xlsx|pptx|odt|ods|epub)$/i;

async function addFile(path: string, out: DicomSource[], blocks?: SharedBlocks): Promise<void> {
  // A 3MF written into the series' folder is one non-DICOM file, not an archive of 20-odd entries.
  if (!NOT_AN_ARCHIVE.test(path) && (await isZip(path))) await addZip(async () => path, path, 1, out, {});
  else out.push(fileSource(path, blocks));
}

async function walk(dir: string, out: DicomSource[], seen: Set<string>, blocks?: SharedBlocks): Promise<void> {
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
      await walk(p, out, seen, blocks);
    } else if (st.isFile()) {
      await addFile(p, out, blocks);
    }
  }
}

export interface CollectOptions {
  /**
   * Files read into blocks of shared memory (shared-blocks.ts says why): for the commands that
   * import a series on the worker pool. Their bytes are then views of a SharedArrayBuffer, which
   * not every consumer takes (a fetch body, for one), so the others keep a buffer per file.
   */
  sharedBlocks?: boolean;
}

/** Expands the paths given on the command line into sources, in a deterministic order. */
export async function collectInputs(paths: string[], opts: CollectOptions = {}): Promise<InputSet> {
  const sources: DicomSource[] = [];
  const blocks = opts.sharedBlocks ? new SharedBlocks() : undefined;
  for (const p of paths) {
    let st;
    try {
      st = await stat(p);
    } catch (e) {
      throw fsError(p, e);
    }
    if (st.isDirectory()) await walk(p, sources, new Set([`${st.dev}:${st.ino}`]), blocks);
    else if (st.isFile()) await addFile(p, sources, blocks);
    else throw inputError('INPUT_UNREADABLE', 'not a file or directory', p);
  }
  return { sources, label: paths.join(', ') };
}
