/**
 * AsciiWriter's line writers (3MF vertices and triangles): template pieces of every length
 * (word stores for 4..16 bytes, a byte copy otherwise) and numbers of every digit count give
 * the text the same line would have as a string, across chunk boundaries.
 */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../synthetic/random.js';
import { AsciiWriter, formatFloat32Fast, linePieces } from './ascii-bytes.js';

const decode = (b: Uint8Array) => new TextDecoder().decode(b);

describe('AsciiWriter lines', () => {
  it('writes three integers between pieces of 0 to 20 bytes as their decimal text', () => {
    const rand = mulberry32(3);
    const w = new AsciiWriter(4096);
    let want = '';
    for (let len = 0; len <= 20; len++) {
      const texts = [0, 1, 2, 3].map((k) => 'abcdefghijklmnopqrstuvwxyz'.slice(k, k + Math.max(0, len - k))) as [string, string, string, string];
      const t = linePieces(texts);
      for (let r = 0; r < 200; r++) {
        // 1 to 16 digits, and the values where the digit count changes.
        const pick = () => (r < 16 ? 10 ** r - (r % 2) : Math.floor(rand() * 10 ** Math.floor(rand() * 16)));
        const [i, j, k] = [pick(), pick(), pick()];
        w.uints3(t, i, j, k);
        want += `${texts[0]}${i}${texts[1]}${j}${texts[2]}${k}${texts[3]}`;
      }
    }
    expect(decode(w.finish())).toBe(want);
  });

  it('writes three float32 values between pieces as formatFloat32Fast does', () => {
    const rand = mulberry32(5);
    const texts: [string, string, string, string] = ['<vertex x="', '" y="', '" z="', '"/>\n'];
    const t = linePieces(texts);
    const w = new AsciiWriter(1000);
    let want = '';
    for (let r = 0; r < 5000; r++) {
      const [x, y, z] = [0, 1, 2].map(() => Math.fround((rand() - 0.5) * 10 ** Math.floor(rand() * 16 - 6))) as [number, number, number];
      w.floats3(t, x, y, z);
      want += `${texts[0]}${formatFloat32Fast(x)}${texts[1]}${formatFloat32Fast(y)}${texts[2]}${formatFloat32Fast(z)}${texts[3]}`;
    }
    expect(decode(w.finish())).toBe(want);
  });

  it('formats into a buffer handed back as spare, and never into one still out', () => {
    const chunks: Uint8Array[] = [];
    const spare: Uint8Array[] = [];
    const w = new AsciiWriter(128, (c) => chunks.push(c), () => spare.pop());
    const t = linePieces(['<t a="', '" b="', '" c="', '"/>\n']);
    const line = (i: number) => `<t a="${i}" b="${i + 1}" c="${i + 2}"/>\n`;
    w.uints3(t, 1, 2, 3);
    w.flush();
    const a = chunks[0]!;
    expect(decode(a)).toBe(line(1));
    spare.push(new Uint8Array(a.buffer));
    w.uints3(t, 4, 5, 6);
    w.flush();
    w.uints3(t, 7, 8, 9);
    w.flush();
    // The chunk after the give-back went into the given buffer; the one still out was left alone.
    expect(chunks[2]!.buffer).toBe(a.buffer);
    expect(chunks[1]!.buffer).not.toBe(a.buffer);
    expect(decode(chunks[1]!)).toBe(line(4));
    expect(decode(chunks[2]!)).toBe(line(7));
    // A write longer than a chunk gets a chunk of its own; its grown buffer is never used again,
    // even when given back, so later chunks end where they would have.
    w.ascii('x'.repeat(300));
    w.flush();
    spare.push(new Uint8Array(chunks[3]!.buffer));
    w.uints3(t, 1, 2, 3);
    w.flush();
    expect(chunks[3]!.length).toBe(300);
    expect(chunks[4]!.buffer.byteLength).toBe(128);
  });
});
