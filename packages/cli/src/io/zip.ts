/**
 * Random-access reading of .zip archives: the central directory is read once, and
 * each entry is read (and inflated) from disk only when asked for, so a zip of a whole
 * study never sits in memory. Stored (0) and deflated (8) entries, ZIP64 sizes and
 * offsets; encrypted entries and other methods are refused with the entry named. An archive is
 * a path, or (a zip found inside a zip, issue 13) its bytes in memory with the name it is shown by.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { Inflate } from 'fflate';
import { inputError } from '@scan2print/core/job';

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
  /** CRC-32 of the uncompressed bytes (central directory), checked after reading. */
  crc32: number;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CDIR_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

/** A zip held in memory: one read out of another zip (see inputs.ts), named `outer.zip!/inner.zip`. */
export interface MemoryZip {
  name: string;
  bytes: Uint8Array;
}
export type ZipArchive = string | MemoryZip;

interface RandomAccess {
  size: number;
  read(pos: number, len: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

async function openArchive(a: ZipArchive): Promise<RandomAccess> {
  if (typeof a !== 'string') {
    const b = a.bytes;
    const read = async (pos: number, len: number) => b.subarray(Math.min(pos, b.length), Math.min(pos + len, b.length));
    return { size: b.length, read, close: async () => {} };
  }
  const fh = await open(a, 'r');
  try {
    const size = (await fh.stat()).size;
    return { size, read: (pos, len) => readAt(fh, pos, len), close: () => fh.close() };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

export function archiveName(a: ZipArchive): string {
  return typeof a === 'string' ? a : a.name;
}

async function readAt(fh: FileHandle, pos: number, len: number): Promise<Uint8Array> {
  const buf = new Uint8Array(len);
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === len ? buf : buf.subarray(0, got);
}

function u64(dv: DataView, off: number): number {
  return dv.getUint32(off, true) + dv.getUint32(off + 4, true) * 2 ** 32;
}

/** Lists the file entries of a zip (directories and macOS resource forks left out). */
export async function listZip(archive: ZipArchive): Promise<ZipEntry[]> {
  const path = archiveName(archive);
  const fh = await openArchive(archive);
  try {
    const size = fh.size;
    const tailLen = Math.min(size, 65557);
    const tail = await fh.read(size - tailLen, tailLen);
    const tdv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
    let eocd = -1;
    for (let p = tail.length - 22; p >= 0; p--) if (tdv.getUint32(p, true) === EOCD_SIG) { eocd = p; break; }
    if (eocd < 0) throw inputError('ZIP_CORRUPT', 'not a readable zip archive (no end-of-central-directory record)', path);
    let count = tdv.getUint16(eocd + 10, true);
    let cdSize = tdv.getUint32(eocd + 12, true);
    let cdOffset = tdv.getUint32(eocd + 16, true);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const loc = eocd - 20;
      if (loc < 0 || tdv.getUint32(loc, true) !== ZIP64_LOCATOR_SIG) throw inputError('ZIP_CORRUPT', 'ZIP64 archive without a ZIP64 locator', path);
      const recOff = u64(tdv, loc + 8);
      const rec = await fh.read(recOff, 56);
      const rdv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
      if (rec.length < 56 || rdv.getUint32(0, true) !== ZIP64_EOCD_SIG) throw inputError('ZIP_CORRUPT', 'damaged ZIP64 end-of-central-directory record', path);
      count = u64(rdv, 32);
      cdSize = u64(rdv, 40);
      cdOffset = u64(rdv, 48);
    }
    if (cdOffset + cdSize > size) throw inputError('ZIP_CORRUPT', `central directory (${cdSize} bytes at ${cdOffset}) lies beyond the end of the file (${size} bytes): truncated zip`, path);
    const cd = await fh.read(cdOffset, cdSize);
    const dv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
    const out: ZipEntry[] = [];
    const dec = new TextDecoder('utf-8');
    let p = 0;
    for (let e = 0; e < count; e++) {
      if (p + 46 > cd.length || dv.getUint32(p, true) !== CDIR_SIG) throw inputError('ZIP_CORRUPT', `damaged central directory at entry ${e + 1}`, path);
      const flags = dv.getUint16(p + 8, true);
      const method = dv.getUint16(p + 10, true);
      const crc32 = dv.getUint32(p + 16, true);
      let compressedSize = dv.getUint32(p + 20, true);
      let sz = dv.getUint32(p + 24, true);
      const nameLen = dv.getUint16(p + 28, true);
      const extraLen = dv.getUint16(p + 30, true);
      const commentLen = dv.getUint16(p + 32, true);
      let localHeaderOffset = dv.getUint32(p + 42, true);
      const name = dec.decode(cd.subarray(p + 46, p + 46 + nameLen));
      // ZIP64 extended information extra field: present values replace the 0xFFFFFFFF ones, in order.
      let x = p + 46 + nameLen;
      const xEnd = x + extraLen;
      while (x + 4 <= xEnd) {
        const id = dv.getUint16(x, true), len = dv.getUint16(x + 2, true);
        if (id === 0x0001) {
          let q = x + 4;
          if (sz === 0xffffffff) { sz = u64(dv, q); q += 8; }
          if (compressedSize === 0xffffffff) { compressedSize = u64(dv, q); q += 8; }
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = u64(dv, q);
        }
        x += 4 + len;
      }
      p = xEnd + commentLen;
      if (name.endsWith('/') || name.startsWith('__MACOSX/')) continue;
      out.push({ name, method, flags, compressedSize, size: sz, localHeaderOffset, crc32 });
    }
    return out;
  } finally {
    await fh.close();
  }
}

/** One file may not be larger than this uncompressed (a typed array's practical limit; no CT slice comes near). */
export const MAX_ENTRY_BYTES = 2 ** 31 - 1;
/** Entries above this size are checked for a DICOM start before being inflated any further. */
export const SNIFF_ABOVE_BYTES = 16 * 2 ** 20;
/**
 * Compressed bytes per push. Deflate expands at most ~1032:1, so 64 KiB can become ~64 MiB;
 * before an entry is known to look like DICOM only 1 KiB is pushed at a time (≤ ~1 MiB out).
 */
const CHUNK = 64 * 1024;
const SNIFF_CHUNK = 1024;

/** A DICOM Part 10 file ("DICM" at 128) or a raw dataset starting with group 0002 or 0008, little endian. */
export function looksLikeDicom(b: Uint8Array): boolean {
  if (b.length >= 132 && b[128] === 0x44 && b[129] === 0x49 && b[130] === 0x43 && b[131] === 0x4d) return true;
  return b.length >= 4 && (b[0] === 0x02 || b[0] === 0x08) && b[1] === 0x00;
}

const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');

function mib(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`;
}

/**
 * Reads and inflates one entry, streaming: the compressed bytes are read in small chunks and
 * inflated as they come, never past the declared size (a zip bomb is refused), and a large
 * entry that does not start like DICOM is refused after its first chunk, with the entry
 * named, instead of being inflated whole into memory.
 */
export async function readZipEntry(
  archive: ZipArchive,
  e: ZipEntry,
  opts: { maxBytes?: number; sniffAbove?: number } = {},
): Promise<Uint8Array> {
  const label = `${archiveName(archive)}!/${e.name}`;
  const maxBytes = opts.maxBytes ?? MAX_ENTRY_BYTES;
  const sniffAbove = opts.sniffAbove ?? SNIFF_ABOVE_BYTES;
  if (e.flags & 1) throw inputError('ZIP_ENCRYPTED', 'encrypted zip entries are not supported', label);
  if (e.method !== 0 && e.method !== 8) throw inputError('ZIP_METHOD', `zip compression method ${e.method} is not supported (only stored and deflate)`, label);
  if (e.size > maxBytes) throw inputError('ZIP_ENTRY_TOO_LARGE', `entry declares ${mib(e.size)} uncompressed, over the ${mib(maxBytes)} limit for one file: not read`, label);
  const fh = await openArchive(archive);
  try {
    const lh = await fh.read(e.localHeaderOffset, 30);
    const ldv = new DataView(lh.buffer, lh.byteOffset, lh.byteLength);
    if (lh.length < 30 || ldv.getUint32(0, true) !== LOCAL_SIG) throw inputError('ZIP_CORRUPT', 'damaged local header', label);
    const start = e.localHeaderOffset + 30 + ldv.getUint16(26, true) + ldv.getUint16(28, true);

    // The output is allocated only once the entry is known to be worth it.
    const sniff = e.size > sniffAbove;
    let out: Uint8Array | undefined = sniff ? undefined : new Uint8Array(e.size);
    let head = new Uint8Array(0);
    let got = 0;
    const accept = (chunk: Uint8Array) => {
      if (got + chunk.length > e.size) throw inputError('ZIP_CORRUPT', `entry inflates to more than its declared ${e.size} bytes: refused`, label);
      if (!out) {
        const h = new Uint8Array(head.length + chunk.length);
        h.set(head);
        h.set(chunk, head.length);
        head = h;
        got += chunk.length;
        if (head.length < 132 && got < e.size) return;
        if (!looksLikeDicom(head)) {
          throw inputError('ZIP_NOT_DICOM', `entry of ${mib(e.size)} does not start like DICOM (no "DICM" at byte 128): not inflated further (stopped after ${mib(got)})`, label);
        }
        out = new Uint8Array(e.size);
        out.set(head);
        head = new Uint8Array(0);
        return;
      }
      out.set(chunk, got);
      got += chunk.length;
    };
    const inflater = e.method === 8 ? new Inflate() : undefined;
    if (inflater) inflater.ondata = (chunk) => accept(chunk);
    for (let pos = 0, n = 0; pos < e.compressedSize; pos += n) {
      n = Math.min(out ? CHUNK : SNIFF_CHUNK, e.compressedSize - pos);
      const comp = await fh.read(start + pos, n);
      if (comp.length < n) throw inputError('ZIP_CORRUPT', `entry truncated (${pos + comp.length} of ${e.compressedSize} bytes)`, label);
      if (!inflater) {
        accept(comp);
        continue;
      }
      try {
        inflater.push(comp, pos + n >= e.compressedSize);
      } catch (err) {
        if ((err as { name?: string }).name === 'ScanError') throw err;
        throw inputError('ZIP_CORRUPT', `cannot inflate entry (${(err as Error).message})`, label, err);
      }
    }
    if (e.compressedSize === 0 && inflater) inflater.push(new Uint8Array(0), true);
    if (got !== e.size) throw inputError('ZIP_CORRUPT', `entry inflates to ${got} bytes, its header says ${e.size}`, label);
    const bytes = out ?? head;
    // Stored entries are not inflated, so nothing else notices a changed byte: a corrupted slice
    // would be modelled as if it were the scan. Every entry's bytes must match its CRC-32.
    const crc = crc32(bytes) >>> 0;
    if (crc !== e.crc32 >>> 0) {
      throw inputError('ZIP_CORRUPT', `entry's bytes do not match its CRC-32 (${hex8(crc)}, the zip says ${hex8(e.crc32)}): the archive is damaged`, label);
    }
    return bytes;
  } finally {
    await fh.close();
  }
}
