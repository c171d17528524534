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

/** ASCII bytes of chunked output; a full chunk is handed to `emit` (or kept) and a new one started. */
export class AsciiWriter {
  private buf: Uint8Array;
  private pos = 0;
  private readonly kept: Uint8Array[] = [];
  private readonly scratch = new Uint8Array(32);

  /**
   * @param chunkSize bytes per chunk (a chunk is emitted when the next write might not fit)
   * @param emit receives each full chunk (its own copy); without it, chunks are kept for `finish`
   */
  constructor(
    private readonly chunkSize = 1 << 20,
    private readonly emit?: (chunk: Uint8Array) => void,
  ) {
    this.buf = new Uint8Array(chunkSize);
  }

  /** Bytes written so far into the current chunk. */
  get pending(): number {
    return this.pos;
  }

  private room(n: number): void {
    if (this.pos + n > this.buf.length) this.flush();
    if (n > this.buf.length) this.buf = new Uint8Array(n);
  }

  /** Hands over the current chunk (if any) and starts a new one. */
  flush(): void {
    if (this.pos === 0) return;
    const chunk = this.buf.subarray(0, this.pos);
    if (this.emit) this.emit(chunk.slice());
    else this.kept.push(chunk);
    if (!this.emit) this.buf = new Uint8Array(this.chunkSize);
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
    this.pos = writeUint(this.buf, this.pos, n, this.scratch);
  }

  /** A float32 value, exactly recoverable, in the short decimal form described above. */
  float32(x: number): void {
    this.room(32);
    this.pos = writeFloat32(this.buf, this.pos, x, this.scratch);
  }

  /**
   * One line of three float32 values between four template pieces (a 3MF vertex): the same
   * bytes as bytes/float32 in turn, with one room check instead of seven.
   */
  floats3(t: readonly [Uint8Array, Uint8Array, Uint8Array, Uint8Array], x: number, y: number, z: number): void {
    this.room(t[0].length + t[1].length + t[2].length + t[3].length + 96);
    const b = this.buf;
    const s = this.scratch;
    let p = copy(b, this.pos, t[0]);
    p = copy(b, writeFloat32(b, p, x, s), t[1]);
    p = copy(b, writeFloat32(b, p, y, s), t[2]);
    this.pos = copy(b, writeFloat32(b, p, z, s), t[3]);
  }

  /** The same for three integers below 2^53 (a 3MF triangle). */
  uints3(t: readonly [Uint8Array, Uint8Array, Uint8Array, Uint8Array], i: number, j: number, k: number): void {
    this.room(t[0].length + t[1].length + t[2].length + t[3].length + 51);
    const b = this.buf;
    const s = this.scratch;
    let p = copy(b, this.pos, t[0]);
    p = copy(b, writeUint(b, p, i, s), t[1]);
    p = copy(b, writeUint(b, p, j, s), t[2]);
    this.pos = copy(b, writeUint(b, p, k, s), t[3]);
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

/** `src` into `b` at `p`; returns the position after it. */
function copy(b: Uint8Array, p: number, src: Uint8Array): number {
  for (let i = 0; i < src.length; i++) b[p++] = src[i]!;
  return p;
}

/**
 * The decimal digits of a non-negative integer into scratch, least significant first; returns
 * their count (0 for 0). Int32 arithmetic while the value fits, which is the common case.
 */
function reversedDigits(n: number, scratch: Uint8Array): number {
  let k = 0;
  if (n < 0x80000000) {
    let m = n | 0;
    while (m > 0) {
      const q = (m / 10) | 0;
      scratch[k++] = 48 + m - 10 * q;
      m = q;
    }
  } else {
    let m = n;
    while (m > 0) {
      const q = Math.floor(m / 10);
      scratch[k++] = 48 + m - 10 * q;
      m = q;
    }
  }
  return k;
}

function writeUint(b: Uint8Array, p: number, n: number, scratch: Uint8Array): number {
  if (n < 10) {
    b[p] = 48 + n;
    return p + 1;
  }
  let k = reversedDigits(n, scratch);
  while (k > 0) b[p++] = scratch[--k]!;
  return p;
}

/**
 * Digits of a float32 value: sign, integer part, and the fewest fraction digits that read back
 * as the same float32. Values too large or too small for plain fixed notation fall back to
 * exponent form via toPrecision (never the case for millimetre coordinates).
 */
export function writeFloat32(b: Uint8Array, p: number, x: number, scratch: Uint8Array): number {
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
  // n = digits, with d of them after the point.
  let k = reversedDigits(n, scratch);
  while (k < d + 1) scratch[k++] = 48; // leading zeros: 0.00x
  for (let i = k - 1; i >= 0; i--) {
    b[p++] = scratch[i]!;
    if (i === d && d > 0) b[p++] = 46;
  }
  return p;
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
const ONE_SCRATCH = new Uint8Array(32);
const DEC = new TextDecoder();

/** The same digits as a string (ASCII STL, OBJ, PLY text). */
export function formatFloat32Fast(x: number): string {
  const n = writeFloat32(ONE, 0, x, ONE_SCRATCH);
  return DEC.decode(ONE.subarray(0, n));
}
