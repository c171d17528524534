import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import dcmjs from 'dcmjs';
import dicomParser from 'dicom-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBytes, PLANTED, plantSeries } from '../../../../test/anonymise-plant.js';
import { ROOT } from '../../../../test/data.js';
import { runTool } from '../../../../test/run-tool.js';
import { createAnonymiser, type AnonymiseResult } from './anonymise.js';
import { findIdentifyingAttributes } from './check.js';
import {
  createDateShifter,
  dateShiftDays,
  isLongitudinalDateTag,
  LONGITUDINAL_DATE_TAGS_HEX,
  MAX_SHIFT_DAYS,
  pairedDateTag,
  shiftDate,
  shiftDateTime,
} from './dates.js';
import { keyBytes } from './keys.js';

/**
 * The PS3.15 "Retain Longitudinal Temporal Information with Modified Dates" option (issue 13) on a
 * real CT series (hardcases/dcmqi-seg/ct-3slice, identity planted by test/anonymise-plant.ts) made
 * into two studies of one patient, years apart, and one study of another patient.
 */

const { DicomMessage } = (dcmjs as any).data;
/** PS3.6 dictionary by '(GGGG,EEEE)': the VRs the option's rows are filtered by. */
const dictionary = (dcmjs as any).data.DicomMetaDictionary.dictionary as Record<string, { vr: string } | undefined>;
const KEY = 'dates-project-key-0123456789abcdef';
const JSON_PATH = process.env.SCAN2PRINT_PROFILE_JSON ?? resolve(ROOT, '../shared/dicom-standard/confidentiality_profile_attributes.json');

const STUDY2 = { StudyDate: '19910305', SeriesDate: '19910306', AcquisitionDate: '19910307', ContentDate: '19910308' };
const OTHER_PATIENT = { PatientName: 'Otherpatient^Anna', PatientID: 'PID-OTHER-0815', PatientBirthDate: '19600202' };

function days(a: string, b: string): number {
  const t = (s: string) => Date.UTC(Number(s.slice(0, 4)), Number(s.slice(4, 6)) - 1, Number(s.slice(6, 8)));
  return Math.round((t(b) - t(a)) / 86_400_000);
}

function str(ds: any, tag: string): string | undefined {
  return ds.string('x' + tag.toLowerCase());
}

/** Rewrites planted files with dcmjs: dates, times, identity, and UIDs made distinct per study (suffix). */
interface Variant {
  dates?: Record<string, string>;
  patient?: typeof OTHER_PATIENT;
  uidSuffix: string;
}
const DATE_TAGS: Record<string, string> = {
  StudyDate: '00080020', SeriesDate: '00080021', AcquisitionDate: '00080022', ContentDate: '00080023',
};

function variant(files: string[], dir: string, opts: Variant): string[] {
  const tags = DATE_TAGS;
  return files.map((f, i) => {
    const b = readFileSync(f);
    const d = DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    for (const [k, v] of Object.entries(opts.dates ?? {})) d.dict[tags[k]!] = { vr: 'DA', Value: [v] };
    const date = (opts.dates?.AcquisitionDate ?? PLANTED.AcquisitionDate) as string;
    // A time with its date, a date-time, and a time without its date (Contrast/Bolus Start Time, X).
    d.dict['00080030'] = { vr: 'TM', Value: ['101530'] };
    d.dict['0008002A'] = { vr: 'DT', Value: [`${date}101530.5+0100`] };
    d.dict['00181042'] = { vr: 'TM', Value: ['101000'] };
    if (opts.patient) {
      d.dict['00100010'] = { vr: 'PN', Value: [{ Alphabetic: opts.patient.PatientName }] };
      d.dict['00100020'] = { vr: 'LO', Value: [opts.patient.PatientID] };
      d.dict['00100030'] = { vr: 'DA', Value: [opts.patient.PatientBirthDate] };
    }
    for (const t of ['0020000D', '0020000E', '00080018']) d.dict[t].Value = [`${d.dict[t].Value[0]}${opts.uidSuffix}`];
    d.meta['00020003'].Value = [d.dict['00080018'].Value[0]];
    const out = join(dir, `${opts.uidSuffix.replace(/\D/g, '') || '0'}-${i}.dcm`);
    writeFileSync(out, Buffer.from(d.write()));
    return out;
  });
}

/** Every DA value, and the date of every DT value, anywhere in a file (sequences included). */
function originalDates(bytes: Uint8Array): Set<string> {
  const out = new Set<string>();
  const visit = (ds: any) => {
    for (const el of Object.values(ds.elements) as any[]) {
      if (el.items) for (const item of el.items) if (item.dataSet) visit(item.dataSet);
      const vr = el.vr ?? dictionary[`(${el.tag.slice(1, 5)},${el.tag.slice(5)})`.toUpperCase()]?.vr;
      if ((vr === 'DA' || vr === 'DT') && el.length > 0) {
        const v = ds.string(el.tag) as string | undefined;
        for (const s of (v ?? '').split('\\')) if (/^\d{8}/.test(s)) out.add(s.slice(0, 8));
      }
    }
  };
  visit(dicomParser.parseDicom(bytes));
  return out;
}

describe('date shift: offsets, values, the option table', () => {
  it('LONGITUDINAL_DATE_TAGS_HEX is the DA/DT/TM rows with C in the option column of the standard table', () => {
    const rows = JSON.parse(readFileSync(JSON_PATH, 'utf8')) as { id: string; tag: string; rtnLongModifDatesOpt?: string }[];
    const want = rows
      .filter((r) => r.rtnLongModifDatesOpt === 'C' && ['DA', 'DT', 'TM'].includes(dictionary[r.tag.toUpperCase()]?.vr ?? ''))
      .map((r) => r.id)
      .sort();
    expect(want.length).toBe(162);
    expect(LONGITUDINAL_DATE_TAGS_HEX).toBe(want.join(''));
    expect(isLongitudinalDateTag(0x00080020)).toBe(true);
    // Not in the option: birth date (Z), and the C rows that are not dates.
    expect(isLongitudinalDateTag(0x00100030)).toBe(false);
    expect(isLongitudinalDateTag(0x00080201)).toBe(false);
  });

  it('pairs times with their dates by name, and leaves a time without a date unpaired', () => {
    expect(pairedDateTag(0x00080030)).toBe(0x00080020); // Study Time → Study Date
    expect(pairedDateTag(0x00080033)).toBe(0x00080023); // Content Time → Content Date
    expect(pairedDateTag(0x00181201)).toBe(0x00181200); // Time of Last Calibration → Date of Last Calibration
    expect(pairedDateTag(0x00181042)).toBeUndefined(); // Contrast/Bolus Start Time
  });

  it('shifts exact dates across month, year and leap day; refuses what it cannot shift exactly', () => {
    expect(shiftDate('20240228', 1)).toBe('20240229');
    expect(shiftDate('20240301', -1)).toBe('20240229');
    expect(shiftDate('20231231', 1)).toBe('20240101');
    expect(shiftDate('1987.04.12', 10)).toBe('19870422');
    expect(shiftDate('00010101', -1)).toBeUndefined();
    expect(shiftDate('20230229', 1)).toBeUndefined();
    expect(shiftDate('202302', 1)).toBeUndefined();
    expect(shiftDate('ANONYMISED', 1)).toBeUndefined();
    expect(shiftDateTime('19870414101530.5+0100', -3)).toBe('19870411101530.5+0100');
    expect(shiftDateTime('1987', -3)).toBeUndefined();
  });

  it('the offset is whole days in [−365, −1] ∪ [1, 365], keyed, and spread over the range', () => {
    const k = keyBytes(KEY);
    const seen = new Set<number>();
    for (let i = 0; i < 3000; i++) {
      const d = dateShiftDays(k, { id: `P${i}`, name: 'Doe^John', birthDate: '19700101' });
      expect(Number.isInteger(d) && d !== 0 && Math.abs(d) <= MAX_SHIFT_DAYS, String(d)).toBe(true);
      seen.add(d);
    }
    // 3000 draws from 730 values: all but a handful appear.
    expect(seen.size).toBeGreaterThan(700);
    expect(Math.min(...seen)).toBe(-365);
    expect(Math.max(...seen)).toBe(365);
    // Cosmetic differences in the identity do not change it (the patient key's normalisation); the key does.
    const p = { id: 'pid-1', name: 'Doe^John', birthDate: '19700101' };
    expect(dateShiftDays(k, { id: ' PID-1 ', name: 'DOE^JOHN^^', birthDate: '1970-01-01' })).toBe(dateShiftDays(k, p));
    const others = ['another-project-key-0123456789', 'third-project-key-0123456789ab'].map((x) => dateShiftDays(keyBytes(x), p));
    expect(others.some((d) => d !== dateShiftDays(k, p))).toBe(true);
  });

  it('a time is kept only when its date in the same data set was shifted', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    const s = createDateShifter(5);
    const date = { tag: 0x00080020, vr: 'DA', value: enc('19870412') };
    const time = { tag: 0x00080030, vr: 'TM', value: enc('101530') };
    expect(s.apply(time, 'TM', 'Z', [date, time])?.value).toEqual(time.value);
    expect(s.apply(time, 'TM', 'Z', [time])).toBeUndefined();
    expect(s.apply(time, 'TM', 'Z', [{ ...date, value: enc('1987') }, time])).toBeUndefined();
    expect(new TextDecoder().decode(s.apply(date, 'DA', 'Z', [date, time])!.value)).toBe('19870417');
    expect([s.shifted, s.notShifted]).toEqual([2, 2]);
  });
});

describe('date shift on real CT: two studies of one patient, one of another', () => {
  let tmp: string;
  let study1: string[];
  let study2: string[];
  let other: string[];
  let shifted: AnonymiseResult[][];
  let removed: AnonymiseResult[];
  let d: number;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 's2p-dates-'));
    const planted = plantSeries(join(tmp, 'planted')).files;
    study1 = variant(planted, tmp, { uidSuffix: '.1' });
    study2 = variant(planted, tmp, { dates: STUDY2, uidSuffix: '.2' });
    other = variant(planted, tmp, { patient: OTHER_PATIENT, uidSuffix: '.3' });
    const anon = createAnonymiser(KEY, { dates: 'shift' });
    shifted = [study1, study2, other].map((files) => files.map((f) => anon.anonymiseSync(new Uint8Array(readFileSync(f)), f)));
    const plain = createAnonymiser(KEY);
    removed = study1.map((f) => plain.anonymiseSync(new Uint8Array(readFileSync(f)), f));
    d = dateShiftDays(keyBytes(KEY), { id: PLANTED.PatientID, name: PLANTED.PatientName, birthDate: PLANTED.PatientBirthDate });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('moves both studies of the patient by the same offset, keeping the interval; dates-times and times follow', () => {
    const ds1 = dicomParser.parseDicom(shifted[0]![0]!.bytes);
    const ds2 = dicomParser.parseDicom(shifted[1]![0]!.bytes);
    expect(str(ds1, '00080020')).toBe(shiftDate(PLANTED.StudyDate, d));
    expect(str(ds2, '00080020')).toBe(shiftDate(STUDY2.StudyDate, d));
    expect(days(str(ds1, '00080020')!, str(ds2, '00080020')!)).toBe(days(PLANTED.StudyDate, STUDY2.StudyDate));
    for (const [tag, orig1, orig2] of [
      ['00080021', PLANTED.SeriesDate, STUDY2.SeriesDate],
      ['00080022', PLANTED.AcquisitionDate, STUDY2.AcquisitionDate],
      ['00080023', PLANTED.ContentDate, STUDY2.ContentDate],
    ] as const) {
      expect(days(orig1, str(ds1, tag)!), tag).toBe(d);
      expect(days(orig2, str(ds2, tag)!), tag).toBe(d);
    }
    expect(str(ds1, '0008002a')).toBe(`${shiftDate(PLANTED.AcquisitionDate, d)}101530.5+0100`);
    expect(str(ds1, '00080030')).toBe('101530'); // Study Time, with its shifted Study Date
    expect(ds1.elements.x00181042).toBeUndefined(); // Contrast/Bolus Start Time: no date with it, X
    expect(str(ds1, '00100030') ?? '').toBe(''); // birth date: not in the option, emptied
    expect(shifted[0]![0]!.summary.dateShift!.shifted).toBeGreaterThanOrEqual(7);
  });

  it('gives another patient another offset', () => {
    const dOther = days(PLANTED.StudyDate, str(dicomParser.parseDicom(shifted[2]![0]!.bytes), '00080020')!);
    const p = OTHER_PATIENT;
    expect(dOther).toBe(dateShiftDays(keyBytes(KEY), { id: p.PatientID, name: p.PatientName, birthDate: p.PatientBirthDate }));
    expect(dOther).not.toBe(d);
    expect(shifted[2]![0]!.summary.patientKey).not.toBe(shifted[0]![0]!.summary.patientKey);
  });

  it('is deterministic: the same key gives the same bytes', () => {
    const again = createAnonymiser(KEY, { dates: 'shift' });
    for (const [i, f] of [...study1, ...study2].entries()) {
      const r = again.anonymiseSync(new Uint8Array(readFileSync(f)), f);
      expect(Buffer.from(r.bytes).equals(Buffer.from(shifted[Math.floor(i / 3)]![i % 3]!.bytes)), f).toBe(true);
    }
  });

  it('leaves no original date in any output byte', () => {
    const leaks: string[] = [];
    let dates = 0;
    for (const [s, files] of [study1, study2, other].entries()) {
      files.forEach((f, i) => {
        const orig = originalDates(new Uint8Array(readFileSync(f)));
        dates += orig.size;
        const dotted = [...orig].map((x) => `${x.slice(0, 4)}.${x.slice(4, 6)}.${x.slice(6)}`);
        for (const o of [...orig, ...dotted]) if (findBytes(shifted[s]![i]!.bytes, o) >= 0) leaks.push(`${f}: ${o}`);
      });
    }
    expect(dates).toBeGreaterThan(9 * 5);
    expect(leaks).toEqual([]);
  });

  it('records the option: (0028,0303) MODIFIED, code 113107, method, summary; never the offset', () => {
    const r = shifted[0]![0]!;
    const ds = dicomParser.parseDicom(r.bytes);
    expect(str(ds, '00280303')).toBe('MODIFIED');
    const codes = ds.elements.x00120064!.items!.map((it: any) => it.dataSet.string('x00080100'));
    expect(codes).toEqual(['113100', '113107']);
    expect(str(ds, '00120063')).toMatch(/dates shifted/);
    const anon = createAnonymiser(KEY, { dates: 'shift' });
    anon.anonymiseSync(new Uint8Array(readFileSync(study1[0]!)), study1[0]!);
    const record = JSON.stringify(anon.record());
    expect(record).toMatch(/Modified Dates/);
    expect(JSON.stringify(r.summary)).not.toMatch(new RegExp(`"(offset|days)"`));
  });

  it('the default run is unchanged: dates emptied, no (0028,0303), same bytes as dates: "remove"', () => {
    const explicit = createAnonymiser(KEY, { dates: 'remove' });
    for (const [i, f] of study1.entries()) {
      const ds = dicomParser.parseDicom(removed[i]!.bytes);
      expect(str(ds, '00080020') ?? '').toBe('');
      expect(ds.elements.x00280303).toBeUndefined();
      expect(removed[i]!.summary.dateShift).toBeUndefined();
      const again = explicit.anonymiseSync(new Uint8Array(readFileSync(f)), f).bytes;
      expect(Buffer.from(again).equals(Buffer.from(removed[i]!.bytes))).toBe(true);
    }
  });

  it("an input's (0028,0303) UNMODIFIED becomes REMOVED by default, MODIFIED with the option", () => {
    const b = readFileSync(study1[0]!);
    const d = DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    d.dict['00280303'] = { vr: 'CS', Value: ['UNMODIFIED'] };
    const input = new Uint8Array(Buffer.from(d.write()));
    const flag = (opts: { dates?: 'shift' | 'remove' }) =>
      str(dicomParser.parseDicom(createAnonymiser(KEY, opts).anonymiseSync(input, 'u.dcm').bytes), '00280303');
    expect(flag({})).toBe('REMOVED');
    expect(flag({ dates: 'shift' })).toBe('MODIFIED');
  });

  it('pydicom reads every shifted file, with the shifted dates and the flag', async () => {
    const files = shifted.flat().map((r, i) => {
      const p = join(tmp, `out-${i}.dcm`);
      writeFileSync(p, r.bytes);
      return p;
    });
    const py = await runTool('/usr/bin/python3', [
      '-c',
      'import pydicom,sys\nfor f in sys.argv[1:]:\n d=pydicom.dcmread(f)\n d.decode()\n' +
        ' print(d.StudyDate, d.AcquisitionDateTime, d.LongitudinalTemporalInformationModified, d.pixel_array.shape)',
      ...files,
    ]);
    expect(py.status, py.stderr).toBe(0);
    const lines = py.stdout.trim().split('\n');
    expect(lines).toHaveLength(9);
    expect(lines[0]).toBe(`${shiftDate(PLANTED.StudyDate, d)} ${shiftDate(PLANTED.AcquisitionDate, d)}101530.5+0100 MODIFIED (512, 512)`);
  });

  it('a context group version (a public release date) is not shifted: it would give the offset away; the gate says so', () => {
    // A code item of the Code Sequence macro with its context group's release, as scanners write them.
    const b = readFileSync(study1[0]!);
    const dm = DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    const item = { '00080100': { vr: 'SH', Value: ['T-D1100'] }, '00080102': { vr: 'SH', Value: ['SRT'] }, '00080104': { vr: 'LO', Value: ['Head'] }, '00080106': { vr: 'DT', Value: ['20020904000000'] } };
    dm.dict['00082218'] = { vr: 'SQ', Value: [item] };
    const input = new Uint8Array(Buffer.from(dm.write()));
    const out = dicomParser.parseDicom(createAnonymiser(KEY, { dates: 'shift' }).anonymiseSync(input, 'cgv.dcm').bytes);
    const version = out.elements.x00082218!.items![0]!.dataSet!.string('x00080106') ?? '';
    // Shifted, it read 2002-09-04 + d: published date minus it is the patient's secret offset.
    expect(version.startsWith(shiftDate('20020904', d)!)).toBe(false);
    expect(version.startsWith('20020904')).toBe(false);
    expect(str(out, '00080020')).toBe(shiftDate(PLANTED.StudyDate, d)); // the patient's dates still move
    // A file from another tool that shifted it: named by the gate, though its dates are flagged MODIFIED.
    const leaky = DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    leaky.dict['00082218'] = { vr: 'SQ', Value: [{ ...item, '00080106': { vr: 'DT', Value: [`${shiftDate('20020904', d)}000000`] } }] };
    leaky.dict['00280303'] = { vr: 'CS', Value: ['MODIFIED'] };
    const anonymisedLeaky = createAnonymiser(KEY).anonymiseSync(new Uint8Array(Buffer.from(leaky.write())), 'l.dcm');
    expect(findIdentifyingAttributes(anonymisedLeaky.bytes, 'l.dcm').problems.map((p) => p.tag)).not.toContain('(0008,0106)');
    const raw = new Uint8Array(Buffer.from(leaky.write()));
    expect(findIdentifyingAttributes(raw, 'leaky.dcm').problems.map((p) => p.tag)).toContain('(0008,0106)');
  });

  it("the upload gate (check.ts) flags nothing in a shifted file but the option's dates", () => {
    // check.ts accepts shifted dates once it honours (0028,0303) MODIFIED (reported to its owner);
    // until then it may name them, and must name nothing else.
    for (const r of shifted.flat()) {
      const report = findIdentifyingAttributes(r.bytes, 'shifted.dcm');
      const other = report.problems.filter((p) => !isLongitudinalDateTag(parseInt(p.tag.replace(/[(),]/g, ''), 16)));
      expect(other).toEqual([]);
    }
  });
});
