/**
 * A small QR reader for the label specs (no QR decoder is installed): finds the symbol in
 * a clean, axis-aligned greyscale image, samples its modules, and decodes them per
 * ISO/IEC 18004 (format info, unmasking, the zigzag codeword order, block de-interleaving,
 * numeric/alphanumeric/byte segments). Written apart from the `qrcode` encoder so a round
 * trip through it checks the encoder's output, not the encoder against itself. Versions
 * 1–10 at level M (what the labels use); no error correction (the image is not damaged).
 */

/** Data codewords per block at level M, versions 1–10. */
const BLOCKS_M: Record<number, number[]> = {
  1: [16], 2: [28], 3: [44], 4: [32, 32], 5: [43, 43], 6: [27, 27, 27, 27], 7: [31, 31, 31, 31],
  8: [38, 38, 39, 39], 9: [36, 36, 36, 37, 37], 10: [43, 43, 43, 43, 44],
};
const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const FORMAT_MASK = 0x5412;
const EC_LEVELS = ['M', 'L', 'H', 'Q'] as const; // by the two format bits 00, 01, 10, 11

export type Matrix = boolean[][];

/** The modules of the QR found in the image (x < xMax): dark = true. */
export function sampleQr(width: number, height: number, dark: (x: number, y: number) => boolean, xMax = width): Matrix {
  let top = -1;
  let left = -1;
  for (let y = 0; y < height && top < 0; y++) {
    for (let x = 0; x < xMax; x++) {
      if (dark(x, y)) {
        top = y;
        left = x;
        break;
      }
    }
  }
  if (top < 0) throw new Error('no dark pixel: no QR');
  let run = 0;
  while (dark(left + run, top)) run++;
  const module = run / 7; // the finder's top edge is 7 modules
  let right = xMax - 1;
  while (right > left && !dark(right, top)) right--;
  const size = Math.round((right - left + 1) / module);
  if ((size - 17) % 4 !== 0) throw new Error(`symbol ${size} modules wide is not a QR size`);
  const m: Matrix = [];
  for (let r = 0; r < size; r++) {
    m.push([]);
    for (let c = 0; c < size; c++) m[r]!.push(dark(Math.floor(left + (c + 0.5) * module), Math.floor(top + (r + 0.5) * module)));
  }
  return m;
}

function alignmentCentres(version: number): number[] {
  if (version === 1) return [];
  const size = version * 4 + 17;
  const count = Math.floor(version / 7) + 2;
  const step = Math.ceil((size - 13) / (2 * count - 2)) * 2;
  const out = [6];
  for (let pos = size - 7; out.length < count; pos -= step) out.splice(1, 0, pos);
  return out;
}

function functionModules(version: number): boolean[][] {
  const size = version * 4 + 17;
  const f = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
  const box = (r0: number, c0: number, h: number, w: number) => {
    for (let r = Math.max(0, r0); r < Math.min(size, r0 + h); r++) for (let c = Math.max(0, c0); c < Math.min(size, c0 + w); c++) f[r]![c] = true;
  };
  box(0, 0, 9, 9); // finder, separator, format info
  box(0, size - 8, 9, 8);
  box(size - 8, 0, 8, 9); // includes the dark module
  box(6, 0, 1, size); // timing
  box(0, 6, size, 1);
  const centres = alignmentCentres(version);
  for (const r of centres) {
    for (const c of centres) {
      const onFinder = (r === 6 && c === 6) || (r === 6 && c === size - 7) || (r === size - 7 && c === 6);
      if (!onFinder) box(r - 2, c - 2, 5, 5);
    }
  }
  if (version >= 7) {
    box(0, size - 11, 6, 3);
    box(size - 11, 0, 3, 6);
  }
  return f;
}

const MASKS: Array<(r: number, c: number) => boolean> = [
  (r, c) => (r + c) % 2 === 0,
  (r) => r % 2 === 0,
  (_r, c) => c % 3 === 0,
  (r, c) => (r + c) % 3 === 0,
  (r, c) => (Math.floor(r / 2) + Math.floor(c / 3)) % 2 === 0,
  (r, c) => ((r * c) % 2) + ((r * c) % 3) === 0,
  (r, c) => (((r * c) % 2) + ((r * c) % 3)) % 2 === 0,
  (r, c) => (((r + c) % 2) + ((r * c) % 3)) % 2 === 0,
];

/** BCH(15,5) code of 5 format bits. */
function formatCode(data: number): number {
  let v = data << 10;
  for (let i = 14; i >= 10; i--) if (v & (1 << i)) v ^= 0x537 << (i - 10);
  return ((data << 10) | v) ^ FORMAT_MASK;
}

function readFormat(m: Matrix): { ec: (typeof EC_LEVELS)[number]; mask: number } {
  // Around the top-left finder: bits 14..0 (most significant first).
  const cells: Array<[number, number]> = [
    [8, 0], [8, 1], [8, 2], [8, 3], [8, 4], [8, 5], [8, 7], [8, 8], [7, 8], [5, 8], [4, 8], [3, 8], [2, 8], [1, 8], [0, 8],
  ];
  let bits = 0;
  for (const [r, c] of cells) bits = (bits << 1) | (m[r]![c] ? 1 : 0);
  for (let data = 0; data < 32; data++) {
    if (formatCode(data) === bits) return { ec: EC_LEVELS[data >> 3]!, mask: data & 7 };
  }
  throw new Error(`format bits ${bits.toString(2)} match no format`);
}

/** The text a QR symbol's modules hold. */
export function decodeQr(m: Matrix): { text: string; version: number; ec: string; mask: number } {
  const size = m.length;
  const version = (size - 17) / 4;
  const blocks = BLOCKS_M[version];
  const { ec, mask } = readFormat(m);
  if (ec !== 'M' || !blocks) throw new Error(`version ${version} level ${ec}: this reader knows versions 1–10 at level M`);
  const fn = functionModules(version);
  const bits: number[] = [];
  let upward = true;
  for (let right = size - 1; right > 0; right -= 2) {
    if (right === 6) right = 5; // the vertical timing column is skipped
    for (let i = 0; i < size; i++) {
      const r = upward ? size - 1 - i : i;
      for (const c of [right, right - 1]) {
        if (fn[r]![c]) continue;
        bits.push((m[r]![c] ? 1 : 0) ^ (MASKS[mask]!(r, c) ? 1 : 0));
      }
    }
    upward = !upward;
  }
  const codewords: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) codewords.push(bits.slice(i, i + 8).reduce((a, b) => (a << 1) | b, 0));
  // Data codewords are interleaved across blocks: the i-th of each block in turn.
  const perBlock: number[][] = blocks.map(() => []);
  let k = 0;
  for (let i = 0; i < Math.max(...blocks); i++) {
    blocks.forEach((n, b) => {
      if (i < n) perBlock[b]!.push(codewords[k++]!);
    });
  }
  const data = perBlock.flat();
  let pos = 0;
  const read = (n: number) => {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const byte = data[(pos + i) >> 3] ?? 0;
      v = (v << 1) | ((byte >> (7 - ((pos + i) & 7))) & 1);
    }
    pos += n;
    return v;
  };
  const big = version >= 10;
  let text = '';
  while (pos + 4 <= data.length * 8) {
    const mode = read(4);
    if (mode === 0) break;
    if (mode === 1) {
      let n = read(big ? 12 : 10);
      for (; n >= 3; n -= 3) text += String(read(10)).padStart(3, '0');
      if (n === 2) text += String(read(7)).padStart(2, '0');
      if (n === 1) text += String(read(4));
    } else if (mode === 2) {
      let n = read(big ? 11 : 9);
      for (; n >= 2; n -= 2) {
        const v = read(11);
        text += ALNUM[Math.floor(v / 45)]! + ALNUM[v % 45]!;
      }
      if (n === 1) text += ALNUM[read(6)]!;
    } else if (mode === 4) {
      const n = read(big ? 16 : 8);
      const bytes = new Uint8Array(n);
      for (let i = 0; i < n; i++) bytes[i] = read(8);
      text += new TextDecoder().decode(bytes);
    } else {
      throw new Error(`segment mode ${mode} is not read here`);
    }
  }
  return { text, version, ec, mask };
}
