/**
 * Anonymisation stage: DICOM PS3.15 Basic Application Confidentiality Profile, applied to one
 * file's bytes, in the browser before upload or in the CLI. See profile.ts for how compound
 * actions are resolved, keys.ts for UIDs and the patient key, dicom-codec.ts for why kept
 * elements (pixel data, geometry, acquisition parameters) are copied byte for byte.
 */
import { inputError } from '../errors.js';
import type { Finding, StageRecord } from '../pipeline/record.js';
import { SCAN2PRINT_VERSION } from '../version.js';
import { asciiValue, encodeValue, encodingOf, parseDicom, type RawElement } from './dicom-codec.js';
import { normaliseSequences, writeDicom } from './dicom-write.js';
import { createDateShifter, dateShiftDays, recordDates, type DateShifter, type DatesMode } from './dates.js';
import { deriveUid, IMPLEMENTATION_CLASS_UID, keyBytes, patientKey, type PatientIdentity } from './keys.js';
import { maskRuleFor, profileEntries, type AppliedAction } from './profile.js';
import { effectiveVr, isStandardUid, outsideTableAction } from './retain.js';
import { stripPixelDataText } from './pixel-markers-dicom.js';
import { recordParams } from './record-params.js';

export interface AnonymiseOptions {
  /** The project key (≥ 16 bytes; a string is taken as UTF-8). Same key → same UIDs and patient keys. */
  key: Uint8Array | string;
  /** Severity of the finding when BurnedInAnnotation (0028,0301) is YES. Default "error". */
  burnedInAnnotation?: 'error' | 'warn';
  /**
   * Dates and times: 'remove' (default) applies the Basic Profile; 'shift' is the PS3.15 Retain Longitudinal
   * Temporal Information with Modified Dates option, a keyed per-patient offset of whole days (dates.ts).
   */
  dates?: DatesMode;
}

/** How many elements each action touched (occurrences, sequences included). */
export interface ActionCounts {
  X: number;
  Z: number;
  D: number;
  U: number;
  'U*': number;
  private: number;
  overlay: number;
  curve: number;
  groupLength: number;
  meta: number;
  /** Command group (0000,xxxx) elements removed. */
  command: number;
  /** Attributes outside the profile table removed, emptied or given a dummy (retain.ts). */
  outsideTable: number;
  /** Sequences that were stored as VR UN, read and written back as SQ. */
  unSequence: number;
  /** Values of UIDs outside the table replaced (not defined by the standard). */
  uidOutsideTable: number;
}

export interface AnonymiseSummary {
  /** New identifiers (safe to show: they are keyed hashes). */
  sopInstanceUid: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  sopClassUid?: string;
  modality?: string;
  transferSyntax: string;
  /** One-way patient key (also written to PatientID). */
  patientKey: string;
  actions: ActionCounts;
  pixelData: 'native' | 'encapsulated' | 'none';
  bytesIn: number;
  bytesOut: number;
  notes: string[];
  /** With `dates: 'shift'`: values shifted, and option attributes that could not be (given the profile action). Never the offset. */
  dateShift?: { shifted: number; notShifted: number };
}

export interface AnonymiseResult {
  bytes: Uint8Array;
  summary: AnonymiseSummary;
  findings: Finding[];
}

export interface Anonymiser {
  anonymise(bytes: Uint8Array, file: string): Promise<AnonymiseResult>;
  anonymiseSync(bytes: Uint8Array, file: string): AnonymiseResult;
  /** The replacement of one UID (cached; the same for every file of the project). */
  mapUid(uid: string): string;
  patientKey(identity: PatientIdentity): string;
  /**
   * Takes back a result the caller will not write (a burned-in refusal, a duplicate): its
   * UIDs, patient and counts leave the totals. A file that throws is never counted.
   */
  discard(result: AnonymiseResult): void;
  /** Distinct UIDs replaced in the files anonymised and not discarded. */
  readonly uidsReplaced: number;
  /** The stage record over every file anonymised so far (no identities, no original UIDs). */
  record(): StageRecord;
}

const DUMMY_TEXT = 'ANONYMISED';
const DUMMY: Record<string, string> = {
  AE: DUMMY_TEXT, AS: '000Y', CS: DUMMY_TEXT, DA: '19000101', DS: '0', DT: '19000101000000', IS: '0', LO: DUMMY_TEXT, LT: DUMMY_TEXT,
  PN: DUMMY_TEXT, SH: DUMMY_TEXT, ST: DUMMY_TEXT, TM: '000000', UC: DUMMY_TEXT, UR: 'urn:x-anonymised', UT: DUMMY_TEXT,
};
const BINARY_WIDTH: Record<string, number> = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, AT: 4, FD: 8, SV: 8, UV: 8, OB: 2, OW: 2, OD: 8, OF: 4, OL: 4, OV: 8 };
const TAG = {
  PatientName: 0x00100010, PatientID: 0x00100020, PatientBirthDate: 0x00100030, SpecificCharacterSet: 0x00080005,
  SOPClassUID: 0x00080016, SOPInstanceUID: 0x00080018, StudyInstanceUID: 0x0020000d, SeriesInstanceUID: 0x0020000e, Modality: 0x00080060,
  BurnedInAnnotation: 0x00280301, PixelData: 0x7fe00010, PatientIdentityRemoved: 0x00120062, DeidentificationMethod: 0x00120063,
  DeidentificationMethodCodeSequence: 0x00120064,
} as const;
const DICOMDIR_CLASS = '1.2.840.10008.1.3.10';
export const DEIDENTIFICATION_METHOD = 'scan2print PS3.15 E.1-1 Basic Profile; PatientID = keyed hash';

export { COMPOUND_POLICY, OUTSIDE_TABLE_POLICY } from './record-params.js';

function zeroCounts(): ActionCounts {
  return {
    X: 0, Z: 0, D: 0, U: 0, 'U*': 0, private: 0, overlay: 0, curve: 0, groupLength: 0, meta: 0,
    command: 0, outsideTable: 0, unSequence: 0, uidOutsideTable: 0,
  };
}

function addCounts(into: ActionCounts, c: ActionCounts, sign = 1): void {
  for (const k of Object.keys(c) as (keyof ActionCounts)[]) into[k] += sign * c[k];
}

function decodeText(v: Uint8Array | undefined, utf8: boolean): string {
  if (!v) return '';
  const s = utf8 ? new TextDecoder('utf-8').decode(v) : asciiValue(v);
  return s.replace(/[\0 ]+$/, '');
}

function find(els: readonly RawElement[], tag: number): RawElement | undefined {
  return els.find((e) => e.tag === tag);
}

export function createAnonymiser(key: Uint8Array | string, opts: Omit<AnonymiseOptions, 'key'> = {}): Anonymiser {
  const k = keyBytes(key);
  const uidMap = new Map<string, string>();
  // The current file's date shifter (dates: 'shift'), set per file: the offset belongs to its patient.
  let fileDates: DateShifter | undefined;
  const totals = zeroCounts();
  const allFindings: Finding[] = [];
  let files = 0;
  let wallMs = 0;
  // The summary counts the UIDs of the files kept, not of inputs refused (the map is only a
  // cache): each UID's number of kept files, and what each result added, to take it back.
  const uidUses = new Map<string, number>();
  const patientFiles = new Map<string, number>();
  const kept = new WeakMap<AnonymiseResult, { uids: Set<string>; patientKey: string }>();
  let fileUids: Set<string> | undefined;

  const cachedUid = (uid: string): string => {
    let u = uidMap.get(uid);
    if (u === undefined) {
      u = deriveUid(k, uid);
      uidMap.set(uid, u);
    }
    return u;
  };
  const mapUid = (uid: string): string => {
    fileUids?.add(uid);
    return cachedUid(uid);
  };
  const bump = <K>(m: Map<K, number>, key: K, by: number): void => {
    const n = (m.get(key) ?? 0) + by;
    if (n > 0) m.set(key, n);
    else m.delete(key);
  };

  const mapUidValue = (v: Uint8Array | undefined): Uint8Array => {
    const s = asciiValue(v);
    if (!s) return new Uint8Array(0);
    return encodeValue(s.split('\\').map((x) => (x.trim() ? mapUid(x.trim()) : '')).join('\\'), 'UI');
  };

  /** A UID outside the table: kept when the standard defines it (a SOP class, a transfer syntax), else replaced. */
  const mapNonStandardUid = (uid: string): string => (isStandardUid(uid) ? uid : mapUid(uid));

  function walk(els: readonly RawElement[], counts: ActionCounts, top: { patientKey: string } | undefined): RawElement[] {
    const out: RawElement[] = [];
    for (const el of els) {
      const rule = maskRuleFor(el.tag);
      if (rule) {
        counts[rule === 'group-length' ? 'groupLength' : rule]++;
        continue;
      }
      const entry = profileEntries().get(el.tag);
      const vr = effectiveVr(el.tag, el.vr, entry?.vr);
      // Outside the table: the allow-list rule of retain.ts (unknown and free-text attributes go).
      const outside = entry ? undefined : outsideTableAction(el.tag, vr, el.items !== undefined, el.value);
      if (outside && outside !== 'K') counts.outsideTable++;
      const action: AppliedAction = entry?.action ?? outside ?? 'X';
      // Dates option: a date (or a time with its date) moved by the patient's offset replaces the profile action.
      const shifted = fileDates?.apply(el, vr, action, els);
      if (shifted) {
        out.push(shifted);
        continue;
      }
      switch (action) {
        case 'X':
          counts.X++;
          break;
        case 'Z':
          counts.Z++;
          out.push(el.items ? { tag: el.tag, vr: el.vr, items: [], ...(el.itemsImplicit ? { itemsImplicit: true } : {}) } : { tag: el.tag, vr, value: new Uint8Array(0) });
          break;
        case 'U':
          counts.U++;
          out.push({ tag: el.tag, vr: 'UI', value: mapUidValue(el.value) });
          break;
        case 'D':
          counts.D++;
          if (el.items) out.push({ tag: el.tag, vr: el.vr, items: [], ...(el.itemsImplicit ? { itemsImplicit: true } : {}) });
          else if (top && el.tag === TAG.PatientID) out.push({ tag: el.tag, vr: 'LO', value: encodeValue(top.patientKey, 'LO') });
          else if (vr === 'UI') out.push({ tag: el.tag, vr, value: mapUidValue(el.value) });
          else out.push({ tag: el.tag, vr, value: dummyValue(vr) });
          break;
        case 'U*':
        case 'K':
          if (action === 'U*') counts['U*']++;
          if (el.items) out.push({ ...el, items: el.items.map((item) => walk(item, counts, undefined)) });
          else if (action === 'U*') out.push({ tag: el.tag, vr, value: new Uint8Array(0) });
          else if (vr === 'UI') {
            // Every UID is replaced wherever it is, unless the standard defines it.
            const before = asciiValue(el.value);
            const after = before.split('\\').map((x) => (x.trim() ? mapNonStandardUid(x.trim()) : '')).join('\\');
            if (after !== before) counts.uidOutsideTable++;
            out.push({ tag: el.tag, vr: 'UI', value: encodeValue(after, 'UI') });
          } else out.push(el);
          break;
      }
    }
    return out;
  }

  function anonymiseSync(bytes: Uint8Array, file: string): AnonymiseResult {
    const uids = (fileUids = new Set());
    try {
      const r = anonymiseOne(bytes, file);
      for (const u of uids) bump(uidUses, u, 1);
      bump(patientFiles, r.summary.patientKey, 1);
      kept.set(r, { uids, patientKey: r.summary.patientKey });
      return r;
    } finally {
      fileUids = undefined;
    }
  }

  function discard(r: AnonymiseResult): void {
    const t = kept.get(r);
    if (!t) return;
    kept.delete(r);
    for (const u of t.uids) bump(uidUses, u, -1);
    bump(patientFiles, t.patientKey, -1);
    files--;
    addCounts(totals, r.summary.actions, -1);
  }

  function anonymiseOne(bytes: Uint8Array, file: string): AnonymiseResult {
    const t0 = performance.now();
    const parsed = parseDicom(bytes, file);
    // Sequences stored as VR UN are read in whatever encoding their items use and written as SQ.
    const normalised = normaliseSequences(parsed.dataset, encodingOf(parsed.transferSyntax));
    const ds = normalised.elements;
    const metaClass = asciiValue(find(parsed.meta, 0x00020002)?.value);
    const sopClassUid = asciiValue(find(ds, TAG.SOPClassUID)?.value) || metaClass || undefined;
    if (sopClassUid === DICOMDIR_CLASS) {
      throw inputError('ANON_DICOMDIR', 'is a DICOMDIR (a media index whose records hold patient names): not anonymised, leave it out', file);
    }
    // A private SOP class UID is replaced like any UID the standard does not define (also in the dataset).
    const outSopClassUid = sopClassUid === undefined ? undefined : mapNonStandardUid(sopClassUid);
    const origSop = asciiValue(find(parsed.meta, 0x00020003)?.value) || asciiValue(find(ds, TAG.SOPInstanceUID)?.value);
    if (!origSop) throw inputError('ANON_NO_SOP_INSTANCE_UID', 'has no SOPInstanceUID (0008,0018) nor MediaStorageSOPInstanceUID (0002,0003)', file);
    const newSop = mapUid(origSop);
    // Findings name the output (new UID), never the input path: a folder name is often the patient's name.
    const outName = anonymisedFileName(newSop);
    const utf8 = asciiValue(find(ds, TAG.SpecificCharacterSet)?.value).includes('ISO_IR 192');
    const identity: PatientIdentity = {
      id: decodeText(find(ds, TAG.PatientID)?.value, utf8),
      name: decodeText(find(ds, TAG.PatientName)?.value, utf8),
      birthDate: asciiValue(find(ds, TAG.PatientBirthDate)?.value),
    };
    const pKey = patientKey(k, identity);
    const counts = zeroCounts();
    counts.unSequence += normalised.unSequences;
    const findings: Finding[] = [];
    const notes: string[] = [];
    if (!identity.id && !identity.name && !identity.birthDate) {
      findings.push({ code: 'ANON_NO_PATIENT_IDENTITY', severity: 'info', message: 'no PatientID, PatientName or PatientBirthDate: the patient key is the key of an empty identity', files: [outName] });
    }

    fileDates = opts.dates === 'shift' ? createDateShifter(dateShiftDays(k, identity)) : undefined;
    let out = walk(ds, counts, { patientKey: pKey });
    // PatientID is Z/D in the table: make sure the patient key is there even when PatientID was absent.
    if (!find(out, TAG.PatientID)) out.push({ tag: TAG.PatientID, vr: 'LO', value: encodeValue(pKey, 'LO') });
    const added: RawElement[] = [
      { tag: TAG.PatientIdentityRemoved, vr: 'CS', value: encodeValue('YES', 'CS') },
      { tag: TAG.DeidentificationMethod, vr: 'LO', value: encodeValue(DEIDENTIFICATION_METHOD, 'LO') },
      {
        tag: TAG.DeidentificationMethodCodeSequence,
        vr: 'SQ',
        items: [
          [
            { tag: 0x00080100, vr: 'SH', value: encodeValue('113100', 'SH') },
            { tag: 0x00080102, vr: 'SH', value: encodeValue('DCM', 'SH') },
            { tag: 0x00080104, vr: 'LO', value: encodeValue('Basic Application Confidentiality Profile', 'LO') },
          ],
        ],
      },
    ];
    recordDates(added, out, fileDates);
    const addedTags = new Set(added.map((e) => e.tag));
    out = out.filter((e) => !addedTags.has(e.tag)).concat(added);
    out.sort((a, b) => (a.tag >>> 0) - (b.tag >>> 0));

    // File meta: rebuilt from what is needed; source/sending AE titles and private meta are dropped.
    counts.meta += parsed.meta.filter((e) => ![0x00020000, 0x00020001, 0x00020002, 0x00020003, 0x00020010, 0x00020012, 0x00020013].includes(e.tag)).length;
    if (find(parsed.meta, 0x00020003)) counts.U++;
    const meta: RawElement[] = [
      { tag: 0x00020001, vr: 'OB', value: new Uint8Array([0, 1]) },
      { tag: 0x00020002, vr: 'UI', value: encodeValue(outSopClassUid ?? '', 'UI') },
      { tag: 0x00020003, vr: 'UI', value: encodeValue(newSop, 'UI') },
      { tag: 0x00020010, vr: 'UI', value: encodeValue(parsed.transferSyntax, 'UI') },
      { tag: 0x00020012, vr: 'UI', value: encodeValue(IMPLEMENTATION_CLASS_UID, 'UI') },
      { tag: 0x00020013, vr: 'SH', value: encodeValue(`SCAN2PRINT_${SCAN2PRINT_VERSION}`.slice(0, 16), 'SH') },
    ];
    if (!parsed.hadMeta) notes.push('the input had no file meta information; one was written');

    const burned = asciiValue(find(ds, TAG.BurnedInAnnotation)?.value).toUpperCase();
    const modality = asciiValue(find(ds, TAG.Modality)?.value) || undefined;
    if (burned === 'YES') {
      findings.push({ code: 'BURNED_IN_ANNOTATION', severity: opts.burnedInAnnotation ?? 'error', message: 'BurnedInAnnotation (0028,0301) is YES: the pixels may show the patient\'s identity, and the Basic Profile does not clean pixel data', files: [outName] });
    } else if (!burned && (['US', 'XC', 'OT', 'SC'].includes(modality ?? '') || (sopClassUid ?? '').startsWith('1.2.840.10008.5.1.4.1.1.7'))) {
      findings.push({ code: 'POSSIBLE_BURNED_IN_ANNOTATION', severity: 'warn', message: `no BurnedInAnnotation (0028,0301) in a ${modality ?? 'secondary capture'} image, a kind that often carries burned-in text`, files: [outName] });
    }

    // Issue 13 class 5 (pixel-markers-dicom.ts): text segments inside compressed frames (JPEG COM/APPn, J2K COM, JP2 boxes)
    // are removed; pixel data that cannot be checked refuses the file.
    out = stripPixelDataText(out, parsed.transferSyntax, { file, outName, notes, findings });
    const pixel = find(ds, TAG.PixelData);
    const result = writeDicom(meta, out, parsed.transferSyntax);
    const summary: AnonymiseSummary = {
      sopInstanceUid: newSop,
      ...(find(out, TAG.StudyInstanceUID)?.value ? { studyInstanceUid: asciiValue(find(out, TAG.StudyInstanceUID)!.value) } : {}),
      ...(find(out, TAG.SeriesInstanceUID)?.value ? { seriesInstanceUid: asciiValue(find(out, TAG.SeriesInstanceUID)!.value) } : {}),
      ...(outSopClassUid ? { sopClassUid: outSopClassUid } : {}),
      ...(modality ? { modality } : {}),
      transferSyntax: parsed.transferSyntax,
      patientKey: pKey,
      actions: counts,
      pixelData: !pixel ? 'none' : pixel.encapsulated ? 'encapsulated' : 'native',
      bytesIn: bytes.length,
      bytesOut: result.length,
      notes,
      ...(fileDates ? { dateShift: { shifted: fileDates.shifted, notShifted: fileDates.notShifted } } : {}),
    };
    files++;
    addCounts(totals, counts);
    allFindings.push(...findings);
    wallMs += performance.now() - t0;
    return { bytes: result, summary, findings };
  }

  return {
    anonymiseSync,
    anonymise: async (bytes, file) => anonymiseSync(bytes, file),
    mapUid: cachedUid,
    discard,
    patientKey: (identity) => patientKey(k, identity),
    get uidsReplaced() {
      return uidUses.size;
    },
    record(): StageRecord {
      return {
        stage: 'anonymise',
        method: 'dicom-ps3.15-basic-profile',
        params: recordParams(opts),
        figures: { files, patients: patientFiles.size, uidsReplaced_distinct: uidUses.size, actions: { ...totals } },
        findings: allFindings.slice(),
        wall_ms: Math.round(wallMs * 10) / 10,
      };
    },
  };
}

/** The file name an anonymised instance is written under: `<new SOPInstanceUID>.dcm`. */
export function anonymisedFileName(newSopInstanceUid: string): string {
  return `${newSopInstanceUid}.dcm`;
}

function dummyValue(vr: string): Uint8Array {
  const text = DUMMY[vr];
  if (text !== undefined) return encodeValue(text, vr);
  const width = BINARY_WIDTH[vr];
  return new Uint8Array(width ?? 0);
}

/** One file, one key: the same as createAnonymiser(opts.key).anonymise(bytes, file). */
export async function anonymiseDataset(bytes: Uint8Array, file: string, opts: AnonymiseOptions): Promise<AnonymiseResult> {
  const { key, ...rest } = opts;
  return createAnonymiser(key, rest).anonymiseSync(bytes, file);
}

