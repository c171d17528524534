/**
 * What every adversarial case is made of (generate.ts): the case and secret types, the identity
 * planted at the top level of every case, the real source files, and small element builders.
 */
import { readFileSync } from 'node:fs';
import dicomParser from 'dicom-parser';
import { dataPath } from '../data.js';
import { element, splitFile, TS, textValue, type DicomFile, type Syntax } from './dicom-bytes.js';

export type LeakClass = 0 | 1 | 2 | 3 | 4 | 5;
export const CLASS_NAMES: Record<LeakClass, string> = {
  0: 'kinds found clean before (charsets, private, overlay, curve, preamble, deflate, big endian, no meta, enhanced CT, zip)',
  1: 'sequences stored as VR UN',
  2: 'attributes outside the profile table',
  3: 'UIDs not in the table',
  4: 'command group (0000,xxxx) in a stored file',
  5: 'text segments in encapsulated frames (JPEG COM/APPn, JPEG-LS, J2K COM)',
};

export interface Secret {
  /** Where it was planted. */
  label: string;
  /** The text, as a person would type it (scan.ts derives the byte forms). */
  value: string;
}

export interface AdversarialCase {
  name: string;
  cls: LeakClass;
  /** One line: what was planted where. */
  what: string;
  /** The real file it is built from (relative to the data folder). */
  source: string;
  /** A DICOM file, or a zip of DICOM files when `zip`. */
  bytes: Uint8Array;
  zip?: boolean;
  secrets: Secret[];
}

/** Planted at the top level of every case, where the Basic Profile's table already applies. */
const BASE = {
  name: 'Basefamily^Basegiven',
  id: 'BASE-PID-8842',
  birth: '19380214',
  accession: 'BASEACC-5150',
  institution: 'Baseline Klinikum',
  referrer: 'Basereferrer^Doctor',
};
export const baseSecrets = (): Secret[] => [
  { label: 'PatientName family', value: 'Basefamily' },
  { label: 'PatientName given', value: 'Basegiven' },
  { label: 'PatientID', value: BASE.id },
  { label: 'PatientBirthDate', value: BASE.birth },
  { label: 'AccessionNumber', value: BASE.accession },
  { label: 'InstitutionName', value: BASE.institution },
  { label: 'ReferringPhysicianName', value: 'Basereferrer' },
];

export type Add = { tag: number; bytes: Uint8Array };
export const lo = (tag: number, v: string, s: Syntax, vr = 'LO'): Add => ({ tag, bytes: element(tag, vr, textValue(v, vr), s) });

export function baseIdentity(s: Syntax): Add[] {
  return [
    lo(0x00080050, BASE.accession, s, 'SH'),
    lo(0x00080080, BASE.institution, s),
    lo(0x00080090, BASE.referrer, s, 'PN'),
    lo(0x00100010, BASE.name, s, 'PN'),
    lo(0x00100020, BASE.id, s),
    lo(0x00100030, BASE.birth, s, 'DA'),
  ];
}

export function load(parts: string[], bareTs?: string): DicomFile {
  return splitFile(new Uint8Array(readFileSync(dataPath(...parts))), bareTs);
}

/** The source file's own instance UIDs (meta, SOP, study, series, frame of reference): they link an output to its original. */
export function sourceUids(f: DicomFile): Secret[] {
  const ts = f.syntax.explicit ? (f.syntax.bigEndian ? TS.explicitBE : TS.explicitLE) : TS.implicit;
  const ds = dicomParser.parseDicom(f.dataset, { TransferSyntaxUID: ts } as any);
  const meta = f.head.length ? dicomParser.readPart10Header(f.head) : undefined;
  const uids = [meta?.string('x00020003'), ...['x00080018', 'x0020000d', 'x0020000e', 'x00200052'].map((t) => ds.string(t))];
  return [...new Set(uids.filter((u): u is string => !!u && u.length > 8))].map((value) => ({ label: 'source UID', value }));
}

export const CT_EXPLICIT = ['hardcases', 'cornerstone-ct-ts', 'CTImage.dcm_LittleEndianExplicitTransferSyntax_1.2.840.10008.1.2.1.dcm'];
export const CT_IMPLICIT = ['hardcases', 'dcmqi-seg', 'ct-3slice', '01.dcm'];
export const CS = (n: string) => ['hardcases', 'cornerstone-ct-ts', n];
/** Secrets planted in one place. */
export const at = (label: string, ...values: string[]): Secret[] => values.map((value) => ({ label, value }));
/** A UID root holding the patient ID (88423179) and a date (19380214), as some archives mint them. */
export const UID_ROOT = '1.2.826.0.1.3680043.10.88423179.19380214';

export interface Built {
  name: string;
  cls: LeakClass;
  what: string;
  source: string[];
  bareTs?: string;
  build: (f: DicomFile) => { file: DicomFile; secrets: Secret[] };
}

/** Encoded elements in ascending tag order (an item's content). */
export function sorted(adds: Add[]): Uint8Array {
  return Buffer.concat([...adds].sort((a, b) => (a.tag >>> 0) - (b.tag >>> 0)).map((a) => a.bytes));
}
/** lo with the VR first, as an item's elements are listed. */
export const el = (tag: number, vr: string, v: string, s: Syntax): Add => lo(tag, v, s, vr);

/** A code item (CodeValue, CodingSchemeDesignator, CodeMeaning) with more elements. */
export function codeItem(s: Syntax, extra: Add[]): Uint8Array {
  return sorted([el(0x00080100, 'SH', 'T-D1100', s), el(0x00080102, 'SH', 'SRT', s), el(0x00080104, 'LO', 'Head', s), ...extra]);
}

/** PatientName, PatientBirthDate and AccessionNumber for inside a sequence item. */
export function hiddenIdentity(prefix: string, s: Syntax): { adds: Add[]; secrets: Secret[] } {
  return {
    adds: [
      el(0x00080050, 'SH', `${prefix.toUpperCase()}-ACC-77`, s),
      el(0x00100010, 'PN', `${prefix}family^${prefix}given`, s),
      el(0x00100030, 'DA', '19510623', s),
    ],
    secrets: [
      { label: 'item AccessionNumber', value: `${prefix.toUpperCase()}-ACC-77` },
      { label: 'item PatientName family', value: `${prefix}family` },
      { label: 'item PatientName given', value: `${prefix}given` },
      { label: 'item PatientBirthDate', value: '19510623' },
    ],
  };
}

