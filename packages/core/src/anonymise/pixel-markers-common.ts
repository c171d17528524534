/**
 * What the code-stream strippers of pixel-markers.ts (JPEG, JPEG-LS) and pixel-markers-j2k.ts
 * (JPEG 2000, HTJ2K) share: their result types, their error, and the byte helpers they read and
 * reassemble code streams with. Pure TypeScript over Uint8Array.
 */
import { joinBytes } from '../formats/join-bytes.js';

export interface RemovedMarker {
  /** Marker name: "COM", "APP1" … "APP15", "J2K COM", "JP2 box xml ", "trailing data". */
  marker: string;
  /** Bytes removed, marker and length fields included. */
  bytes: number;
}

export interface StripResult {
  /** The code stream without text segments (the input itself when nothing was removed). */
  bytes: Uint8Array;
  removed: RemovedMarker[];
}

export type CodeStreamKind = 'jpeg' | 'jpeg-ls' | 'jpeg2000';

/** A code stream that cannot be followed safely; the message says where and why. */
export class PixelMarkerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PixelMarkerError';
  }
}

/** Concatenates kept ranges of `src`, or returns `src` itself when the ranges cover it whole. */
export function assemble(src: Uint8Array, parts: Uint8Array[]): Uint8Array {
  return parts.length === 1 && parts[0]!.length === src.length ? src : joinBytes(parts);
}

export function hex2(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}

export function ascii(b: Uint8Array, from: number, n: number): string {
  let s = '';
  for (let i = from; i < from + n && i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/**
 * Comments that encoders write into every code stream ("Kakadu-v7.10.7", "Created by OpenJPEG
 * version 2.3.1"): kept, so files without added text stay byte for byte as they were. The patterns
 * are anchored and admit only a product name with a dotted version, or Kakadu's table of numbers.
 */
const ENCODER_SIGNATURES = [
  /^Kakadu-v?s?\d+(\.\d+)*$/,
  /^Created by (GDCM\/)?OpenJPEG version \d+(\.\d+)*$/,
  // Kakadu's rate table: a fixed title, then "slope, bytes" lines of numbers only.
  /^Kdu-Layer-Info: log_2\{Delta-D\(squared-error\)\/Delta-L\(bytes\)\}, L\(bytes\)\n(-?\d+\.\d, +\d\.\de[+-]\d\d\n)*$/,
];

export function isEncoderSignature(text: string): boolean {
  return ENCODER_SIGNATURES.some((re) => re.test(text));
}

/** Whether bytes after the end marker are padding: all 00 (PS3.5 A.4) or all FF (JPEG fill bytes). */
export function isPadding(b: Uint8Array, from: number): boolean {
  if (from >= b.length) return true;
  const v = b[from]!;
  if (v !== 0 && v !== 0xff) return false;
  for (let i = from; i < b.length; i++) if (b[i] !== v) return false;
  return true;
}
