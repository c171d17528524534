/**
 * DICOM Segmentation (SEG, binary) writer: a label map → one multi-frame SEG
 * instance that references the source series.
 *
 * One frame per (segment, slice) holding at least one voxel of that segment, plus
 * the first and last slice of the grid for segment 1 (even if empty) so a reader
 * recovers the full slice extent from the SEG alone. Frames are 1-bit, packed
 * LSB-first and back to back (PS3.5 §8.1.1); Explicit VR Little Endian. Geometry: the
 * shared Plane Orientation and Pixel Measures groups and a per-frame Plane Position;
 * each frame's Derivation Image Sequence names the source instance of its slice.
 * Bytes are fully determined by the input, the UID root and the date/time.
 */
import { indexToPhysical, physicalToIndex, type Grid, type Vec3 } from '../geometry/grid.js';
import type { LabelMap } from '../geometry/types.js';
import type { DicomInstance } from '../dicom/types.js';
import { SCAN2PRINT_VERSION } from '../version.js';
import { encodePart10, type DicomElement } from './dicom-encode.js';

export const SEGMENTATION_STORAGE = '1.2.840.10008.5.1.4.1.1.66.4';
/** scan2print's DICOM Implementation Class UID (a fixed UUID-derived 2.25 UID). */
export const SCAN2PRINT_IMPLEMENTATION_UID = '2.25.134804313740206219368189241177212480234';

export interface CodedConcept {
  value: string;
  scheme: string;
  meaning: string;
}
export const SCT_ANATOMICAL_STRUCTURE: CodedConcept = { value: '123037004', scheme: 'SCT', meaning: 'Anatomical Structure' };
export const SCT_BONE: CodedConcept = { value: '272673000', scheme: 'SCT', meaning: 'Bone' };

export interface SegSegment {
  /** The label value in the label map this segment is made of. */
  labelValue: number;
  /** SegmentLabel (shown by viewers). */
  label: string;
  /** Default SCT 123037004 "Anatomical Structure". */
  category?: CodedConcept;
  /** Default SCT 272673000 "Bone". */
  type?: CodedConcept;
  /** Default AUTOMATIC. */
  algorithmType?: 'AUTOMATIC' | 'SEMIAUTOMATIC' | 'MANUAL';
  /** Default "scan2print"; not written for MANUAL. */
  algorithmName?: string;
}

export interface SegSourceInstance {
  sopClassUid: string;
  sopInstanceUid: string;
  /** Used to match the instance to a grid slice; without it instances match slices by order. */
  imagePositionPatient?: Vec3;
}

/** Patient and General Study attributes an object derived from a series copies so it files beside it. */
export interface DicomStudyIdentity {
  patientName?: string;
  patientId?: string;
  patientBirthDate?: string;
  patientSex?: string;
  studyDate?: string;
  studyTime?: string;
  studyId?: string;
  accessionNumber?: string;
  referringPhysicianName?: string;
}

/** The series the label map was made from (identity copied into the SEG so it files beside it). */
export interface SegSource extends DicomStudyIdentity {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  frameOfReferenceUid: string;
  instances: SegSourceInstance[];
}

export interface WriteSegOptions {
  /** UID root for the new Series, SOP Instance and Dimension Organization UIDs (root.1, root.2, root.3). Default: a random 2.25 UID. */
  uidRoot?: string;
  /** Series/content date and time: "YYYYMMDDhhmmss" or a Date (UTC). Default: now. */
  dateTime?: string | Date;
  /** Segments to write, in order (segment numbers 1..N). Default: one per label value present, bone codes. */
  segments?: SegSegment[];
  seriesNumber?: number;
  seriesDescription?: string;
  /** ContentLabel (CS: upper case, digits, space, underscore). */
  contentLabel?: string;
}

/** A random UID root under 2.25 (UUID-derived), for callers that need fresh UIDs. */
export function newUidRoot(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return `2.25.${v.toString()}`;
}

/** SegSource from parsed source headers (patient fields are not in DicomInstance; add them if known). */
export function segSourceFromInstances(instances: DicomInstance[]): SegSource {
  const first = instances[0];
  if (!first) throw new RangeError('segSourceFromInstances: no instances');
  return {
    studyInstanceUid: first.studyInstanceUid ?? '',
    seriesInstanceUid: first.seriesInstanceUid ?? '',
    frameOfReferenceUid: first.frameOfReferenceUid ?? '',
    instances: instances
      .filter((i) => i.sopInstanceUid)
      .map((i) => ({ sopClassUid: i.sopClassUid ?? '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: i.sopInstanceUid!, ...(i.imagePositionPatient ? { imagePositionPatient: i.imagePositionPatient } : {}) })),
    ...(first.acquisition.studyDate ? { studyDate: first.acquisition.studyDate } : {}),
  };
}

function dateParts(dt: string | Date | undefined): { date: string; time: string } {
  if (typeof dt === 'string') {
    if (!/^\d{14}$/.test(dt)) throw new RangeError(`writeDicomSeg: dateTime "${dt}" must be YYYYMMDDhhmmss`);
    return { date: dt.slice(0, 8), time: dt.slice(8) };
  }
  const d = dt ?? new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return { date: `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}`, time: `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}` };
}

const code = (c: CodedConcept): DicomElement[] => [
  [0x00080100, 'SH', c.value],
  [0x00080102, 'SH', c.scheme],
  [0x00080104, 'LO', c.meaning],
];

/** Which source instance lies on each slice k (undefined where none does). */
function matchSlices(grid: Grid, instances: SegSourceInstance[]): (SegSourceInstance | undefined)[] {
  const nz = grid.dims[2];
  const out: (SegSourceInstance | undefined)[] = new Array(nz).fill(undefined);
  if (instances.every((i) => i.imagePositionPatient)) {
    const q: Vec3 = [0, 0, 0];
    for (const inst of instances) {
      const [x, y, z] = inst.imagePositionPatient!;
      physicalToIndex(grid, x, y, z, q);
      const k = Math.round(q[2]);
      if (Math.abs(q[2] - k) < 0.05 && Math.abs(q[0]) < 0.05 && Math.abs(q[1]) < 0.05 && k >= 0 && k < nz && !out[k]) out[k] = inst;
    }
  } else if (instances.length === nz) {
    for (let k = 0; k < nz; k++) out[k] = instances[k];
  }
  return out;
}

function defaultSegments(map: LabelMap): SegSegment[] {
  const seen = new Uint8Array(65536);
  for (let p = 0; p < map.data.length; p++) seen[map.data[p]!] = 1;
  const out: SegSegment[] = [];
  for (let v = 1; v < 65536; v++) if (seen[v]) out.push({ labelValue: v, label: map.labels?.[v] ?? (v === 1 ? 'Bone' : `Label ${v}`) });
  return out;
}

/** Writes `labels` as a binary DICOM SEG referencing `source`. */
export function writeDicomSeg(labels: LabelMap, source: SegSource, opts: WriteSegOptions = {}): Uint8Array {
  const g = labels.grid;
  const [nx, ny, nz] = g.dims;
  const plane = nx * ny;
  if (nx > 65535 || ny > 65535) throw new RangeError('writeDicomSeg: rows/columns over 65535');
  const segments = opts.segments ?? defaultSegments(labels);
  const root = opts.uidRoot ?? newUidRoot();
  const seriesUid = `${root}.1`;
  const sopUid = `${root}.2`;
  const dimUid = `${root}.3`;
  const { date, time } = dateParts(opts.dateTime);
  const bySlice = matchSlices(g, source.instances);

  // which label values occur on each slice (one pass over the volume)
  const present: Set<number>[] = [];
  const seen = new Uint32Array(65536);
  for (let k = 0; k < nz; k++) {
    const set = new Set<number>();
    const base = k * plane;
    for (let p = 0; p < plane; p++) {
      const v = labels.data[base + p]!;
      if (v && seen[v] !== k + 1) {
        seen[v] = k + 1;
        set.add(v);
      }
    }
    present.push(set);
  }
  // frames: (segment index, k) with voxels, in segment then slice order
  const frames: [number, number][] = [];
  for (let s = 0; s < segments.length; s++) {
    const v = segments[s]!.labelValue;
    for (let k = 0; k < nz; k++) if (present[k]!.has(v) || (s === 0 && (k === 0 || k === nz - 1))) frames.push([s, k]);
  }
  if (frames.length === 0) frames.push([0, 0]);

  const frameBits = plane;
  const pixels = new Uint8Array(Math.ceil((frames.length * frameBits) / 8) + (Math.ceil((frames.length * frameBits) / 8) % 2));
  frames.forEach(([s, k], f) => {
    const v = segments[s]?.labelValue ?? -1;
    const base = k * plane;
    let bit = f * frameBits;
    for (let p = 0; p < plane; p++, bit++) if (labels.data[base + p] === v) pixels[bit >>> 3] |= 1 << (bit & 7);
  });

  const pos: Vec3 = [0, 0, 0];
  const perFrame: DicomElement[][] = frames.map(([s, k]) => {
    indexToPhysical(g, 0, 0, k, pos);
    const item: DicomElement[] = [
      [0x00209111, 'SQ', [[[0x00209157, 'UL', [s + 1, k + 1]]]]],
      [0x00209113, 'SQ', [[[0x00200032, 'DS', [pos[0], pos[1], pos[2]]]]]],
      [0x0062000a, 'SQ', [[[0x0062000b, 'US', s + 1]]]],
    ];
    const src = bySlice[k];
    if (src) {
      item.push([0x00089124, 'SQ', [[
        [0x00082112, 'SQ', [[
          [0x00081150, 'UI', src.sopClassUid],
          [0x00081155, 'UI', src.sopInstanceUid],
          [0x0040a170, 'SQ', [code({ value: '121322', scheme: 'DCM', meaning: 'Source image for image processing operation' })]],
        ]]],
        [0x00089215, 'SQ', [code({ value: '113076', scheme: 'DCM', meaning: 'Segmentation' })]],
      ]]]);
    }
    return item;
  });

  const segmentItems: DicomElement[][] = segments.map((seg, s) => {
    const alg = seg.algorithmType ?? 'AUTOMATIC';
    const item: DicomElement[] = [
      [0x00620003, 'SQ', [code(seg.category ?? SCT_ANATOMICAL_STRUCTURE)]],
      [0x00620004, 'US', s + 1],
      [0x00620005, 'LO', seg.label.slice(0, 64)],
      [0x00620008, 'CS', alg],
      [0x0062000f, 'SQ', [code(seg.type ?? SCT_BONE)]],
    ];
    if (alg !== 'MANUAL') item.push([0x00620009, 'LO', seg.algorithmName ?? 'scan2print']);
    return item;
  });

  const d = g.direction;
  const ds: DicomElement[] = [
    [0x00080005, 'CS', 'ISO_IR 192'],
    [0x00080008, 'CS', ['DERIVED', 'PRIMARY']],
    [0x00080016, 'UI', SEGMENTATION_STORAGE],
    [0x00080018, 'UI', sopUid],
    [0x00080020, 'DA', source.studyDate ?? ''],
    [0x00080021, 'DA', date],
    [0x00080023, 'DA', date],
    [0x00080030, 'TM', source.studyTime ?? ''],
    [0x00080031, 'TM', time],
    [0x00080033, 'TM', time],
    [0x00080050, 'SH', source.accessionNumber ?? ''],
    [0x00080060, 'CS', 'SEG'],
    [0x00080070, 'LO', 'scan2print'],
    [0x00080090, 'PN', source.referringPhysicianName ?? ''],
    [0x0008103e, 'LO', (opts.seriesDescription ?? 'scan2print segmentation').slice(0, 64)],
    [0x00081090, 'LO', 'scan2print'],
    [0x00081115, 'SQ', [[
      [0x0008114a, 'SQ', source.instances.map((i) => [[0x00081150, 'UI', i.sopClassUid], [0x00081155, 'UI', i.sopInstanceUid]] as DicomElement[])],
      [0x0020000e, 'UI', source.seriesInstanceUid],
    ]]],
    [0x00100010, 'PN', source.patientName ?? ''],
    [0x00100020, 'LO', source.patientId ?? ''],
    [0x00100030, 'DA', source.patientBirthDate ?? ''],
    [0x00100040, 'CS', source.patientSex ?? ''],
    [0x00181000, 'LO', 'none'],
    [0x00181020, 'LO', SCAN2PRINT_VERSION],
    [0x0020000d, 'UI', source.studyInstanceUid],
    [0x0020000e, 'UI', seriesUid],
    [0x00200010, 'SH', source.studyId ?? ''],
    [0x00200011, 'IS', opts.seriesNumber ?? 9000],
    [0x00200013, 'IS', 1],
    [0x00200052, 'UI', source.frameOfReferenceUid],
    [0x00201040, 'LO', ''],
    [0x00209221, 'SQ', [[[0x00209164, 'UI', dimUid]]]],
    [0x00209222, 'SQ', [
      [[0x00209164, 'UI', dimUid], [0x00209165, 'AT', 0x0062000b], [0x00209167, 'AT', 0x0062000a], [0x00209421, 'LO', 'ReferencedSegmentNumber']],
      [[0x00209164, 'UI', dimUid], [0x00209165, 'AT', 0x00200032], [0x00209167, 'AT', 0x00209113], [0x00209421, 'LO', 'ImagePositionPatient']],
    ]],
    [0x00280002, 'US', 1],
    [0x00280004, 'CS', 'MONOCHROME2'],
    [0x00280008, 'IS', frames.length],
    [0x00280010, 'US', ny],
    [0x00280011, 'US', nx],
    [0x00280100, 'US', 1],
    [0x00280101, 'US', 1],
    [0x00280102, 'US', 0],
    [0x00280103, 'US', 0],
    [0x00282110, 'CS', '00'],
    [0x00620001, 'CS', 'BINARY'],
    [0x00620002, 'SQ', segmentItems],
    [0x00700080, 'CS', (opts.contentLabel ?? 'SCAN2PRINT').toUpperCase().replace(/[^A-Z0-9_ ]/g, '_').slice(0, 16)],
    [0x00700081, 'LO', 'scan2print segmentation'],
    [0x00700084, 'PN', ''],
    [0x52009229, 'SQ', [[
      [0x00209116, 'SQ', [[[0x00200037, 'DS', [d[0], d[1], d[2], d[3], d[4], d[5]]]]]],
      [0x00289110, 'SQ', [[
        [0x00180050, 'DS', g.spacing_mm[2]],
        [0x00180088, 'DS', g.spacing_mm[2]],
        [0x00280030, 'DS', [g.spacing_mm[1], g.spacing_mm[0]]],
      ]]],
    ]]],
    [0x52009230, 'SQ', perFrame],
    [0x7fe00010, 'OB', pixels],
  ];
  return encodePart10(
    { sopClassUid: SEGMENTATION_STORAGE, sopInstanceUid: sopUid, implementationClassUid: SCAN2PRINT_IMPLEMENTATION_UID, implementationVersion: `SCAN2PRINT_${SCAN2PRINT_VERSION}` },
    ds,
  );
}
