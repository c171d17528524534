/**
 * Test fixture for the anonymiser: copies of a real CT series with identifying values planted
 * in them (written with dcmjs, an independent DICOM writer), and the lists of what must not
 * survive. Used by packages/core/src/anonymise/*.spec.ts and the CLI/Orthanc spec.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import { dataPath } from './data.js';

const { DicomMessage } = (dcmjs as any).data;
(dcmjs as any).log?.setLevel?.('silent');

/** Planted values: each must be absent from every byte of the anonymised files. */
export const PLANTED = {
  PatientName: 'Plantfamily^Plantgiven',
  PatientID: 'PID-PLANT-4711',
  PatientBirthDate: '19450817',
  PatientAddress: '12 Plantstreet Plantville',
  ReferringPhysicianName: 'Referrerplant^Doc',
  PerformingPhysicianName: 'Performerplant^Doc',
  OperatorsName: 'Operatorplant^Op',
  InstitutionName: 'Plant General Hospital',
  InstitutionAddress: 'Hospitalstreet 9 Plantcity',
  AccessionNumber: 'ACC-PLANT-99',
  StudyDate: '19870412',
  SeriesDate: '19870413',
  AcquisitionDate: '19870414',
  ContentDate: '19870415',
  StudyID: 'STUDYPLANT',
  OtherPatientIDs: 'OPID-PLANT-1',
  StationName: 'PLANTSTATION',
  PrivateCreator: 'PLANTCREATOR',
  PrivateName: 'Privateplant^Secretname',
  RequestedProcedureID: 'REQPROC-PLANT',
  ScheduledProcedureStepID: 'SPS-PLANT',
  NestedPhysician: 'Nestedplant^Doc',
  NestedAddress: 'Nested Address Plant',
  ReferencedPatientUid: '1.2.826.0.1.3680043.8.498.4711',
  OverlayComment: 'Overlayplant note',
  CurveLabel: 'Curveplant label',
} as const;

/** Attributes the model depends on: their bytes must be unchanged. */
export const GEOMETRY_TAGS = [
  '00200032', '00200037', '00280030', '00180050', '00281052', '00281053', '00180060', '00181210', '00280010', '00280011',
  '00280100', '00280101', '00280102', '00280103', '00280002', '00280004', '00201041', '00181120', '00080070', '00081090',
  '00181151', '00181152', '00181150', '00080060', '00080016', '00280120', '00185100',
] as const;

export interface PlantedSeries {
  dir: string;
  files: string[];
  /** Instance-level UIDs of the planted files (study, series, SOP, frame of reference …). */
  originalUids: string[];
}

function pn(s: string) {
  return { vr: 'PN', Value: [{ Alphabetic: s }] };
}
function str(vr: string, s: string) {
  return { vr, Value: [s] };
}

/** Copies hardcases/dcmqi-seg/ct-3slice (3 real CT slices) into `dir` with identity planted. */
export function plantSeries(dir: string, opts: { burnedIn?: boolean } = {}): PlantedSeries {
  mkdirSync(dir, { recursive: true });
  const src = dataPath('hardcases', 'dcmqi-seg', 'ct-3slice');
  const names = readdirSync(src).filter((f) => f.endsWith('.dcm')).sort();
  const parsed = names.map((n) => {
    const b = readFileSync(join(src, n));
    return DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  });
  const sopOf = (d: any) => d.dict['00080018'].Value[0] as string;
  const uids = new Set<string>();
  const files: string[] = [];
  parsed.forEach((d: any, i: number) => {
    const next = parsed[(i + 1) % parsed.length];
    for (const t of ['00080018', '0020000D', '0020000E', '00200052']) uids.add(d.dict[t].Value[0]);
    uids.add(d.meta['00020003'].Value[0]);
    const P = PLANTED;
    Object.assign(d.dict, {
      '00100010': pn(P.PatientName),
      '00100020': str('LO', P.PatientID),
      '00100030': str('DA', P.PatientBirthDate),
      '00101040': str('LO', P.PatientAddress),
      '00101000': str('LO', P.OtherPatientIDs),
      '00080090': pn(P.ReferringPhysicianName),
      '00081050': pn(P.PerformingPhysicianName),
      '00081070': pn(P.OperatorsName),
      '00080080': str('LO', P.InstitutionName),
      '00080081': str('ST', P.InstitutionAddress),
      '00080050': str('SH', P.AccessionNumber),
      '00080020': str('DA', P.StudyDate),
      '00080021': str('DA', P.SeriesDate),
      '00080022': str('DA', P.AcquisitionDate),
      '00080023': str('DA', P.ContentDate),
      '00080012': str('DA', P.ContentDate),
      '00200010': str('SH', P.StudyID),
      '00081010': str('SH', P.StationName),
      '00090010': str('LO', P.PrivateCreator),
      '00091001': str('LO', P.PrivateName),
      '00280301': str('CS', opts.burnedIn ? 'YES' : 'NO'),
      // An overlay plane (60xx) and a retired curve (50xx): masks in the table.
      '60000010': { vr: 'US', Value: [16] },
      '60000011': { vr: 'US', Value: [16] },
      '60000040': str('CS', 'G'),
      '60000050': { vr: 'SS', Value: [1, 1] },
      '60000100': { vr: 'US', Value: [1] },
      '60000102': { vr: 'US', Value: [0] },
      '60003000': { vr: 'OW', Value: [new Uint8Array(32).fill(0xa5).buffer] },
      '60004000': str('LT', P.OverlayComment),
      '50002500': str('LO', P.CurveLabel),
      // Request Attributes Sequence (X): removed with everything in it.
      '00400275': { vr: 'SQ', Value: [{ '00401001': str('SH', P.RequestedProcedureID), '00400009': str('SH', P.ScheduledProcedureStepID) }] },
      // Referenced Patient Sequence (X).
      '00081120': { vr: 'SQ', Value: [{ '00081150': str('UI', '1.2.840.10008.3.1.2.1.4'), '00081155': str('UI', P.ReferencedPatientUid) }] },
      // A sequence the profile keeps (not in the table): the table must apply inside its items.
      '00082218': {
        vr: 'SQ',
        Value: [{ '00080100': str('SH', 'T-D1100'), '00080102': str('SH', 'SRT'), '00080104': str('LO', 'Head'), '00080090': pn(P.NestedPhysician), '00101040': str('LO', P.NestedAddress) }],
      },
      // Referenced Image Sequence (X/Z/U*): kept, its UIDs replaced like the files they point to.
      '00081140': { vr: 'SQ', Value: [{ '00081150': str('UI', '1.2.840.10008.5.1.4.1.1.2'), '00081155': str('UI', sopOf(next)) }] },
    });
    const out = join(dir, names[i]!);
    writeFileSync(out, Buffer.from(d.write()));
    files.push(out);
  });
  uids.add(PLANTED.ReferencedPatientUid);
  return { dir, files, originalUids: [...uids] };
}

/** Every planted string, plus its upper-case form (PN values are often upper-cased). */
export function forbiddenStrings(): string[] {
  const out = new Set<string>();
  for (const v of Object.values(PLANTED)) {
    out.add(v);
    out.add(v.toUpperCase());
    // PN components separately (family and given names).
    if (v.includes('^')) for (const c of v.split('^')) if (c.length > 3) out.add(c);
  }
  return [...out];
}

/** Positions where `needle` (Latin-1/ASCII) occurs in `hay`. */
export function findBytes(hay: Uint8Array, needle: string): number {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(Buffer.from(needle, 'latin1'));
}

/**
 * One real CT slice carrying every exact attribute of the profile table (groups 0000/0002/0004
 * left out: command, meta and directory groups do not belong in a dataset), each with a
 * distinctive value of its VR; sequences get one item with a code. For the peer comparison.
 */
export function plantEveryProfileAttribute(out: string, table: readonly (readonly [string, string, string, string])[]): string[] {
  const src = dataPath('hardcases', 'dcmqi-seg', 'ct-3slice', '01.dcm');
  const b = readFileSync(src);
  const d = DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  const planted: string[] = [];
  table.forEach(([id, , vr], i) => {
    if (!/^[0-9a-f]{8}$/.test(id) || ['0000', '0002', '0004'].includes(id.slice(0, 4))) return;
    const tag = id.toUpperCase();
    const n = String(i).padStart(3, '0');
    let v: any;
    switch (vr) {
      case 'DA': v = str(vr, `1960${n.slice(1)}1`.slice(0, 8)); break;
      case 'TM': v = str(vr, `10${n}0`); break;
      case 'DT': v = str(vr, `19600101${n}000`); break;
      case 'UI': v = str(vr, `1.2.826.0.1.3680043.8.498.77${n}`); break;
      case 'DS': case 'IS': v = str(vr, `7${n}`); break;
      case 'AS': v = str(vr, '042Y'); break;
      case 'US': v = { vr, Value: [4242] }; break;
      case 'CS': v = str(vr, `PLANT${n}`); break;
      case 'AE': v = str(vr, `PLANTAE${n}`); break;
      case 'PN': v = pn(`Plant${n}^Person`); break;
      case 'OB': case 'UN': v = { vr, Value: [new Uint8Array([0x50, 0x4c, 0x41, 0x4e, 0x54, 0x21]).buffer] }; break;
      case 'SQ': v = { vr, Value: [{ '00080100': str('SH', `C${n}`), '00080102': str('SH', 'DCM'), '00080104': str('LO', `Plant code ${n}`) }] }; break;
      case 'UR': v = str(vr, `http://plant${n}.invalid/`); break;
      default: v = str(vr, `Plant value ${n}`);
    }
    d.dict[tag] = v;
    planted.push(`(${tag.slice(0, 4)},${tag.slice(4)})`);
  });
  writeFileSync(out, Buffer.from(d.write()));
  return planted;
}

// ---------------------------------------------------------------------------------------------
// Issue 13, classes 1–4 (the data set walk): each plants one class of leak into copies of the
// real 3-slice CT series, written in explicit VR little endian by dcmjs. A sequence stored as VR UN
// is encoded here (its items in explicit or implicit VR), handed to dcmjs as the UN value's bytes,
// and for undefined length the written length is patched to FFFFFFFF (the value already ends with
// the sequence delimiter, so every later byte stays where it was).

/** One element to encode by hand: [tag 'GGGGEEEE', VR, text value]. */
export type PlantElement = readonly [tag: string, vr: string, value: string];

const LONG_VR = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

function padded(value: string, vr: string): Buffer {
  const b = Buffer.from(value, 'latin1');
  return b.length % 2 ? Buffer.concat([b, Buffer.from([vr === 'UI' ? 0 : 0x20])]) : b;
}

/** Elements in little endian, explicit or implicit VR (text values only). */
export function encodeElements(els: readonly PlantElement[], explicit: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const [tag, vr, value] of [...els].sort((a, b) => a[0].localeCompare(b[0]))) {
    const v = padded(value, vr);
    const t = Buffer.alloc(4);
    t.writeUInt16LE(parseInt(tag.slice(0, 4), 16), 0);
    t.writeUInt16LE(parseInt(tag.slice(4), 16), 2);
    let h: Buffer;
    if (!explicit) {
      h = Buffer.alloc(4);
      h.writeUInt32LE(v.length, 0);
    } else if (LONG_VR.has(vr)) {
      h = Buffer.alloc(8);
      h.write(vr, 0, 'latin1');
      h.writeUInt32LE(v.length, 4);
    } else {
      h = Buffer.alloc(4);
      h.write(vr, 0, 'latin1');
      h.writeUInt16LE(v.length, 2);
    }
    parts.push(t, h, v);
  }
  return Buffer.concat(parts);
}

function itemHeader(tag: number, length: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(0xfffe, 0);
  b.writeUInt16LE(tag, 2);
  b.writeUInt32LE(length >>> 0, 4);
  return b;
}

/** A sequence's value: items (defined length) or, with `undefinedLength`, delimited items and a sequence delimiter. */
export function encodeItems(items: readonly (readonly PlantElement[])[], explicit: boolean, undefinedLength: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const item of items) {
    const body = encodeElements(item, explicit);
    if (undefinedLength) parts.push(itemHeader(0xe000, 0xffffffff), body, itemHeader(0xe00d, 0));
    else parts.push(itemHeader(0xe000, body.length), body);
  }
  if (undefinedLength) parts.push(itemHeader(0xe0dd, 0));
  return Buffer.concat(parts);
}

/** Values planted by classes 1–4: each must be absent from every output byte. */
export const PLANTED_WALK = {
  // 1. Sequences stored as VR UN.
  UnExplicitName: 'Unexplicitplant^Hidden',
  UnExplicitBirthDate: '19380211',
  UnExplicitAccession: 'ACC-UNEXPL-31',
  UnImplicitName: 'Unimplicitplant^Hidden',
  UnImplicitOtherId: 'OPID-UNIMPL-7',
  UnUndefinedExplicitName: 'Unundefplant^Hidden',
  UnUnknownName: 'Ununknownplant^Hidden',
  UnUnknownUndefinedAccession: 'ACC-UNKUNDEF-5',
  UnGarbage: 'Ungarbageplant!!',
  UnInRetainedText: 'Unmanufplant^Hidden',
  // 2. Attributes outside the profile table.
  UnknownLo: 'Unknownloplant free text',
  UnknownOb: 'Unknownobplant',
  TextValueTop: 'Textvalueplant top',
  TextValueNested: 'Textvalueplant nested',
  SoftwareVersions: 'Softwareplant^Name',
  DimensionLabel: 'Dimlabelplant',
  WindowExplanation: 'Windowplant explanation',
  PositionReference: 'Posrefplant',
  TextInNumber: 'Dsplant^Name',
  TextInCode: 'Csplant^Name',
  // 3. UIDs outside the table: a root holding the patient ID (4711) and birth date.
  UidRoot: '4711.19450817',
  // 4. The command group.
  ErrorComment: 'Errorcommentplant^Name',
  MoveOriginatorAE: 'MOVEPLANTAE',
} as const;

/** The planted UIDs of class 3 (and class 4's AffectedSOPInstanceUID): `1.2.826.0.1.3680043.8.498.4711.19450817.n`. */
export function plantedUid(n: number): string {
  return `1.2.826.0.1.3680043.8.498.${PLANTED_WALK.UidRoot}.${n}`;
}

export type WalkClass = 'un-sequences' | 'outside-table' | 'stray-uids' | 'command-group';

export interface WalkPlant {
  dir: string;
  files: string[];
  /** Strings that must not survive anonymisation (planted values, planted UIDs). */
  forbidden: string[];
  /** Tags ('(GGGG,EEEE)') the upload check must name in each planted file. */
  flagged: string[];
}

/** The code item of AnatomicRegionSequence (Head), as dcmjs attributes. */
const headCode = () => ({ '00080100': str('SH', 'T-D1100'), '00080102': str('SH', 'SRT'), '00080104': str('LO', 'Head') });

const code = (value: string, meaning: string): PlantElement[] => [
  ['00080100', 'SH', value], ['00080102', 'SH', 'SRT'], ['00080104', 'LO', meaning],
];

/**
 * Copies hardcases/dcmqi-seg/ct-3slice into `dir` in explicit VR little endian with one class of
 * issue 13's data-set leaks planted in every file (see PLANTED_WALK and each case below).
 */
export function plantWalkClass(dir: string, cls: WalkClass): WalkPlant {
  mkdirSync(dir, { recursive: true });
  const src = dataPath('hardcases', 'dcmqi-seg', 'ct-3slice');
  const names = readdirSync(src).filter((f) => f.endsWith('.dcm')).sort();
  const P = PLANTED_WALK;
  const files: string[] = [];
  let forbidden: string[] = [];
  let flagged: string[] = [];
  for (const name of names) {
    const b = readFileSync(join(src, name));
    const d = DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    d.meta['00020010'] = str('UI', '1.2.840.10008.1.2.1');
    // Tags whose UN value is written with undefined length.
    const undefinedLength: string[] = [];
    const un = (tag: string, value: Buffer, undef = false) => {
      d.dict[tag] = { vr: 'UN', Value: [value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength)] };
      if (undef) undefinedLength.push(tag);
    };
    switch (cls) {
      case 'un-sequences':
        // A known sequence the profile keeps, as UN with explicit-VR items of defined length.
        un('00082218', encodeItems([[...code('T-D1100', 'Head'), ['00100010', 'PN', P.UnExplicitName],
          ['00100030', 'DA', P.UnExplicitBirthDate], ['00080050', 'SH', P.UnExplicitAccession]]], true, false));
        // Another, undefined length with implicit-VR items (the form PS3.5 prescribes for UN).
        un('00082228', encodeItems([[...code('T-A0100', 'Brain'), ['00100010', 'PN', P.UnImplicitName],
          ['00101000', 'LO', P.UnImplicitOtherId]]], false, true), true);
        // A third, undefined length with explicit-VR items.
        un('00089215', encodeItems([[...code('113072', 'Multiplanar reformatting'), ['00100010', 'PN', P.UnUndefinedExplicitName]]],
          true, true), true);
        // Unknown public attributes holding a sequence: defined length implicit items, undefined length explicit items.
        un('00F00010', encodeItems([[['00100010', 'PN', P.UnUnknownName]]], false, false));
        un('00F00020', encodeItems([[['00080050', 'SH', P.UnUnknownUndefinedAccession]]], true, true), true);
        // A known sequence whose UN value starts like an item but is no data set in any encoding.
        un('00400260', Buffer.concat([itemHeader(0xe000, 16), Buffer.from(P.UnGarbage, 'latin1')]));
        // A data set as the UN value of a retained text attribute (Manufacturer): no text, so removed.
        un('00080070', encodeItems([[['00100010', 'PN', P.UnInRetainedText]]], false, false));
        forbidden = [P.UnInRetainedText, P.UnExplicitName, P.UnExplicitBirthDate, P.UnExplicitAccession, P.UnImplicitName,
          P.UnImplicitOtherId, P.UnUndefinedExplicitName, P.UnUnknownName, P.UnUnknownUndefinedAccession, P.UnGarbage];
        flagged = ['(0008,0070)', '(0008,2218)', '(0008,2228)', '(0008,9215)', '(00F0,0010)', '(00F0,0020)', '(0040,0260)',
          '(0010,0010)', '(0010,0030)', '(0008,0050)', '(0010,1000)'];
        break;
      case 'outside-table':
        d.dict['00F00030'] = str('LO', P.UnknownLo);
        d.dict['00F00040'] = { vr: 'OB', Value: [new Uint8Array(Buffer.from(P.UnknownOb, 'latin1')).buffer] };
        d.dict['0040A160'] = str('UT', P.TextValueTop);
        d.dict['00082218'] = { vr: 'SQ', Value: [{ ...headCode(),
          '0040A160': str('UT', P.TextValueNested) }] };
        d.dict['00181020'] = str('LO', P.SoftwareVersions);
        d.dict['00209421'] = str('LO', P.DimensionLabel);
        d.dict['00281055'] = str('LO', P.WindowExplanation);
        d.dict['00201040'] = str('LO', P.PositionReference);
        // Text where the VR allows none: a name in a decimal string (ReconstructionDiameter) and in a code string (ScanOptions).
        d.dict['00181100'] = str('DS', P.TextInNumber);
        d.dict['00180022'] = str('CS', P.TextInCode);
        forbidden = [P.UnknownLo, P.UnknownOb, P.TextValueTop, P.TextValueNested, P.SoftwareVersions, P.DimensionLabel, P.WindowExplanation,
          P.PositionReference, P.TextInNumber, P.TextInCode];
        flagged = ['(00F0,0030)', '(00F0,0040)', '(0040,A160)', '(0018,1020)', '(0020,9421)', '(0028,1055)', '(0020,1040)',
          '(0018,1100)', '(0018,0022)'];
        break;
      case 'stray-uids':
        d.dict['00081167'] = str('UI', plantedUid(1)); // MultiFrameSourceSOPInstanceUID
        d.dict['00089123'] = str('UI', plantedUid(2)); // CreatorVersionUID
        d.dict['0018991E'] = str('UI', plantedUid(3)); // TargetFrameOfReferenceUID
        d.dict['00200242'] = str('UI', plantedUid(4)); // SOPInstanceUIDOfConcatenationSource
        // Under the DICOM root but in no registry: not a standard UID, whatever its prefix.
        d.dict['0008010C'] = str('UI', `1.2.840.10008.${PLANTED_WALK.UidRoot}.6`); // CodingSchemeUID
        d.dict['00082218'] = { vr: 'SQ', Value: [{ ...headCode(),
          '00089123': str('UI', plantedUid(5)) }] };
        forbidden = [P.UidRoot, ...[1, 2, 3, 4, 5].map(plantedUid), `1.2.840.10008.${PLANTED_WALK.UidRoot}.6`];
        flagged = ['(0008,1167)', '(0008,9123)', '(0018,991E)', '(0020,0242)', '(0008,010C)'];
        break;
      case 'command-group':
        d.dict['00000100'] = { vr: 'US', Value: [0x0021] }; // CommandField C-MOVE-RQ
        d.dict['00000902'] = str('LO', P.ErrorComment);
        d.dict['00001000'] = str('UI', plantedUid(9)); // AffectedSOPInstanceUID
        d.dict['00001030'] = str('AE', P.MoveOriginatorAE);
        forbidden = [P.ErrorComment, P.MoveOriginatorAE, plantedUid(9)];
        flagged = ['(0000,0100)', '(0000,0902)', '(0000,1000)', '(0000,1030)'];
        break;
    }
    const bytes = Buffer.from(d.write());
    for (const tag of undefinedLength) {
      const size = (d.dict[tag].Value[0] as ArrayBuffer).byteLength;
      const header = Buffer.alloc(12);
      header.writeUInt16LE(parseInt(tag.slice(0, 4), 16), 0);
      header.writeUInt16LE(parseInt(tag.slice(4), 16), 2);
      header.write('UN', 4, 'latin1');
      header.writeUInt32LE(size, 8);
      const at = bytes.indexOf(header);
      if (at < 0 || bytes.indexOf(header, at + 1) >= 0) throw new Error(`plantWalkClass: cannot locate the UN header of ${tag}`);
      bytes.writeUInt32LE(0xffffffff, at + 8);
    }
    const out = join(dir, name);
    writeFileSync(out, bytes);
    files.push(out);
  }
  return { dir, files, forbidden, flagged };
}
