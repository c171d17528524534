/**
 * Test fixture for the anonymiser's pixel-data marker stripping (issue 13 class 5,
 * packages/core/src/anonymise/pixel-markers.spec.ts): code stream surgery that plants text
 * segments into the JPEG, JPEG-LS and J2K frames of real files, a reader and writer of
 * encapsulated frames (fragments, Basic Offset Table) of its own, so that the spec does not
 * check the anonymiser's frame handling with that same code, and checks on the outputs.
 * It lives here, not beside the spec in core, because it uses Buffer and vitest's expect and
 * packages/core is Node-free outside its specs (as test/anonymise-plant.ts, for the same reason).
 */
import { expect } from 'vitest';
import { decodeStoredFrames } from '../packages/core/src/dicom/decode.js';
import { parseDicomHeader } from '../packages/core/src/dicom/parse.js';
import { asciiValue, parseDicom, type RawElement } from '../packages/core/src/anonymise/dicom-codec.js';
import { writeDicom } from '../packages/core/src/anonymise/dicom-write.js';

/** Planted identity: none of these may survive in any output byte, in any case or encoding. */
export const NAME = 'Pixeltext^Johanna';
export const BIRTH = '19630417';
const PLANTED = [NAME, BIRTH, 'Johanna', 'PIXELTEXT'];

// ------------------------------------------------------------------ test-side code stream surgery

export function u16be(n: number): number[] {
  return [(n >> 8) & 255, n & 255];
}
/** A marker segment of even total length holding `text` (padded with a space). */
export function segment(marker: number, text: string, prefix: number[] = []): Uint8Array {
  let body = [...prefix, ...Buffer.from(text, 'latin1')];
  if (body.length % 2) body = [...body, 0x20];
  return new Uint8Array([0xff, marker, ...u16be(body.length + 2), ...body]);
}
export function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))));
}
export function insertAt(b: Uint8Array, at: number, ins: Uint8Array): Uint8Array {
  return concat(b.subarray(0, at), ins, b.subarray(at));
}
export const JPEG_TEXT = (): Uint8Array =>
  concat(
    segment(0xfe, `Patient: ${NAME} born ${BIRTH}`),
    segment(0xe1, `<x:xmpmeta><dc:creator>${NAME}</dc:creator><dc:date>${BIRTH}</dc:date></x:xmpmeta>`, [
      ...Buffer.from('http://ns.adobe.com/xap/1.0/\0'),
    ]),
    segment(0xed, `Photoshop 3.0 ${NAME.toUpperCase()} ${BIRTH}`),
  );

/** JPEG / JPEG-LS: text segments right after SOI. */
function plantJpeg(frame: Uint8Array): Uint8Array {
  expect([frame[0], frame[1]]).toEqual([0xff, 0xd8]);
  return insertAt(frame, 2, JPEG_TEXT());
}

/** J2K code stream: a COM after SIZ (main header) and one after the first SOT (tile-part header, Psot raised). */
export function plantJ2k(frame: Uint8Array): Uint8Array {
  expect([frame[0], frame[1], frame[2], frame[3]]).toEqual([0xff, 0x4f, 0xff, 0x51]);
  const sizEnd = 4 + ((frame[4]! << 8) | frame[5]!);
  const mainCom = segment(0x64, `${NAME} ${BIRTH}`, [0, 1]);
  let b = insertAt(frame, sizEnd, mainCom);
  let pos = 2;
  while (((b[pos]! << 8) | b[pos + 1]!) !== 0xff90) pos += 2 + ((b[pos + 2]! << 8) | b[pos + 3]!);
  const tileCom = segment(0x64, `tile ${NAME.toLowerCase()} dob ${BIRTH}`, [0, 1]);
  b = insertAt(b, pos + 12, tileCom);
  const dv = new DataView(b.buffer, b.byteOffset);
  const psot = dv.getUint32(pos + 6, false);
  if (psot !== 0) dv.setUint32(pos + 6, psot + tileCom.length, false);
  return b;
}

export interface Frames {
  ds: RawElement[];
  meta: RawElement[];
  ts: string;
  frames: Uint8Array[][];
  hadBot: boolean;
}

/** Splits (7FE0,0010) into frames (fragment lists): BOT, else one fragment per frame, else start markers. */
export function readFrames(bytes: Uint8Array): Frames {
  const p = parseDicom(bytes, 'x');
  const enc = p.dataset.find((e) => e.tag === 0x7fe00010)!.encapsulated!;
  const b = Buffer.from(enc.buffer, enc.byteOffset, enc.byteLength);
  const items: Array<{ at: number; v: Uint8Array }> = [];
  for (let pos = 0; b.readUInt32LE(pos) !== 0xe0ddfffe; pos += 8 + b.readUInt32LE(pos + 4)) {
    items.push({ at: pos, v: enc.subarray(pos + 8, pos + 8 + b.readUInt32LE(pos + 4)) });
  }
  const bot = items.shift()!;
  const n = parseInt(asciiValue(p.dataset.find((e) => e.tag === 0x00280008)?.value), 10) || 1;
  let starts: number[];
  if (bot.v.length) {
    const offs = Array.from({ length: bot.v.length / 4 }, (_, i) => Buffer.from(bot.v).readUInt32LE(i * 4));
    starts = offs.map((o) => items.findIndex((it) => it.at - items[0]!.at === o));
  } else if (n === 1) starts = [0];
  else if (items.length === n) starts = items.map((_, i) => i);
  else starts = items.flatMap((it, i) => (it.v[0] === 0xff && (it.v[1] === 0xd8 || it.v[1] === 0x4f) ? [i] : []));
  expect(starts.length).toBe(n);
  const frames = starts.map((s, i) => items.slice(s, starts[i + 1] ?? items.length).map((it) => it.v));
  return { ds: p.dataset, meta: p.meta, ts: p.transferSyntax, frames, hadBot: bot.v.length > 0 };
}

/** Writes frames back as an item stream (a BOT with entries when `bot`), every fragment even. */
export function writeFrames(f: Frames, frames: Uint8Array[][], bot: boolean): Uint8Array {
  const body: Uint8Array[] = [];
  const offsets: number[] = [];
  let size = 0;
  const item = (v: Uint8Array): Uint8Array => {
    const h = Buffer.alloc(8);
    h.writeUInt32LE(0xe000fffe, 0);
    h.writeUInt32LE(v.length, 4);
    return concat(h, v);
  };
  for (const fr of frames) {
    offsets.push(size);
    for (let frag of fr) {
      if (frag.length % 2) frag = concat(frag, new Uint8Array(1));
      body.push(item(frag));
      size += 8 + frag.length;
    }
  }
  const botBytes = Buffer.alloc(bot ? offsets.length * 4 : 0);
  offsets.forEach((o, i) => bot && botBytes.writeUInt32LE(o, i * 4));
  const delim = Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
  const enc = concat(item(botBytes), ...body, delim);
  const ds = f.ds.map((e) => (e.tag === 0x7fe00010 ? { ...e, encapsulated: enc } : e));
  return writeDicom(f.meta, ds, f.ts);
}

/** Plants text into every frame; the planted frame starts the first fragment (the rest stay as they are). */
export function plantFile(bytes: Uint8Array, opts: { split?: boolean } = {}): Uint8Array {
  const f = readFrames(bytes);
  const j2k = f.ts.startsWith('1.2.840.10008.1.2.4.9') || f.ts.startsWith('1.2.840.10008.1.2.4.20');
  const frames = f.frames.map((frags) => {
    const planted = (j2k ? plantJ2k : plantJpeg)(frags.length === 1 ? frags[0]! : concat(...frags));
    if (!opts.split) return [planted];
    // Two fragments per frame, cut at an even place: the frame spans fragments.
    const cut = (planted.length >> 2) * 2;
    return [planted.subarray(0, cut), planted.subarray(cut)];
  });
  return writeFrames(f, frames, f.hadBot || !!opts.split);
}

// ------------------------------------------------------------------ helpers on outputs

export function leaks(bytes: Uint8Array): string[] {
  const hay = Buffer.from(bytes);
  const out: string[] = [];
  for (const s of PLANTED) {
    for (const v of [s, s.toLowerCase(), s.toUpperCase()]) {
      for (const enc of ['latin1', 'utf16le'] as const) if (hay.includes(Buffer.from(v, enc))) out.push(`${v} (${enc})`);
      if (hay.includes(Buffer.from(v, 'utf16le').swap16())) out.push(`${v} (utf16be)`);
    }
  }
  return out;
}

export async function decoded(bytes: Uint8Array, file: string): Promise<Int32Array[]> {
  const inst = parseDicomHeader(bytes, file);
  expect(inst, `${file} has pixels`).not.toBeNull();
  return (await decodeStoredFrames(inst!, bytes)).map((f) => Int32Array.from(f));
}

export function sameFrames(a: Int32Array[], b: Int32Array[]): boolean {
  return (
    a.length === b.length &&
    a.every((f, i) => f.length === b[i]!.length && Buffer.from(f.buffer).equals(Buffer.from(b[i]!.buffer)))
  );
}
