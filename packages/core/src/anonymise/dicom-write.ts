/**
 * The anonymiser's DICOM Part 10 writer (the reader is dicom-codec.ts): elements kept from the
 * source are written back byte for byte, sequences and items with undefined length, and
 * normaliseSequences turns sequences stored as VR UN into ordinary SQ in the file's encoding.
 */
import { deflateSync } from 'fflate';
import { joinBytes } from '../formats/join-bytes.js';
import { encodingOf, IMPLICIT_LE, ITEM, ITEM_DELIM, LONG_VRS, SEQ_DELIM, tagString, TS_DEFLATED, UNDEFINED, type Encoding, type RawElement } from './dicom-codec.js';

class Writer {
  readonly chunks: Uint8Array[] = [];
  size = 0;
  push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }
  header(tag: number, vrIn: string, length: number, enc: Encoding): void {
    // A value too long for a 16-bit length (read from implicit VR or UN) can only be written as UN (PS3.5 6.2.2).
    const vr = enc.explicit && !LONG_VRS.has(vrIn) && length > 0xffff && length !== UNDEFINED ? 'UN' : vrIn;
    const long = LONG_VRS.has(vr);
    const n = enc.explicit ? (long ? 12 : 8) : 8;
    const b = new Uint8Array(n);
    const dv = new DataView(b.buffer);
    const le = enc.littleEndian;
    dv.setUint16(0, tag >>> 16, le);
    dv.setUint16(2, tag & 0xffff, le);
    if (!enc.explicit) dv.setUint32(4, length, le);
    else {
      b[4] = vr.charCodeAt(0);
      b[5] = vr.charCodeAt(1);
      if (long) dv.setUint32(8, length, le);
      else {
        if (length > 0xffff) throw new Error(`value of ${tagString(tag)} too long for VR ${vr}`);
        dv.setUint16(6, length, le);
      }
    }
    this.push(b);
  }
  concat(): Uint8Array {
    return joinBytes(this.chunks, this.size);
  }
}

function itemTag(w: Writer, tag: number, length: number, le: boolean): void {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, tag >>> 16, le);
  dv.setUint16(2, tag & 0xffff, le);
  dv.setUint32(4, length, le);
  w.push(b);
}

function writeElements(w: Writer, elements: readonly RawElement[], enc: Encoding): void {
  for (const el of elements) {
    if (el.items) {
      w.header(el.tag, el.vr === 'UN' ? 'UN' : 'SQ', UNDEFINED, enc);
      const itemEnc = el.itemsEncoding ?? (el.itemsImplicit ? IMPLICIT_LE : enc);
      for (const item of el.items) {
        itemTag(w, ITEM, UNDEFINED, itemEnc.littleEndian);
        writeElements(w, item, itemEnc);
        itemTag(w, ITEM_DELIM, 0, itemEnc.littleEndian);
      }
      itemTag(w, SEQ_DELIM, 0, itemEnc.littleEndian);
    } else if (el.encapsulated) {
      w.header(el.tag, el.vr, UNDEFINED, enc);
      w.push(el.encapsulated);
    } else {
      const v = el.value ?? new Uint8Array(0);
      w.header(el.tag, el.vr, v.length, enc);
      if (v.length) w.push(v);
    }
  }
}

/** Byte widths of the VRs whose values change with the byte order (AT is two 16-bit numbers). */
const SWAP_WIDTH: Record<string, number> = {
  US: 2, SS: 2, OW: 2, AT: 2, UL: 4, SL: 4, FL: 4, OF: 4, OL: 4, FD: 8, OD: 8, SV: 8, UV: 8, OV: 8,
};

function swapped(v: Uint8Array, width: number): Uint8Array {
  const out = v.slice();
  for (let i = 0; i + width <= out.length; i += width) out.subarray(i, i + width).reverse();
  return out;
}

/**
 * Rewrites every sequence as SQ whose items are in `enc`, the file's encoding: a sequence stored as
 * VR UN (items in implicit VR, or copied in explicit VR) is read differently by different readers
 * (pydicom, dcmtk, dicom-parser), so what we write is an ordinary SQ. Values read in the other byte
 * order are swapped; elements read from implicit VR keep the dictionary's VR (UN when unknown).
 * Returns the elements and how many sequences had been stored as UN.
 */
export function normaliseSequences(
  elements: readonly RawElement[],
  enc: Encoding,
  from: Encoding = enc,
): { elements: RawElement[]; unSequences: number } {
  let unSequences = 0;
  const out = elements.map((el): RawElement => {
    if (el.items) {
      const itemsFrom = el.itemsEncoding ?? (el.itemsImplicit ? IMPLICIT_LE : from);
      if (el.vr === 'UN' || el.itemsEncoding || el.itemsImplicit) unSequences++;
      const items = el.items.map((item) => {
        const n = normaliseSequences(item, enc, itemsFrom);
        unSequences += n.unSequences;
        return n.elements;
      });
      return { tag: el.tag, vr: 'SQ', items };
    }
    const width = SWAP_WIDTH[el.vr];
    if (el.value && width && from.littleEndian !== enc.littleEndian) return { ...el, value: swapped(el.value, width) };
    return el;
  });
  return { elements: out, unSequences };
}

/** Writes a Part 10 file: preamble, "DICM", meta (group length recomputed), dataset in `transferSyntax`. */
export function writeDicom(meta: readonly RawElement[], dataset: readonly RawElement[], transferSyntax: string): Uint8Array {
  const metaEnc: Encoding = { explicit: true, littleEndian: true };
  const mw = new Writer();
  writeElements(mw, meta.filter((e) => e.tag !== 0x00020000), metaEnc);
  const w = new Writer();
  const pre = new Uint8Array(132);
  pre.set([0x44, 0x49, 0x43, 0x4d], 128);
  w.push(pre);
  const gl = new Uint8Array(4);
  new DataView(gl.buffer).setUint32(0, mw.size, true);
  writeElements(w, [{ tag: 0x00020000, vr: 'UL', value: gl }], metaEnc);
  for (const c of mw.chunks) w.push(c);
  const dw = new Writer();
  writeElements(dw, dataset, encodingOf(transferSyntax));
  if (transferSyntax === TS_DEFLATED) w.push(deflateSync(dw.concat(), { level: 6 }));
  else for (const c of dw.chunks) w.push(c);
  return w.concat();
}
