/**
 * Text output for large meshes written straight into bytes: no per-number strings, no giant
 * string concatenation, no TextEncoder pass. Numbers are formatted by integer arithmetic, so
 * the bytes are the same on every platform.
 *
 * Coordinates: the fewest fraction digits whose decimal reads back as exactly the same float32
 * (found by rounding x·10^d and checking the round trip, which is exact because n / 10^d is one
 * correctly rounded division). That is the shortest form except, rarely, at a power-of-two
 * boundary, where it may be one digit longer; it always reads back exactly.
 */

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);
const POW10: number[] = [];
for (let d = 0; d <= 22; d++) POW10.push(10 ** d);
/** "00" … "99": the ASCII digits of 0 … 99, two bytes each. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 48 + Math.floor(i / 10);
  PAIRS[2 * i + 1] = 48 + (i % 10);
}

/**
 * A template piece written millions of times (`<vertex x="`, `" y="` …), prepared for
 * 32-bit stores: a piece of 4 to 16 bytes is four little-endian words at offsets 0, 4, 8 and
 * len - 4 (capped, so they overlap instead of running past its end). Four unaligned DataView
 * stores cost a quarter of the byte loop they replace (30 bytes a triangle line).
 */
export class Piece {
  readonly bytes: Uint8Array;
  readonly length: number;
  /** Whether the four stores below write it (4..16 bytes); else its bytes are copied. */
  readonly words: boolean;
  readonly w0: number;
  readonly w1: number;
  readonly w2: number;
  readonly w3: number;
  readonly o1: number;
  readonly o2: number;
  readonly o3: number;

  constructor(text: string) {
    const b = new TextEncoder().encode(text);
    const n = b.length;
    this.bytes = b;
    this.length = n;
    this.words = n >= 4 && n <= 16;
    const at = (o: number): number => (this.words ? b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24) : 0);
    this.o1 = Math.max(0, Math.min(4, n - 4));
    this.o2 = Math.max(0, Math.min(8, n - 4));
    this.o3 = Math.max(0, n - 4);
    this.w0 = at(0);
    this.w1 = at(this.o1);
    this.w2 = at(this.o2);
    this.w3 = at(this.o3);
  }
}

/** The four pieces around three numbers of one line (a 3MF vertex or triangle). */
export type LinePieces = readonly [Piece, Piece, Piece, Piece];

export function linePieces(texts: readonly [string, string, string, string]): LinePieces {
  return [new Piece(texts[0]), new Piece(texts[1]), new Piece(texts[2]), new Piece(texts[3])];
}

/** ASCII bytes of chunked output; a full chunk is handed to `emit` (or kept) and a new one started. */
export class AsciiWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;
  private readonly kept: Uint8Array[] = [];

  /**
   * @param chunkSize bytes per chunk (a chunk is emitted when the next write might not fit)
   * @param emit receives each full chunk, which is then its own (the writer goes on in another
   *   buffer); without it, chunks are kept for `finish`
   * @param spare a buffer of chunkSize bytes the caller is done with (an emitted chunk's, given
   *   back), used for the next chunk instead of a new one; undefined when there is none
   */
  constructor(
    private readonly chunkSize = 1 << 20,
    private readonly emit?: (chunk: Uint8Array) => void,
    private readonly spare?: () => Uint8Array | undefined,
  ) {
    this.buf = new Uint8Array(chunkSize);
    this.view = new DataView(this.buf.buffer);
  }

  /** Bytes written so far into the current chunk. */
  get pending(): number {
    return this.pos;
  }

  private room(n: number): void {
    if (this.pos + n > this.buf.length) this.flush();
    if (n > this.buf.length) this.use(new Uint8Array(n));
  }

  private use(buf: Uint8Array): void {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Hands over the current chunk (if any) and starts a new one. */
  flush(): void {
    if (this.pos === 0) return;
    const chunk = this.buf.subarray(0, this.pos);
    if (this.emit) this.emit(chunk);
    else this.kept.push(chunk);
    const next = this.emit ? this.spare?.() : undefined;
    // Every chunk starts in a buffer of exactly chunkSize (one grown for a long write is not reused),
    // so where chunks end never depends on which buffers were given back.
    this.use(next && next.length === this.chunkSize ? next : new Uint8Array(this.chunkSize));
    this.pos = 0;
  }

  /** ASCII text (every char code < 128; callers escape anything else beforehand). */
  ascii(s: string): void {
    this.room(s.length);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Pre-encoded bytes (template pieces written millions of times). */
  bytes(src: Uint8Array): void {
    this.room(src.length);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < src.length; i++) b[p++] = src[i]!;
    this.pos = p;
  }

  /** Any text, UTF-8 encoded (metadata, names). */
  text(s: string): void {
    const bytes = new TextEncoder().encode(s);
    this.room(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** A non-negative integer below 2^53. */
  uint(n: number): void {
    this.room(17);
    this.pos = writeUint(this.buf, this.pos, n);
  }

  /** A float32 value, exactly recoverable, in the short decimal form described above. */
  float32(x: number): void {
    this.room(32);
    this.pos = writeFloat32(this.buf, this.pos, x);
  }

  /**
   * One line of three float32 values between four template pieces (a 3MF vertex): the same
   * bytes as bytes/float32 in turn, with one room check instead of seven.
   */
  floats3(t: LinePieces, x: number, y: number, z: number): void {
    this.room(t[0].length + t[1].length + t[2].length + t[3].length + 96);
    const b = this.buf;
    const v = this.view;
    let p = put(b, v, this.pos, t[0]);
    p = put(b, v, writeFloat32(b, p, x), t[1]);
    p = put(b, v, writeFloat32(b, p, y), t[2]);
    this.pos = put(b, v, writeFloat32(b, p, z), t[3]);
  }

  /** The same for three integers below 2^53 (a 3MF triangle). */
  uints3(t: LinePieces, i: number, j: number, k: number): void {
    this.room(t[0].length + t[1].length + t[2].length + t[3].length + 51);
    const b = this.buf;
    const v = this.view;
    let p = put(b, v, this.pos, t[0]);
    p = put(b, v, writeUint(b, p, i), t[1]);
    p = put(b, v, writeUint(b, p, j), t[2]);
    this.pos = put(b, v, writeUint(b, p, k), t[3]);
  }

  /** The kept chunks joined (only without `emit`). */
  finish(): Uint8Array {
    this.flush();
    let n = 0;
    for (const c of this.kept) n += c.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.kept) {
      out.set(c, o);
      o += c.length;
    }
    this.kept.length = 0;
    return out;
  }
}

/** Piece `t` into `b` (whose view is `v`) at `p`; returns the position after it. */
function put(b: Uint8Array, v: DataView, p: number, t: Piece): number {
  if (t.words) {
    v.setInt32(p, t.w0, true);
    v.setInt32(p + t.o1, t.w1, true);
    v.setInt32(p + t.o2, t.w2, true);
    v.setInt32(p + t.o3, t.w3, true);
    return p + t.length;
  }
  const src = t.bytes;
  for (let i = 0; i < src.length; i++) b[p++] = src[i]!;
  return p;
}

/**
 * How many decimal digits a non-negative integer below 2^53 has (1 for 0): known first, the
 * digits go straight to their place in the output, right to left, with no scratch and no copy.
 */
function digitCount(n: number): number {
  if (n < 100000) return n < 100 ? (n < 10 ? 1 : 2) : n < 1000 ? 3 : n < 10000 ? 4 : 5;
  let k = 6;
  for (let t = 1e6; n >= t; t *= 10) k++;
  return k;
}

/**
 * The decimal digits of `n` (0 <= n < 2^53) into b, its last digit at end - 1; at least one
 * digit. Int32 arithmetic while the value fits, which is the common case: % and Math.floor on
 * a double are slow.
 */
function digitsBefore(b: Uint8Array, end: number, n: number): void {
  let e = end;
  if (n < 0x80000000) {
    // Two digits per division.
    let m = n | 0;
    while (m >= 100) {
      const q = (m / 100) | 0;
      const r = (m - 100 * q) << 1;
      b[--e] = PAIRS[r + 1]!;
      b[--e] = PAIRS[r]!;
      m = q;
    }
    if (m >= 10) {
      b[--e] = PAIRS[(m << 1) + 1]!;
      b[--e] = PAIRS[m << 1]!;
    } else b[--e] = 48 + m;
  } else {
    let m = n;
    do {
      const q = Math.floor(m / 10);
      b[--e] = 48 + m - 10 * q;
      m = q;
    } while (m > 0);
  }
}

function writeUint(b: Uint8Array, p: number, n: number): number {
  if (n < 10) {
    b[p] = 48 + n;
    return p + 1;
  }
  const end = p + digitCount(n);
  digitsBefore(b, end, n);
  return end;
}

/**
 * Digits of a float32 value: sign, integer part, and the fewest fraction digits that read back
 * as the same float32. Values too large or too small for plain fixed notation fall back to
 * exponent form via toPrecision (never the case for millimetre coordinates).
 */
export function writeFloat32(b: Uint8Array, p: number, x: number): number {
  if (x === 0) {
    if (Object.is(x, -0)) b[p++] = 45;
    b[p++] = 48;
    return p;
  }
  const ax = Math.abs(x);
  if (!(ax >= 1e-4 && ax < 1e9)) {
    const s = formatFloat32Slow(x);
    for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
    return p;
  }
  // Start at the most fraction digits whose step is still at least one float32 ulp: a shorter
  // decimal that round-trips shows up there as trailing zeros, and one or two more digits
  // always suffice.
  F32[0] = ax;
  const exp = ((U32[0]! >>> 23) & 255) - 127;
  let d = Math.max(0, Math.floor((23 - exp) * 0.3010299956639812));
  let n = 0;
  for (; ; d++) {
    n = Math.round(ax * POW10[d]!);
    if (Math.fround(n / POW10[d]!) === ax || d >= 20) break;
  }
  if (n < 0x80000000) {
    // Int32 arithmetic: % on a double is a slow library call.
    let m = n | 0;
    while (d > 0 && m === 10 * ((m / 10) | 0)) {
      m = (m / 10) | 0;
      d--;
    }
    n = m;
  } else {
    while (d > 0 && n % 10 === 0) {
      n /= 10;
      d--;
    }
  }
  if (x < 0) b[p++] = 45;
  // n = digits, d of them after the point: the fraction digits (with leading zeros, 0.00x),
  // the point, then the integer part (at least "0"), written right to left.
  const k = digitCount(n);
  const end = p + (k > d ? k : d + 1) + (d > 0 ? 1 : 0);
  let e = end;
  let m = n;
  if (d > 0) {
    if (m < 0x80000000) {
      let mi = m | 0;
      let i = d;
      for (; i >= 2; i -= 2) {
        const q = (mi / 100) | 0;
        const r = (mi - 100 * q) << 1;
        b[--e] = PAIRS[r + 1]!;
        b[--e] = PAIRS[r]!;
        mi = q;
      }
      if (i > 0) {
        const q = (mi / 10) | 0;
        b[--e] = 48 + mi - 10 * q;
        mi = q;
      }
      m = mi;
    } else {
      for (let i = 0; i < d; i++) {
        const q = Math.floor(m / 10);
        b[--e] = 48 + m - 10 * q;
        m = q;
      }
    }
    b[--e] = 46;
  }
  digitsBefore(b, e, m);
  return end;
}

function formatFloat32Slow(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  for (let prec = 6; prec <= 9; prec++) {
    const s = x.toPrecision(prec);
    if (Math.fround(Number(s)) === x) return trimNumber(s);
  }
  return trimNumber(x.toPrecision(9));
}

function trimNumber(s: string): string {
  const e = s.indexOf('e');
  const mant = e >= 0 ? s.slice(0, e) : s;
  let t = mant;
  if (t.indexOf('.') >= 0) {
    let end = t.length;
    while (t.charCodeAt(end - 1) === 48) end--;
    if (t.charCodeAt(end - 1) === 46) end--;
    t = t.slice(0, end);
  }
  return e >= 0 ? t + s.slice(e) : t;
}

const ONE = new Uint8Array(32);
const DEC = new TextDecoder();

/** The same digits as a string (ASCII STL, OBJ, PLY text). */
export function formatFloat32Fast(x: number): string {
  const n = writeFloat32(ONE, 0, x);
  return DEC.decode(ONE.subarray(0, n));
}
