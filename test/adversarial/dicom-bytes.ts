/**
 * Byte-level DICOM writing for the adversarial set. The leak classes live in layouts a
 * well-behaved writer never produces (a sequence stored as UN with explicit-VR items, command
 * group elements in a stored file, text segments inside a JPEG frame), so the cases are built
 * by splicing hand-encoded elements into real files. dicom-parser (an independent reader)
 * only locates the top-level elements of the real file.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import dicomParser from 'dicom-parser';

export interface Syntax {
  explicit: boolean;
  bigEndian: boolean;
}
export const EXPLICIT_LE: Syntax = { explicit: true, bigEndian: false };
export const IMPLICIT_LE: Syntax = { explicit: false, bigEndian: false };
export const EXPLICIT_BE: Syntax = { explicit: true, bigEndian: true };

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);
const UNDEFINED = 0xffffffff;
export const TS = {
  implicit: '1.2.840.10008.1.2',
  explicitLE: '1.2.840.10008.1.2.1',
  deflated: '1.2.840.10008.1.2.1.99',
  explicitBE: '1.2.840.10008.1.2.2',
} as const;

function u16(v: number, be: boolean): Uint8Array {
  const b = Buffer.alloc(2);
  if (be) b.writeUInt16BE(v);
  else b.writeUInt16LE(v);
  return b;
}
function u32(v: number, be: boolean): Uint8Array {
  const b = Buffer.alloc(4);
  if (be) b.writeUInt32BE(v >>> 0);
  else b.writeUInt32LE(v >>> 0);
  return b;
}
function tagBytes(tag: number, be: boolean): Uint8Array {
  return Buffer.concat([u16(tag >>> 16, be), u16(tag & 0xffff, be)]);
}

/** A text value padded to even length (UI with NUL, others with a space). */
export function textValue(s: string | Uint8Array, vr: string, encoding: BufferEncoding = 'latin1'): Uint8Array {
  const b = typeof s === 'string' ? Buffer.from(s, encoding) : Buffer.from(s);
  return b.length % 2 ? Buffer.concat([b, Buffer.from([vr === 'UI' ? 0 : 0x20])]) : b;
}
export function usValue(v: number, s: Syntax): Uint8Array {
  return u16(v, s.bigEndian);
}
export function ulValue(v: number, s: Syntax): Uint8Array {
  return u32(v, s.bigEndian);
}

/** One element; an undefined length writes 0xFFFFFFFF and the caller supplies the delimiter inside `value`. */
export function element(tag: number, vr: string, value: Uint8Array, s: Syntax, undefinedLength = false): Uint8Array {
  const len = undefinedLength ? UNDEFINED : value.length;
  if (!s.explicit) return Buffer.concat([tagBytes(tag, s.bigEndian), u32(len, s.bigEndian), value]);
  const vrBytes = Buffer.from(vr, 'latin1');
  if (LONG_VRS.has(vr)) return Buffer.concat([tagBytes(tag, s.bigEndian), vrBytes, Buffer.alloc(2), u32(len, s.bigEndian), value]);
  if (len > 0xffff) throw new Error(`value too long for VR ${vr}`);
  return Buffer.concat([tagBytes(tag, s.bigEndian), vrBytes, u16(len, s.bigEndian), value]);
}

/** Sequence items (FFFE,E000), each holding already encoded elements; optionally undefined lengths with delimiters. */
export function items(contents: Uint8Array[], be: boolean, undefinedLength: boolean): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const c of contents) {
    if (undefinedLength) parts.push(tagBytes(0xfffee000, be), u32(UNDEFINED, be), c, tagBytes(0xfffee00d, be), u32(0, be));
    else parts.push(tagBytes(0xfffee000, be), u32(c.length, be), c);
  }
  if (undefinedLength) parts.push(tagBytes(0xfffee0dd, be), u32(0, be));
  return Buffer.concat(parts);
}

/**
 * A sequence element: `vr` SQ or UN. With undefined length the items are written with
 * undefined lengths too and a sequence delimiter closes the value.
 */
export function sequence(
  tag: number,
  contents: Uint8Array[],
  s: Syntax,
  opts: { vr?: 'SQ' | 'UN'; undefinedLength?: boolean } = {},
): Uint8Array {
  const und = opts.undefinedLength ?? false;
  return element(tag, opts.vr ?? 'SQ', items(contents, s.bigEndian, und), s, und);
}

export interface DicomFile {
  /** Preamble, DICM and the file meta group (empty for a bare data set). */
  head: Uint8Array;
  /** The data set, inflated when the file is deflated. */
  dataset: Uint8Array;
  transferSyntax: string;
  syntax: Syntax;
}

function syntaxOf(ts: string): Syntax {
  if (ts === TS.implicit) return IMPLICIT_LE;
  if (ts === TS.explicitBE) return EXPLICIT_BE;
  return EXPLICIT_LE;
}

/** End of the file meta group: walks (0002,xxxx) elements (always explicit VR LE) after "DICM". */
export function metaEnd(bytes: Uint8Array): number {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 132 || b.toString('latin1', 128, 132) !== 'DICM') return 0;
  let p = 132;
  while (p + 8 <= b.length && b.readUInt16LE(p) === 0x0002) {
    const vr = b.toString('latin1', p + 4, p + 6);
    p += LONG_VRS.has(vr) ? 12 + b.readUInt32LE(p + 8) : 8 + b.readUInt16LE(p + 6);
  }
  return p;
}

/** Splits a real file into head and data set (inflated when deflated); `bareTs` names the syntax of a file without meta. */
export function splitFile(bytes: Uint8Array, bareTs?: string): DicomFile {
  const end = metaEnd(bytes);
  let ts = bareTs ?? TS.explicitLE;
  if (end > 0) ts = dicomParser.readPart10Header(bytes).string('x00020010')!.replace(/\0/g, '').trim();
  const rest = bytes.subarray(end);
  const dataset = ts === TS.deflated ? new Uint8Array(inflateRawSync(rest)) : rest;
  return { head: bytes.slice(0, end), dataset, transferSyntax: ts, syntax: syntaxOf(ts) };
}

/** Joins head and data set again (deflating when the transfer syntax says so). */
export function joinFile(f: DicomFile): Uint8Array {
  const ds = f.transferSyntax === TS.deflated ? deflateRawSync(f.dataset) : f.dataset;
  return new Uint8Array(Buffer.concat([f.head, ds]));
}

interface TopElement {
  tag: number;
  start: number;
  end: number;
}

/** Top-level elements of a bare data set: start from dicom-parser's dataOffset less the header, end at the next start. */
export function topLevel(dataset: Uint8Array, s: Syntax): TopElement[] {
  const ts = s.explicit ? (s.bigEndian ? TS.explicitBE : TS.explicitLE) : TS.implicit;
  const ds = dicomParser.parseDicom(dataset, { TransferSyntaxUID: ts } as any);
  const starts = Object.values<any>(ds.elements)
    // dicom-parser adds the transfer syntax it was given as (0002,0010) without a position: not in the data set.
    .filter((e) => typeof e.dataOffset === 'number' && !e.tag.startsWith('x0002'))
    .map((e) => {
      const tag = parseInt(e.tag.slice(1), 16);
      const header = !s.explicit ? 8 : LONG_VRS.has(e.vr) ? 12 : 8;
      return { tag, start: e.dataOffset - header };
    })
    .sort((a, b) => a.start - b.start);
  return starts.map((e, i) => ({ ...e, end: i + 1 < starts.length ? starts[i + 1]!.start : dataset.length }));
}

/**
 * Puts encoded elements into a data set: an element with the same tag is replaced, `remove`d
 * tags and every group length (gggg,0000) outside group 0000 are dropped (they would be wrong
 * after the splice); the result is in ascending tag order.
 */
export function splice(f: DicomFile, add: { tag: number; bytes: Uint8Array }[], remove: number[] = []): DicomFile {
  const replaced = new Set([...add.map((a) => a.tag), ...remove]);
  const kept = topLevel(f.dataset, f.syntax)
    .filter((e) => !replaced.has(e.tag) && !((e.tag & 0xffff) === 0 && e.tag >>> 16 !== 0))
    .map((e) => ({ tag: e.tag, bytes: f.dataset.subarray(e.start, e.end) }));
  const all = [...kept, ...add].sort((a, b) => (a.tag >>> 0) - (b.tag >>> 0));
  return { ...f, dataset: new Uint8Array(Buffer.concat(all.map((a) => a.bytes))) };
}

/** The encapsulated pixel data fragments of a data set (explicit VR LE): positions of their values. */
export function fragments(f: DicomFile): { start: number; end: number; valueStart: number }[] {
  const px = topLevel(f.dataset, f.syntax).find((e) => e.tag === 0x7fe00010);
  if (!px) throw new Error('no pixel data');
  const b = Buffer.from(f.dataset.buffer, f.dataset.byteOffset, f.dataset.byteLength);
  let p = px.start + 12;
  const out: { start: number; end: number; valueStart: number }[] = [];
  while (p + 8 <= px.end) {
    const tag = ((b.readUInt16LE(p) << 16) | b.readUInt16LE(p + 2)) >>> 0;
    const len = b.readUInt32LE(p + 4);
    if (tag === 0xfffee0dd) break;
    if (tag !== 0xfffee000) throw new Error(`unexpected tag ${tag.toString(16)} in encapsulated pixel data`);
    out.push({ start: p, end: p + 8 + len, valueStart: p + 8 });
    p += 8 + len;
  }
  return out;
}

/**
 * Rewrites encapsulated fragments: `edit` receives each fragment (the first is the offset
 * table) and returns its new value (even length). A changed offset table is the caller's job;
 * the cases edit single-frame files or files without one.
 */
export function editFragments(f: DicomFile, edit: (value: Uint8Array, index: number) => Uint8Array): DicomFile {
  const frs = fragments(f);
  const parts: Uint8Array[] = [f.dataset.subarray(0, frs[0]!.start)];
  let last = frs[0]!.start;
  frs.forEach((fr, i) => {
    const v = edit(f.dataset.subarray(fr.valueStart, fr.end), i);
    if (v.length % 2) throw new Error('fragment of odd length');
    parts.push(tagBytes(0xfffee000, false), u32(v.length, false), v);
    last = fr.end;
  });
  parts.push(f.dataset.subarray(last));
  return { ...f, dataset: new Uint8Array(Buffer.concat(parts)) };
}
