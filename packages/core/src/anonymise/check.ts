/**
 * Is this file still identifiable? The server's gate for uploads (issue 9): every element is held
 * against the same PS3.15 Basic Profile table the anonymiser applies (profile.ts), so a file our
 * anonymiser wrote always passes and a scanner's original, which carries names, dates and its own
 * UIDs, fails with the attributes named.
 *
 * What each applied action accepts (the anonymiser's output, or something holding even less):
 *   X  absent, or present and empty (an empty sequence);
 *   Z  empty, or the anonymiser's dummy for its VR;
 *   D  empty, the dummy, a replacement UID (VR UI) or, for the top-level PatientID, the 64-hex patient key;
 *      a sequence must be empty (the anonymiser empties D sequences);
 *   U  every value a UID of the form deriveUid produces (2.25.<128 bits as UUID version 8>): a scanner's
 *      UIDs (1.2.840…, or 2.25 from a random version-4 UUID) are told apart without the project key;
 *   U* (X/Z/U*) a sequence is checked item by item; any other value must be empty;
 *   K  kept; sequences are checked item by item.
 * Private groups, curves (50xx), overlays (60xx) and the command group (0000) must be gone (the
 * anonymiser removes them all); group lengths hold no identity and pass. PatientIdentityRemoved (0012,0062) must be YES.
 * Outside the table, the anonymiser's rule (retain.ts) is held the same way: an unknown attribute, or free
 * text / a name / a date not on the retain-safe list, must be absent or empty (emptied or dummy where that list
 * says so); a UID must be defined by the standard or be a replacement; a sequence must not be stored as VR UN
 * (its items are read and checked all the same, so what it hides is named too).
 * Compound and C codes are resolved exactly as the anonymiser resolves them (resolveAction,
 * COMPOUND_POLICY), so a stricter anonymiser (issue 13) only needs the table, not this file.
 */
import dcmjs from 'dcmjs';
import { inputError, isScanError } from '../errors.js';
import { asciiValue, parseDicom, tagString, type RawElement } from './dicom-codec.js';
import { isLongitudinalDateTag, LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED, PUBLIC_DATE_TAGS } from './dates.js';
import { maskRuleFor, profileEntries, type ProfileEntry } from './profile.js';
import { effectiveVr, isStandardUid, outsideTableAction } from './retain.js';

export interface IdentifyingAttribute {
  /** '(0010,0010)'. */
  tag: string;
  /** DICOM keyword, e.g. 'PatientName' (PS3.6 dictionary via dcmjs, else from the table's name; 'PrivateAttribute' etc. for masks). */
  keyword: string;
  /**
   * The action the profile demands: X, Z, D, U, U*, private / curve / overlay / command / required, or for attributes
   * outside the table 'outside X' / 'outside Z' / 'outside D', 'uid' (a UID to replace) and 'un-sequence'.
   */
  action: string;
  /** Why the element fails, with where it sits when nested in a sequence. */
  reason: string;
}

export interface IdentifiabilityReport {
  file: string;
  /** True when no problem was found. */
  anonymised: boolean;
  problems: IdentifyingAttribute[];
}

// The values anonymise.ts writes for D (dummyValue): kept in step by check.spec.ts, which anonymises a file
// carrying every attribute of the table and requires it to pass.
const DUMMY_TEXT = 'ANONYMISED';
const DUMMY: Record<string, string> = {
  AE: DUMMY_TEXT, AS: '000Y', CS: DUMMY_TEXT, DA: '19000101', DS: '0', DT: '19000101000000', IS: '0', LO: DUMMY_TEXT, LT: DUMMY_TEXT,
  PN: DUMMY_TEXT, SH: DUMMY_TEXT, ST: DUMMY_TEXT, TM: '000000', UC: DUMMY_TEXT, UR: 'urn:x-anonymised', UT: DUMMY_TEXT,
};
/** Text VRs, whose padding (trailing spaces/NULs) does not count as a value. */
const TEXT_VRS = new Set([...Object.keys(DUMMY), 'UI']);
const PATIENT_ID = 0x00100020;
const PATIENT_IDENTITY_REMOVED = 0x00120062;
const PATIENT_KEY = /^[0-9a-f]{64}$/;
const MAX_LISTED = 5;

const MASK_KEYWORD: Record<string, string> = {
  private: 'PrivateAttribute', curve: 'CurveData', overlay: 'OverlayPlane', command: 'CommandGroup',
};
/** TransferSyntaxUID: a private one is kept (the pixel data needs it) and names no one. */
const TRANSFER_SYNTAX_UID = 0x00020010;

/** The DICOM keyword of a tag (dcmjs's dictionary, the standard's Part 6), else one derived from the table's name. */
export function keywordFor(tag: number): string {
  const hex = (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
  const known = (dcmjs as any).data.DicomMetaDictionary.dictionary[`(${hex.slice(0, 4)},${hex.slice(4)})`]?.name;
  // dcmjs prefixes retired attributes with RETIRED_; PS3.6 keywords do not.
  if (typeof known === 'string' && known) return known.replace(/^RETIRED_/, '');
  const entry = profileEntries().get(tag >>> 0);
  return entry ? keywordOf(entry.name) : '';
}

/** 'Patient's Name' → 'PatientName', 'Operators' Name' → 'OperatorsName', 'Address (Trial)' → 'AddressTrial'. */
export function keywordOf(name: string): string {
  return name
    .replace(/\n[\s\S]*$/, '')
    .replace(/\(s\)/g, 's')
    .replace(/'s\b/g, '')
    .replace(/['’]/g, '')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

/** Whether `uid` has the form deriveUid (keys.ts) gives every replacement: 2.25.<UUID v8, RFC 9562 variant>. */
export function isReplacementUid(uid: string): boolean {
  const m = /^2\.25\.(0|[1-9][0-9]{0,38})$/.exec(uid);
  if (!m) return false;
  const n = BigInt(m[1]!);
  if (n >= 1n << 128n) return false;
  // Byte 6's high nibble is the version (8), byte 8's top two bits the variant (0b10).
  return ((n >> 76n) & 0xfn) === 8n && ((n >> 62n) & 3n) === 2n;
}

function isEmpty(el: RawElement): boolean {
  if (el.items) return el.items.every((item) => item.length === 0);
  if (el.encapsulated) return false;
  const v = el.value;
  if (!v || v.length === 0) return true;
  return TEXT_VRS.has(el.vr) && asciiValue(v) === '';
}

function isDummy(el: RawElement, entry: ProfileEntry | undefined): boolean {
  if (!el.value) return false;
  const text = asciiValue(el.value);
  for (const vr of [el.vr, entry?.vr]) {
    if (vr && DUMMY[vr] !== undefined && text === DUMMY[vr]) return true;
  }
  // Binary VRs get zero bytes as their dummy.
  return !TEXT_VRS.has(el.vr) && el.value.every((b) => b === 0);
}

function uidsAllReplaced(el: RawElement, orStandard = false): boolean {
  if (el.items || el.encapsulated) return false;
  return asciiValue(el.value)
    .split('\\')
    .map((s) => s.trim())
    .every((s) => s === '' || isReplacementUid(s) || (orStandard && isStandardUid(s)));
}

interface Walk {
  problems: IdentifyingAttribute[];
  /** (0028,0303) is MODIFIED: the dates option (dates.ts) may have left shifted dates and times. */
  datesModified: boolean;
}

function where(path: string): string {
  return path ? ` (in ${path})` : '';
}

function check(els: readonly RawElement[], w: Walk, path: string, top: boolean): void {
  for (const el of els) {
    const tag = tagString(el.tag);
    const rule = maskRuleFor(el.tag);
    if (rule === 'group-length') continue;
    if (rule) {
      const reason = `is present${where(path)} (${rule} attributes must be removed)`;
      w.problems.push({ tag, keyword: MASK_KEYWORD[rule]!, action: rule, reason });
      continue;
    }
    // Retain Longitudinal Temporal Information with Modified Dates: a shifted date, or a time beside it, is the option's value.
    if (w.datesModified && !el.items && isLongitudinalDateTag(el.tag) && !PUBLIC_DATE_TAGS.has(el.tag >>> 0)) continue;
    const entry = profileEntries().get(el.tag);
    const vr = effectiveVr(el.tag, el.vr, entry?.vr);
    const outside = entry ? undefined : outsideTableAction(el.tag, vr, el.items !== undefined, el.value);
    const action = entry?.action ?? outside ?? 'X';
    const keyword = keywordFor(el.tag);
    const code = entry && entry.code !== action ? `${entry.code} → ${action}` : action;
    const actionText = outside ? `outside the profile table, rule ${action}` : `profile action ${code}`;
    const fail = (what: string, must: string) =>
      w.problems.push({
        tag, keyword, action: outside ? `outside ${action}` : action, reason: `${what}${where(path)} (${actionText}: ${must})`,
      });
    const inItem = (i: number) => `${path ? `${path} > ` : ''}${tag} ${keyword || 'Sequence'} item ${i + 1}`;
    const recurse = () => el.items!.forEach((item, i) => check(item, w, inItem(i), false));
    if (el.items && el.vr === 'UN') {
      // Readers disagree on what a UN sequence holds (pydicom reads its items, others skip them); the anonymiser writes SQ.
      const reason = `is a sequence stored as VR UN${where(path)} (must be written as SQ)`;
      w.problems.push({ tag, keyword, action: 'un-sequence', reason });
      // Its items are checked too, unless the attribute must go anyway (then they are named with it).
      if (action === 'K' || action === 'U*') {
        recurse();
        continue;
      }
    }
    if (action === 'K' && !el.items && vr === 'UI' && el.tag !== TRANSFER_SYNTAX_UID && !uidsAllReplaced(el, true)) {
      w.problems.push({
        tag, keyword, action: 'uid',
        reason: `holds a UID that is neither defined by the standard nor a replacement${where(path)} (every other UID must be replaced)`,
      });
      continue;
    }
    switch (action) {
      case 'X':
        if (!isEmpty(el)) fail(el.items ? 'has items' : 'has a value', 'must be removed');
        break;
      case 'Z':
        if (!isEmpty(el) && !isDummy(el, entry)) fail(el.items ? 'has items' : 'has a value', 'must be empty or a dummy');
        break;
      case 'D':
        if (el.items) {
          if (!isEmpty(el)) fail('has items', 'must be replaced by an empty sequence');
        } else if (top && el.tag === PATIENT_ID && PATIENT_KEY.test(asciiValue(el.value))) {
          // The anonymiser's one-way patient key.
        } else if (!isEmpty(el) && !isDummy(el, entry) && !((el.vr === 'UI' || entry?.vr === 'UI') && uidsAllReplaced(el))) {
          fail('has a value', 'must be empty or a dummy');
        }
        break;
      case 'U':
        if (!uidsAllReplaced(el)) {
          fail('holds a UID that is not a replacement', 'must be replaced by a 2.25 UID derived under the project key');
        }
        break;
      case 'U*':
      case 'K':
        if (el.items) recurse();
        else if (action === 'U*' && !isEmpty(el)) fail('has a value', 'must be empty');
        break;
    }
  }
}

/**
 * Checks one file's bytes against the Basic Profile; throws core's input error (naming `file`) when
 * the bytes are not DICOM or are malformed. Nothing is decoded beyond the element structure.
 */
export function findIdentifyingAttributes(bytes: Uint8Array, file: string): IdentifiabilityReport {
  let parsed;
  try {
    parsed = parseDicom(bytes, file);
  } catch (e) {
    if (isScanError(e)) throw e;
    throw inputError('DICOM_MALFORMED', `cannot be read as DICOM: ${e instanceof Error ? e.message : String(e)}`, file, e);
  }
  const modified = parsed.dataset.find((e) => e.tag === LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED);
  const w: Walk = { problems: [], datesModified: asciiValue(modified?.value).toUpperCase() === 'MODIFIED' };
  // The file meta is in the table too: (0002,0003) MediaStorageSOPInstanceUID must be a replacement.
  check(parsed.meta, w, '', false);
  check(parsed.dataset, w, '', true);
  const removed = parsed.dataset.find((e) => e.tag === PATIENT_IDENTITY_REMOVED);
  const flag = removed ? asciiValue(removed.value).toUpperCase() : undefined;
  if (flag !== 'YES') {
    w.problems.push({
      tag: tagString(PATIENT_IDENTITY_REMOVED),
      keyword: 'PatientIdentityRemoved',
      action: 'required',
      reason: flag === undefined ? 'is missing (must be YES)' : `is ${JSON.stringify(flag)} (must be YES)`,
    });
  }
  return { file, anonymised: w.problems.length === 0, problems: w.problems };
}

/**
 * One message for a person: the file and the first few problems, patient-module attributes (0010,xxxx)
 * first because they are what a reader recognises, e.g.
 * `IMG0001.dcm: still identifiable: (0010,0010) PatientName has a value (profile action Z: must be empty or a dummy), …`.
 */
export function describeIdentifiability(r: IdentifiabilityReport): string {
  if (r.anonymised) return `${r.file}: no identifying attributes (DICOM PS3.15 Basic Profile)`;
  const patientFirst = r.problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => Number(!a.p.tag.startsWith('(0010,')) - Number(!b.p.tag.startsWith('(0010,')) || a.i - b.i)
    .map(({ p }) => p);
  const listed = patientFirst.slice(0, MAX_LISTED).map((p) => `${p.tag}${p.keyword ? ` ${p.keyword}` : ''} ${p.reason}`);
  const more = r.problems.length - listed.length;
  return `${r.file}: still identifiable: ${listed.join(', ')}${more > 0 ? `, and ${more} more` : ''}`;
}
