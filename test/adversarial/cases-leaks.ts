/**
 * The adversarial cases of leak classes 1-5 (generate.ts): sequences stored as UN, attributes
 * outside the profile table, UIDs outside the table, the command group, text segments in
 * compressed frames.
 */
import { editFragments, element, EXPLICIT_BE, EXPLICIT_LE, IMPLICIT_LE, items, sequence, splice, textValue, ulValue, usValue, type DicomFile, type Syntax } from './dicom-bytes.js';
import { at, baseIdentity, codeItem, CS, CT_EXPLICIT, CT_IMPLICIT, el, hiddenIdentity, lo, sorted, UID_ROOT, type Add, type Built, type Secret } from './case-kit.js';
// ------------------------------------------------------------------------------ class 1
const UNKNOWN_PUBLIC_SQ = 0x00509990;
export const class1: Built[] = [
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
export const class2: Built[] = [
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
export const class3: Built[] = [
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
export const class4: Built[] = [
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
export const class5: Built[] = [
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
