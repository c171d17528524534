/**
 * A deterministic ZIP writer for large entries deflated in independent chunks (so the chunks
 * can be compressed in parallel on the worker pool): each chunk is a raw DEFLATE stream ended
 * by a sync flush (byte-aligned, not final), the last one ends the stream, and their
 * concatenation is one valid DEFLATE stream (the same trick as pigz). Each chunk's CRC-32 is
 * computed with it and the entry's CRC is combined from them. The chunk boundaries depend only
 * on the data, never on the number of workers, so the bytes are identical with or without a pool.
 *
 * Every entry gets the fixed DOS time stamp 1980-01-01 00:00, no extra fields, no data
 * descriptors; sizes must stay below 4 GiB (no ZIP64), which is checked.
 */
import { Deflate } from 'fflate';
import { joinBytes } from './join-bytes.js';

const CRC_TABLE = (() => {
  // Slicing-by-8 tables: T[k][b] is the CRC of byte b followed by k zero bytes.
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
})();

/** CRC-32 (ISO 3309, as in ZIP) of `data`, continuing from `crc`. */
export function crc32(data: Uint8Array, crc = 0): number {
  const t = CRC_TABLE;
  let c = ~crc;
  let i = 0;
  const n = data.length;
  const n8 = n - (n % 8);
  for (; i < n8; i += 8) {
    const lo = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    const hi = data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24);
    c =
      t[1792 + (lo & 0xff)]! ^
      t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^
      t[1024 + (lo >>> 24)]! ^
      t[768 + (hi & 0xff)]! ^
      t[512 + ((hi >>> 8) & 0xff)]! ^
      t[256 + ((hi >>> 16) & 0xff)]! ^
      t[hi >>> 24]!;
  }
  for (; i < n; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** a·b modulo the CRC-32 polynomial (bit-reflected, x^0 in the top bit), as zlib's multmodp. */
function multModP(a: number, b: number): number {
  let p = 0;
  let bb = b >>> 0;
  for (let m = 0x80000000; m !== 0; m >>>= 1) {
    if (a & m) {
      p ^= bb;
      if ((a & (m - 1)) === 0) break;
    }
    bb = bb & 1 ? (bb >>> 1) ^ 0xedb88320 : bb >>> 1;
  }
  return p >>> 0;
}

/** x^(2^k) modulo the polynomial, k = 0..31 (zlib's x2n_table). */
const X2N = (() => {
  const t = new Uint32Array(32);
  let p = 0x40000000; // x^1
  t[0] = p;
  for (let k = 1; k < 32; k++) t[k] = p = multModP(p, p);
  return t;
})();

/** x^(n·2^k) modulo the polynomial. */
function x2nModP(n: number, k: number): number {
  let p = 0x80000000; // x^0
  let kk = k;
  for (let m = n; m > 0; m = Math.floor(m / 2), kk++) if (m % 2) p = multModP(X2N[kk & 31]!, p);
  return p;
}

/**
 * CRC-32 of A‖B from crc(A), crc(B) and B's length (zlib's crc32_combine: crc(A) times x^(8·len)
 * modulo the polynomial, a few dozen shifts where the older matrix method took thousands).
 */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA >>> 0;
  return (multModP(x2nModP(lengthB, 3), crcA >>> 0) ^ crcB) >>> 0;
}

/** One chunk of an entry, compressed (or stored) with its CRC and uncompressed length. */
export interface DeflatedChunk {
  data: Uint8Array;
  crc: number;
  size: number;
}

/**
 * A host's raw DEFLATE for the chunks of a chunked stream (a native zlib, ConvertJobHost.deflateRaw):
 * `deflate` compresses `bytes` as an independent raw stream at `level`, ended (BFINAL) when
 * `last`, otherwise ended by a sync flush (zlib's Z_SYNC_FLUSH: an empty stored block, byte
 * aligned, not final) so the next chunk can follow; `crc` is the CRC-32 of `bytes`. It must be
 * deterministic (the same bytes for the same input and level), so the file is too.
 */
export interface RawDeflater {
  /** The library, recorded with the output (e.g. "node:zlib 1.3.0.1-motley"). */
  library: string;
  /** `windowBits`: the sliding window, 2^windowBits bytes (9-15, zlib's meaning); absent = the library's largest. */
  deflate(bytes: Uint8Array, opts: { level: number; last: boolean; windowBits?: number }): Promise<{ data: Uint8Array; crc: number }>;
}

/**
 * fflate's hash-table size, 2^(12 + mem) entries: 2^18 for 1 MiB chunks instead of its
 * streaming default 2^20 (a 2 MB table zeroed per chunk), with the same compression.
 */
const DEFLATE_MEM = 6;

/** fflate's streaming compressor, with the internals the sync flush below needs. */
interface DeflateInternals {
  p(data: Uint8Array, final: boolean): void;
  b: Uint8Array;
  s: { r: number; w: number; i: number };
  ondata: (chunk: Uint8Array, final: boolean) => void;
}

/**
 * Deflates one chunk as part of a chunked stream: `last` ends the stream, otherwise the
 * output ends with a sync flush (an empty stored block: byte-aligned, not final) so the next
 * chunk's independent stream can follow it.
 *
 * fflate 0.8.3's own `flush(true)` writes that stored block at a wrong offset whenever the
 * pending partial byte is non-zero (about one chunk in five fails to inflate), so the flush is
 * done here on its documented state: after compressing the buffered input, `s.r` holds the
 * pending byte (high bits) and the bit position in it (low 3 bits). The specs inflate chunked
 * streams of many sizes with zlib to keep this honest.
 */
export function deflateChunk(bytes: Uint8Array, level: number, last: boolean): DeflatedChunk {
  const parts: Uint8Array[] = [];
  let n = 0;
  const d = new Deflate({ level: level as 1, mem: DEFLATE_MEM }, (c) => {
    parts.push(c);
    n += c.length;
  });
  d.push(bytes, last);
  if (!last) {
    const di = d as unknown as DeflateInternals;
    if (typeof di.p !== 'function' || typeof di.s !== 'object') throw new Error('fflate internals changed: chunked deflate needs a review');
    di.p(di.b, false);
    di.s.w = di.s.i;
    di.s.i -= 2;
    const r = di.s.r;
    if (typeof r !== 'number') throw new Error('fflate internals changed: chunked deflate needs a review');
    const bit = r & 7;
    const o = Math.ceil((bit + 3) / 8); // 3 header bits (BFINAL 0, BTYPE 00), then byte-aligned LEN/NLEN
    const tail = new Uint8Array(o + 4);
    tail[0] = bit ? r >> 3 : 0;
    tail[o + 2] = 0xff;
    tail[o + 3] = 0xff;
    parts.push(tail);
    n += tail.length;
  }
  return { data: parts.length === 1 ? parts[0]! : joinBytes(parts, n), crc: crc32(bytes), size: bytes.length };
}

export interface ZipEntry {
  name: string;
  /** 8 = deflate, 0 = stored. */
  method: 0 | 8;
  chunks: DeflatedChunk[];
}

const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01
const DOS_TIME = 0;

/** The ZIP file of the entries, in order, as one byte array. */
/** `alloc` gives the file's buffer (a pool task passes shared memory, so returning the file copies nothing). */
export function writeZip(entries: ZipEntry[], alloc: (n: number) => Uint8Array = (n) => new Uint8Array(n)): Uint8Array {
  const enc = new TextEncoder();
  const heads: Array<{ name: Uint8Array; crc: number; csize: number; usize: number; offset: number; method: number }> = [];
  let offset = 0;
  for (const e of entries) {
    let crc = 0;
    let csize = 0;
    let usize = 0;
    for (const c of e.chunks) {
      crc = crc32Combine(crc, c.crc, c.size);
      csize += c.data.length;
      usize += c.size;
    }
    if (csize >= 0xffffffff || usize >= 0xffffffff) throw new RangeError(`zip entry ${e.name} is 4 GiB or larger; ZIP64 is not supported`);
    const name = enc.encode(e.name);
    heads.push({ name, crc, csize, usize, offset, method: e.method });
    offset += 30 + name.length + csize;
  }
  let cdSize = 0;
  for (const h of heads) cdSize += 46 + h.name.length;
  const out = alloc(offset + cdSize + 22);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let o = 0;
  entries.forEach((e, i) => {
    const h = heads[i]!;
    dv.setUint32(o, 0x04034b50, true);
    dv.setUint16(o + 4, 20, true);
    dv.setUint16(o + 6, 0, true);
    dv.setUint16(o + 8, h.method, true);
    dv.setUint16(o + 10, DOS_TIME, true);
    dv.setUint16(o + 12, DOS_DATE, true);
    dv.setUint32(o + 14, h.crc, true);
    dv.setUint32(o + 18, h.csize, true);
    dv.setUint32(o + 22, h.usize, true);
    dv.setUint16(o + 26, h.name.length, true);
    dv.setUint16(o + 28, 0, true);
    out.set(h.name, o + 30);
    o += 30 + h.name.length;
    for (const c of e.chunks) {
      out.set(c.data, o);
      o += c.data.length;
    }
  });
  const cdStart = o;
  for (const h of heads) {
    dv.setUint32(o, 0x02014b50, true);
    dv.setUint16(o + 4, 20, true);
    dv.setUint16(o + 6, 20, true);
    dv.setUint16(o + 8, 0, true);
    dv.setUint16(o + 10, h.method, true);
    dv.setUint16(o + 12, DOS_TIME, true);
    dv.setUint16(o + 14, DOS_DATE, true);
    dv.setUint32(o + 16, h.crc, true);
    dv.setUint32(o + 20, h.csize, true);
    dv.setUint32(o + 24, h.usize, true);
    dv.setUint16(o + 28, h.name.length, true);
    // extra, comment, disk, internal attributes: 0; external attributes: 0
    dv.setUint32(o + 42, h.offset, true);
    out.set(h.name, o + 46);
    o += 46 + h.name.length;
  }
  dv.setUint32(o, 0x06054b50, true);
  dv.setUint16(o + 8, heads.length, true);
  dv.setUint16(o + 10, heads.length, true);
  dv.setUint32(o + 12, o - cdStart, true);
  dv.setUint32(o + 16, cdStart, true);
  return out;
}

/** A small entry compressed in one piece. */
export function smallEntry(name: string, bytes: Uint8Array, level = 6): ZipEntry {
  return { name, method: 8, chunks: [deflateChunk(bytes, level, true)] };
}
