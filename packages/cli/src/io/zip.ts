/**
 * Random-access reading of .zip archives: the central directory is read once, and
 * each entry is read (and inflated) from disk only when asked for, so a zip of a whole
 * study never sits in memory. Stored (0) and deflated (8) entries, ZIP64 sizes and
 * offsets; encrypted entries and other methods are refused with the entry named.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { inflateSync } from 'fflate';
import { inputError } from '@scan2print/core';

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CDIR_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

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
export async function listZip(path: string): Promise<ZipEntry[]> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const tailLen = Math.min(size, 65557);
    const tail = await readAt(fh, size - tailLen, tailLen);
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
      const rec = await readAt(fh, recOff, 56);
      const rdv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
      if (rec.length < 56 || rdv.getUint32(0, true) !== ZIP64_EOCD_SIG) throw inputError('ZIP_CORRUPT', 'damaged ZIP64 end-of-central-directory record', path);
      count = u64(rdv, 32);
      cdSize = u64(rdv, 40);
      cdOffset = u64(rdv, 48);
    }
    if (cdOffset + cdSize > size) throw inputError('ZIP_CORRUPT', `central directory (${cdSize} bytes at ${cdOffset}) lies beyond the end of the file (${size} bytes): truncated zip`, path);
    const cd = await readAt(fh, cdOffset, cdSize);
    const dv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
    const out: ZipEntry[] = [];
    const dec = new TextDecoder('utf-8');
    let p = 0;
    for (let e = 0; e < count; e++) {
      if (p + 46 > cd.length || dv.getUint32(p, true) !== CDIR_SIG) throw inputError('ZIP_CORRUPT', `damaged central directory at entry ${e + 1}`, path);
      const flags = dv.getUint16(p + 8, true);
      const method = dv.getUint16(p + 10, true);
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
      out.push({ name, method, flags, compressedSize, size: sz, localHeaderOffset });
    }
    return out;
  } finally {
    await fh.close();
  }
}

/** Reads and inflates one entry. */
export async function readZipEntry(path: string, e: ZipEntry): Promise<Uint8Array> {
  const label = `${path}!/${e.name}`;
  if (e.flags & 1) throw inputError('ZIP_ENCRYPTED', 'encrypted zip entries are not supported', label);
  if (e.method !== 0 && e.method !== 8) throw inputError('ZIP_METHOD', `zip compression method ${e.method} is not supported (only stored and deflate)`, label);
  const fh = await open(path, 'r');
  try {
    const lh = await readAt(fh, e.localHeaderOffset, 30);
    const ldv = new DataView(lh.buffer, lh.byteOffset, lh.byteLength);
    if (lh.length < 30 || ldv.getUint32(0, true) !== LOCAL_SIG) throw inputError('ZIP_CORRUPT', 'damaged local header', label);
    const start = e.localHeaderOffset + 30 + ldv.getUint16(26, true) + ldv.getUint16(28, true);
    const comp = await readAt(fh, start, e.compressedSize);
    if (comp.length < e.compressedSize) throw inputError('ZIP_CORRUPT', `entry truncated (${comp.length} of ${e.compressedSize} bytes)`, label);
    if (e.method === 0) return comp;
    try {
      return inflateSync(comp, { out: new Uint8Array(e.size) });
    } catch (err) {
      throw inputError('ZIP_CORRUPT', `cannot inflate entry (${(err as Error).message})`, label, err);
    }
  } finally {
    await fh.close();
  }
}
