/**
 * The adversarial set of issue 13: real files from ../shared/data with identifiers planted the
 * way a privacy officer's review planted them. One or more cases per leak class (1 sequences
 * stored as UN, 2 attributes outside the profile table, 3 UIDs outside the table, 4 the command
 * group, 5 text segments in compressed frames), plus the kinds the first review found clean
 * (class 0: charsets, private tags, overlays, curves, preamble, deflate, big endian, no meta,
 * enhanced CT, zip). Each case lists every secret planted in it; test/adversarial/scan.ts looks
 * for each secret in many encodings in every output byte.
 */
import { readFileSync } from 'node:fs';
import { zipSync } from 'fflate';
import dicomParser from 'dicom-parser';
import iconv from 'iconv-lite';
import { dataPath } from '../data.js';
import {
  editFragments, element, EXPLICIT_BE, EXPLICIT_LE, IMPLICIT_LE, items, joinFile, sequence, splice, splitFile, TS, textValue,
  ulValue, usValue, type DicomFile, type Syntax,
} from './dicom-bytes.js';

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
const baseSecrets = (): Secret[] => [
  { label: 'PatientName family', value: 'Basefamily' },
  { label: 'PatientName given', value: 'Basegiven' },
  { label: 'PatientID', value: BASE.id },
  { label: 'PatientBirthDate', value: BASE.birth },
  { label: 'AccessionNumber', value: BASE.accession },
  { label: 'InstitutionName', value: BASE.institution },
  { label: 'ReferringPhysicianName', value: 'Basereferrer' },
];

type Add = { tag: number; bytes: Uint8Array };
const lo = (tag: number, v: string, s: Syntax, vr = 'LO'): Add => ({ tag, bytes: element(tag, vr, textValue(v, vr), s) });

function baseIdentity(s: Syntax): Add[] {
  return [
    lo(0x00080050, BASE.accession, s, 'SH'),
    lo(0x00080080, BASE.institution, s),
    lo(0x00080090, BASE.referrer, s, 'PN'),
    lo(0x00100010, BASE.name, s, 'PN'),
    lo(0x00100020, BASE.id, s),
    lo(0x00100030, BASE.birth, s, 'DA'),
  ];
}

function load(parts: string[], bareTs?: string): DicomFile {
  return splitFile(new Uint8Array(readFileSync(dataPath(...parts))), bareTs);
}

/** The source file's own instance UIDs (meta, SOP, study, series, frame of reference): they link an output to its original. */
function sourceUids(f: DicomFile): Secret[] {
  const ts = f.syntax.explicit ? (f.syntax.bigEndian ? TS.explicitBE : TS.explicitLE) : TS.implicit;
  const ds = dicomParser.parseDicom(f.dataset, { TransferSyntaxUID: ts } as any);
  const meta = f.head.length ? dicomParser.readPart10Header(f.head) : undefined;
  const uids = [meta?.string('x00020003'), ...['x00080018', 'x0020000d', 'x0020000e', 'x00200052'].map((t) => ds.string(t))];
  return [...new Set(uids.filter((u): u is string => !!u && u.length > 8))].map((value) => ({ label: 'source UID', value }));
}

const CT_EXPLICIT = ['hardcases', 'cornerstone-ct-ts', 'CTImage.dcm_LittleEndianExplicitTransferSyntax_1.2.840.10008.1.2.1.dcm'];
const CT_IMPLICIT = ['hardcases', 'dcmqi-seg', 'ct-3slice', '01.dcm'];
const CS = (n: string) => ['hardcases', 'cornerstone-ct-ts', n];
/** Secrets planted in one place. */
const at = (label: string, ...values: string[]): Secret[] => values.map((value) => ({ label, value }));
/** A UID root holding the patient ID (88423179) and a date (19380214), as some archives mint them. */
const UID_ROOT = '1.2.826.0.1.3680043.10.88423179.19380214';

interface Built {
  name: string;
  cls: LeakClass;
  what: string;
  source: string[];
  bareTs?: string;
  build: (f: DicomFile) => { file: DicomFile; secrets: Secret[] };
}

/** Encoded elements in ascending tag order (an item's content). */
function sorted(adds: Add[]): Uint8Array {
  return Buffer.concat([...adds].sort((a, b) => (a.tag >>> 0) - (b.tag >>> 0)).map((a) => a.bytes));
}
const el = (tag: number, vr: string, v: string, s: Syntax): Add => ({ tag, bytes: element(tag, vr, textValue(v, vr), s) });

/** A code item (CodeValue, CodingSchemeDesignator, CodeMeaning) with more elements. */
function codeItem(s: Syntax, extra: Add[]): Uint8Array {
  return sorted([el(0x00080100, 'SH', 'T-D1100', s), el(0x00080102, 'SH', 'SRT', s), el(0x00080104, 'LO', 'Head', s), ...extra]);
}

/** PatientName, PatientBirthDate and AccessionNumber for inside a sequence item. */
function hiddenIdentity(prefix: string, s: Syntax): { adds: Add[]; secrets: Secret[] } {
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

// ------------------------------------------------------------------------------ class 1
const UNKNOWN_PUBLIC_SQ = 0x00509990;
const class1: Built[] = [
  {
    name: 'un-known-sq-explicit-items', cls: 1, source: CT_EXPLICIT,
    what: 'AnatomicRegionSequence (0008,2218) written as UN, defined length, its item in explicit VR LE with PatientName, '
      + 'BirthDate, Accession',
    build: (f) => {
      const h = hiddenIdentity('Unexpl', EXPLICIT_LE);
      const seq = sequence(0x00082218, [codeItem(EXPLICIT_LE, []), sorted(h.adds)], f.syntax, { vr: 'UN' });
      return { file: splice(f, [...baseIdentity(f.syntax), { tag: 0x00082218, bytes: seq }]), secrets: h.secrets };
    },
  },
  {
    name: 'un-known-sq-undefined-length', cls: 1, source: CT_EXPLICIT,
    what: 'AnatomicRegionSequence as UN with undefined length (implicit VR items, as PS3.5 6.2.2 prescribes), identity inside',
    build: (f) => {
      const h = hiddenIdentity('Unundef', IMPLICIT_LE);
      const seq = sequence(0x00082218, [codeItem(IMPLICIT_LE, h.adds)], f.syntax, { vr: 'UN', undefinedLength: true });
      return { file: splice(f, [...baseIdentity(f.syntax), { tag: 0x00082218, bytes: seq }]), secrets: h.secrets };
    },
  },
  {
    name: 'un-unknown-tag-explicit-items', cls: 1, source: CT_EXPLICIT,
    what: 'an unknown public tag (0050,9990) of VR UN holding a sequence whose item is explicit VR LE, identity inside',
    build: (f) => {
      const h = hiddenIdentity('Ununkex', EXPLICIT_LE);
      const seq = sequence(UNKNOWN_PUBLIC_SQ, [sorted(h.adds)], f.syntax, { vr: 'UN' });
      return { file: splice(f, [...baseIdentity(f.syntax), { tag: UNKNOWN_PUBLIC_SQ, bytes: seq }]), secrets: h.secrets };
    },
  },
  {
    name: 'un-unknown-tag-implicit-items', cls: 1, source: CT_EXPLICIT,
    what: 'an unknown public tag (0050,9990) of VR UN, defined length, holding implicit VR items with identity',
    build: (f) => {
      const h = hiddenIdentity('Ununkim', IMPLICIT_LE);
      const seq = sequence(UNKNOWN_PUBLIC_SQ, [sorted(h.adds)], f.syntax, { vr: 'UN' });
      return { file: splice(f, [...baseIdentity(f.syntax), { tag: UNKNOWN_PUBLIC_SQ, bytes: seq }]), secrets: h.secrets };
    },
  },
  {
    name: 'un-unknown-tag-in-implicit-file', cls: 1, source: CT_IMPLICIT,
    what: 'implicit VR file: an unknown public tag (0050,9990) with an undefined-length sequence value (a reader sees UN), identity inside',
    build: (f) => {
      const h = hiddenIdentity('Unimpl', IMPLICIT_LE);
      const seq = sequence(UNKNOWN_PUBLIC_SQ, [sorted(h.adds)], f.syntax, { undefinedLength: true });
      return { file: splice(f, [...baseIdentity(f.syntax), { tag: UNKNOWN_PUBLIC_SQ, bytes: seq }]), secrets: h.secrets };
    },
  },
  {
    name: 'un-sq-inside-kept-item', cls: 1, source: CT_EXPLICIT,
    what: 'a ReferencedImageSequence item holding AnatomicRegionSequence as UN (defined length, explicit VR items), identity inside',
    build: (f) => {
      const s = f.syntax;
      const h = hiddenIdentity('Unnested', EXPLICIT_LE);
      const un = { tag: 0x00082218, bytes: element(0x00082218, 'UN', items([sorted(h.adds)], false, false), s) };
      const item = sorted([el(0x00081150, 'UI', '1.2.840.10008.5.1.4.1.1.2', s), el(0x00081155, 'UI', `${UID_ROOT}.30`, s), un]);
      return {
        file: splice(f, [...baseIdentity(s), { tag: 0x00081140, bytes: sequence(0x00081140, [item], s) }]),
        secrets: [...h.secrets, { label: 'ReferencedSOPInstanceUID', value: `${UID_ROOT}.30` }],
      };
    },
  },
  {
    name: 'un-sq-big-endian', cls: 1, source: CS('CTImage.dcm_BigEndianExplicitTransferSyntax_1.2.840.10008.1.2.2.dcm'),
    what: 'explicit VR big endian file: AnatomicRegionSequence as UN whose item is explicit VR big endian, identity inside',
    build: (f) => {
      const h = hiddenIdentity('Unbigend', EXPLICIT_BE);
      const seq = sequence(0x00082218, [codeItem(EXPLICIT_BE, h.adds)], f.syntax, { vr: 'UN' });
      return { file: splice(f, [...baseIdentity(f.syntax), { tag: 0x00082218, bytes: seq }]), secrets: h.secrets };
    },
  },
  {
    name: 'un-in-un', cls: 1, source: CT_EXPLICIT,
    what: 'an unknown public UN sequence whose item holds another UN sequence (explicit items) with the identity',
    build: (f) => {
      const s = f.syntax;
      const h = hiddenIdentity('Undeep', EXPLICIT_LE);
      const inner = element(0x00082218, 'UN', items([sorted(h.adds)], false, false), EXPLICIT_LE);
      const seq = sequence(UNKNOWN_PUBLIC_SQ, [inner], s, { vr: 'UN' });
      return { file: splice(f, [...baseIdentity(s), { tag: UNKNOWN_PUBLIC_SQ, bytes: seq }]), secrets: h.secrets };
    },
  },
];

// ------------------------------------------------------------------------------ class 2
const UNKNOWN_PUBLIC_LO = 0x00189ff0;
const class2: Built[] = [
  {
    name: 'unknown-public-lo', cls: 2, source: CT_EXPLICIT,
    what: 'an unknown public attribute (0018,9FF0) LO with free text naming the patient',
    build: (f) => ({
      file: splice(f, [...baseIdentity(f.syntax), lo(UNKNOWN_PUBLIC_LO, 'Seen by Freetextia Gerlinde 1938', f.syntax)]),
      secrets: [{ label: 'unknown LO free text', value: 'Freetextia' }, { label: 'unknown LO free text', value: 'Gerlinde' }],
    }),
  },
  {
    name: 'unknown-public-in-implicit-file', cls: 2, source: CT_IMPLICIT,
    what: 'implicit VR file: an unknown public attribute (0018,9FF0) with free text (a reader sees UN)',
    build: (f) => ({
      file: splice(f, [...baseIdentity(f.syntax), lo(UNKNOWN_PUBLIC_LO, 'Patient Implicitext Roswitha', f.syntax)]),
      secrets: [{ label: 'unknown attribute text', value: 'Implicitext' }, { label: 'unknown attribute text', value: 'Roswitha' }],
    }),
  },
  {
    name: 'unknown-public-pn-ut', cls: 2, source: CT_EXPLICIT,
    what: 'unknown public attributes of VR PN (0018,9FF1) and UT (0018,9FF2), and a retired-looking DA (0018,9FF3) with a birth date',
    build: (f) => ({
      file: splice(f, [
        ...baseIdentity(f.syntax),
        lo(0x00189ff1, 'Unknownpn^Gottfried', f.syntax, 'PN'),
        { tag: 0x00189ff2, bytes: element(0x00189ff2, 'UT', textValue('Long note about Unknownut Hermengild', 'UT'), f.syntax) },
        lo(0x00189ff3, '19330721', f.syntax, 'DA'),
      ]),
      secrets: [
        ...at('unknown PN', 'Unknownpn', 'Gottfried'), ...at('unknown UT', 'Unknownut', 'Hermengild'), ...at('unknown DA', '19330721'),
      ],
    }),
  },
  {
    name: 'text-in-kept-number', cls: 2, source: CT_EXPLICIT,
    what: 'text where a kept attribute wants a number: AcquisitionNumber (0020,0012) IS "Numbertext7"',
    build: (f) => ({
      file: splice(f, [...baseIdentity(f.syntax), lo(0x00200012, 'Numbertext7', f.syntax, 'IS')]),
      secrets: at('IS', 'Numbertext'),
    }),
  },
  {
    name: 'text-in-kept-code-lower-case', cls: 2, source: CT_EXPLICIT,
    what: 'PixelIntensityRelationship (0028,1040) CS "LIN\\Csname Adalbert": lower case, which no CS may hold',
    build: (f) => ({
      file: splice(f, [...baseIdentity(f.syntax), lo(0x00281040, 'LIN\\Csname Adalbert', f.syntax, 'CS')]),
      secrets: at('CS lower case', 'Csname', 'Adalbert'),
    }),
  },
  {
    name: 'name-as-valid-code', cls: 2, source: CT_EXPLICIT,
    what: 'ImageType (0008,0008) "ORIGINAL\\PRIMARY\\AXIAL\\SIEGBERTUS": a name as a 4th value, a valid CS '
      + '(values 3 on are implementation-defined)',
    build: (f) => ({
      file: splice(f, [...baseIdentity(f.syntax), lo(0x00080008, 'ORIGINAL\\PRIMARY\\AXIAL\\SIEGBERTUS', f.syntax, 'CS')]),
      secrets: at('ImageType value', 'SIEGBERTUS'),
    }),
  },
  {
    name: 'un-dataset-in-kept-text', cls: 2, source: CT_EXPLICIT,
    what: 'ManufacturerModelName (0008,1090), a kept attribute, written as UN holding an item with a name',
    build: (f) => {
      const h = hiddenIdentity('Unmodel', EXPLICIT_LE);
      const un = element(0x00081090, 'UN', items([sorted(h.adds)], false, false), f.syntax);
      return { file: splice(f, [...baseIdentity(f.syntax), { tag: 0x00081090, bytes: un }]), secrets: h.secrets };
    },
  },
  {
    name: 'textvalue-outside-content-sequence', cls: 2, source: CT_EXPLICIT,
    what: 'TextValue (0040,A160) in an AnatomicRegionSequence item and at the top level (no ContentSequence anywhere)',
    build: (f) => {
      const s = f.syntax;
      const item = codeItem(s, [el(0x0040a160, 'UT', 'Note on Textvaluer Brunhilde', s)]);
      return {
        file: splice(f, [
          ...baseIdentity(s),
          { tag: 0x00082218, bytes: sequence(0x00082218, [item], s) },
          { tag: 0x0040a160, bytes: element(0x0040a160, 'UT', textValue('Top level Toptextus Waltraud', 'UT'), s) },
        ]),
        secrets: [
          { label: 'TextValue in item', value: 'Textvaluer' }, { label: 'TextValue in item', value: 'Brunhilde' },
          { label: 'TextValue top level', value: 'Toptextus' }, { label: 'TextValue top level', value: 'Waltraud' },
        ],
      };
    },
  },
];

// ------------------------------------------------------------------------------ class 3
const STRAY_UIDS: [number, string][] = [
  [0x00081167, 'MultiFrameSourceSOPInstanceUID'],
  [0x00089123, 'CreatorVersionUID'],
  [0x0018991e, 'TargetFrameOfReferenceUID'],
  [0x00200242, 'SOPInstanceUIDOfConcatenationSource'],
];
function strayUids(s: Syntax, n: number): { adds: Add[]; secrets: Secret[] } {
  const adds = STRAY_UIDS.map(([tag], i) => ({ tag, bytes: element(tag, 'UI', textValue(`${UID_ROOT}.${n}${i + 1}`, 'UI'), s) }));
  const secrets = STRAY_UIDS.map(([, name], i) => ({ label: name, value: `${UID_ROOT}.${n}${i + 1}` }));
  secrets.push({ label: 'UID root (patient ID + date)', value: '88423179.19380214' });
  return { adds, secrets };
}
const class3: Built[] = [
  {
    name: 'stray-uids-top-level', cls: 3, source: CT_EXPLICIT,
    what: 'MultiFrameSourceSOPInstanceUID, CreatorVersionUID, TargetFrameOfReferenceUID, SOPInstanceUIDOfConcatenationSource '
      + 'at the top level, root = patient ID + date',
    build: (f) => {
      const u = strayUids(f.syntax, 1);
      return { file: splice(f, [...baseIdentity(f.syntax), ...u.adds]), secrets: u.secrets };
    },
  },
  {
    name: 'stray-uids-in-item', cls: 3, source: CT_IMPLICIT,
    what: 'the same four UIDs inside a ReferencedImageSequence item (implicit VR file)',
    build: (f) => {
      const s = f.syntax;
      const u = strayUids(s, 2);
      const item = Buffer.concat([
        element(0x00081150, 'UI', textValue('1.2.840.10008.5.1.4.1.1.2', 'UI'), s),
        ...u.adds.filter((a) => a.tag < 0x00081155).map((a) => a.bytes),
        element(0x00081155, 'UI', textValue(`${UID_ROOT}.20`, 'UI'), s),
        ...u.adds.filter((a) => a.tag > 0x00081155).map((a) => a.bytes),
      ]);
      return {
        file: splice(f, [...baseIdentity(s), { tag: 0x00081140, bytes: sequence(0x00081140, [item], s) }]),
        secrets: [...u.secrets, { label: 'ReferencedSOPInstanceUID', value: `${UID_ROOT}.20` }],
      };
    },
  },
  {
    name: 'uids-under-standard-root', cls: 3, source: CT_EXPLICIT,
    what: 'UIDs that only look standard: 1.2.840.10008.<patient ID>.<date> as TargetFrameOfReferenceUID and as the '
      + 'ReferencedSOPClassUID of a ReferencedImageSequence item',
    build: (f) => {
      const s = f.syntax;
      const fake = '1.2.840.10008.88423179.19380214';
      const item = sorted([el(0x00081150, 'UI', `${fake}.2`, s), el(0x00081155, 'UI', `${UID_ROOT}.40`, s)]);
      return {
        file: splice(f, [
          ...baseIdentity(s),
          { tag: 0x00081140, bytes: sequence(0x00081140, [item], s) },
          el(0x0018991e, 'UI', `${fake}.1`, s),
        ]),
        secrets: [
          ...at('fake standard UID', `${fake}.1`, `${fake}.2`, `${UID_ROOT}.40`),
          ...at('UID root (patient ID + date)', '88423179.19380214'),
        ],
      };
    },
  },
];

// ------------------------------------------------------------------------------ class 4
function commandGroup(s: Syntax): { adds: Add[]; secrets: Secret[] } {
  const els = [
    element(0x00000902, 'LO', textValue('Move failed for Commandia^Kasimir', 'LO'), s),
    element(0x00001030, 'AE', textValue('CMDAE_ADVSITE', 'AE'), s),
    element(0x00001031, 'US', usValue(4711, s), s),
  ];
  const length = els.reduce((n, e) => n + e.length, 0);
  return {
    adds: [
      { tag: 0x00000000, bytes: element(0x00000000, 'UL', ulValue(length, s), s) },
      ...els.map((bytes, i) => ({ tag: [0x00000902, 0x00001030, 0x00001031][i]!, bytes })),
    ],
    secrets: [
      { label: 'ErrorComment (0000,0902)', value: 'Commandia' }, { label: 'ErrorComment (0000,0902)', value: 'Kasimir' },
      { label: 'MoveOriginatorApplicationEntityTitle (0000,1030)', value: 'CMDAE_ADVSITE' },
    ],
  };
}
const class4: Built[] = [
  {
    name: 'command-group-explicit', cls: 4, source: CT_EXPLICIT,
    what: 'CommandGroupLength, ErrorComment (0000,0902), MoveOriginatorAET (0000,1030), MoveOriginatorMessageID (0000,1031) '
      + 'in an explicit VR file',
    build: (f) => {
      const c = commandGroup(f.syntax);
      return { file: splice(f, [...baseIdentity(f.syntax), ...c.adds]), secrets: c.secrets };
    },
  },
  {
    name: 'command-group-implicit', cls: 4, source: CT_IMPLICIT,
    what: 'the same command group elements in an implicit VR file',
    build: (f) => {
      const c = commandGroup(f.syntax);
      return { file: splice(f, [...baseIdentity(f.syntax), ...c.adds]), secrets: c.secrets };
    },
  },
];

// ------------------------------------------------------------------------------ class 5
/** A JPEG/JPEG-LS marker segment (FFxx, 2-byte length including itself). */
function segment(marker: number, payload: Uint8Array): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(0xff00 | marker);
  b.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([b, payload]);
}
/** Pads a text so that the inserted segments keep the fragment's length even. */
function evenText(s: string): string {
  return s.length % 2 ? `${s} ` : s;
}
const JPEG_COM = evenText('Scanned for Pixelmarker^Jadwiga born 19410905');
const JPEG_APP = evenText('PATIENT=Appsegment^Annelore;');
const JPEG_APP_WIDE = 'Widecharname Ottokar';
const jpegSecrets = (): Secret[] => [
  { label: 'COM segment', value: 'Pixelmarker' }, { label: 'COM segment', value: 'Jadwiga' }, { label: 'COM segment', value: '19410905' },
  { label: 'APP15 segment (ASCII)', value: 'Appsegment' }, { label: 'APP15 segment (ASCII)', value: 'Annelore' },
  { label: 'APP14 segment (UTF-16LE)', value: 'Widecharname' }, { label: 'APP14 segment (UTF-16LE)', value: 'Ottokar' },
];

/** After SOI: a COM, an APP15 with ASCII text and an APP14 with UTF-16LE text (as EXIF XP* tags carry). */
function jpegTextSegments(): Uint8Array {
  return Buffer.concat([
    segment(0xfe, Buffer.from(JPEG_COM, 'latin1')),
    segment(0xef, Buffer.from(JPEG_APP, 'latin1')),
    segment(0xee, Buffer.concat([Buffer.from('XPComment\0', 'latin1'), Buffer.from(JPEG_APP_WIDE, 'utf16le')])),
  ]);
}
function insertAfterSoi(v: Uint8Array): Uint8Array {
  if (v[0] !== 0xff || v[1] !== 0xd8) return v;
  return new Uint8Array(Buffer.concat([v.subarray(0, 2), jpegTextSegments(), v.subarray(2)]));
}
/** J2K: a COM marker (FF64, Rcom = 1: Latin-1 text) right after the SIZ segment of the main header. */
function insertJ2kComment(v: Uint8Array): Uint8Array {
  const b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (b.readUInt16BE(0) !== 0xff4f || b.readUInt16BE(2) !== 0xff51) throw new Error('not a J2K code stream with SOC, SIZ');
  const sizEnd = 4 + b.readUInt16BE(4);
  const text = Buffer.from(evenText(JPEG_COM), 'latin1');
  const com = Buffer.alloc(6);
  com.writeUInt16BE(0xff64);
  com.writeUInt16BE(text.length + 4, 2);
  com.writeUInt16BE(1, 4);
  return new Uint8Array(Buffer.concat([b.subarray(0, sizEnd), com, text, b.subarray(sizEnd)]));
}
const class5: Built[] = [
  ['jpeg-baseline-com-app', 'CTImage.dcm_JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm', 'JPEG baseline (.50)'],
  ['jpeg-lossless-com-app', 'CTImage.dcm_JPEGProcess14SV1TransferSyntax_1.2.840.10008.1.2.4.70.dcm', 'JPEG lossless SV1 (.70)'],
  ['jpeg-ls-com-app', 'CTImage.dcm_JPEGLSLosslessTransferSyntax_1.2.840.10008.1.2.4.80.dcm', 'JPEG-LS lossless (.80)'],
  [
    'jpeg-multiframe-fragmented-com-app', 'CT0012.fragmented_no_bot_jpeg_baseline.51.dcm',
    'Enhanced CT, 2 frames in 11 fragments, no offset table (.51): every frame',
  ],
].map(([name, file, label]) => ({
  name: name!, cls: 5 as const, source: CS(file!),
  what: `${label}: COM, APP15 (ASCII) and APP14 (UTF-16LE) segments with a name and birth date after SOI`,
  build: (f: DicomFile) => ({
    file: editFragments(splice(f, baseIdentity(f.syntax)), (v, i) => (i === 0 ? v : insertAfterSoi(v))),
    secrets: jpegSecrets(),
  }),
}));
class5.push({
  name: 'j2k-com', cls: 5, source: CS('CTImage.dcm_JPEG2000LosslessOnlyTransferSyntax_1.2.840.10008.1.2.4.90.dcm'),
  what: 'JPEG 2000 lossless (.90): a COM marker (Latin-1) with a name and birth date in the main header',
  build: (f) => ({
    file: editFragments(splice(f, baseIdentity(f.syntax)), (v, i) => (i === 1 ? insertJ2kComment(v) : v)),
    secrets: jpegSecrets().filter((s) => s.label === 'COM segment'),
  }),
});

// ------------------------------------------------------------------------------ class 0
/** ISO 2022 IR 87: JIS X 0208 between ESC $ B and ESC ( B; derived from EUC-JP (JIS = EUC − 0x8080). */
export function iso2022jp(s: string): Buffer {
  const out: number[] = [];
  let jis = false;
  for (const ch of s) {
    const euc = iconv.encode(ch, 'euc-jp');
    if (euc.length === 1) {
      if (jis) out.push(0x1b, 0x28, 0x42);
      jis = false;
      out.push(euc[0]!);
    } else {
      if (!jis) out.push(0x1b, 0x24, 0x42);
      jis = true;
      out.push(euc[0]! & 0x7f, euc[1]! & 0x7f);
    }
  }
  if (jis) out.push(0x1b, 0x28, 0x42);
  return Buffer.from(out);
}
const LATIN_NAME = 'Grünwald^Björnström';
const JP_NAME = 'Hasegawa^Minako=長谷川^美奈子=はせがわ^みなこ';
const latinSecrets = (): Secret[] => at('PatientName (Latin-1)', 'Grünwald', 'Björnström');
const jpSecrets = (): Secret[] => [
  { label: 'PatientName alphabetic', value: 'Hasegawa' }, { label: 'PatientName alphabetic', value: 'Minako' },
  { label: 'PatientName ideographic', value: '長谷川' }, { label: 'PatientName ideographic', value: '美奈子' },
  { label: 'PatientName phonetic', value: 'はせがわ' }, { label: 'PatientName phonetic', value: 'みなこ' },
];
/** Base identity with PatientName replaced by `name` bytes and SpecificCharacterSet set. */
function charsetIdentity(s: Syntax, charset: string, name: Uint8Array): Add[] {
  return [
    ...baseIdentity(s).filter((a) => a.tag !== 0x00100010),
    lo(0x00080005, charset, s, 'CS'),
    { tag: 0x00100010, bytes: element(0x00100010, 'PN', textValue(name, 'PN'), s) },
  ];
}
const withoutBaseName = () => baseSecrets().filter((x) => !x.label.startsWith('PatientName'));

function privateBlock(s: Syntax, group: number, creator: string | undefined, values: [number, string, Uint8Array][]): Add[] {
  const adds: Add[] = creator ? [lo((group << 16) | 0x0010, creator, s)] : [];
  for (const [e, vr, v] of values) {
    const tag = (group << 16) | e;
    adds.push({ tag, bytes: element(tag, vr, v.length % 2 ? textValue(v, vr) : v, s) });
  }
  return adds;
}

const class0: Built[] = [
  {
    name: 'charset-utf8', cls: 0, source: CT_EXPLICIT,
    what: 'SpecificCharacterSet ISO_IR 192: PatientName with Latin and Japanese components in UTF-8',
    build: (f) => ({
      file: splice(f, charsetIdentity(f.syntax, 'ISO_IR 192', Buffer.from(`${LATIN_NAME}=長谷川^美奈子`, 'utf8'))),
      secrets: [...withoutBaseName(), ...latinSecrets(), ...jpSecrets().filter((x) => x.label.includes('ideographic'))],
    }),
  },
  {
    name: 'charset-latin1', cls: 0, source: CT_EXPLICIT,
    what: 'SpecificCharacterSet ISO_IR 100: PatientName in Latin-1',
    build: (f) => ({
      file: splice(f, charsetIdentity(f.syntax, 'ISO_IR 100', Buffer.from(LATIN_NAME, 'latin1'))),
      secrets: [...withoutBaseName(), ...latinSecrets()],
    }),
  },
  {
    name: 'charset-iso2022-ir87', cls: 0, source: CT_EXPLICIT,
    what: 'SpecificCharacterSet \\ISO 2022 IR 87: PatientName alphabetic=ideographic=phonetic with escape sequences',
    build: (f) => ({
      file: splice(f, charsetIdentity(f.syntax, '\\ISO 2022 IR 87', iso2022jp(JP_NAME))),
      secrets: [...withoutBaseName(), ...jpSecrets()],
    }),
  },
  {
    name: 'private-explicit', cls: 0, source: CT_EXPLICIT,
    what: 'private block (0009,00xx) with creator: LO text, OB holding UTF-16LE, Shift-JIS, EUC-JP and base64 text',
    build: (f) => ({
      file: splice(f, [
        ...baseIdentity(f.syntax),
        ...privateBlock(f.syntax, 0x0009, 'ADVCREATOR', [
          [0x1001, 'LO', textValue('Privatename Ottilie', 'LO')],
          [0x1002, 'OB', Buffer.from('Privwide Theodor', 'utf16le')],
          [0x1003, 'OB', iconv.encode('長谷川さま', 'shift_jis')],
          [0x1004, 'OB', iconv.encode('美奈子さま', 'euc-jp')],
          [0x1005, 'OB', Buffer.from(`<note>${Buffer.from('Privbasesixty Hrodebert').toString('base64')}</note>`, 'latin1')],
        ]),
      ]),
      secrets: [
        ...baseSecrets(), { label: 'private LO', value: 'Privatename' }, { label: 'private LO', value: 'Ottilie' },
        { label: 'private OB (UTF-16LE)', value: 'Privwide' }, { label: 'private OB (UTF-16LE)', value: 'Theodor' },
        { label: 'private OB (Shift-JIS)', value: '長谷川さま' }, { label: 'private OB (EUC-JP)', value: '美奈子さま' },
        ...at('private OB (base64)', 'Privbasesixty', 'Hrodebert'),
      ],
    }),
  },
  {
    name: 'private-implicit', cls: 0, source: CT_IMPLICIT,
    what: 'implicit VR file: private block (0029,10xx) with creator and text',
    build: (f) => ({
      file: splice(f, [
        ...baseIdentity(f.syntax),
        ...privateBlock(f.syntax, 0x0029, 'ADVCREATOR2', [[0x1010, 'LO', textValue('Implprivate Gottlieb', 'LO')]]),
      ]),
      secrets: [...baseSecrets(), { label: 'private text', value: 'Implprivate' }, { label: 'private text', value: 'Gottlieb' }],
    }),
  },
  {
    name: 'private-no-creator', cls: 0, source: CT_EXPLICIT,
    what: 'private element (0033,1001) without its creator (0033,0010)',
    build: (f) => ({
      file: splice(f, [
        ...baseIdentity(f.syntax),
        ...privateBlock(f.syntax, 0x0033, undefined, [[0x1001, 'LO', textValue('Orphanpriv Kunigunde', 'LO')]]),
      ]),
      secrets: [...baseSecrets(), { label: 'orphan private', value: 'Orphanpriv' }, { label: 'orphan private', value: 'Kunigunde' }],
    }),
  },
  {
    name: 'overlay-and-curve', cls: 0, source: CT_EXPLICIT,
    what: 'overlay plane 6000 (OverlayDescription, OverlayLabel, OverlayComments) and curve 5000 (CurveDescription, CurveLabel) with text',
    build: (f) => {
      const s = f.syntax;
      return {
        file: splice(f, [
          ...baseIdentity(s),
          lo(0x50000022, 'Curvedesc Eberhard', s),
          lo(0x50002500, 'Curvelabel Sieglinde', s),
          lo(0x60000022, 'Overlaydesc Adelheid', s),
          lo(0x60001500, 'Overlaylabel Hubertus', s),
          { tag: 0x60004000, bytes: element(0x60004000, 'LT', textValue('Overlaycomment Irmtraud', 'LT'), s) },
        ]),
        secrets: [
          ...baseSecrets(), ...['Curvedesc', 'Eberhard', 'Curvelabel', 'Sieglinde'].map((value) => ({ label: 'curve 5000', value })),
          ...at('overlay 6000', 'Overlaydesc', 'Adelheid', 'Overlaylabel', 'Hubertus', 'Overlaycomment', 'Irmtraud'),
        ],
      };
    },
  },
  {
    name: 'preamble', cls: 0, source: CT_EXPLICIT,
    what: 'the 128-byte preamble holds a name and birth date',
    build: (f) => {
      const head = Buffer.from(f.head);
      head.fill(0, 0, 128);
      head.write('Preamblename^Wilhelmine 19290311', 0, 'latin1');
      return {
        file: splice({ ...f, head }, baseIdentity(f.syntax)),
        secrets: [...baseSecrets(), ...at('preamble', 'Preamblename', 'Wilhelmine', '19290311')],
      };
    },
  },
  {
    name: 'deflate', cls: 0, source: CS('CTImage.dcm_DeflatedExplicitVRLittleEndianTransferSyntax_1.2.840.10008.1.2.1.99.dcm'),
    what: 'deflated explicit VR LE: identity and a private block inside the deflated data set',
    build: (f) => ({
      file: splice(f, [
        ...baseIdentity(f.syntax),
        ...privateBlock(f.syntax, 0x0009, 'ADVCREATOR', [[0x1001, 'LO', textValue('Deflatedpriv Mechthild', 'LO')]]),
      ]),
      secrets: [...baseSecrets(), ...at('private (deflated)', 'Deflatedpriv', 'Mechthild')],
    }),
  },
  {
    name: 'big-endian', cls: 0, source: CS('CTImage.dcm_BigEndianExplicitTransferSyntax_1.2.840.10008.1.2.2.dcm'),
    what: 'explicit VR big endian: identity, a sequence with a nested name, a private block',
    build: (f) => {
      const s = f.syntax;
      const item = codeItem(s, [el(0x00080090, 'PN', 'Bigendnested^Doc', s)]);
      return {
        file: splice(f, [
          ...baseIdentity(s),
          { tag: 0x00082218, bytes: sequence(0x00082218, [item], s) },
          ...privateBlock(s, 0x0009, 'ADVCREATOR', [[0x1001, 'LO', textValue('Bigendpriv Leopoldine', 'LO')]]),
        ]),
        secrets: [...baseSecrets(), ...at('nested PN', 'Bigendnested'), ...at('private', 'Bigendpriv', 'Leopoldine')],
      };
    },
  },
  {
    name: 'no-meta', cls: 0, source: ['hardcases', 'pydicom', 'ExplVR_LitEndNoMeta.dcm'], bareTs: TS.explicitLE,
    what: 'a bare explicit VR LE data set (no preamble, no file meta) with identity',
    build: (f) => ({ file: splice(f, baseIdentity(f.syntax)), secrets: baseSecrets() }),
  },
  {
    name: 'enhanced-ct', cls: 0, source: ['hardcases', 'pydicom', 'eCT_Supplemental.dcm'],
    what: 'Enhanced CT (multi-frame, functional groups): identity, OperatorsName, ReferencedPatientSequence (X) holding a name',
    build: (f) => {
      const s = f.syntax;
      const item = Buffer.concat([element(0x00100010, 'PN', textValue('Enhancedref^Klothilde', 'PN'), s)]);
      return {
        file: splice(f, [
          ...baseIdentity(s),
          lo(0x00081070, 'Enhoperator^Op', s, 'PN'),
          { tag: 0x00081120, bytes: sequence(0x00081120, [item], s) },
        ]),
        secrets: [...baseSecrets(), ...at('OperatorsName', 'Enhoperator'), ...at('ReferencedPatientSequence', 'Enhancedref', 'Klothilde')],
      };
    },
  },
];

const ALL: Built[] = [...class1, ...class2, ...class3, ...class4, ...class5, ...class0];

/** Every case, built afresh from the real files (about 10 MB in memory). */
export function generateCases(): AdversarialCase[] {
  const out: AdversarialCase[] = [];
  for (const b of ALL) {
    const f = load(b.source, b.bareTs);
    const { file, secrets } = b.build(f);
    const uids = sourceUids(f);
    const all = [...secrets, ...(b.cls === 0 ? [] : baseSecrets()), ...uids];
    out.push({ name: b.name, cls: b.cls, what: b.what, source: b.source.join('/'), bytes: joinFile(file), secrets: dedupe(all) });
  }
  // A zip of two cases (explicit VR with UTF-8 names, implicit VR with a private block): the entries are deflated.
  const zipped = out.filter((c) => c.name === 'charset-utf8' || c.name === 'private-implicit');
  out.push({
    name: 'zip', cls: 0, source: zipped.map((c) => c.source).join(' + '),
    what: 'a zip (deflated entries, one in a folder named after the patient) of the charset-utf8 and private-implicit cases',
    bytes: zipSync({ 'Basefamily Basegiven/a.dcm': zipped[0]!.bytes, 'b.dcm': zipped[1]!.bytes }, { level: 6 }),
    zip: true,
    secrets: dedupe(zipped.flatMap((c) => c.secrets)),
  });
  // A zip inside a zip (the CLI opens one level of nesting): the inner one holds two cases, the outer one a third.
  const inner = out.filter((c) => c.name === 'charset-latin1' || c.name === 'overlay-and-curve');
  const direct = out.find((c) => c.name === 'private-no-creator')!;
  out.push({
    name: 'zip-in-zip', cls: 0, source: [...inner, direct].map((c) => c.source).join(' + '),
    what: 'a zip holding a zip (charset-latin1, overlay-and-curve) and a file (private-no-creator)',
    bytes: zipSync({ 'inner.zip': zipSync({ 'x/a.dcm': inner[0]!.bytes, 'b.dcm': inner[1]!.bytes }), 'c.dcm': direct.bytes }, { level: 6 }),
    zip: true,
    secrets: dedupe([...inner, direct].flatMap((c) => c.secrets)),
  });
  return out;
}

function dedupe(s: Secret[]): Secret[] {
  const seen = new Set<string>();
  return s.filter((x) => (seen.has(x.value) ? false : (seen.add(x.value), true)));
}
