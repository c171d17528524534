/**
 * PS3.15 E.3.6 "Retain Longitudinal Temporal Information with Modified Dates" option (issue 13):
 * instead of emptying dates (or writing 19000101), every date of a patient is moved by the same
 * keyed offset, so intervals between studies survive while the real dates do not.
 *
 * The offset: whole days, d ∈ [−365, −1] ∪ [1, 365] (never 0, which would keep the real dates),
 * from HMAC-SHA-256(project key, "scan2print-date-shift" ‖ the normalised patient identity that
 * also feeds the patient key, keys.ts). Same key + same patient → the same offset in every study,
 * run and machine; another patient or another key → an unrelated one. The offset is a secret
 * like the key (offset + shifted date = real date): it is written nowhere, neither in the file
 * nor in the summary or stage record.
 *
 * Which values move:
 *   DA, DT  attributes with "C" in the option's column of Table E.1-1 (their Basic Profile action
 *           X, Z or D is replaced by the shift), and DA/DT attributes the profile keeps (K), so
 *           that no real date stays next to shifted ones. A DA must be YYYYMMDD (or the old
 *           YYYY.MM.DD); a DT must start with YYYYMMDD (its time and UTC offset are kept). A value
 *           that cannot be shifted exactly (YYYY, YYYYMM, garbage, a year outside 0001..9999)
 *           gets the Basic Profile action instead: it is never kept as it was.
 *   TM      only where a date accompanies it: a "C" time whose paired date ("… Time" ↔ "… Date",
 *           "Time of …" ↔ "Date of …") sits in the same data set and was shifted. A whole-day
 *           shift leaves the time of day as it is, so the value is kept. A time without its date
 *           (e.g. Contrast/Bolus Start Time) gets the Basic Profile action.
 *   not     ages (AS: the profile decides), PatientBirthDate (not in the option: Z), the "C" rows
 *           that are not dates (Timezone Offset From UTC, Certified/Frame Origin Timestamp: Basic
 *           Profile action).
 * The output says so: LongitudinalTemporalInformationModified (0028,0303) = MODIFIED, code 113107
 * in DeidentificationMethodCodeSequence, and a second DeidentificationMethod value. Without the
 * option, an input's (0028,0303) becomes REMOVED (the Basic Profile removed the dates).
 */
import { asciiValue, encodeValue, type RawElement } from './dicom-codec.js';
import { normalisePatientIdentity, type PatientIdentity } from './keys.js';
import { PROFILE_TABLE, type ProfileTableRow } from './profile-table.generated.js';
import { hmacSha256, utf8Bytes } from './sha256.js';

export type DatesMode = 'remove' | 'shift';

/** The largest shift in days (either way). */
export const MAX_SHIFT_DAYS = 365;

/**
 * DA/DT/TM attributes with "C" in the "Retain Longitudinal Temporal Information with Modified Dates
 * Option" column of Table E.1-1 (confidentiality_profile_attributes.json, rtnLongModifDatesOpt);
 * 8 hex digits each. dates.spec.ts checks it against the JSON.
 */
export const LONGITUDINAL_DATE_TAGS_HEX =
  '0008001200080013000800150008002000080021000800220008002300080024000800250008002a0008003000080031000800320008003300080034' +
  '000800350008010600080107001021d000120086001200870014407c0014407e0016008d001800270018003500181012001810140018104200181043' +
  '001810720018107300181078001810790018120000181201001812020018120300181204001812050018700c0018700e001890740018915100189369' +
  '0018936a0018951600189517001896230018970100189804001899190018a00200203403002034050032003200320033003200340032003500321000' +
  '003210010032101000321011003210400032104100321050003210510038001a0038001b0038001c0038001d00380020003800210038003000380032' +
  '003a03140040000200400003004000040040000500400244004002450040025000400251004020040040200500404005004040080040401000404011' +
  '0040405000404051004040520040a0230040a0240040a0300040a0320040a0330040a0820040a1100040a1120040a1200040a1210040a1220040a13a' +
  '0040a1920040a1930040db060040db070040e004004400040044000b004400100044010400440105006862260068627000700082007000830072000a' +
  '00720061007200630072006b010004200400010504000562210000402100005030060008300600093006002d3006002e300800243008002530080054' +
  '30080056300801623008016430080166300801683008025030080251300a0006300a0007300a022c300a022e300a0736300a073a300a0741300a0760' +
  '300c0127300e0004300e00053010004c3010004d30100085400801004008010140080108400801094008011240080113';

export const DATE_SHIFT_METHOD = 'dates shifted by a keyed per-patient offset';
/** How the stage record describes the option (the offset itself is never recorded). */
export const DATES_SHIFT_RECORD =
  'shifted: PS3.15 Retain Longitudinal Temporal Information with Modified Dates; keyed per-patient offset of whole days, ' +
  'within ±365, not recorded; times of day kept with their date';
export const LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED = 0x00280303;
const DEIDENTIFICATION_METHOD = 0x00120063;
const DEIDENTIFICATION_METHOD_CODE_SEQUENCE = 0x00120064;

let longitudinal: Map<number, string> | undefined;
let pairedDate: Map<number, number> | undefined;

/** tag → VR (DA, DT or TM) of the option's "C" date and time attributes. */
function longitudinalTags(): Map<number, string> {
  if (!longitudinal) {
    const vrs = new Map<number, string>();
    for (const [id, , vr] of PROFILE_TABLE as readonly ProfileTableRow[]) if (/^[0-9a-f]{8}$/.test(id)) vrs.set(parseInt(id, 16) >>> 0, vr);
    longitudinal = new Map();
    for (let i = 0; i + 8 <= LONGITUDINAL_DATE_TAGS_HEX.length; i += 8) {
      const tag = parseInt(LONGITUDINAL_DATE_TAGS_HEX.slice(i, i + 8), 16) >>> 0;
      longitudinal.set(tag, vrs.get(tag) ?? '');
    }
  }
  return longitudinal;
}

/** Whether the option lets this attribute hold a shifted date or time (a DA/DT/TM "C" row). */
export function isLongitudinalDateTag(tag: number): boolean {
  return longitudinalTags().has(tag >>> 0);
}

/** TM tag → the DA tag it goes with, paired by the table's names ("Study Time" ↔ "Study Date", "Time of X" ↔ "Date of X"). */
export function pairedDateTag(timeTag: number): number | undefined {
  if (!pairedDate) {
    pairedDate = new Map();
    const byName = new Map<string, number>();
    for (const [id, , vr, name] of PROFILE_TABLE as readonly ProfileTableRow[]) {
      if (/^[0-9a-f]{8}$/.test(id) && vr === 'DA') byName.set(name, parseInt(id, 16) >>> 0);
    }
    for (const [id, , vr, name] of PROFILE_TABLE as readonly ProfileTableRow[]) {
      if (!/^[0-9a-f]{8}$/.test(id) || vr !== 'TM') continue;
      for (const candidate of [name.replace(/\bTime\b(?!.*\bTime\b)/, 'Date'), name.replace(/^Time of\b/, 'Date of')]) {
        const d = byName.get(candidate);
        if (d !== undefined && longitudinalTags().has(d)) {
          pairedDate.set(parseInt(id, 16) >>> 0, d);
          break;
        }
      }
    }
  }
  return pairedDate.get(timeTag >>> 0);
}

/** The patient's offset in whole days, in [−365, −1] ∪ [1, 365]. */
export function dateShiftDays(key: Uint8Array, p: PatientIdentity): number {
  const n = normalisePatientIdentity(p);
  const h = hmacSha256(key, utf8Bytes(`scan2print-date-shift\u0000${n.id}\u0000${n.name}\u0000${n.birthDate}`));
  // 32 bits mod 730: the bias (< 2e-7) is far below anything an observer could use.
  const r = (((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0) % (2 * MAX_SHIFT_DAYS);
  return r < MAX_SHIFT_DAYS ? -(r + 1) : r - MAX_SHIFT_DAYS + 1;
}

const DAY_MS = 86_400_000;

/** YYYYMMDD (or YYYY.MM.DD) moved by `days`; undefined when the value is not an exact, valid date. */
export function shiftDate(value: string, days: number): string | undefined {
  const m = /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const out = new Date(0);
  out.setUTCFullYear(y, mo - 1, d);
  // Reject 20230230 and friends rather than let Date roll them over.
  if (out.getUTCFullYear() !== y || out.getUTCMonth() !== mo - 1 || out.getUTCDate() !== d) return undefined;
  const shifted = new Date(out.getTime() + days * DAY_MS);
  const year = shifted.getUTCFullYear();
  if (year < 1 || year > 9999) return undefined;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${String(year).padStart(4, '0')}${two(shifted.getUTCMonth() + 1)}${two(shifted.getUTCDate())}`;
}

/** A DT whose first 8 characters are a date: the date moved, time and UTC offset kept. */
export function shiftDateTime(value: string, days: number): string | undefined {
  if (!/^\d{8}(\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?)?([+-]\d{4})?$/.test(value)) return undefined;
  const d = shiftDate(value.slice(0, 8), days);
  return d === undefined ? undefined : d + value.slice(8);
}

/** Shifts every value of a multi-valued DA or DT; undefined when one of them cannot be shifted. */
function shiftValues(text: string, vr: 'DA' | 'DT', days: number): string | undefined {
  const out: string[] = [];
  for (const v of text.split('\\')) {
    const s = v.trim();
    if (s === '') {
      out.push('');
      continue;
    }
    const shifted = vr === 'DA' ? shiftDate(s, days) : shiftDateTime(s, days);
    if (shifted === undefined) return undefined;
    out.push(shifted);
  }
  return out.join('\\');
}

export interface DateShifter {
  /** Values shifted (and times kept with their shifted date) in this file. */
  shifted: number;
  /** Option attributes that could not be shifted, left to the Basic Profile action. */
  notShifted: number;
  /**
   * The replacement for one element, or undefined to apply the Basic Profile action. `action` is the
   * resolved profile action, `vr` the element's VR (the table's when stored as UN), `siblings` the
   * data set (or item) the element sits in, to find a time's date.
   */
  apply(el: RawElement, vr: string, action: string, siblings: readonly RawElement[]): RawElement | undefined;
}

/**
 * Dates the option's column lists that are not the patient's but public: the release of a
 * DICOM context group (Code Sequence macro, e.g. 20020904000000). Shifted, the difference from
 * the published date is the patient's secret offset, and with it every real date; so they get
 * the Basic Profile action (a dummy) whether or not dates are shifted.
 */
export const PUBLIC_DATE_TAGS: ReadonlySet<number> = new Set([
  0x00080106, // ContextGroupVersion
  0x00080107, // ContextGroupLocalVersion
]);

export function createDateShifter(days: number): DateShifter {
  const shiftedValueOf = (el: RawElement, vr: string): string | undefined => {
    if (!el.value || (vr !== 'DA' && vr !== 'DT')) return undefined;
    return shiftValues(asciiValue(el.value), vr, days);
  };
  const s: DateShifter = {
    shifted: 0,
    notShifted: 0,
    apply(el, vr, action, siblings) {
      if (el.items || el.encapsulated) return undefined;
      // A public date beside the shifted ones would give the offset away: left to the Basic Profile.
      if (PUBLIC_DATE_TAGS.has(el.tag >>> 0)) return undefined;
      if (action === 'K') {
        // A date the profile keeps must not stay real beside the shifted ones.
        if (vr !== 'DA' && vr !== 'DT') return undefined;
        const v = shiftedValueOf(el, vr);
        if (v === undefined) return undefined;
        s.shifted++;
        return { tag: el.tag, vr: el.vr, value: encodeValue(v, vr) };
      }
      if (!isLongitudinalDateTag(el.tag)) return undefined;
      if (!el.value || asciiValue(el.value) === '') return undefined;
      if (vr === 'TM') {
        const d = pairedDateTag(el.tag);
        const date = d === undefined ? undefined : siblings.find((e) => e.tag === d);
        if (date && shiftedValueOf(date, 'DA')) {
          s.shifted++;
          return { tag: el.tag, vr: el.vr, value: el.value };
        }
        s.notShifted++;
        return undefined;
      }
      const v = shiftedValueOf(el, vr);
      if (v === undefined) {
        s.notShifted++;
        return undefined;
      }
      s.shifted++;
      return { tag: el.tag, vr: el.vr, value: encodeValue(v, vr) };
    },
  };
  return s;
}

/**
 * What the output says about its dates, in the attributes the anonymiser adds (`added`, changed in
 * place): with the shifter, recordDateShift; without it, an input's (0028,0303) (kept otherwise: a CS
 * outside the table) becomes REMOVED, since an UNMODIFIED or MODIFIED there would no longer be true.
 */
export function recordDates(added: RawElement[], kept: readonly RawElement[], shifter: DateShifter | undefined): void {
  if (shifter) recordDateShift(added);
  else if (kept.some((e) => e.tag === LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED)) {
    added.push({ tag: LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED, vr: 'CS', value: encodeValue('REMOVED', 'CS') });
  }
}

/**
 * Records the option in the attributes the anonymiser adds (`added`, changed in place):
 * LongitudinalTemporalInformationModified = MODIFIED, code 113107 (DCM) in the method code
 * sequence, and a second value of DeidentificationMethod.
 */
export function recordDateShift(added: RawElement[]): void {
  const method = added.find((e) => e.tag === DEIDENTIFICATION_METHOD);
  if (method?.value) method.value = encodeValue(`${asciiValue(method.value)}\\${DATE_SHIFT_METHOD}`, 'LO');
  const codes = added.find((e) => e.tag === DEIDENTIFICATION_METHOD_CODE_SEQUENCE);
  codes?.items?.push([
    { tag: 0x00080100, vr: 'SH', value: encodeValue('113107', 'SH') },
    { tag: 0x00080102, vr: 'SH', value: encodeValue('DCM', 'SH') },
    { tag: 0x00080104, vr: 'LO', value: encodeValue('Retain Longitudinal Temporal Information Modified Dates Option', 'LO') },
  ]);
  added.push({ tag: LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED, vr: 'CS', value: encodeValue('MODIFIED', 'CS') });
}
