/**
 * A real CT series with a patient's identity planted in every file (written with dcmjs, an
 * independent DICOM writer), as a folder for the upload page, and the scans that prove none
 * of it was sent or stored: every needle as Latin-1/UTF-8 and UTF-16 (LE and BE), in raw
 * bytes and inside zips.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import { unzipSync } from 'fflate';
import { dataPath } from '../data.js';

const { DicomMessage } = (dcmjs as any).data;
(dcmjs as any).log?.setLevel?.('silent');

/** Distinctive values: none of them can occur in a real file by chance. */
export const PLANTED_UPLOAD = {
  PatientName: 'Quorvinaplant^Zyxbertha',
  PatientID: 'PID-QZX-908172',
  PatientBirthDate: '19391127',
  PatientAddress: 'Quorvinastrasse 17 Plantdorf',
  OtherPatientIDs: 'OPID-QZX-5531',
  InstitutionName: 'Qwertzplant Klinikum',
  InstitutionAddress: 'Klinikweg 3 Qwertzstadt',
  ReferringPhysicianName: 'Refplantqz^Doktor',
  AccessionNumber: 'ACC-QZX-7731',
  StudyDescription: 'Studyplantqz head for Quorvina',
  StationName: 'QZXSTATION9',
  PrivateCreator: 'QZXPRIVATECREATOR',
  PrivateValue: 'Privplantqz secret value',
} as const;

export interface PlantedFolder {
  dir: string;
  /** DICOM files written (one per slice of the source series). */
  slices: number;
  /** Original UIDs (study, series, frame of reference, first and last SOP instance). */
  uids: string[];
}

function pn(s: string) {
  return { vr: 'PN', Value: [{ Alphabetic: s }] };
}
function str(vr: string, s: string) {
  return { vr, Value: [s] };
}

/** Copies ct/<series> into `dir` with PLANTED_UPLOAD in every file, plus a note file naming the patient (not DICOM). */
export async function plantUploadFolder(series: string, dir: string): Promise<PlantedFolder> {
  mkdirSync(dir, { recursive: true });
  const src = dataPath('ct', series);
  const names = readdirSync(src).filter((n) => !/^(DICOMDIR|DIRFILE)$/i.test(n)).sort();
  const P = PLANTED_UPLOAD;
  const uids = new Set<string>();
  const sops: string[] = [];
  for (const name of names) {
    const b = readFileSync(join(src, name));
    const d = DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    for (const t of ['0020000D', '0020000E', '00200052']) if (d.dict[t]?.Value?.[0]) uids.add(d.dict[t].Value[0]);
    sops.push(d.dict['00080018'].Value[0]);
    Object.assign(d.dict, {
      '00100010': pn(P.PatientName),
      '00100020': str('LO', P.PatientID),
      '00100030': str('DA', P.PatientBirthDate),
      '00101040': str('LO', P.PatientAddress),
      '00101000': str('LO', P.OtherPatientIDs),
      '00080080': str('LO', P.InstitutionName),
      '00080081': str('ST', P.InstitutionAddress),
      '00080090': pn(P.ReferringPhysicianName),
      '00080050': str('SH', P.AccessionNumber),
      '00081030': str('LO', P.StudyDescription),
      '00081010': str('SH', P.StationName),
      '00290010': str('LO', P.PrivateCreator),
      '00291001': str('LO', P.PrivateValue),
    });
    writeFileSync(join(dir, `${name}.dcm`), Buffer.from(d.write()));
    await tick();
  }
  // A desktop note beside the images: not DICOM, so never sent.
  writeFileSync(join(dir, 'patient-note.txt'), `${P.PatientName} ${P.PatientID} born ${P.PatientBirthDate}\n`);
  uids.add(sops[0]!);
  uids.add(sops[sops.length - 1]!);
  return { dir, slices: names.length, uids: [...uids] };
}

/** Lets the test worker answer its runner between pieces of synchronous work (see test/loop-watch.ts). */
export const tick = () => new Promise<void>((r) => setImmediate(r));

/** Every planted value, upper-cased too, and the PN components alone. */
export function uploadNeedles(extra: readonly string[] = []): string[] {
  const out = new Set<string>(extra);
  for (const v of Object.values(PLANTED_UPLOAD)) {
    out.add(v);
    out.add(v.toUpperCase());
    for (const c of v.split('^')) if (c.length > 5) out.add(c);
  }
  return [...out];
}

function encodings(s: string): Buffer[] {
  const le = Buffer.from(s, 'utf16le');
  const be = Buffer.from(le);
  be.swap16();
  const out = [Buffer.from(s, 'latin1'), le, be];
  // UTF-8 differs from Latin-1 only outside ASCII.
  if ([...s].some((c) => c.charCodeAt(0) > 0x7f)) out.push(Buffer.from(s, 'utf8'));
  return out;
}

function isZip(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;
}

/** The needles found in `bytes`, as they are and, for a zip, in each entry unpacked. `where` names the place. */
export async function leaks(bytes: Uint8Array, needles: readonly string[], where: string): Promise<string[]> {
  const out: string[] = [];
  const scan = (b: Uint8Array, at: string) => {
    const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    for (const n of needles) if (encodings(n).some((e) => buf.includes(e))) out.push(`${at}: ${n}`);
  };
  scan(bytes, where);
  if (isZip(bytes)) {
    let entries: Record<string, Uint8Array> = {};
    try {
      entries = unzipSync(bytes);
    } catch {
      // a partial zip (one tus chunk): the whole body is scanned below
    }
    for (const [name, b] of Object.entries(entries)) {
      scan(b, `${where} → ${name}`);
      await tick();
    }
  }
  return out;
}

export interface CapturedPatch {
  offset: number;
  body: Uint8Array;
}

/** The bytes the server received, rebuilt from the tus PATCH bodies the browser sent (later ones overwrite). */
export function reassemble(patches: readonly CapturedPatch[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  const have = new Uint8Array(length);
  for (const p of patches) {
    out.set(p.body.subarray(0, Math.max(0, length - p.offset)), p.offset);
    have.fill(1, p.offset, Math.min(length, p.offset + p.body.length));
  }
  const missing = have.indexOf(0);
  if (missing >= 0) throw new Error(`the PATCH bodies do not cover byte ${missing} of ${length}`);
  return out;
}
