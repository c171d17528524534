/**
 * Keyed, one-way identifiers: replacement UIDs and the patient key.
 *
 * Both are HMAC-SHA-256 under the project key, with a domain prefix so a UID can never collide
 * with a patient key. Same key + same input → same output, in every file, run and machine;
 * another key → unrelated output; without the key the input cannot be recovered or tested.
 */
import { usageError } from '../errors.js';
import { hmacSha256, sha256, toHex, utf8Bytes } from './sha256.js';

export const MIN_KEY_BYTES = 16;

export function keyBytes(key: Uint8Array | string): Uint8Array {
  const k = typeof key === 'string' ? utf8Bytes(key) : key;
  if (k.length < MIN_KEY_BYTES) throw usageError('ANON_KEY_TOO_SHORT', `the anonymisation key must be at least ${MIN_KEY_BYTES} bytes (got ${k.length})`);
  return k;
}

/** 128 bits as a UUID (version 8, RFC 9562 variant), written as a 2.25 UID (ITU-T X.667). */
export function uuidBitsToUid(bits: Uint8Array): string {
  const b = bits.slice(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return `2.25.${BigInt('0x' + toHex(b)).toString(10)}`;
}

/** The replacement for `uid` under `key`: 2.25.<decimal of 128 HMAC bits>. */
export function deriveUid(key: Uint8Array, uid: string): string {
  return uuidBitsToUid(hmacSha256(key, utf8Bytes(`scan2print-uid\u0000${uid}`)));
}

/** The UID naming this software in the file meta (ImplementationClassUID), fixed for all keys. */
export const IMPLEMENTATION_CLASS_UID = uuidBitsToUid(sha256(utf8Bytes('scan2print implementation class')));

export interface PatientIdentity {
  /** PatientID (0010,0020). */
  id?: string;
  /** PatientName (0010,0010), DICOM PN: family^given^middle^prefix^suffix (=ideographic=phonetic). */
  name?: string;
  /** PatientBirthDate (0010,0030), YYYYMMDD. */
  birthDate?: string;
}

function normText(s: string): string {
  return s.normalize('NFC').toUpperCase().trim().replace(/\s+/g, ' ');
}

/**
 * The normalisation a site applies before hashing, so that cosmetic differences do not change
 * the key: Unicode NFC, upper case, trimmed, runs of white space collapsed to one space; the name
 * keeps only its first (alphabetic) component group, each ^-separated component normalised,
 * trailing empty components dropped; the birth date keeps its digits (YYYYMMDD).
 */
export function normalisePatientIdentity(p: PatientIdentity): { id: string; name: string; birthDate: string } {
  const id = normText(p.id ?? '');
  const comps = (p.name ?? '').split('=')[0]!.split('^').map(normText);
  while (comps.length > 0 && comps[comps.length - 1] === '') comps.pop();
  const digits = (p.birthDate ?? '').replace(/[^0-9]/g, '');
  return { id, name: comps.join('^'), birthDate: digits.length >= 8 ? digits.slice(0, 8) : digits };
}

/** One-way patient key: hex HMAC-SHA-256 of the normalised "ID\0NAME\0BIRTHDATE" (64 hex digits). */
export function patientKey(key: Uint8Array, p: PatientIdentity): string {
  const n = normalisePatientIdentity(p);
  return toHex(hmacSha256(key, utf8Bytes(`scan2print-patient\u0000${n.id}\u0000${n.name}\u0000${n.birthDate}`)));
}
