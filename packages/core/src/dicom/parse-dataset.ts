import dicomParser from 'dicom-parser';
import type { DataSet, Element } from 'dicom-parser';
import { inflateSync } from 'fflate';
import { inputError } from '../errors.js';
import {
  EXPLICIT_VR_BIG_ENDIAN,
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
  transferSyntaxInfo,
} from './transfer-syntax.js';

/**
 * Low-level reading of one DICOM file into a dicom-parser DataSet.
 *
 * We read the File Meta Information (group 0002) ourselves, because real files break
 * dicom-parser's assumptions: no preamble/meta at all (pydicom `no_meta.dcm`,
 * `ExplVR_*NoMeta.dcm`), a meta group without TransferSyntaxUID
 * (`meta_missing_tsyntax.dcm`), or a dataset whose VR encoding contradicts the meta.
 * The dataset itself is parsed by dicom-parser from the first dataset byte (inflated
 * first for deflate), and every element, item and pixel fragment is then bounds-checked
 * so that a truncated file is refused here instead of being read out of bounds later.
 */
export interface ParsedDataset {
  dataSet: DataSet;
  /** Transfer syntax the pixel data is encoded in (from the meta, or inferred). */
  transferSyntaxUid: string;
  /** Meta-group values (0002,0002)/(0002,0003): the dataset may lack them. */
  metaSopClassUid?: string;
  metaSopInstanceUid?: string;
  /** Whether the file had a 128-byte preamble and 'DICM'. */
  hasPreamble: boolean;
  /** Things repaired or guessed while reading (shown to the user by the caller). */
  warnings: string[];
}

export const PIXEL_DATA_TAG = 'x7fe00010';

const LONG_LENGTH_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const ALL_VRS = new Set([
  'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'OB', 'OD', 'OF', 'OL', 'OV', 'OW',
  'PN', 'SH', 'SL', 'SQ', 'SS', 'ST', 'SV', 'TM', 'UC', 'UI', 'UL', 'UN', 'UR', 'US', 'UT', 'UV',
]);

interface Encoding {
  explicitVr: boolean;
  bigEndian: boolean;
}

function u16(b: Uint8Array, p: number, be: boolean): number {
  return be ? (b[p]! << 8) | b[p + 1]! : b[p]! | (b[p + 1]! << 8);
}
function u32(b: Uint8Array, p: number, be: boolean): number {
  return be
    ? ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0
    : (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}
function vrAt(b: Uint8Array, p: number): string {
  return String.fromCharCode(b[p]!, b[p + 1]!);
}

/**
 * How many consecutive well-formed elements (ascending tags, known VRs, lengths that
 * fit) start at `start` under `enc`; stops after `want`. Used to recognise a dataset
 * without meta and to tell explicit from implicit VR.
 */
function plausibleElements(b: Uint8Array, start: number, enc: Encoding, want: number, anyFirstGroup: boolean): number {
  let p = start;
  let prev = -1;
  let n = 0;
  while (n < want && p + 8 <= b.length) {
    const group = u16(b, p, enc.bigEndian);
    const elem = u16(b, p + 2, enc.bigEndian);
    const tag = group * 65536 + elem;
    if (group % 2 === 1 || tag <= prev) return n;
    if (n === 0 && !anyFirstGroup && (group < 0x0002 || group > 0x0028)) return 0;
    let len: number;
    let head: number;
    if (enc.explicitVr) {
      const vr = vrAt(b, p + 4);
      if (!ALL_VRS.has(vr)) return n;
      if (LONG_LENGTH_VRS.has(vr)) {
        if (p + 12 > b.length) return n;
        len = u32(b, p + 8, enc.bigEndian);
        head = 12;
      } else {
        len = u16(b, p + 6, enc.bigEndian);
        head = 8;
      }
    } else {
      len = u32(b, p + 4, enc.bigEndian);
      head = 8;
    }
    n++;
    if (len === 0xffffffff) return n; // sequence/encapsulated: good enough evidence
    if (p + head + len > b.length) return n - 1;
    prev = tag;
    p += head + len;
  }
  // A dataset that ends cleanly after a few good elements is as good as `want` of them.
  return p >= b.length && n > 0 ? Math.max(n, want) : n;
}

/**
 * Guess the dataset encoding at `start`, or null when nothing plausible is there. Without
 * a meta group the first tag must be an early standard group (0002–0028), which keeps
 * text and other files from being taken for DICOM; after a 'DICM' meta any group goes.
 */
function sniffEncoding(b: Uint8Array, start: number, anyFirstGroup = false): Encoding | null {
  const candidates: Encoding[] = [
    { explicitVr: true, bigEndian: false },
    { explicitVr: false, bigEndian: false },
    { explicitVr: true, bigEndian: true },
  ];
  let best: Encoding | null = null;
  let bestN = 0;
  for (const enc of candidates) {
    const n = plausibleElements(b, start, enc, 4, anyFirstGroup);
    if (n > bestN) {
      best = enc;
      bestN = n;
    }
  }
  return bestN >= 2 || (bestN >= 1 && b.length - start < 64) ? best : null;
}

interface Meta {
  end: number;
  transferSyntaxUid?: string;
  sopClassUid?: string;
  sopInstanceUid?: string;
}

function metaString(b: Uint8Array, p: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) {
    const c = b[p + i]!;
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s.trim();
}

/** Reads group 0002 (always explicit VR little endian, PS3.10 §7.1) starting at `start`. */
function readMeta(b: Uint8Array, start: number, file: string): Meta {
  const meta: Meta = { end: start };
  const truncated = (): never => {
    throw inputError('MALFORMED_DICOM', 'file meta information is truncated (the file ends inside group 0002)', file);
  };
  let declaredEnd = -1;
  let p = start;
  while (p + 2 <= b.length && u16(b, p, false) === 0x0002) {
    if (p + 8 > b.length) truncated();
    const elem = u16(b, p + 2, false);
    const vr = vrAt(b, p + 4);
    let len: number;
    let head: number;
    if (LONG_LENGTH_VRS.has(vr)) {
      if (p + 12 > b.length) truncated();
      len = u32(b, p + 8, false);
      head = 12;
    } else if (ALL_VRS.has(vr)) {
      len = u16(b, p + 6, false);
      head = 8;
    } else {
      // Some writers encode the meta in implicit VR: tolerate it.
      len = u32(b, p + 4, false);
      head = 8;
    }
    if (len === 0xffffffff || p + head + len > b.length) {
      throw inputError('MALFORMED_DICOM', `file meta element (0002,${elem.toString(16).padStart(4, '0')}) runs past the end of the file`, file);
    }
    const v = p + head;
    if (elem === 0x0000 && len === 4) declaredEnd = v + 4 + u32(b, v, false);
    if (elem === 0x0010) meta.transferSyntaxUid = metaString(b, v, len);
    else if (elem === 0x0002) meta.sopClassUid = metaString(b, v, len);
    else if (elem === 0x0003) meta.sopInstanceUid = metaString(b, v, len);
    p = v + len;
  }
  if (declaredEnd > b.length) truncated();
  meta.end = p;
  return meta;
}

function describe(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e instanceof Error) return e.message;
  if (e && typeof e === 'object' && 'exception' in e) return describe((e as { exception: unknown }).exception);
  return String(e);
}

const DataSetCtor = (dicomParser as unknown as { DataSet: new (p: unknown, b: Uint8Array, e: Record<string, Element>) => DataSet })
  .DataSet;

function parseBody(ds: DataSet, start: number, enc: Encoding): void {
  const b = ds.byteArray as Uint8Array;
  const stream = new dicomParser.ByteStream(ds.byteArrayParser, b, start);
  ds.warnings = stream.warnings;
  if (enc.explicitVr) dicomParser.parseDicomDataSetExplicit(ds, stream, b.length);
  else dicomParser.parseDicomDataSetImplicit(ds, stream, b.length);
}

/** Every element, sequence item and pixel fragment must lie inside the buffer. */
function checkBounds(elements: Record<string, Element>, size: number, file: string, depth: number): void {
  if (depth > 32) throw inputError('MALFORMED_DICOM', 'sequences nested deeper than 32 levels', file);
  for (const key in elements) {
    const el = elements[key]!;
    const isPixels = el.tag === PIXEL_DATA_TAG && depth === 0;
    const where = `element (${el.tag.slice(1, 5)},${el.tag.slice(5)})`;
    if (el.dataOffset > size || (el.length !== 0xffffffff && el.dataOffset + el.length > size)) {
      if (isPixels) {
        throw inputError('TRUNCATED_PIXEL_DATA', `pixel data is truncated: ${el.length} bytes declared, ${Math.max(0, size - el.dataOffset)} present`, file);
      }
      throw inputError('MALFORMED_DICOM', `truncated: ${where} declares ${el.length} bytes but the file ends first`, file);
    }
    if (el.fragments) {
      for (const f of el.fragments) {
        if (f.position + f.length > size) {
          throw inputError('TRUNCATED_PIXEL_DATA', `encapsulated pixel data is truncated (a fragment runs ${f.position + f.length - size} bytes past the end)`, file);
        }
      }
    }
    if (el.items) {
      for (const item of el.items) {
        if (item.dataSet) checkBounds(item.dataSet.elements, size, file, depth + 1);
      }
    }
  }
}

function hasDicm(b: Uint8Array): boolean {
  return b.length >= 132 && b[128] === 0x44 && b[129] === 0x49 && b[130] === 0x43 && b[131] === 0x4d;
}

/** Encoding implied by a transfer syntax (encapsulated syntaxes are explicit LE). */
function encodingOf(uid: string): Encoding {
  if (uid === IMPLICIT_VR_LITTLE_ENDIAN) return { explicitVr: false, bigEndian: false };
  if (uid === EXPLICIT_VR_BIG_ENDIAN) return { explicitVr: true, bigEndian: true };
  return { explicitVr: true, bigEndian: false };
}

const MAX_DATASET_SKIP = 4;

/**
 * Parses `bytes` as DICOM. Returns null when the bytes are not DICOM at all (no 'DICM'
 * and no plausible dataset at the start); throws ScanError ('MALFORMED_DICOM',
 * 'TRUNCATED_PIXEL_DATA') for DICOM that is corrupt or truncated.
 */
export function parseDicomDataset(bytes: Uint8Array, file: string): ParsedDataset | null {
  const warnings: string[] = [];
  let hasPreamble = false;
  let meta: Meta | undefined;
  let start = 0;
  if (hasDicm(bytes)) {
    hasPreamble = true;
    meta = readMeta(bytes, 132, file);
    start = meta.end;
  } else if (bytes.length >= 8 && u16(bytes, 0, false) === 0x0002 && ALL_VRS.has(vrAt(bytes, 4))) {
    meta = readMeta(bytes, 0, file); // meta group without the preamble
    start = meta.end;
  } else {
    // No meta: find the dataset. A few writers leave stray bytes before it (pydicom's
    // no_meta.dcm starts with the meta's last padding byte), so try the first few offsets.
    let found = false;
    for (let s = 0; s <= MAX_DATASET_SKIP && !found; s++) {
      if (sniffEncoding(bytes, s)) {
        start = s;
        found = true;
      }
    }
    if (!found) return null;
    if (start > 0) warnings.push(`skipped ${start} stray byte(s) before the dataset`);
  }

  if (start >= bytes.length) throw inputError('MALFORMED_DICOM', 'file meta information but no dataset (file ends after the meta group)', file);

  let tsUid = meta?.transferSyntaxUid;
  const sniffed = sniffEncoding(bytes, start, meta !== undefined);
  if (!tsUid) {
    if (!sniffed) throw inputError('MALFORMED_DICOM', 'no TransferSyntaxUID in the file meta and the dataset encoding cannot be recognised', file);
    tsUid = sniffed.bigEndian ? EXPLICIT_VR_BIG_ENDIAN : sniffed.explicitVr ? EXPLICIT_VR_LITTLE_ENDIAN : IMPLICIT_VR_LITTLE_ENDIAN;
    if (meta) warnings.push(`no TransferSyntaxUID in the file meta; dataset read as ${transferSyntaxInfo(tsUid).name}`);
  }
  const info = transferSyntaxInfo(tsUid);

  let body = bytes;
  let enc = encodingOf(tsUid);
  if (info.deflated) {
    try {
      body = inflateSync(bytes.subarray(start));
    } catch (e) {
      throw inputError('MALFORMED_DICOM', `deflated dataset cannot be inflated (${describe(e)})`, file, e);
    }
    start = 0;
    if (body.length === 0) throw inputError('MALFORMED_DICOM', 'deflated dataset is empty', file);
  } else if (sniffed && !info.encapsulated && sniffed.explicitVr !== enc.explicitVr && sniffed.bigEndian === enc.bigEndian) {
    // The meta claims one VR encoding but the dataset is written in the other: a known
    // writer bug. Read what is there (native pixels do not depend on the VR encoding).
    warnings.push(`dataset is ${sniffed.explicitVr ? 'explicit' : 'implicit'} VR although the meta says ${info.name}`);
    enc = sniffed;
  }

  const parser = enc.bigEndian ? dicomParser.bigEndianByteArrayParser : dicomParser.littleEndianByteArrayParser;
  const dataSet = new DataSetCtor(parser, body, {});
  try {
    parseBody(dataSet, start, enc);
  } catch (e) {
    // dicom-parser stops with 'buffer overrun' after an element that runs past the end:
    // the elements read so far say which one (pixel data → TRUNCATED_PIXEL_DATA).
    checkBounds(dataSet.elements, body.length, file, 0);
    const msg = describe(e);
    const truncated = /overrun|maxPosition|maxP osition|past end|end of buffer/i.test(msg);
    throw inputError('MALFORMED_DICOM', `${truncated ? 'the file is truncated or corrupt' : 'the dataset is corrupt'} (reading it as ${info.name}: ${msg})`, file, e);
  }
  checkBounds(dataSet.elements, body.length, file, 0);
  for (const w of dataSet.warnings ?? []) warnings.push(w);

  const out: ParsedDataset = { dataSet, transferSyntaxUid: tsUid, hasPreamble, warnings };
  if (meta?.sopClassUid) out.metaSopClassUid = meta.sopClassUid;
  if (meta?.sopInstanceUid) out.metaSopInstanceUid = meta.sopInstanceUid;
  return out;
}

// The dataset parsed for the header is reused when decode gets the same bytes object
// (WeakMap: it goes when the caller drops the bytes).
const parsedCache = new WeakMap<Uint8Array, ParsedDataset>();

export function rememberParsed(bytes: Uint8Array, parsed: ParsedDataset): void {
  parsedCache.set(bytes, parsed);
}

export function recallParsed(bytes: Uint8Array): ParsedDataset | undefined {
  return parsedCache.get(bytes);
}
