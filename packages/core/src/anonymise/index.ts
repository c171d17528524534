export {
  anonymiseDataset,
  anonymisedFileName,
  createAnonymiser,
  COMPOUND_POLICY,
  DEIDENTIFICATION_METHOD,
  type ActionCounts,
  type AnonymiseOptions,
  type AnonymiseResult,
  type AnonymiseSummary,
  type Anonymiser,
} from './anonymise.js';
export { deriveUid, keyBytes, normalisePatientIdentity, patientKey, IMPLEMENTATION_CLASS_UID, MIN_KEY_BYTES, type PatientIdentity } from './keys.js';
export { resolveAction, profileEntries, type AppliedAction, type ProfileEntry } from './profile.js';
export { hmacSha256, sha256 as sha256Sync } from './sha256.js';
export { PROFILE_TABLE, PROFILE_TABLE_SHA256, type ProfileTableRow } from './profile-table.generated.js';
export {
  describeIdentifiability,
  findIdentifyingAttributes,
  isReplacementUid,
  type IdentifiabilityReport,
  type IdentifyingAttribute,
} from './check.js';
