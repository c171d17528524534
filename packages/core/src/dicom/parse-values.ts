import type { DataSet } from 'dicom-parser';

/**
 * Typed, defensive accessors over a dicom-parser DataSet. Absent, empty or unparsable
 * values come back as undefined (never NaN), so callers can use `??` fallbacks.
 * Tags are written as dicom-parser keys: 'xGGGGEEEE'.
 */

export function str(ds: DataSet, tag: string): string | undefined {
  const el = ds.elements[tag];
  if (!el || el.length === 0) return undefined;
  const s = ds.string(tag);
  return s === undefined || s === '' ? undefined : s;
}

export function strList(ds: DataSet, tag: string): string[] | undefined {
  const s = str(ds, tag);
  return s === undefined ? undefined : s.split('\\').map((x) => x.trim());
}

/** DS/IS value `index` (0-based) of a multi-valued decimal/integer string. */
export function num(ds: DataSet, tag: string, index = 0): number | undefined {
  const list = strList(ds, tag);
  if (!list || index >= list.length) return undefined;
  const v = Number(list[index]);
  return list[index] === '' || !Number.isFinite(v) ? undefined : v;
}

export function nums(ds: DataSet, tag: string, count: number): number[] | undefined {
  const list = strList(ds, tag);
  if (!list || list.length < count) return undefined;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const v = Number(list[i]);
    if (list[i] === '' || !Number.isFinite(v)) return undefined;
    out.push(v);
  }
  return out;
}

/** US (or SS, read unsigned) value; requires the element to hold 2 bytes per value. */
export function us(ds: DataSet, tag: string, index = 0): number | undefined {
  const el = ds.elements[tag];
  if (!el || el.length < 2 * (index + 1)) return undefined;
  return ds.uint16(tag, index);
}

/** A 16-bit value that is SS when `signed` (PixelRepresentation 1), US otherwise. */
export function us16Signed(ds: DataSet, tag: string, signed: boolean, index = 0): number | undefined {
  const v = us(ds, tag, index);
  if (v === undefined) return undefined;
  return signed && v >= 0x8000 ? v - 0x10000 : v;
}

/** FD value (8 bytes). */
export function fd(ds: DataSet, tag: string, index = 0): number | undefined {
  const el = ds.elements[tag];
  if (!el || el.length < 8 * (index + 1)) return undefined;
  const v = ds.double(tag, index);
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

/** First item's dataset of sequence `tag`, or item `index`. */
export function seqItem(ds: DataSet | undefined, tag: string, index = 0): DataSet | undefined {
  const items = ds?.elements[tag]?.items;
  return items && index < items.length ? items[index]!.dataSet : undefined;
}

export function seqLength(ds: DataSet, tag: string): number {
  return ds.elements[tag]?.items?.length ?? 0;
}
