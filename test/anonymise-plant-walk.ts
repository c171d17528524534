/**
 * Issue 13, classes 1–4 (the data set walk): each plants one class of leak into copies of the
 * real 3-slice CT series, written in explicit VR little endian by dcmjs. A sequence stored as VR UN
 * is encoded here (its items in explicit or implicit VR), handed to dcmjs as the UN value's bytes,
 * and for undefined length the written length is patched to FFFFFFFF (the value already ends with
 * the sequence delimiter, so every later byte stays where it was).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import { dataPath } from './data.js';
import { dcmString as str } from './anonymise-plant.js';

const { DicomMessage } = (dcmjs as any).data;

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
