/**
 * One received DICOM instance, on arrival and in memory: checked against the PS3.15 Basic
 * Profile (core's findIdentifyingAttributes) and, when it still identifies the patient,
 * anonymised here if the organisation switched server-side anonymisation on, else refused.
 * What comes out names no one: the study it is grouped into is its (anonymised) Study
 * Instance UID, so the identifiable original is dropped as soon as this returns.
 */
import dicomParser from 'dicom-parser';
import { anonymiseDataset, describeIdentifiability, findIdentifyingAttributes, IMPLEMENTATION_CLASS_UID, isScanError } from '@scan2print/core';

export interface OrgAnonymisation {
  server_anonymise: boolean;
  anonymise_key: string;
}

export interface AcceptedInstance {
  bytes: Uint8Array;
  studyUid: string;
  seriesUid: string | null;
  sopUid: string | null;
  instanceNumber: number | null;
  /** Images in Acquisition (0020,1002) when the sender wrote it: how many to expect. */
  imagesInAcquisition: number | null;
  /**
   * PatientID (0010,0020) as held: core's keyed patient key when anonymised here, else what the
   * sender's own anonymisation left ('' when absent). Names no one; it tells the patients of a
   * study apart (study-assembler.ts) and is never logged.
   */
  patientKey: string;
  by: 'checked' | 'server';
}

export type InstanceOutcome =
  | { ok: true; instance: AcceptedInstance }
  | { ok: false; code: 'NOT_DICOM' | 'IDENTIFIABLE' | 'NO_STUDY' | 'OTHER_PATIENT' | 'NOT_STORED'; message: string };

function intOf(ds: dicomParser.DataSet, tag: string): number | null {
  const v = ds.string(tag)?.trim();
  if (!v) return null;
  const n = Number(v);
  return Number.isInteger(n) ? n : null;
}

export async function acceptInstance(bytes: Uint8Array, name: string, org: OrgAnonymisation): Promise<InstanceOutcome> {
  let report;
  try {
    report = findIdentifyingAttributes(bytes, name);
  } catch (e) {
    return { ok: false, code: 'NOT_DICOM', message: isScanError(e) ? e.message : `${name}: cannot be read as DICOM` };
  }
  let out = bytes;
  let by: AcceptedInstance['by'] = 'checked';
  if (!report.anonymised) {
    if (!org.server_anonymise) {
      return {
        ok: false,
        code: 'IDENTIFIABLE',
        message: `${describeIdentifiability(report)}; this organisation does not anonymise on the server (an org-admin can switch it on)`,
      };
    }
    try {
      out = (await anonymiseDataset(bytes, name, { key: org.anonymise_key })).bytes;
    } catch (e) {
      return { ok: false, code: 'NOT_DICOM', message: isScanError(e) ? e.message : `${name}: could not be anonymised` };
    }
    const again = findIdentifyingAttributes(out, name);
    // Never hold what our own check would refuse.
    if (!again.anonymised) return { ok: false, code: 'IDENTIFIABLE', message: `${describeIdentifiability(again)} (after server-side anonymisation)` };
    by = 'server';
  }
  let ds: dicomParser.DataSet;
  try {
    ds = dicomParser.parseDicom(out, { untilTag: 'x7fe00010' });
  } catch {
    return { ok: false, code: 'NOT_DICOM', message: `${name}: cannot be read as DICOM` };
  }
  const studyUid = ds.string('x0020000d')?.trim();
  if (!studyUid) return { ok: false, code: 'NO_STUDY', message: `${name}: no Study Instance UID (0020,000D)` };
  return {
    ok: true,
    instance: {
      bytes: out,
      studyUid,
      seriesUid: ds.string('x0020000e')?.trim() || null,
      sopUid: ds.string('x00080018')?.trim() || null,
      instanceNumber: intOf(ds, 'x00200013'),
      imagesInAcquisition: intOf(ds, 'x00201002'),
      patientKey: ds.string('x00100020')?.trim() ?? '',
      by,
    },
  };
}

/**
 * A DIMSE data set (as C-STORE carries it: no preamble, no file meta) as a Part 10 file, the
 * form the rest of the server reads. The meta group is written here (explicit VR little
 * endian, PS3.10 7.1) rather than by dcmjs, which would parse and re-encode the whole data
 * set, pixels included, for nothing.
 */
export function part10(dataset: Uint8Array, meta: { sopClassUid: string; sopInstanceUid: string; transferSyntaxUid: string }): Uint8Array {
  const enc = new TextEncoder();
  const elements: Uint8Array[] = [];
  const el = (elem: number, vr: string, value: Uint8Array) => {
    const long = vr === 'OB';
    const head = new Uint8Array(long ? 12 : 8);
    const dv = new DataView(head.buffer);
    dv.setUint16(0, 0x0002, true);
    dv.setUint16(2, elem, true);
    head[4] = vr.charCodeAt(0);
    head[5] = vr.charCodeAt(1);
    if (long) dv.setUint32(8, value.length, true);
    else dv.setUint16(6, value.length, true);
    elements.push(head, value);
  };
  const ui = (s: string) => {
    const b = enc.encode(s.length % 2 ? `${s}\0` : s);
    return b;
  };
  const sh = (s: string) => enc.encode(s.length % 2 ? `${s} ` : s);
  el(0x0001, 'OB', new Uint8Array([0, 1]));
  el(0x0002, 'UI', ui(meta.sopClassUid));
  el(0x0003, 'UI', ui(meta.sopInstanceUid));
  el(0x0010, 'UI', ui(meta.transferSyntaxUid));
  // Core's anonymiser's own (a replacement UID, which the anonymisation check takes): any other
  // value of ours would have every correctly anonymised C-STORE instance refused.
  el(0x0012, 'UI', ui(IMPLEMENTATION_CLASS_UID));
  el(0x0013, 'SH', sh('SCAN2PRINT'));
  const groupBytes = elements.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(128 + 4 + 12 + groupBytes + dataset.length);
  out.set(enc.encode('DICM'), 128);
  const gl = new DataView(out.buffer, 132, 12);
  gl.setUint16(0, 0x0002, true);
  gl.setUint16(2, 0x0000, true);
  out[136] = 0x55; // 'U'
  out[137] = 0x4c; // 'L'
  gl.setUint16(6, 4, true);
  gl.setUint32(8, groupBytes, true);
  let at = 144;
  for (const b of elements) {
    out.set(b, at);
    at += b.length;
  }
  out.set(dataset, at);
  return out;
}
