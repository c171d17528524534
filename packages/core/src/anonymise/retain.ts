/**
 * What happens to an attribute the PS3.15 table (profile.ts) does not list. The table names the
 * attributes the standard knows to carry identity; a scanner, a PACS or an adversary can put a
 * name into any other text attribute, or an attribute we do not know. So the rule outside the
 * table is an allow-list by VR, safe by construction (README.md in this folder explains it):
 *   - an attribute unknown to the data dictionary (PS3.6 via dcmjs), whatever its VR: removed;
 *   - free text, names, URIs, AE titles, ages, dates and times (RESTRICTED_VRS): removed, unless
 *     listed in RETAIN_SAFE (kept: what the CT IODs, our import and the ISO report need),
 *     EMPTY_SAFE (emptied: Type 2, so present and empty) or DUMMY_SAFE (Type 1 text of other IODs:
 *     the anonymiser's dummy, so the object stays valid without its text);
 *   - coded strings, numbers, attribute tags, binary data (pixel data, LUTs) and sequences: kept
 *     (sequences are walked, the table and this rule apply inside);
 *   - UIDs (VR UI): kept only when defined by the standard (isStandardUid); every other UID is
 *     replaced with the keyed hash, wherever it is (keys.ts deriveUid).
 */
import { dictionaryVm, dictionaryVr } from './dictionary.js';
import { STANDARD_UIDS_JOINED } from './standard-uids.generated.js';

/** The action for an attribute outside the table: K keep, Z empty, D dummy, X remove. */
export type OutsideTableAction = 'K' | 'Z' | 'D' | 'X';

/** VRs that can hold free text, a name, an address, an AE title, an age or a date. */
export const RESTRICTED_VRS: ReadonlySet<string> = new Set(['LO', 'LT', 'ST', 'UT', 'SH', 'PN', 'UC', 'UR', 'AE', 'AS', 'DA', 'DT', 'TM']);

/** Restricted-VR attributes kept, each with the reason. */
export const RETAIN_SAFE: ReadonlyMap<number, string> = new Map([
  [0x00020013, 'ImplementationVersionName: names the writing software (ours in an anonymised file)'],
  [0x00080070, 'Manufacturer: scanner, recorded in the ISO/IEC 3532-1 report'],
  [0x00081090, 'ManufacturerModelName: scanner model, recorded in the report'],
  [0x00181210, 'ConvolutionKernel: reconstruction kernel, recorded in the report'],
  [0x00281054, 'RescaleType: HU or not, read by import to decide on Hounsfield units'],
  [0x00209056, 'StackID: Type 1C in the Enhanced CT Frame Content macro'],
  [0x00120063, 'DeidentificationMethod: written by the anonymiser itself'],
  // Code Sequence macro (PS3.3 8.8): the coded value and its scheme, which every coded sequence needs.
  [0x00080100, 'CodeValue: Code Sequence macro'],
  [0x00080102, 'CodingSchemeDesignator: Code Sequence macro'],
  [0x00080103, 'CodingSchemeVersion: Code Sequence macro'],
  [0x00080104, 'CodeMeaning: Code Sequence macro'],
  [0x00080119, 'LongCodeValue: Code Sequence macro'],
  [0x00080120, 'URNCodeValue: Code Sequence macro'],
  [0x00080106, 'ContextGroupVersion: Code Sequence macro (the date of a context group, not of the patient)'],
  [0x00080107, 'ContextGroupLocalVersion: Code Sequence macro'],
]);

/** Restricted-VR attributes emptied: Type 2 in the CT Image IOD (present, possibly empty). */
export const EMPTY_SAFE: ReadonlyMap<number, string> = new Map([
  [0x00201040, 'PositionReferenceIndicator: Type 2 in the Frame of Reference module'],
  [0x00700081, 'ContentDescription: Type 2 in the Content Identification macro'],
]);

/** Restricted-VR attributes replaced by the dummy: Type 1 text of other IODs (SEG, real world value maps). */
export const DUMMY_SAFE: ReadonlyMap<number, string> = new Map([
  [0x00620005, 'SegmentLabel: Type 1 in the Segment Description macro'],
  [0x00620009, 'SegmentAlgorithmName: Type 1C in the Segment Description macro'],
  [0x00409210, 'LUTLabel: Type 1 in the Real World Value Mapping item'],
  [0x00283003, 'LUTExplanation: Type 1 in the Real World Value Mapping item'],
]);

/**
 * The VR an element really has: the file's, or the dictionary's when the file says UN (or nothing).
 * A UID attribute is a UID whatever VR the file writes: kept under a wrong explicit VR (DS, say)
 * it would escape the replacement every UID gets.
 */
export function effectiveVr(tag: number, vr: string, tableVr?: string): string {
  if (vr !== 'UN') return vr !== 'UI' && vr !== 'SQ' && (tableVr === 'UI' || dictionaryVr(tag) === 'UI') ? 'UI' : vr;
  return (tableVr && tableVr !== 'SQ' ? tableVr : undefined) ?? dictionaryVr(tag) ?? 'UN';
}

/**
 * The action for an attribute the table does not list. `vr` is the effective VR (effectiveVr);
 * `isSequence` whether the element was read as a sequence; `value` its bytes (checked against the VR).
 */
export function outsideTableAction(tag: number, vr: string, isSequence: boolean, value?: Uint8Array): OutsideTableAction {
  const known = dictionaryVr(tag);
  // An attribute the dictionary does not know: we cannot tell what it holds.
  if (known === undefined) return 'X';
  // A known sequence whose value could not be read as one (a UN value that is not a data set).
  if (known === 'SQ' && !isSequence) return 'X';
  if (!RESTRICTED_VRS.has(vr) && !RESTRICTED_VRS.has(known)) return valueFitsVr(vr, value, tag) ? 'K' : 'X';
  if (RETAIN_SAFE.has(tag)) return valueFitsVr(vr, value, tag) ? 'K' : 'X';
  if (EMPTY_SAFE.has(tag)) return 'Z';
  if (DUMMY_SAFE.has(tag)) return 'D';
  return 'X';
}

/**
 * Character repertoires of the kept string VRs (PS3.5 6.2): a value outside them is not what the
 * VR says, e.g. text or a whole data set hidden in a number or a UN value, and is removed like
 * unknown free text. CS is upper case as the standard says: lower case is how a name hides in a
 * code string (the adversarial set's "LIN\\Csname Adalbert").
 */
const REPERTOIRE: Record<string, RegExp> = {
  CS: /^[A-Z0-9 _\\]*$/,
  DS: /^[0-9+\-.eE \\]*$/,
  IS: /^[0-9+\- \\]*$/,
};

/** Control characters a text value may hold: TAB, LF, FF, CR and ESC (ISO 2022 code extensions). */
const TEXT_CONTROLS = new Set([0x09, 0x0a, 0x0c, 0x0d, 0x1b]);

/** Text VRs kept by RETAIN_SAFE: no other control characters (NUL padding at the end aside). */
function isText(value: Uint8Array): boolean {
  let end = value.length;
  while (end > 0 && value[end - 1] === 0) end--;
  for (let i = 0; i < end; i++) if (value[i]! < 0x20 && !TEXT_CONTROLS.has(value[i]!)) return false;
  return true;
}

const NUMBER_WIDTH: Record<string, number> = { US: 2, SS: 2, AT: 4, UL: 4, SL: 4, FL: 4, FD: 8, SV: 8, UV: 8 };

/**
 * Whether a kept value of VR `vr` (the effective VR) of attribute `tag` holds only what its VR
 * allows: string VRs their repertoire (NUL padding ignored); binary numbers a whole number of
 * values, as many as the dictionary's multiplicity says when it is fixed (a UN value of Rows that
 * holds 40 bytes of text is no US).
 */
export function valueFitsVr(vr: string, value: Uint8Array | undefined, tag?: number): boolean {
  if (!value) return true;
  const width = NUMBER_WIDTH[vr];
  if (width) {
    if (value.length % width) return false;
    const vm = tag === undefined ? undefined : dictionaryVm(tag);
    return !vm || !/^[0-9]+$/.test(vm) || value.length === 0 || value.length === width * Number(vm);
  }
  if (RESTRICTED_VRS.has(vr)) return isText(value);
  const re = REPERTOIRE[vr];
  if (!re) return true;
  let s = '';
  for (let i = 0; i < value.length; i++) s += String.fromCharCode(value[i]!);
  s = s.replace(/\0+$/, '');
  if (!re.test(s)) return false;
  // More values than the dictionary's fixed multiplicity: the extra ones are not the attribute's.
  const vm = tag === undefined ? undefined : dictionaryVm(tag);
  return !vm || !/^[0-9]+$/.test(vm) || s.trim() === '' || s.split('\\').length <= Number(vm);
}

/** Coding schemes (PS3.16 Table 8-1) whose UIDs are outside the DICOM root but name no one. */
const CODING_SCHEME_UIDS = new Set([
  '2.16.840.1.113883.6.96', // SNOMED CT
  '2.16.840.1.113883.6.1', // LOINC
  '2.16.840.1.113883.6.8', // UCUM
  '2.16.840.1.113883.6.256', // RadLex
  '2.16.840.1.113883.6.86', // UMLS
  '2.16.840.1.113883.3.26.1.1', // NCI Thesaurus
]);

/** Transfer syntaxes added to the standard after the registry copy (HTJ2K, JPEG XL, deflated image frames). */
const NEWER_STANDARD_UIDS = [
  '1.2.840.10008.1.2.4.201', '1.2.840.10008.1.2.4.202', '1.2.840.10008.1.2.4.203',
  '1.2.840.10008.1.2.4.110', '1.2.840.10008.1.2.4.111', '1.2.840.10008.1.2.4.112', '1.2.840.10008.1.2.8.1',
];
let standard: Set<string> | undefined;

/** Context group (6.1.n) and template (8.1.n) UIDs, which the registry copy does not list one by one. */
const CONTEXT_OR_TEMPLATE = /^1\.2\.840\.10008\.[68]\.1\.[1-9][0-9]{0,4}$/;

/**
 * Whether a UID is defined by the standard: in its UID registry (PS3.6 Annex A: transfer syntaxes,
 * SOP classes, well-known instances and frames of reference, coding schemes), a context group or
 * template UID, or a well-known coding scheme outside the DICOM root. Such a UID is the same in
 * every hospital and is kept; any other is replaced, also one that only starts with the DICOM root
 * (1.2.840.10008.4711.19450817 is no standard UID, and could carry a patient ID and a date).
 */
export function isStandardUid(uid: string): boolean {
  standard ??= new Set([...STANDARD_UIDS_JOINED.split('|'), ...NEWER_STANDARD_UIDS, ...CODING_SCHEME_UIDS]);
  return standard.has(uid) || CONTEXT_OR_TEMPLATE.test(uid);
}
