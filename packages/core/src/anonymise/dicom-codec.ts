/**
 * A lossless DICOM Part 10 element reader for the anonymiser, and the element model and
 * constants its writer (dicom-write.ts) shares.
 *
 * Why not dcmjs's DicomMessage.readFile/write: a round trip through dcmjs rewrites
 * SpecificCharacterSet to ISO_IR 192, re-frames encapsulated pixel data (fragments differ from
 * the source), refuses some real files (over-long AE values) and writes a deflated transfer
 * syntax undeflated. Here every element we keep is written back byte for byte from the source —
 * pixel data, encapsulated fragments and offset tables included — in the source transfer syntax;
 * only the elements the profile changes are re-encoded. Sequences and items are written with
 * undefined length (always valid, and independent of the lengths of what we changed).
 */
import { inflateSync } from 'fflate';
import { inputError } from '../errors.js';
import { dictionaryVr } from './dictionary.js';
import { isSequenceTag, profileEntries } from './profile.js';

export interface RawElement {
  tag: number;
  /** VR from the file (explicit VR) or inferred from the dictionary (implicit VR; "UN" when unknown). */
  vr: string;
  /** Value bytes of a defined-length, non-sequence element (a view into the source). */
  value?: Uint8Array;
  /** Items of a sequence, each a list of elements. */
  items?: RawElement[][];
  /** Undefined-length non-sequence value (encapsulated pixel data): raw item stream incl. delimiter. */
  encapsulated?: Uint8Array;
  /** Items encoded in implicit VR little endian (a UN element of undefined length in an explicit file). */
  itemsImplicit?: boolean;
  /** The encoding the items were read in when it differs from the container's (a sequence stored as VR UN). */
  itemsEncoding?: Encoding;
}

export interface Encoding {
  explicit: boolean;
  littleEndian: boolean;
}

export interface ParsedDicom {
  meta: RawElement[];
  dataset: RawElement[];
  transferSyntax: string;
  /** Whether the file had preamble, "DICM" and a file meta group (false: a bare dataset). */
  hadMeta: boolean;
}

export const TS_IMPLICIT_LE = '1.2.840.10008.1.2';
export const TS_EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const TS_EXPLICIT_BE = '1.2.840.10008.1.2.2';
export const TS_DEFLATED = '1.2.840.10008.1.2.1.99';

export const ITEM = 0xfffee000;
export const ITEM_DELIM = 0xfffee00d;
export const SEQ_DELIM = 0xfffee0dd;
export const UNDEFINED = 0xffffffff;
const MAX_DEPTH = 64;
export const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
export const IMPLICIT_LE: Encoding = { explicit: false, littleEndian: true };
const EXPLICIT_LE: Encoding = { explicit: true, littleEndian: true };
const EXPLICIT_BE: Encoding = { explicit: true, littleEndian: false };

export function encodingOf(transferSyntax: string): Encoding {
  if (transferSyntax === TS_IMPLICIT_LE) return IMPLICIT_LE;
  if (transferSyntax === TS_EXPLICIT_BE) return { explicit: true, littleEndian: false };
  return { explicit: true, littleEndian: true };
}

class Reader {
  readonly dv: DataView;
  constructor(readonly bytes: Uint8Array, readonly file: string) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(pos: number, n: number, what: string): void {
    if (pos + n > this.bytes.length) throw inputError('DICOM_TRUNCATED', `truncated DICOM data: ${what} at byte ${pos} runs past the end (${this.bytes.length} bytes)`, this.file);
  }
  tag(pos: number, le: boolean): number {
    return ((this.dv.getUint16(pos, le) << 16) | this.dv.getUint16(pos + 2, le)) >>> 0;
  }
}

function vrAt(b: Uint8Array, pos: number): string | undefined {
  const c0 = b[pos]!, c1 = b[pos + 1]!;
  if (c0 < 0x41 || c0 > 0x5a || c1 < 0x41 || c1 > 0x5a) return undefined;
  return String.fromCharCode(c0, c1);
}

function inferVr(tag: number, length: number): string {
  if (isSequenceTag(tag)) return 'SQ';
  const entry = profileEntries().get(tag);
  if (entry && entry.vr) return entry.vr;
  const known = dictionaryVr(tag);
  if (known) return known;
  if (length === UNDEFINED) return 'SQ';
  return 'UN';
}

/**
 * Whether a UN value may hold a sequence: the dictionary says SQ, or does not know the tag (an
 * unknown public attribute). Private tags are removed whole; known non-sequence tags hold a value.
 */
function unMayBeSequence(tag: number): boolean {
  if ((tag >>> 16) & 1) return false;
  const known = dictionaryVr(tag);
  return isSequenceTag(tag) || known === undefined || known === 'SQ' || known === 'UN';
}

/**
 * A sequence stored as VR UN: PS3.5 6.2.2 says its items are implicit VR little endian, but
 * writers also copy explicit-VR items (of either byte order, whatever the file's) into UN. Each
 * encoding is tried and the first that reads the whole value as a data set is taken; an error in
 * all of them returns undefined.
 */
function parseUnItems(r: Reader, start: number, valueEnd: number | undefined, limit: number, depth: number):
  { items: RawElement[][]; next: number; encoding: Encoding } | undefined {
  const tries = [IMPLICIT_LE, EXPLICIT_LE, EXPLICIT_BE];
  for (const e of tries) {
    if (r.tag(start, e.littleEndian) !== ITEM) continue;
    try {
      const s = parseItems(r, start, valueEnd, limit, e, depth);
      return { ...s, encoding: e };
    } catch {
      // Not this encoding; try the next.
    }
  }
  return undefined;
}

/** Parses elements in [pos, end); with `inItem`, stops after an item delimitation item. */
function parseElements(r: Reader, pos: number, end: number, enc: Encoding, inItem: boolean, depth = 0): { elements: RawElement[]; next: number } {
  const out: RawElement[] = [];
  const le = enc.littleEndian;
  while (pos < end) {
    r.need(pos, 8, 'element header');
    const tag = r.tag(pos, le);
    if (tag === ITEM_DELIM) {
      if (inItem) return { elements: out, next: pos + 8 };
      throw inputError('DICOM_MALFORMED', `unexpected item delimiter at byte ${pos}`, r.file);
    }
    if (tag === ITEM || tag === SEQ_DELIM) throw inputError('DICOM_MALFORMED', `unexpected item tag at byte ${pos}`, r.file);
    let vr: string;
    let length: number;
    let header: number;
    if (enc.explicit) {
      const v = vrAt(r.bytes, pos + 4);
      if (!v) throw inputError('DICOM_BAD_VR', `invalid value representation at byte ${pos + 4} for tag ${tagString(tag)}`, r.file);
      vr = v;
      if (LONG_VRS.has(vr)) {
        r.need(pos, 12, 'element header');
        length = r.dv.getUint32(pos + 8, le);
        header = 12;
      } else {
        length = r.dv.getUint16(pos + 6, le);
        header = 8;
      }
    } else {
      length = r.dv.getUint32(pos + 4, le);
      header = 8;
      vr = inferVr(tag, length);
    }
    const start = pos + header;
    const el: RawElement = { tag, vr };
    if (length === UNDEFINED) {
      if (enc.explicit && vr === 'UN') {
        r.need(start, 8, 'sequence item');
        // Encapsulated pixel data (or another OB/OW of undefined length) written as UN: its fragments are never read as a data set.
        const encapsulated = /^O[BW]$/.test(dictionaryVr(tag) ?? '');
        const s = encapsulated ? undefined : parseUnItems(r, start, undefined, end, depth + 1);
        if (s) {
          el.items = s.items;
          el.itemsEncoding = s.encoding;
          if (s.encoding === IMPLICIT_LE) el.itemsImplicit = true;
          pos = s.next;
        } else if (encapsulated) {
          pos = scanEncapsulated(r, start, end, le);
          // Encapsulated data is OB (PS3.5 A.4), whatever the dictionary says for native data.
          el.vr = 'OB';
          el.encapsulated = r.bytes.subarray(start, pos);
        } else {
          const what = `undefined-length UN value of ${tagString(tag)} at byte ${start}`;
          throw inputError('DICOM_MALFORMED', `${what} is not a sequence in any encoding`, r.file);
        }
      } else if (vr === 'SQ' || vr === 'UN' || !enc.explicit) {
        const s = parseItems(r, start, undefined, end, enc, depth + 1);
        el.items = s.items;
        pos = s.next;
      } else {
        pos = scanEncapsulated(r, start, end, le);
        el.encapsulated = r.bytes.subarray(start, pos);
      }
    } else {
      if (start + length > end) throw inputError('DICOM_TRUNCATED', `truncated DICOM data: value of ${tagString(tag)} (${length} bytes at byte ${start}) runs past the end of its container`, r.file);
      const valueEnd = start + length;
      let parsed = false;
      if (vr === 'SQ') {
        el.items = parseItems(r, start, valueEnd, valueEnd, enc, depth + 1).items;
        parsed = true;
      } else if (vr === 'UN' && length >= 8 && unMayBeSequence(tag)) {
        // A sequence stored as UN (or an implicit-VR sequence the dictionary does not know).
        const s = parseUnItems(r, start, valueEnd, valueEnd, depth + 1);
        if (s) {
          el.items = s.items;
          if (enc.explicit) {
            el.itemsEncoding = s.encoding;
            if (s.encoding === IMPLICIT_LE) el.itemsImplicit = true;
          } else if (s.encoding === IMPLICIT_LE) el.vr = 'SQ';
          else el.itemsEncoding = s.encoding;
          parsed = true;
        }
      }
      if (!parsed) el.value = r.bytes.subarray(start, valueEnd);
      pos = valueEnd;
    }
    out.push(el);
  }
  if (inItem) {
    // An undefined-length item must end with a delimiter before its container ends.
    throw inputError('DICOM_TRUNCATED', 'truncated DICOM data: sequence item without delimiter', r.file);
  }
  return { elements: out, next: pos };
}

function parseItems(r: Reader, pos: number, seqEnd: number | undefined, limit: number, enc: Encoding, depth: number): { items: RawElement[][]; next: number } {
  // Real objects nest a handful of levels; a hostile file must not exhaust the stack.
  if (depth > MAX_DEPTH) throw inputError('DICOM_MALFORMED', `sequences nested deeper than ${MAX_DEPTH} levels at byte ${pos}`, r.file);
  const items: RawElement[][] = [];
  const le = enc.littleEndian;
  while (seqEnd === undefined || pos < seqEnd) {
    r.need(pos, 8, 'sequence item');
    const tag = r.tag(pos, le);
    const length = r.dv.getUint32(pos + 4, le);
    if (tag === SEQ_DELIM) {
      if (seqEnd !== undefined) throw inputError('DICOM_MALFORMED', `sequence delimiter in a defined-length sequence at byte ${pos}`, r.file);
      return { items, next: pos + 8 };
    }
    if (tag !== ITEM) throw inputError('DICOM_MALFORMED', `expected a sequence item at byte ${pos}, found ${tagString(tag)}`, r.file);
    if (length === UNDEFINED) {
      const s = parseElements(r, pos + 8, limit, enc, true, depth);
      items.push(s.elements);
      pos = s.next;
    } else {
      if (pos + 8 + length > limit) throw inputError('DICOM_TRUNCATED', `truncated DICOM data: sequence item at byte ${pos} runs past its container`, r.file);
      items.push(parseElements(r, pos + 8, pos + 8 + length, enc, false, depth).elements);
      pos += 8 + length;
    }
  }
  return { items, next: pos };
}

function scanEncapsulated(r: Reader, pos: number, end: number, le: boolean): number {
  while (pos + 8 <= end) {
    const tag = r.tag(pos, le);
    const length = r.dv.getUint32(pos + 4, le);
    if (tag === SEQ_DELIM) return pos + 8;
    if (tag !== ITEM || length === UNDEFINED) throw inputError('DICOM_MALFORMED', `malformed encapsulated pixel data at byte ${pos}`, r.file);
    pos += 8 + length;
  }
  throw inputError('DICOM_TRUNCATED', 'truncated DICOM data: encapsulated pixel data without sequence delimiter', r.file);
}

/** Parses a Part 10 file (or a bare dataset without preamble/meta, whose encoding is guessed). */
export function parseDicom(bytes: Uint8Array, file: string): ParsedDicom {
  const r = new Reader(bytes, file);
  let pos = 0;
  const hadMeta = bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
  const meta: RawElement[] = [];
  if (hadMeta) pos = 132;
  if (hadMeta || (bytes.length >= 8 && r.dv.getUint16(0, true) === 0x0002)) {
    // File meta: explicit VR little endian, read while the group is 0002 (group length may lie).
    while (pos + 8 <= bytes.length && r.dv.getUint16(pos, true) === 0x0002) {
      const next = nextAfterFirst(r, pos);
      if (next > bytes.length) throw inputError('DICOM_TRUNCATED', `truncated DICOM data: file meta element at byte ${pos} runs past the end`, file);
      meta.push(...parseElements(r, pos, next, { explicit: true, littleEndian: true }, false).elements);
      pos = next;
    }
  }
  let transferSyntax: string;
  let enc: Encoding;
  if (meta.length > 0) {
    const ts = meta.find((e) => e.tag === 0x00020010);
    if (!ts?.value) throw inputError('DICOM_NO_TRANSFER_SYNTAX', 'the file meta information has no TransferSyntaxUID (0002,0010)', file);
    transferSyntax = asciiValue(ts.value);
    enc = encodingOf(transferSyntax);
  } else {
    // A bare dataset, at byte 0, or after a preamble and "DICM" with no file meta group (which
    // dcmdump and our import read too): its encoding is guessed where it starts.
    if (bytes.length < pos + 8) throw inputError('NOT_DICOM', `not a DICOM file (${bytes.length} bytes)`, file);
    if (bytes[pos] === 0 && bytes[pos + 1] !== 0) enc = { explicit: true, littleEndian: false };
    else enc = { explicit: vrAt(bytes, pos + 4) !== undefined, littleEndian: true };
    transferSyntax = !enc.littleEndian ? TS_EXPLICIT_BE : enc.explicit ? TS_EXPLICIT_LE : TS_IMPLICIT_LE;
    const group = r.dv.getUint16(pos, enc.littleEndian);
    if (group !== 0x0008 && group !== 0x0018 && group !== 0x0010 && group !== 0x0020) {
      throw inputError(
        'NOT_DICOM',
        hadMeta
          ? "not a DICOM file: a 'DICM' marker at byte 128 but neither a file meta group nor a recognisable dataset after it"
          : "not a DICOM file: no 'DICM' marker at byte 128 and no recognisable dataset at byte 0",
        file,
      );
    }
  }
  let body = bytes;
  let bodyPos = pos;
  if (transferSyntax === TS_DEFLATED) {
    try {
      body = inflateSync(bytes.subarray(pos));
    } catch (e) {
      throw inputError('DICOM_BAD_DEFLATE', 'the deflated dataset cannot be inflated', file, e);
    }
    bodyPos = 0;
  }
  const br = body === bytes ? r : new Reader(body, file);
  const dataset = parseElements(br, bodyPos, body.length, enc, false).elements;
  return { meta, dataset, transferSyntax, hadMeta: meta.length > 0 };
}

function nextAfterFirst(r: Reader, pos: number): number {
  r.need(pos, 12, 'file meta element');
  const v = vrAt(r.bytes, pos + 4);
  if (!v) throw inputError('DICOM_BAD_VR', `invalid VR in the file meta information at byte ${pos + 4}`, r.file);
  if (LONG_VRS.has(v)) return pos + 12 + r.dv.getUint32(pos + 8, true);
  return pos + 8 + r.dv.getUint16(pos + 6, true);
}

export function tagString(tag: number): string {
  const h = (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return `(${h.slice(0, 4)},${h.slice(4)})`;
}

/** A string value without trailing NUL/space padding (bytes read as Latin-1). */
export function asciiValue(v: Uint8Array | undefined): string {
  if (!v) return '';
  let s = '';
  for (let i = 0; i < v.length; i++) s += String.fromCharCode(v[i]!);
  return s.replace(/[\0 ]+$/, '').replace(/^ +/, '');
}

/** Encodes an ASCII string value padded to even length (UIDs with NUL, text with space). */
export function encodeValue(s: string, vr: string): Uint8Array {
  const bytes = new TextEncoder().encode(s);
  if (bytes.length % 2 === 0) return bytes;
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  out[bytes.length] = vr === 'UI' ? 0 : 0x20;
  return out;
}
