/**
 * Grouping parsed headers into series, splitting mixed series, listing objects that
 * are not image volumes, and choosing the series to import.
 */
import type { Vec3 } from '../geometry/grid.js';
import { usageError } from '../errors.js';
import type { DicomInstance } from './types.js';
import { orientationAxes, orientationLabel } from './geometry.js';

export type SeriesKind =
  | 'image'
  | 'localizer'
  | 'secondary-capture'
  | 'structured-report'
  | 'segmentation'
  | 'radiotherapy'
  | 'presentation-state'
  | 'document'
  | 'dicomdir'
  | 'no-pixel-data'
  | 'no-geometry'
  | 'colour';

export interface SeriesSummary {
  /** SeriesInstanceUID; parts of a split series get "#1", "#2" … (largest first). */
  uid: string;
  number?: number;
  modality?: string;
  description?: string;
  studyUid?: string;
  /** Number of files in this (part of the) series. */
  files: number;
  /** Number of image planes (frames summed over files). */
  frames: number;
  rows?: number;
  columns?: number;
  kind: SeriesKind;
  /** True for series that can be stacked into a volume. */
  volume: boolean;
  orientation?: 'axial' | 'coronal' | 'sagittal';
  /** Set when a series mixed orientations or image sizes and was split. */
  split?: { seriesUid: string; parts: number; reason: string };
}

/** Label for objects without a SeriesInstanceUID (grouped together per study and kind). */
export const NO_SERIES_UID = '(none)';

export interface SeriesGroup {
  summary: SeriesSummary;
  /** Indices into the header list, in input order. */
  members: number[];
}

// SOP Class UID prefixes of objects that are not image volumes (PS3.4 Annex B).
const SOP_KINDS: Array<[string, SeriesKind]> = [
  ['1.2.840.10008.1.3.10', 'dicomdir'],
  ['1.2.840.10008.5.1.4.1.1.7', 'secondary-capture'],
  ['1.2.840.10008.5.1.4.1.1.88.', 'structured-report'],
  ['1.2.840.10008.5.1.4.1.1.66.4', 'segmentation'],
  ['1.2.840.10008.5.1.4.1.1.481.', 'radiotherapy'],
  ['1.2.840.10008.5.1.4.1.1.11.', 'presentation-state'],
  ['1.2.840.10008.5.1.4.1.1.104.', 'document'],
];
const MODALITY_KINDS: Record<string, SeriesKind> = {
  SR: 'structured-report',
  KO: 'structured-report',
  SEG: 'segmentation',
  RTSTRUCT: 'radiotherapy',
  RTPLAN: 'radiotherapy',
  RTDOSE: 'radiotherapy',
  RTIMAGE: 'radiotherapy',
  RTRECORD: 'radiotherapy',
  PR: 'presentation-state',
  DOC: 'document',
};

/** Geometry of frame f: per-frame functional groups first, then the top-level tags. */
export function frameGeometry(inst: DicomInstance, f: number): { position?: Vec3; iop?: number[]; pixelSpacing?: [number, number] } {
  const fr = inst.frames?.[f];
  return {
    position: fr?.imagePositionPatient ?? (f === 0 || !inst.frames ? inst.imagePositionPatient : undefined),
    iop: fr?.imageOrientationPatient ?? inst.imageOrientationPatient ?? inst.frames?.[0]?.imageOrientationPatient,
    pixelSpacing: fr?.pixelSpacing ?? inst.pixelSpacing ?? inst.frames?.[0]?.pixelSpacing,
  };
}

export function classifyInstance(inst: DicomInstance): SeriesKind {
  const sop = inst.sopClassUid ?? '';
  for (const [prefix, kind] of SOP_KINDS) if (sop === prefix || sop.startsWith(prefix.endsWith('.') ? prefix : prefix + '.')) return kind;
  const mk = MODALITY_KINDS[(inst.modality ?? '').toUpperCase()];
  if (mk) return mk;
  if ((inst.imageType ?? []).some((t) => t.toUpperCase() === 'LOCALIZER')) return 'localizer';
  if (!inst.hasPixelData) return 'no-pixel-data';
  if ((inst.samplesPerPixel ?? 1) > 1) return 'colour';
  const g = frameGeometry(inst, 0);
  if (!g.position || !g.iop || g.iop.length < 6 || !g.pixelSpacing || !inst.rows || !inst.columns) return 'no-geometry';
  return 'image';
}

function iopKey(iop: number[]): string {
  // Orientation equality to ~0.06°: IOP is written with limited precision.
  return iop.slice(0, 6).map((x) => Math.round(x * 1000) / 1000 + 0).join(',');
}

/**
 * Groups headers by study and series. Image series that mix orientations or image
 * sizes are split into parts (each stackable); everything else is listed by kind.
 * Output order is deterministic: volumes by size (largest first), then the rest by uid.
 */
export function groupSeries(headers: DicomInstance[]): SeriesGroup[] {
  const buckets = new Map<string, { kind: SeriesKind; members: number[] }>();
  headers.forEach((h, idx) => {
    const kind = classifyInstance(h);
    const key = `${h.studyInstanceUid ?? ''}|${h.seriesInstanceUid ?? ''}|${kind === 'image' ? 'image' : kind}`;
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = { kind, members: [] }));
    b.members.push(idx);
  });
  const out: SeriesGroup[] = [];
  for (const b of buckets.values()) {
    const first = headers[b.members[0]!]!;
    const seriesUid = first.seriesInstanceUid ?? NO_SERIES_UID;
    if (b.kind !== 'image') {
      out.push({ summary: summarise(headers, b.members, seriesUid, b.kind), members: b.members });
      continue;
    }
    // split by orientation and image size (and pixel spacing: pixels must line up)
    const parts = new Map<string, number[]>();
    for (const idx of b.members) {
      const h = headers[idx]!;
      const g = frameGeometry(h, 0);
      const key = `${iopKey(g.iop!)}|${h.rows}x${h.columns}|${g.pixelSpacing!.map((x) => x.toFixed(4)).join(',')}`;
      let p = parts.get(key);
      if (!p) parts.set(key, (p = []));
      p.push(idx);
    }
    const list = [...parts.entries()].sort((x, y) => frames(headers, y[1]) - frames(headers, x[1]) || (x[0] < y[0] ? -1 : 1));
    if (list.length === 1) {
      out.push({ summary: summarise(headers, b.members, seriesUid, 'image'), members: b.members });
      continue;
    }
    const reason = mixReason(headers, list.map((l) => l[1]));
    list.forEach(([, members], p) => {
      const s = summarise(headers, members, `${seriesUid}#${p + 1}`, 'image');
      s.split = { seriesUid, parts: list.length, reason };
      out.push({ summary: s, members });
    });
  }
  out.sort((a, b) => Number(b.summary.volume) - Number(a.summary.volume) || b.summary.frames - a.summary.frames || (a.summary.uid < b.summary.uid ? -1 : a.summary.uid > b.summary.uid ? 1 : 0));
  return out;
}

function frames(headers: DicomInstance[], members: number[]): number {
  return members.reduce((a, i) => a + Math.max(1, headers[i]!.numberOfFrames || 1), 0);
}

function mixReason(headers: DicomInstance[], parts: number[][]): string {
  const firsts = parts.map((p) => headers[p[0]!]!);
  const orient = new Set(firsts.map((h) => iopKey(frameGeometry(h, 0).iop!))).size > 1;
  const size = new Set(firsts.map((h) => `${h.rows}x${h.columns}`)).size > 1;
  return [orient ? 'orientations' : '', size ? 'image sizes' : '', !orient && !size ? 'pixel spacings' : ''].filter(Boolean).join(' and ');
}

function summarise(headers: DicomInstance[], members: number[], uid: string, kind: SeriesKind): SeriesSummary {
  const h = headers[members[0]!]!;
  const s: SeriesSummary = { uid, files: members.length, frames: frames(headers, members), kind, volume: kind === 'image' };
  if (h.seriesNumber !== undefined) s.number = h.seriesNumber;
  if (h.modality) s.modality = h.modality;
  if (h.seriesDescription) s.description = h.seriesDescription;
  if (h.studyInstanceUid) s.studyUid = h.studyInstanceUid;
  if (h.rows) s.rows = h.rows;
  if (h.columns) s.columns = h.columns;
  if (kind === 'image') s.orientation = orientationLabel(orientationAxes(frameGeometry(h, 0).iop!).n);
  return s;
}

/**
 * The series to import. `selector` is a SeriesInstanceUID (a split part's "#n" uid, or
 * the plain uid meaning its largest part) or a SeriesNumber. Default: the CT volume
 * with the most planes among axial-ish ones, else the largest CT volume, else the
 * largest volume of any modality (assessment then reports NOT_CT). Returns undefined
 * when there is no volume at all; a selector that matches nothing is a usage error.
 */
export function chooseSeries(groups: SeriesGroup[], selector?: string): SeriesGroup | undefined {
  const volumes = groups.filter((g) => g.summary.volume);
  if (selector !== undefined && selector !== '') {
    const sel = selector.trim();
    let hits = volumes.filter((g) => g.summary.uid === sel);
    if (!hits.length) hits = volumes.filter((g) => g.summary.split?.seriesUid === sel).slice(0, 1);
    if (!hits.length && /^\d+$/.test(sel)) {
      const n = Number(sel);
      hits = volumes.filter((g) => g.summary.number === n);
      const uids = new Set(hits.map((g) => g.summary.split?.seriesUid ?? g.summary.uid));
      if (uids.size > 1) throw usageError('SERIES_AMBIGUOUS', `--series ${sel} matches ${uids.size} series (${[...uids].join(', ')}): give the SeriesInstanceUID`);
    }
    if (!hits.length) {
      const other = groups.find((g) => g.summary.uid === sel || String(g.summary.number) === sel);
      if (other) throw usageError('SERIES_NOT_VOLUME', `--series ${sel} is a ${other.summary.kind} object, not an image volume`);
      const avail = volumes.map((g) => `${g.summary.number ?? '-'} ${g.summary.uid}`).join('; ') || 'none';
      throw usageError('SERIES_NOT_FOUND', `--series ${sel} matches no image series (available: ${avail})`);
    }
    return hits[0];
  }
  const isCT = (g: SeriesGroup) => (g.summary.modality ?? '').toUpperCase() === 'CT';
  const axial = (g: SeriesGroup) => g.summary.orientation === 'axial';
  return volumes.find((g) => isCT(g) && axial(g)) ?? volumes.find(isCT) ?? volumes[0];
}
