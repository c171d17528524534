/**
 * Model codes and labels without a server: the code alphabet, and the label's QR read back
 * from the PNG's pixels and from the SVG's path by a reader written apart from the encoder
 * (test/server/qr-decode.ts, itself checked on the encoder's symbols for every mask).
 */
import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';
import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { decodeQr, sampleQr, type Matrix } from '../../../test/server/qr-decode.js';
import { CODE_ALPHABET, normaliseCode, randomCode } from './codes/issue.js';
import { labelPng, labelSvg, type LabelInput } from './codes/label.js';

type PngImage = { width: number; height: number; data: Buffer };
// pngjs (the PNG library the qrcode package uses) has no types installed.
const { PNG } = createRequire(import.meta.url)('pngjs') as { PNG: { sync: { read(b: Buffer): PngImage } } };

const INPUT: LabelInput = {
  url: 'http://127.0.0.1:41234/q/7K3M9QXZ',
  code: '7K3M9QXZ',
  caseId: '1a2b3c4d-5e6f-4a0b-8c9d-0e1f2a3b4c5d',
  sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  date: '2026-11-30',
};

/** The matrix a run-length path `M{c} {r}h{n}v1h-{n}z…` (module units) draws. */
function matrixOfPath(d: string, size: number): Matrix {
  const m = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
  for (const [, c, r, n] of d.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
    for (let i = 0; i < Number(n); i++) m[Number(r)]![Number(c) + i] = true;
  }
  return m;
}

describe('model codes', () => {
  it('are 8 characters of Crockford base32 from 40 random bits; typed forms normalise', () => {
    expect(CODE_ALPHABET).toHaveLength(32);
    expect(CODE_ALPHABET).not.toMatch(/[ILOU]/);
    expect(randomCode(new Uint8Array([0, 0, 0, 0, 0]))).toBe('00000000');
    expect(randomCode(new Uint8Array([255, 255, 255, 255, 255]))).toBe('ZZZZZZZZ');
    expect(randomCode(new Uint8Array([0x08, 0x86, 0x42, 0x98, 0xe8]))).toBe('12345678');
    const seen = new Set(Array.from({ length: 2000 }, () => randomCode()));
    expect(seen.size).toBe(2000);
    for (const c of seen) expect(c).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
    expect(normaliseCode('7k3m-9qxz')).toBe('7K3M9QXZ');
    expect(normaliseCode('OIL1 2345')).toBe('01112345');
    expect(normaliseCode('7K3M9QX')).toBeUndefined();
    expect(normaliseCode('7K3M9QXU')).toBeUndefined();
  });
});

describe('the QR reader of these specs', () => {
  it('reads the qrcode package\'s symbols back for every mask, mixed segments and versions 2–5', () => {
    const urls = ['http://127.0.0.1:41234/q/7K3M9QXZ', 'https://scan2print.example-hospital.org:8443/q/ABCDEFGH', 'HTTP://X/Q/12345678', `http://127.0.0.1:5/q/${'0123456789'.repeat(4)}abcdefgh`];
    const versions = new Set<number>();
    for (const url of urls) {
      for (let mask = 0; mask < 8; mask++) {
        const q = QRCode.create(url, { errorCorrectionLevel: 'M', maskPattern: mask as 0 });
        const m = Array.from({ length: q.modules.size }, (_, r) => Array.from({ length: q.modules.size }, (_, c) => q.modules.get(r, c) === 1));
        expect(decodeQr(m)).toEqual({ text: url, version: q.version, ec: 'M', mask });
        versions.add(q.version);
      }
    }
    expect(versions.size).toBeGreaterThanOrEqual(3);
  });
});

describe('the label', () => {
  it('PNG: 600 × 300 px at 12 px/mm (50 × 25 mm); its pixels hold a QR that reads back as the URL', () => {
    const png = labelPng(INPUT);
    const img = PNG.sync.read(png);
    expect([img.width, img.height]).toEqual([600, 300]);
    // pHYs: 12000 px per metre both ways, unit metre.
    const at = png.indexOf('pHYs');
    expect([png.readUInt32BE(at + 4), png.readUInt32BE(at + 8), png[at + 12]]).toEqual([12000, 12000, 1]);
    const dark = (x: number, y: number) => img.data[(y * img.width + x) * 4]! < 128;
    // The QR is the left half of the label; the text the right half.
    const read = decodeQr(sampleQr(img.width, img.height, dark, img.width / 2));
    expect(read.text).toBe(INPUT.url);
    // Some ink on the right half: the code and the lines under it.
    let ink = 0;
    for (let y = 0; y < img.height; y++) for (let x = img.width / 2; x < img.width; x++) ink += dark(x, y) ? 1 : 0;
    expect(ink).toBeGreaterThan(3000);
  });

  it('SVG: 50 × 25 mm with a mm viewBox; its path reads back as the URL; the code, case, hash prefix and date in text', () => {
    const svg = labelSvg(INPUT);
    expect(svg).toMatch(/<svg [^>]*width="50mm" height="25mm" viewBox="0 0 50 25"/);
    const path = /<path transform="translate\(([\d.]+) ([\d.]+)\) scale\(([\d.]+)\)" d="([^"]+)"/.exec(svg)!;
    expect(path).not.toBeNull();
    const size = QRCode.create(INPUT.url, { errorCorrectionLevel: 'M' }).modules.size;
    expect(decodeQr(matrixOfPath(path[4]!, size)).text).toBe(INPUT.url);
    // The QR is at least 15 mm and lies on the label.
    const [x, y, module] = [Number(path[1]), Number(path[2]), Number(path[3])];
    expect(module * size).toBeGreaterThan(15);
    expect(x + module * size).toBeLessThan(25);
    expect(y + module * size).toBeLessThan(25);
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(texts).toEqual(['7K3M9QXZ', 'CASE 1A2B3C4D', 'SHA 9F86D081884C', '2026-11-30', 'SCAN2PRINT']);
  });

  it('the same inputs give the same bytes; another code other bytes', () => {
    expect(labelPng(INPUT).equals(labelPng({ ...INPUT }))).toBe(true);
    expect(labelSvg(INPUT)).toBe(labelSvg({ ...INPUT }));
    const other = { ...INPUT, code: '7K3M9QXY', url: 'http://127.0.0.1:41234/q/7K3M9QXY' };
    expect(labelPng(other).equals(labelPng(INPUT))).toBe(false);
    expect(decodeQr(sampleQr(600, 300, pngDark(labelPng(other)), 300)).text).toBe(other.url);
  });
});

/** Dark pixels of an 8-bit greyscale, filter-0 PNG (what labelPng writes), read without pngjs. */
function pngDark(png: Buffer) {
  const chunks: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const len = png.readUInt32BE(at);
    if (png.toString('ascii', at + 4, at + 8) === 'IDAT') chunks.push(png.subarray(at + 8, at + 8 + len));
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(chunks));
  return (x: number, y: number) => raw[y * 601 + 1 + x]! < 128;
}
