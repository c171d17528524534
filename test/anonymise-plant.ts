/**
 * Test fixture for the anonymiser: copies of a real CT series with identifying values planted
 * in them (written with dcmjs, an independent DICOM writer), and the lists of what must not
 * survive. Used by packages/core/src/anonymise/*.spec.ts and the CLI/Orthanc spec. The data-set
 * walk's leak classes (issue 13) are planted by anonymise-plant-walk.ts.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import { dataPath } from './data.js';

const { DicomMessage } = (dcmjs as any).data;
(dcmjs as any).log?.setLevel?.('silent');

/** Planted values: each must be absent from every byte of the anonymised files. */
export const PLANTED = {
  PatientName: 'Plantfamily^Plantgiven',
  PatientID: 'PID-PLANT-4711',
  PatientBirthDate: '19450817',
  PatientAddress: '12 Plantstreet Plantville',
  ReferringPhysicianName: 'Referrerplant^Doc',
  PerformingPhysicianName: 'Performerplant^Doc',
  OperatorsName: 'Operatorplant^Op',
  InstitutionName: 'Plant General Hospital',
  InstitutionAddress: 'Hospitalstreet 9 Plantcity',
  AccessionNumber: 'ACC-PLANT-99',
  StudyDate: '19870412',
  SeriesDate: '19870413',
  AcquisitionDate: '19870414',
  ContentDate: '19870415',
  StudyID: 'STUDYPLANT',
  OtherPatientIDs: 'OPID-PLANT-1',
  StationName: 'PLANTSTATION',
  PrivateCreator: 'PLANTCREATOR',
  PrivateName: 'Privateplant^Secretname',
  RequestedProcedureID: 'REQPROC-PLANT',
  ScheduledProcedureStepID: 'SPS-PLANT',
  NestedPhysician: 'Nestedplant^Doc',
  NestedAddress: 'Nested Address Plant',
  ReferencedPatientUid: '1.2.826.0.1.3680043.8.498.4711',
  OverlayComment: 'Overlayplant note',
  CurveLabel: 'Curveplant label',
} as const;

/** Attributes the model depends on: their bytes must be unchanged. */
export const GEOMETRY_TAGS = [
  '00200032', '00200037', '00280030', '00180050', '00281052', '00281053', '00180060', '00181210', '00280010', '00280011',
  '00280100', '00280101', '00280102', '00280103', '00280002', '00280004', '00201041', '00181120', '00080070', '00081090',
  '00181151', '00181152', '00181150', '00080060', '00080016', '00280120', '00185100',
] as const;

export interface PlantedSeries {
  dir: string;
  files: string[];
  /** Instance-level UIDs of the planted files (study, series, SOP, frame of reference …). */
  originalUids: string[];
}

function pn(s: string) {
  return { vr: 'PN', Value: [{ Alphabetic: s }] };
}
/** A dcmjs attribute holding one text value of `vr`. */
export function dcmString(vr: string, s: string) {
  return { vr, Value: [s] };
}

/** Copies hardcases/dcmqi-seg/ct-3slice (3 real CT slices) into `dir` with identity planted. */
export function plantSeries(dir: string, opts: { burnedIn?: boolean } = {}): PlantedSeries {
  mkdirSync(dir, { recursive: true });
  const src = dataPath('hardcases', 'dcmqi-seg', 'ct-3slice');
  const names = readdirSync(src).filter((f) => f.endsWith('.dcm')).sort();
  const parsed = names.map((n) => {
    const b = readFileSync(join(src, n));
    return DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  });
  const sopOf = (d: any) => d.dict['00080018'].Value[0] as string;
  const uids = new Set<string>();
  const files: string[] = [];
  parsed.forEach((d: any, i: number) => {
    const next = parsed[(i + 1) % parsed.length];
    for (const t of ['00080018', '0020000D', '0020000E', '00200052']) uids.add(d.dict[t].Value[0]);
    uids.add(d.meta['00020003'].Value[0]);
    const P = PLANTED;
    Object.assign(d.dict, {
      '00100010': pn(P.PatientName),
      '00100020': dcmString('LO', P.PatientID),
      '00100030': dcmString('DA', P.PatientBirthDate),
      '00101040': dcmString('LO', P.PatientAddress),
      '00101000': dcmString('LO', P.OtherPatientIDs),
      '00080090': pn(P.ReferringPhysicianName),
      '00081050': pn(P.PerformingPhysicianName),
      '00081070': pn(P.OperatorsName),
      '00080080': dcmString('LO', P.InstitutionName),
      '00080081': dcmString('ST', P.InstitutionAddress),
      '00080050': dcmString('SH', P.AccessionNumber),
      '00080020': dcmString('DA', P.StudyDate),
      '00080021': dcmString('DA', P.SeriesDate),
      '00080022': dcmString('DA', P.AcquisitionDate),
      '00080023': dcmString('DA', P.ContentDate),
      '00080012': dcmString('DA', P.ContentDate),
      '00200010': dcmString('SH', P.StudyID),
      '00081010': dcmString('SH', P.StationName),
      '00090010': dcmString('LO', P.PrivateCreator),
      '00091001': dcmString('LO', P.PrivateName),
      '00280301': dcmString('CS', opts.burnedIn ? 'YES' : 'NO'),
      // An overlay plane (60xx) and a retired curve (50xx): masks in the table.
      '60000010': { vr: 'US', Value: [16] },
      '60000011': { vr: 'US', Value: [16] },
      '60000040': dcmString('CS', 'G'),
      '60000050': { vr: 'SS', Value: [1, 1] },
      '60000100': { vr: 'US', Value: [1] },
      '60000102': { vr: 'US', Value: [0] },
      '60003000': { vr: 'OW', Value: [new Uint8Array(32).fill(0xa5).buffer] },
      '60004000': dcmString('LT', P.OverlayComment),
      '50002500': dcmString('LO', P.CurveLabel),
      // Request Attributes Sequence (X): removed with everything in it.
      '00400275': { vr: 'SQ', Value: [{ '00401001': dcmString('SH', P.RequestedProcedureID), '00400009': dcmString('SH', P.ScheduledProcedureStepID) }] },
      // Referenced Patient Sequence (X).
      '00081120': { vr: 'SQ', Value: [{ '00081150': dcmString('UI', '1.2.840.10008.3.1.2.1.4'), '00081155': dcmString('UI', P.ReferencedPatientUid) }] },
      // A sequence the profile keeps (not in the table): the table must apply inside its items.
      '00082218': {
        vr: 'SQ',
        Value: [{ '00080100': dcmString('SH', 'T-D1100'), '00080102': dcmString('SH', 'SRT'), '00080104': dcmString('LO', 'Head'), '00080090': pn(P.NestedPhysician), '00101040': dcmString('LO', P.NestedAddress) }],
      },
      // Referenced Image Sequence (X/Z/U*): kept, its UIDs replaced like the files they point to.
      '00081140': { vr: 'SQ', Value: [{ '00081150': dcmString('UI', '1.2.840.10008.5.1.4.1.1.2'), '00081155': dcmString('UI', sopOf(next)) }] },
    });
    const out = join(dir, names[i]!);
    writeFileSync(out, Buffer.from(d.write()));
    files.push(out);
  });
  uids.add(PLANTED.ReferencedPatientUid);
  return { dir, files, originalUids: [...uids] };
}

/** Every planted string, plus its upper-case form (PN values are often upper-cased). */
export function forbiddenStrings(): string[] {
  const out = new Set<string>();
  for (const v of Object.values(PLANTED)) {
    out.add(v);
    out.add(v.toUpperCase());
    // PN components separately (family and given names).
    if (v.includes('^')) for (const c of v.split('^')) if (c.length > 3) out.add(c);
  }
  return [...out];
}

/** Positions where `needle` (Latin-1/ASCII) occurs in `hay`. */
export function findBytes(hay: Uint8Array, needle: string): number {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(Buffer.from(needle, 'latin1'));
}

/**
 * One real CT slice carrying every exact attribute of the profile table (groups 0000/0002/0004
 * left out: command, meta and directory groups do not belong in a dataset), each with a
 * distinctive value of its VR; sequences get one item with a code. For the peer comparison.
 */
export function plantEveryProfileAttribute(out: string, table: readonly (readonly [string, string, string, string])[]): string[] {
  const src = dataPath('hardcases', 'dcmqi-seg', 'ct-3slice', '01.dcm');
  const b = readFileSync(src);
  const d = DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  const planted: string[] = [];
  table.forEach(([id, , vr], i) => {
    if (!/^[0-9a-f]{8}$/.test(id) || ['0000', '0002', '0004'].includes(id.slice(0, 4))) return;
    const tag = id.toUpperCase();
    const n = String(i).padStart(3, '0');
    let v: any;
    switch (vr) {
      case 'DA': v = dcmString(vr, `1960${n.slice(1)}1`.slice(0, 8)); break;
      case 'TM': v = dcmString(vr, `10${n}0`); break;
      case 'DT': v = dcmString(vr, `19600101${n}000`); break;
      case 'UI': v = dcmString(vr, `1.2.826.0.1.3680043.8.498.77${n}`); break;
      case 'DS': case 'IS': v = dcmString(vr, `7${n}`); break;
      case 'AS': v = dcmString(vr, '042Y'); break;
      case 'US': v = { vr, Value: [4242] }; break;
      case 'CS': v = dcmString(vr, `PLANT${n}`); break;
      case 'AE': v = dcmString(vr, `PLANTAE${n}`); break;
      case 'PN': v = pn(`Plant${n}^Person`); break;
      case 'OB': case 'UN': v = { vr, Value: [new Uint8Array([0x50, 0x4c, 0x41, 0x4e, 0x54, 0x21]).buffer] }; break;
      case 'SQ': v = { vr, Value: [{ '00080100': dcmString('SH', `C${n}`), '00080102': dcmString('SH', 'DCM'), '00080104': dcmString('LO', `Plant code ${n}`) }] }; break;
      case 'UR': v = dcmString(vr, `http://plant${n}.invalid/`); break;
      default: v = dcmString(vr, `Plant value ${n}`);
    }
    d.dict[tag] = v;
    planted.push(`(${tag.slice(0, 4)},${tag.slice(4)})`);
  });
  writeFileSync(out, Buffer.from(d.write()));
  return planted;
}
