/**
 * The adversarial cases of class 0 (generate.ts): the kinds the first review found clean
 * (charsets, private tags, overlays, curves, preamble, deflate, big endian, no meta, enhanced
 * CT).
 */
import iconv from 'iconv-lite';
import { element, sequence, splice, textValue, TS, type Syntax } from './dicom-bytes.js';
import { at, baseIdentity, baseSecrets, codeItem, CS, CT_EXPLICIT, CT_IMPLICIT, el, lo, type Add, type Built, type Secret } from './case-kit.js';
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

export const class0: Built[] = [
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
