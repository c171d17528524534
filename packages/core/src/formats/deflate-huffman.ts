/**
 * The Huffman half of deflate-fast.ts: an LSB-first bit writer and one dynamic-Huffman DEFLATE
 * block (RFC 1951 3.2.7) from LZ77 tokens. Every code is complete (a lone symbol gets a dummy
 * partner), which every inflater accepts; ties are broken by symbol, so the bytes are fixed.
 */

const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/** Order of the code-length code lengths in the block header. */
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** Length code (0..28) of a match length 3..258, and distance code (0..29) of distance - 1. */
const LEN_CODE = new Uint8Array(259);
const DIST_CODE = new Uint8Array(32768);
for (let c = 0; c < 29; c++) for (let l = LEN_BASE[c]!; l < LEN_BASE[c]! + (1 << LEN_EXTRA[c]!) && l <= 258; l++) LEN_CODE[l] = c;
LEN_CODE[258] = 28;
for (let c = 0; c < 30; c++) DIST_CODE.fill(c, DIST_BASE[c]! - 1, DIST_BASE[c]! - 1 + (1 << DIST_EXTRA[c]!));

/** LSB-first bits into a growing byte buffer. */
export class BitWriter {
  // Public for writeBlock's token loop, which works on local copies of them.
  buf: Uint8Array;
  pos = 0;
  /** Pending bits (below 2^count) and their number, below 16 between calls. */
  bits = 0;
  count = 0;

  /** Writes into `buf` (reused between calls to save allocating) until it needs more room. */
  constructor(buf: Uint8Array) {
    this.buf = buf.length >= 64 ? buf : new Uint8Array(64);
  }

  /** Room for `bytes` more bytes. */
  ensure(bytes: number): void {
    if (this.pos + bytes + 8 <= this.buf.length) return;
    const next = new Uint8Array(Math.max(2 * this.buf.length, this.pos + bytes + 64));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** `n` (at most 16) low bits of `v`, which must be below 2^n. */
  put(v: number, n: number): void {
    this.bits |= v << this.count;
    this.count += n;
    if (this.count >= 16) {
      this.buf[this.pos++] = this.bits & 255;
      this.buf[this.pos++] = (this.bits >>> 8) & 255;
      this.bits >>>= 16;
      this.count -= 16;
    }
  }

  private align(): void {
    while (this.count > 0) {
      this.buf[this.pos++] = this.bits & 255;
      this.bits >>>= 8;
      this.count = Math.max(0, this.count - 8);
    }
    this.bits = 0;
  }

  /** An empty stored block that is not final: the stream so far ends on a byte boundary. */
  syncFlush(): void {
    this.ensure(8);
    this.put(0, 3);
    this.align();
    this.buf.set([0, 0, 255, 255], this.pos);
    this.pos += 4;
  }

  /** The bytes written (the last byte padded with zero bits), as their own copy. */
  finish(): Uint8Array {
    this.ensure(4);
    this.align();
    return this.buf.slice(0, this.pos);
  }
}

/**
 * Code lengths of an optimal prefix code for `freq` of at most `maxBits` bits (too deep a tree:
 * the counts are flattened and it is built again). At least two symbols always get a code.
 */
export function codeLengths(freq: Uint32Array, maxBits: number): Uint8Array {
  const lens = new Uint8Array(freq.length);
  const syms: number[] = [];
  for (let s = 0; s < freq.length; s++) if (freq[s]) syms.push(s);
  if (syms.length < 2) {
    const s = syms[0] ?? 0;
    lens[s] = 1;
    lens[s === 0 ? 1 : 0] = 1;
    return lens;
  }
  const m = syms.length;
  const f = syms.map((s) => freq[s]!);
  const weight = new Float64Array(2 * m - 1);
  const parent = new Int32Array(2 * m - 1);
  const depth = new Uint8Array(2 * m - 1);
  for (;;) {
    const order = Array.from({ length: m }, (_, k) => k).sort((a, b) => f[a]! - f[b]! || syms[a]! - syms[b]!);
    for (let k = 0; k < m; k++) weight[k] = f[order[k]!]!;
    // Two queues: sorted leaves, and internal nodes (made in non-decreasing weight order).
    let leaf = 0;
    let inner = m;
    const pick = (made: number): number => (leaf < m && (inner >= made || weight[leaf]! <= weight[inner]!) ? leaf++ : inner++);
    for (let made = m; made < 2 * m - 1; made++) {
      const a = pick(made);
      const b = pick(made);
      weight[made] = weight[a]! + weight[b]!;
      parent[a] = made;
      parent[b] = made;
    }
    depth[2 * m - 2] = 0;
    let deepest = 0;
    for (let k = 2 * m - 3; k >= 0; k--) {
      depth[k] = depth[parent[k]!]! + 1;
      if (k < m && depth[k]! > deepest) deepest = depth[k]!;
    }
    if (deepest <= maxBits) {
      for (let k = 0; k < m; k++) lens[syms[order[k]!]!] = depth[k]!;
      return lens;
    }
    for (let k = 0; k < m; k++) f[k] = (f[k]! >>> 1) | 1;
  }
}

/** Canonical codes (RFC 1951 3.2.2) of `lens`, bit-reversed for LSB-first writing. */
export function canonicalCodes(lens: Uint8Array): Uint16Array {
  const count = new Uint16Array(16);
  for (const l of lens) count[l]++;
  count[0] = 0;
  const next = new Uint16Array(16);
  let code = 0;
  for (let b = 1; b < 16; b++) {
    code = (code + count[b - 1]!) << 1;
    next[b] = code;
  }
  const out = new Uint16Array(lens.length);
  for (let s = 0; s < lens.length; s++) {
    const l = lens[s]!;
    if (!l) continue;
    let c = next[l]++;
    let r = 0;
    for (let k = 0; k < l; k++, c >>>= 1) r = (r << 1) | (c & 1);
    out[s] = r;
  }
  return out;
}

/** The code-length sequence run-length coded with symbols 16, 17, 18: [symbol, extra] pairs. */
function runLengths(all: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < all.length; ) {
    const v = all[i]!;
    let run = 1;
    while (i + run < all.length && all[i + run] === v) run++;
    i += run;
    let r = run;
    if (v === 0) {
      for (; r >= 11; r -= Math.min(r, 138)) out.push(18, Math.min(r, 138) - 11);
      if (r >= 3) out.push(17, r - 3);
      else for (; r > 0; r--) out.push(0, 0);
    } else {
      out.push(v, 0);
      for (r--; r >= 3; r -= Math.min(r, 6)) out.push(16, Math.min(r, 6) - 3);
      for (; r > 0; r--) out.push(v, 0);
    }
  }
  return out;
}

/**
 * One dynamic-Huffman block of `n` tokens: a literal byte (below 256), or a match with bit 31
 * set, the length in bits 16..24 and distance - 1 in bits 0..14.
 */
export function writeBlock(w: BitWriter, tokens: Uint32Array, n: number, final: boolean): void {
  const lf = new Uint32Array(286);
  const df = new Uint32Array(30);
  let extraBits = 0;
  for (let k = 0; k < n; k++) {
    const t = tokens[k]!;
    if (t < 256) lf[t]++;
    else {
      const lc = LEN_CODE[(t >>> 16) & 511]!;
      const dc = DIST_CODE[t & 0x7fff]!;
      lf[257 + lc]++;
      df[dc]++;
      extraBits += LEN_EXTRA[lc]! + DIST_EXTRA[dc]!;
    }
  }
  lf[256] = 1;
  const ll = codeLengths(lf, 15);
  const dl = codeLengths(df, 15);
  let hlit = 286;
  while (hlit > 257 && !ll[hlit - 1]) hlit--;
  let hdist = 30;
  while (hdist > 1 && !dl[hdist - 1]) hdist--;
  const all = new Uint8Array(hlit + hdist);
  all.set(ll.subarray(0, hlit));
  all.set(dl.subarray(0, hdist), hlit);
  const rl = runLengths(all);
  const cf = new Uint32Array(19);
  for (let k = 0; k < rl.length; k += 2) cf[rl[k]!]++;
  const cl = codeLengths(cf, 7);
  const cc = canonicalCodes(cl);
  let hclen = 19;
  while (hclen > 4 && !cl[CL_ORDER[hclen - 1]!]) hclen--;

  let dataBits = extraBits;
  for (let s = 0; s < 286; s++) dataBits += lf[s]! * ll[s]!;
  for (let s = 0; s < 30; s++) dataBits += df[s]! * dl[s]!;
  w.ensure(((dataBits + 17 + 3 * 19 + 14 * rl.length) >> 3) + 16);

  w.put(final ? 1 : 0, 1);
  w.put(2, 2);
  w.put(hlit - 257, 5);
  w.put(hdist - 1, 5);
  w.put(hclen - 4, 4);
  for (let k = 0; k < hclen; k++) w.put(cl[CL_ORDER[k]!]!, 3);
  for (let k = 0; k < rl.length; k += 2) {
    const s = rl[k]!;
    w.put(cc[s]!, cl[s]!);
    if (s === 16) w.put(rl[k + 1]!, 2);
    else if (s === 17) w.put(rl[k + 1]!, 3);
    else if (s === 18) w.put(rl[k + 1]!, 7);
  }

  const lc = canonicalCodes(ll);
  const dc = canonicalCodes(dl);
  // The hot loop: BitWriter.put inlined on locals (pending bits stay below 2^16 between writes).
  const buf = w.buf;
  let pos = w.pos;
  let bits = w.bits;
  let count = w.count;
  for (let k = 0; k < n; k++) {
    const t = tokens[k]!;
    if (t < 256) {
      bits |= lc[t]! << count;
      count += ll[t]!;
    } else {
      const len = (t >>> 16) & 511;
      const c = LEN_CODE[len]!;
      bits |= lc[257 + c]! << count;
      count += ll[257 + c]!;
      if (count >= 16) {
        buf[pos++] = bits & 255;
        buf[pos++] = (bits >>> 8) & 255;
        bits >>>= 16;
        count -= 16;
      }
      bits |= (len - LEN_BASE[c]!) << count; // zero when the code has no extra bits
      count += LEN_EXTRA[c]!;
      const d = t & 0x7fff;
      const e = DIST_CODE[d]!;
      if (count >= 16) {
        buf[pos++] = bits & 255;
        buf[pos++] = (bits >>> 8) & 255;
        bits >>>= 16;
        count -= 16;
      }
      bits |= dc[e]! << count;
      count += dl[e]!;
      if (count >= 16) {
        buf[pos++] = bits & 255;
        buf[pos++] = (bits >>> 8) & 255;
        bits >>>= 16;
        count -= 16;
      }
      bits |= (d + 1 - DIST_BASE[e]!) << count;
      count += DIST_EXTRA[e]!;
    }
    if (count >= 16) {
      buf[pos++] = bits & 255;
      buf[pos++] = (bits >>> 8) & 255;
      bits >>>= 16;
      count -= 16;
    }
  }
  w.pos = pos;
  w.bits = bits;
  w.count = count;
  w.put(lc[256]!, ll[256]!);
}
