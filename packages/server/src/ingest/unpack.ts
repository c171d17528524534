/**
 * An upload's files: a DICOM file as it is, a zip unpacked in memory with limits checked
 * from its central directory before anything is inflated (zip bombs: entry count, total
 * and per-entry size, compression ratio). Each entry is then inflated with its declared
 * size as a hard output cap (zlib's maxOutputLength), so a zip whose directory lies about
 * sizes stops at the lie instead of growing a buffer without bound (fflate's unzipSync
 * grows its output past the declared size, which is why the directory is read here).
 * Entry names are used only in messages, never as storage paths.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { HttpError } from '../http/errors.js';

export interface UploadedFile {
  /** The name the client gave (for messages only). */
  name: string;
  bytes: Uint8Array;
}

export interface UnpackLimits {
  maxEntries: number;
  maxUnzippedBytes: number;
  /** Largest uncompressed/compressed ratio of one entry (DICOM rarely exceeds 20:1). */
  maxRatio: number;
}

export const DEFAULT_UNPACK_LIMITS: UnpackLimits = { maxEntries: 20_000, maxUnzippedBytes: 4 * 1024 ** 3, maxRatio: 200 };

/** The limits an upload route applies: the defaults, with the installation's unpacked-size cap. */
export function unpackLimits(config: { maxUnzippedBytes: number }): UnpackLimits {
  return { ...DEFAULT_UNPACK_LIMITS, maxUnzippedBytes: config.maxUnzippedBytes };
}

export function isZip(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;
}

/** Files a zip tool or an OS adds that are not part of the series. */
function isNoise(name: string): boolean {
  const base = name.split('/').pop() ?? name;
  return name.endsWith('/') || name.startsWith('__MACOSX/') || base.startsWith('.') || /^(DICOMDIR|Thumbs\.db|desktop\.ini)$/i.test(base);
}

interface Entry {
  name: string;
  method: number;
  flags: number;
  compressed: number;
  size: number;
  /** Offset of the entry's local header. */
  local: number;
  /** CRC-32 of the uncompressed bytes, checked once they are read. */
  crc: number;
}

class ZipFormatError extends Error {}

/** The directory lists more entries than any series (plus the noise zip tools add) could need. */
class TooManyEntries extends Error {}

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const EOCD64 = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX32 = 0xffffffff;

/**
 * The central directory's entries (zip64 sizes and offsets included); throws ZipFormatError on
 * anything malformed, TooManyEntries before reading more than maxCount (noise entries included).
 */
function readDirectory(b: Uint8Array, maxCount: number): Entry[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u16 = (o: number) => (o + 2 <= b.length ? v.getUint16(o, true) : fail('truncated'));
  const u32 = (o: number) => (o + 4 <= b.length ? v.getUint32(o, true) : fail('truncated'));
  const u64 = (o: number) => (o + 8 <= b.length ? Number(v.getBigUint64(o, true)) : fail('truncated'));
  let e = b.length - 22;
  const stop = Math.max(0, b.length - 22 - 0xffff);
  while (e >= stop && u32(e) !== EOCD) e--;
  if (e < stop) fail('no end-of-directory record');
  let count = u16(e + 10);
  let offset = u32(e + 16);
  if (e >= 20 && u32(e - 20) === EOCD64_LOCATOR) {
    const z = u64(e - 12);
    if (u32(z) !== EOCD64) fail('bad zip64 end-of-directory record');
    count = u64(z + 32);
    offset = u64(z + 48);
  }
  if (count > maxCount) throw new TooManyEntries(String(count));
  const entries: Entry[] = [];
  const names = new TextDecoder();
  let o = offset;
  for (let i = 0; i < count; i++) {
    if (u32(o) !== CENTRAL) fail(`directory entry ${i} is damaged`);
    const flags = u16(o + 8);
    const method = u16(o + 10);
    const crc = u32(o + 16);
    let compressed = u32(o + 20);
    let size = u32(o + 24);
    const nameLen = u16(o + 28);
    const extraLen = u16(o + 30);
    const commentLen = u16(o + 32);
    let local = u32(o + 42);
    if (o + 46 + nameLen > b.length) fail('truncated');
    const name = names.decode(b.subarray(o + 46, o + 46 + nameLen));
    // zip64 extra field: the 64-bit values, in this order, for each 32-bit field that is all ones.
    for (let x = o + 46 + nameLen; x + 4 <= o + 46 + nameLen + extraLen; ) {
      const id = u16(x);
      const len = u16(x + 2);
      if (id === 0x0001) {
        let p = x + 4;
        if (size === MAX32) {
          size = u64(p);
          p += 8;
        }
        if (compressed === MAX32) {
          compressed = u64(p);
          p += 8;
        }
        if (local === MAX32) local = u64(p);
      }
      x += 4 + len;
    }
    entries.push({ name, method, flags, compressed, size, local, crc });
    o += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

function fail(why: string): never {
  throw new ZipFormatError(why);
}

/** The entry's stored bytes, located through its local header. */
function rawData(b: Uint8Array, en: Entry): Uint8Array {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (en.local + 30 > b.length || v.getUint32(en.local, true) !== LOCAL) fail(`${en.name}: local header missing`);
  const start = en.local + 30 + v.getUint16(en.local + 26, true) + v.getUint16(en.local + 28, true);
  if (start + en.compressed > b.length) fail(`${en.name}: data runs past the end of the archive`);
  return b.subarray(start, start + en.compressed);
}

export function unpack(file: UploadedFile, limits: UnpackLimits = DEFAULT_UNPACK_LIMITS): UploadedFile[] {
  if (!isZip(file.bytes)) return [file];
  const refuse = (why: string) => new HttpError(413, 'ZIP_LIMIT', `${file.name}: ${why}`);
  const broken = (why: string) => new HttpError(422, 'BAD_ZIP', `${file.name}: not a readable zip archive (${why})`);
  let entries: Entry[];
  try {
    // Noise entries (__MACOSX, .DS_Store) may double a series' count; far beyond that, not even the directory is read.
    entries = readDirectory(file.bytes, 2 * limits.maxEntries + 1000).filter((en) => !isNoise(en.name));
  } catch (e) {
    if (e instanceof ZipFormatError) throw broken(e.message);
    if (e instanceof TooManyEntries) throw refuse(`its directory lists ${e.message} entries, more than ${limits.maxEntries} files`);
    throw e;
  }
  // Every limit is checked on the whole directory before one byte is inflated.
  if (entries.length > limits.maxEntries) throw refuse(`more than ${limits.maxEntries} entries`);
  let declared = 0;
  for (const en of entries) {
    declared += en.size;
    if (declared > limits.maxUnzippedBytes) throw refuse(`unpacks to more than ${limits.maxUnzippedBytes} bytes`);
    if (en.size > 1024 * 1024 && en.size / Math.max(1, en.compressed) > limits.maxRatio) {
      throw refuse(`entry ${en.name} expands ${Math.round(en.size / Math.max(1, en.compressed))}:1 (a zip bomb?)`);
    }
    if (en.flags & 1) throw new HttpError(422, 'BAD_ZIP', `${file.name}: entry ${en.name} is encrypted; upload an unencrypted zip`);
    if (en.method !== 0 && en.method !== 8) {
      const why = `entry ${en.name} uses compression method ${en.method}; only stored and deflate are read`;
      throw new HttpError(422, 'BAD_ZIP', `${file.name}: ${why}`);
    }
  }
  const files: UploadedFile[] = [];
  for (const en of entries) {
    let bytes: Uint8Array;
    try {
      const raw = rawData(file.bytes, en);
      if (en.method === 0) {
        if (en.compressed !== en.size) fail(`${en.name}: stored entry with two different sizes`);
        bytes = raw;
      } else {
        // The declared size caps the output: a lying directory cannot make us inflate more than it admitted to.
        const out = inflateRawSync(raw, { maxOutputLength: Math.max(1, en.size) });
        if (out.length !== en.size) fail(`${en.name}: inflates to ${out.length} bytes, the directory says ${en.size}`);
        bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      }
      // A stored entry is not inflated, so nothing else notices a changed byte: check every one.
      if (crc32(bytes) >>> 0 !== en.crc >>> 0) fail(`${en.name}: its bytes do not match the CRC-32 the zip gives (the archive is damaged)`);
    } catch (e) {
      if (e instanceof RangeError && (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw refuse(`entry ${en.name} inflates beyond the ${en.size} bytes its directory declares (a zip bomb?)`);
      }
      if (e instanceof ZipFormatError) throw broken(e.message);
      throw broken(`${en.name}: ${(e as Error).message}`);
    }
    files.push({ name: `${file.name}:${en.name}`, bytes });
  }
  if (files.length === 0) throw new HttpError(422, 'EMPTY_ZIP', `${file.name}: the zip holds no files`);
  return files;
}
