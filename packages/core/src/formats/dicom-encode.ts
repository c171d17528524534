/**
 * A small DICOM Part 10 encoder: Explicit VR Little Endian, defined lengths
 * everywhere, elements sorted by tag. Every element carries its VR explicitly, so
 * no data dictionary is needed and the bytes are fully determined by the input.
 */

/** One data element: tag as 0xGGGGEEEE, VR, value. SQ values are lists of item datasets. */
export type DicomElement = [tag: number, vr: string, value: DicomValue];
export type DicomValue = string | string[] | number | number[] | Uint8Array | DicomElement[][];

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

/** Decimal String: the shortest form of x that fits DICOM's 16 characters. */
export function formatDS(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`DS value ${x} is not finite`);
  const v = Math.abs(x) < 1e-12 ? 0 : x;
  let s = String(v);
  for (let p = 15; s.length > 16 && p > 0; p--) {
    s = v.toPrecision(p);
    if (s.includes('e')) {
      const [m, e] = s.split('e');
      s = `${m!.includes('.') ? m!.replace(/0+$/, '').replace(/\.$/, '') : m}e${e}`;
    } else if (s.includes('.')) {
      s = s.replace(/0+$/, '').replace(/\.$/, '');
    }
  }
  return s;
}

class ByteSink {
  private buf = new Uint8Array(1 << 16);
  length = 0;
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  u16(v: number): void {
    this.ensure(2);
    this.buf[this.length++] = v & 0xff;
    this.buf[this.length++] = (v >>> 8) & 0xff;
  }
  u32(v: number): void {
    this.u16(v & 0xffff);
    this.u16((v >>> 16) & 0xffff);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

const ascii = new TextEncoder();

function valueBytes(vr: string, value: DicomValue): Uint8Array {
  if (value instanceof Uint8Array) return value.length % 2 ? concat(value, new Uint8Array(1)) : value;
  const list = Array.isArray(value) ? (value as (string | number)[]) : [value as string | number];
  switch (vr) {
    case 'US':
    case 'SS': {
      const out = new Uint8Array(list.length * 2);
      const dv = new DataView(out.buffer);
      list.forEach((v, i) => (vr === 'US' ? dv.setUint16(i * 2, Number(v), true) : dv.setInt16(i * 2, Number(v), true)));
      return out;
    }
    case 'UL':
    case 'SL': {
      const out = new Uint8Array(list.length * 4);
      const dv = new DataView(out.buffer);
      list.forEach((v, i) => (vr === 'UL' ? dv.setUint32(i * 4, Number(v), true) : dv.setInt32(i * 4, Number(v), true)));
      return out;
    }
    case 'FL':
    case 'FD': {
      const w = vr === 'FL' ? 4 : 8;
      const out = new Uint8Array(list.length * w);
      const dv = new DataView(out.buffer);
      list.forEach((v, i) => (w === 4 ? dv.setFloat32(i * 4, Number(v), true) : dv.setFloat64(i * 8, Number(v), true)));
      return out;
    }
    case 'AT': {
      const out = new Uint8Array(list.length * 4);
      const dv = new DataView(out.buffer);
      list.forEach((v, i) => {
        dv.setUint16(i * 4, (Number(v) >>> 16) & 0xffff, true);
        dv.setUint16(i * 4 + 2, Number(v) & 0xffff, true);
      });
      return out;
    }
    default: {
      const text = list.map((v) => (vr === 'DS' && typeof v === 'number' ? formatDS(v) : vr === 'IS' && typeof v === 'number' ? String(Math.round(v)) : String(v))).join('\\');
      const b = ascii.encode(text);
      if (b.length % 2 === 0) return b;
      // UI pads with NUL, other strings with a space
      return concat(b, new Uint8Array([vr === 'UI' ? 0 : 0x20]));
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function writeDataset(sink: ByteSink, elements: DicomElement[]): void {
  const sorted = [...elements].sort((x, y) => x[0] - y[0]);
  for (const [tag, vr, value] of sorted) {
    sink.u16(tag >>> 16);
    sink.u16(tag & 0xffff);
    sink.bytes(ascii.encode(vr));
    let body: Uint8Array;
    if (vr === 'SQ') {
      const items = new ByteSink();
      for (const item of value as DicomElement[][]) {
        const inner = new ByteSink();
        writeDataset(inner, item);
        items.u16(0xfffe);
        items.u16(0xe000);
        items.u32(inner.length);
        items.bytes(inner.result());
      }
      body = items.result();
    } else {
      body = valueBytes(vr, value);
    }
    if (LONG_VRS.has(vr)) {
      sink.u16(0);
      sink.u32(body.length);
    } else {
      if (body.length > 0xffff) throw new RangeError(`DICOM element (${(tag >>> 16).toString(16)},${(tag & 0xffff).toString(16)}) ${vr} is ${body.length} bytes, over 65535`);
      sink.u16(body.length);
    }
    sink.bytes(body);
  }
}

/** Encodes a dataset (Explicit VR Little Endian, defined lengths). */
export function encodeDataset(elements: DicomElement[]): Uint8Array {
  const sink = new ByteSink();
  writeDataset(sink, elements);
  return sink.result();
}

/**
 * A complete Part 10 file: 128-byte preamble, "DICM", file meta group, dataset.
 */
export function encodePart10(meta: { sopClassUid: string; sopInstanceUid: string; implementationClassUid: string; implementationVersion: string }, dataset: DicomElement[]): Uint8Array {
  const metaBody = encodeDataset([
    [0x00020001, 'OB', new Uint8Array([0, 1])],
    [0x00020002, 'UI', meta.sopClassUid],
    [0x00020003, 'UI', meta.sopInstanceUid],
    [0x00020010, 'UI', EXPLICIT_VR_LITTLE_ENDIAN],
    [0x00020012, 'UI', meta.implementationClassUid],
    [0x00020013, 'SH', meta.implementationVersion.slice(0, 16)],
  ]);
  const groupLength = encodeDataset([[0x00020000, 'UL', metaBody.length]]);
  const body = encodeDataset(dataset);
  const out = new Uint8Array(132 + groupLength.length + metaBody.length + body.length);
  out.set(ascii.encode('DICM'), 128);
  out.set(groupLength, 132);
  out.set(metaBody, 132 + groupLength.length);
  out.set(body, 132 + groupLength.length + metaBody.length);
  return out;
}
