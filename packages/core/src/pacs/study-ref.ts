/**
 * The study an object sent back to a PACS files into, and the attributes every such object
 * shares: Patient, General Study, SOP Common. The caller fills the study from the source
 * series as stored (the anonymised study, or the original one where the organisation keeps
 * the mapping inside the hospital); nothing here invents patient data.
 */
import { usageError } from '../errors.js';
import type { DicomElement } from '../formats/dicom-encode.js';
import type { DicomStudyIdentity } from '../formats/dicom-seg.js';

/** One instance the new object was derived from (Source Instance Sequence, SEG references). */
export interface PacsSourceInstance {
  sopClassUid: string;
  sopInstanceUid: string;
}

export interface PacsStudyRef extends DicomStudyIdentity {
  studyInstanceUid: string;
  /** The source CT's frame of reference: the model and the SEG lie in its LPS mm. */
  frameOfReferenceUid?: string;
  studyDescription?: string;
  /** The series the object was made from, and its instances (Source Instance Sequence). */
  sourceSeriesUid?: string;
  sourceInstances?: PacsSourceInstance[];
}

export interface PacsObjectOptions {
  /** UID root of the new series and instance (root.1, root.2). Default: a random 2.25 UID. */
  uidRoot?: string;
  /** Series/content/creation date and time: "YYYYMMDDhhmmss" or a Date (UTC). Default: now. */
  dateTime?: string | Date;
  seriesNumber?: number;
  instanceNumber?: number;
  seriesDescription?: string;
  /** Document Title (0042,0010). */
  documentTitle?: string;
  /** Manufacturer's Model Name; default "scan2print". */
  modelName?: string;
  /** Device Serial Number (type 1 in the Enhanced General Equipment module); default "none". */
  deviceSerialNumber?: string;
}

export function dicomDateTime(dt: string | Date | undefined, who: string): { date: string; time: string } {
  if (typeof dt === 'string') {
    if (!/^\d{14}$/.test(dt)) throw usageError('BAD_DATETIME', `${who}: dateTime "${dt}" must be YYYYMMDDhhmmss`);
    return { date: dt.slice(0, 8), time: dt.slice(8) };
  }
  const d = dt ?? new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return { date: `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}`, time: `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}` };
}

const UID_RE = /^(0|[1-9]\d*)(\.(0|[1-9]\d*))*$/;

/** Refuses a UID a PACS would reject (digits and dots, no leading zeros, at most 64 characters). */
export function checkUid(uid: string, what: string, who: string): string {
  if (!UID_RE.test(uid) || uid.length > 64) throw usageError('BAD_UID', `${who}: ${what} "${uid}" is not a valid DICOM UID`);
  return uid;
}

/** Patient and General Study module attributes copied from the source study. */
export function patientStudyElements(ref: PacsStudyRef, who: string): DicomElement[] {
  checkUid(ref.studyInstanceUid, 'StudyInstanceUID', who);
  const out: DicomElement[] = [
    [0x00080020, 'DA', ref.studyDate ?? ''],
    [0x00080030, 'TM', ref.studyTime ?? ''],
    [0x00080050, 'SH', ref.accessionNumber ?? ''],
    [0x00080090, 'PN', ref.referringPhysicianName ?? ''],
    [0x00100010, 'PN', ref.patientName ?? ''],
    [0x00100020, 'LO', ref.patientId ?? ''],
    [0x00100030, 'DA', ref.patientBirthDate ?? ''],
    [0x00100040, 'CS', ref.patientSex ?? ''],
    [0x0020000d, 'UI', ref.studyInstanceUid],
    [0x00200010, 'SH', ref.studyId ?? ''],
  ];
  if (ref.studyDescription) out.push([0x00081030, 'LO', ref.studyDescription.slice(0, 64)]);
  return out;
}

/** Source Instance Sequence (0042,0013) items and the Referenced Series (0008,1115) of the source. */
export function sourceElements(ref: PacsStudyRef): DicomElement[] {
  const inst = ref.sourceInstances ?? [];
  if (inst.length === 0) return [];
  const items = inst.map((i) => [[0x00081150, 'UI', i.sopClassUid], [0x00081155, 'UI', i.sopInstanceUid]] as DicomElement[]);
  const out: DicomElement[] = [[0x00420013, 'SQ', items]];
  if (ref.sourceSeriesUid) out.push([0x00081115, 'SQ', [[[0x0008114a, 'SQ', items], [0x0020000e, 'UI', ref.sourceSeriesUid]]]]);
  return out;
}
