/**
 * A minimal, deterministic PNG encoder (8-bit RGB or greyscale) for report images and print
 * labels (with pHYs, so a label prints at its size).
 * Pure TypeScript: zlib via fflate, CRC-32 per the PNG specification.
 */
import { zlibSync } from 'fflate';
import { joinBytes } from '../formats/join-bytes.js';

export interface RgbImage {
  width: number;
  height: number;
  /** width × height × 3 bytes, row-major, top row first. */
  rgb: Uint8Array;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

export interface PngOptions {
  /** Pixels per metre, written as a pHYs chunk so the image prints at its size (labels). */
  pxPerMetre?: number;
}

/** 8-bit pixels (1 channel grey or 3 RGB), rows top first, filter none: same pixels, same bytes. */
function encode(width: number, height: number, channels: 1 | 3, px: Uint8Array, opts: PngOptions): Uint8Array {
  const row = width * channels;
  if (px.length !== row * height) throw new Error(`encodePng: expected ${row * height} bytes, got ${px.length}`);
  const raw = new Uint8Array(height * (1 + row));
  for (let y = 0; y < height; y++) {
    raw[y * (1 + row)] = 0; // filter: none
    raw.set(px.subarray(y * row, (y + 1) * row), y * (1 + row) + 1);
  }
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 3 ? 2 : 0; // colour type: RGB or greyscale
  const parts = [new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr)];
  if (opts.pxPerMetre !== undefined) {
    const phys = new Uint8Array(9);
    const pv = new DataView(phys.buffer);
    pv.setUint32(0, Math.round(opts.pxPerMetre));
    pv.setUint32(4, Math.round(opts.pxPerMetre));
    phys[8] = 1; // unit: metre
    parts.push(chunk('pHYs', phys));
  }
  parts.push(chunk('IDAT', zlibSync(raw, { level: 6 })), chunk('IEND', new Uint8Array(0)));
  return joinBytes(parts);
}

export function encodePng(img: RgbImage, opts: PngOptions = {}): Uint8Array {
  return encode(img.width, img.height, 3, img.rgb, opts);
}

/** Grey pixels (0 black … 255 white), width × height bytes, top row first. */
export function encodeGreyPng(width: number, height: number, grey: Uint8Array, opts: PngOptions = {}): Uint8Array {
  return encode(width, height, 1, grey, opts);
}

export function pngDataUri(img: RgbImage): string {
  const bytes = encodePng(img);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return `data:image/png;base64,${btoa(s)}`;
}
