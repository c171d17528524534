/** What the anonymise stage record says of its method: the profile, its policies and the options. */
import type { AnonymiseOptions } from './anonymise.js';
import { DATES_SHIFT_RECORD } from './dates.js';
import { PROFILE_TABLE_SHA256 } from './profile-table.generated.js';

export const OUTSIDE_TABLE_POLICY = 'unknown attributes removed; free text, names, dates, AE titles and ages removed unless on the '
  + 'retain-safe list (retain.ts); other VRs kept if their value fits the VR; UIDs not defined by the standard replaced like U';
export const COMPOUND_POLICY = 'X/Z→Z; X/D, Z/D, X/Z/D→D; X/Z/U*→keep sequence, replace UIDs inside; C→D; D on a sequence→empty sequence';

/** The anonymise stage record's params. */
export function recordParams(opts: Omit<AnonymiseOptions, 'key'>): Record<string, unknown> {
  return {
    profileTable: 'DICOM PS3.15 Table E.1-1 (confidentiality_profile_attributes.json)',
    profileTableSha256: PROFILE_TABLE_SHA256,
    compoundActions: COMPOUND_POLICY,
    privateAttributes: 'removed',
    overlaysAndCurves: 'removed (groups 60xx and 50xx)',
    commandGroup: 'removed (group 0000)',
    outsideTable: OUTSIDE_TABLE_POLICY,
    sequencesStoredAsUN: 'read (implicit or explicit VR items) and written as SQ; a UN value that is no readable data set is removed',
    uidReplacement: '2.25.<decimal of HMAC-SHA-256(project key, UID), 128 bits as UUID v8>',
    patientKey: 'HMAC-SHA-256(project key, normalised PatientID, PatientName, PatientBirthDate), written to PatientID',
    burnedInAnnotation: opts.burnedInAnnotation ?? 'error',
    dates: opts.dates === 'shift' ? DATES_SHIFT_RECORD : 'Basic Profile actions',
  };
}
