/**
 * Looks for planted secrets in every byte of an output, in the encodings a name can take in a
 * DICOM file or in what is wrapped in it: ASCII/UTF-8 as typed, upper and lower case, Latin-1,
 * UTF-16 LE and BE, Shift-JIS, EUC-JP, ISO 2022 (JIS X 0208 between escapes) and base64. Deflated data
 * sets are inflated and zip entries opened (recursively) before searching, so compression does
 * not hide a leak. A view that cannot be opened is reported, never passed as clean.
 */
import { inflateRawSync } from 'node:zlib';
import { unzipSync } from 'fflate';
import iconv from 'iconv-lite';
import { iso2022jp, type Secret } from './generate.js';
import { metaEnd, TS } from './dicom-bytes.js';

export interface Needle {
  secret: Secret;
  encoding: string;
  bytes: Buffer;
}

export interface Leak {
  secret: Secret;
  encoding: string;
  /** Which view of the output: "file", "inflated data set", "zip:<entry>" … */
  where: string;
  offset: number;
}

export interface ScanResult {
  leaks: Leak[];
  /** Views that could not be opened (a deflated data set that does not inflate, a broken zip). */
  unreadable: string[];
  /** How many views were searched. */
  views: number;
}

/** A secret shorter than this in some encoding would match pixel bytes by chance. */
export const MIN_NEEDLE_BYTES = 6;

function encodes(s: string, enc: string): Buffer | undefined {
  if (!iconv.encodingExists(enc)) throw new Error(`iconv-lite lacks ${enc}`);
  const b = iconv.encode(s, enc);
  return iconv.decode(b, enc) === s ? b : undefined;
}

/** Every byte form of a secret, labelled by encoding; forms equal to an earlier one are left out. */
export function needles(secret: Secret): Needle[] {
  const out: Needle[] = [];
  const add = (encoding: string, b: Buffer | undefined) => {
    if (!b || out.some((n) => n.bytes.equals(b))) return;
    out.push({ secret, encoding, bytes: b });
  };
  const v = secret.value;
  for (const [casing, s] of [['', v], [' upper', v.toUpperCase()], [' lower', v.toLowerCase()]] as const) {
    add(`utf-8${casing}`, Buffer.from(s, 'utf8'));
    add(`latin-1${casing}`, encodes(s, 'latin1'));
    add(`utf-16le${casing}`, Buffer.from(s, 'utf16le'));
    add(`utf-16be${casing}`, encodes(s, 'utf16-be'));
    add(`shift-jis${casing}`, encodes(s, 'shift_jis'));
    add(`euc-jp${casing}`, encodes(s, 'euc-jp'));
    // Base64 of the UTF-8 form (XML, JSON or EXIF blobs in an OB value), at each of its 3 alignments: only the
    // characters that depend on the secret alone, when there are enough of them not to match by chance.
    for (let k = 0; k < 3; k++) {
      const raw = Buffer.concat([Buffer.alloc(k), Buffer.from(s, 'utf8')]);
      const b64 = raw.toString('base64');
      const body = b64.slice(k ? 4 : 0, Math.floor(raw.length / 3) * 4);
      if (body.length >= 8) add(`base64/${k}${casing}`, Buffer.from(body, 'latin1'));
    }
    if (encodes(s, 'euc-jp')) {
      // ISO 2022: searched without the closing ESC ( B (the next character may keep JIS X 0208),
      // and for a run of 3+ kanji also without the opening escape (it may sit inside a longer run).
      const iso = iso2022jp(s);
      const open = iso.indexOf(Buffer.from([0x1b, 0x24, 0x42]));
      if (open >= 0) {
        const body = iso.subarray(0, iso.length - (iso.subarray(-3).equals(Buffer.from([0x1b, 0x28, 0x42])) ? 3 : 0));
        add(`iso-2022-jp${casing}`, body);
        const inner = body.subarray(3);
        if (open === 0 && inner.indexOf(0x1b) < 0 && inner.length >= MIN_NEEDLE_BYTES) add(`iso-2022-jp (inside a run)${casing}`, inner);
      }
    }
  }
  return out;
}

function isZip(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;
}

function isDeflatedDicom(b: Uint8Array): number {
  const end = metaEnd(b);
  if (end === 0) return 0;
  const meta = Buffer.from(b.buffer, b.byteOffset, end).toString('latin1');
  return meta.includes(TS.deflated) ? end : 0;
}

/** The views of one output: itself, its inflated data set, its zip entries (and theirs), depth-bounded. */
function views(bytes: Uint8Array, where: string, out: { where: string; bytes: Buffer }[], unreadable: string[], depth = 0): void {
  out.push({ where, bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
  if (depth > 4) return;
  const deflated = isDeflatedDicom(bytes);
  if (deflated) {
    try {
      views(new Uint8Array(inflateRawSync(bytes.subarray(deflated))), `${where} › inflated data set`, out, unreadable, depth + 1);
    } catch (e) {
      unreadable.push(`${where}: deflated data set does not inflate (${(e as Error).message})`);
    }
  }
  if (isZip(bytes)) {
    try {
      for (const [name, entry] of Object.entries(unzipSync(bytes))) views(entry, `${where} › zip:${name}`, out, unreadable, depth + 1);
    } catch (e) {
      unreadable.push(`${where}: zip does not open (${(e as Error).message})`);
    }
  }
}

/** Searches every view of every output for every byte form of every secret. */
export function scanOutputs(outputs: { name: string; bytes: Uint8Array }[], secrets: Secret[]): ScanResult {
  const all = secrets.flatMap(needles);
  const leaks: Leak[] = [];
  const unreadable: string[] = [];
  let count = 0;
  for (const o of outputs) {
    const vs: { where: string; bytes: Buffer }[] = [];
    views(o.bytes, o.name, vs, unreadable);
    count += vs.length;
    for (const v of vs) {
      for (const n of all) {
        const at = v.bytes.indexOf(n.bytes);
        if (at >= 0) leaks.push({ secret: n.secret, encoding: n.encoding, where: v.where, offset: at });
      }
    }
  }
  return { leaks, unreadable, views: count };
}

/** Distinct secrets (by value) among the leaks. */
export function leakedSecrets(r: ScanResult): Secret[] {
  const m = new Map<string, Secret>();
  for (const l of r.leaks) m.set(l.secret.value, l.secret);
  return [...m.values()];
}
