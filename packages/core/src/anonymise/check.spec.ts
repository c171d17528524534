import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plantEveryProfileAttribute, plantSeries, type PlantedSeries } from '../../../../test/anonymise-plant.js';
import { dataPath } from '../../../../test/data.js';
import { isScanError } from '../errors.js';
import { createAnonymiser, type Anonymiser } from './anonymise.js';
import { describeIdentifiability, findIdentifyingAttributes, isReplacementUid, keywordFor, keywordOf } from './check.js';
import { encodeValue, parseDicom, type RawElement } from './dicom-codec.js';
import { writeDicom } from './dicom-write.js';
import { deriveUid, keyBytes } from './keys.js';
import { PROFILE_TABLE } from './profile-table.generated.js';
import { profileEntries } from './profile.js';

const KEY = 'project-key-for-tests-0123456789';

/** Every file of the three real CT series (DIRFILE is a DICOMDIR, which the anonymiser refuses). */
function ctFiles(): string[] {
  const root = dataPath('ct');
  const out: string[] = [];
  for (const d of readdirSync(root).sort()) {
    const dir = join(root, d);
    if (!statSync(dir).isDirectory()) continue;
    for (const f of readdirSync(dir).sort()) if (f !== 'DIRFILE') out.push(join(dir, f));
  }
  return out;
}

function read(p: string): Uint8Array {
  return new Uint8Array(readFileSync(p));
}

function tags(r: { problems: { tag: string }[] }): string[] {
  return r.problems.map((p) => p.tag);
}

/** Re-writes a file with `edit` applied to its dataset, in its own transfer syntax (the anonymiser's codec, lossless). */
function edited(bytes: Uint8Array, edit: (ds: RawElement[]) => RawElement[]): Uint8Array {
  const p = parseDicom(bytes, 'x.dcm');
  const ds = edit(p.dataset.slice()).sort((a, b) => (a.tag >>> 0) - (b.tag >>> 0));
  return writeDicom(p.meta, ds, p.transferSyntax);
}

function put(ds: RawElement[], el: RawElement): RawElement[] {
  return ds.filter((e) => e.tag !== el.tag).concat(el);
}

function text(tag: number, vr: string, value: string): RawElement {
  return { tag, vr, value: encodeValue(value, vr) };
}

/** Puts `el` into every item of the top-level sequence `seq`. */
function putNested(ds: RawElement[], seq: number, el: RawElement): RawElement[] {
  return ds.map((e) => (e.tag === seq ? { ...e, items: e.items!.map((item) => put(item, el)) } : e));
}

describe('findIdentifyingAttributes on real CT series (ct/*)', () => {
  const files = ctFiles();
  const anon: Anonymiser = createAnonymiser(KEY);

  it('finds the series (222 files)', () => {
    expect(files.length).toBe(28 + 140 + 54);
  });

  it('every original fails, naming PatientName and the scanner UIDs; the message names the file', () => {
    for (const f of files) {
      const r = findIdentifyingAttributes(read(f), f);
      expect(r.anonymised, f).toBe(false);
      expect(r.file).toBe(f);
      const t = tags(r);
      for (const must of ['(0010,0010)', '(0008,0018)', '(0020,000D)', '(0020,000E)', '(0002,0003)']) {
        expect(t, `${f} ${must}`).toContain(must);
      }
      expect(r.problems.find((p) => p.tag === '(0010,0010)')).toMatchObject({ keyword: 'PatientName', action: 'Z' });
      const msg = describeIdentifiability(r);
      const head = `${f}: still identifiable: (0010,0010) PatientName has a value (profile action Z: must be empty or a dummy)`;
      expect(msg.startsWith(head), msg).toBe(true);
    }
  });

  it('the Philips phantom also fails on dates, institution, station, sequences and private tags, and lacks PatientIdentityRemoved', () => {
    const f = files.find((x) => x.includes('philips-head-phantom-tilt'))!;
    const r = findIdentifyingAttributes(read(f), f);
    const t = tags(r);
    for (const must of ['(0008,0020)', '(0008,0080)', '(0008,1010)', '(0018,1000)', '(0008,1111)', '(0012,0062)']) {
      expect(t).toContain(must);
    }
    expect(r.problems.some((p) => p.action === 'private')).toBe(true);
    expect(r.problems.find((p) => p.tag === '(0008,0080)')).toMatchObject({ keyword: 'InstitutionName', action: 'D' });
    expect(r.problems.find((p) => p.tag === '(0012,0062)')).toMatchObject({ reason: 'is missing (must be YES)' });
  });

  it('the GE head, which another tool marked PatientIdentityRemoved YES, still fails: descriptions, IDs, private tags', () => {
    const f = files.find((x) => x.includes('ge-head-tilt'))!;
    const r = findIdentifyingAttributes(read(f), f);
    const t = tags(r);
    // Its PatientName is that tool's dummy "REMOVED", not ours: a file we did not anonymise is not taken on trust.
    for (const must of ['(0008,1030)', '(0010,0010)', '(0010,0020)']) expect(t).toContain(must);
    expect(t).not.toContain('(0012,0062)');
    expect(r.problems.filter((p) => p.action === 'private').length).toBeGreaterThan(10);
  });

  it('the same files anonymised in memory by core\'s anonymiser pass', () => {
    const failed: string[] = [];
    for (const f of files) {
      const out = anon.anonymiseSync(read(f), f);
      const r = findIdentifyingAttributes(out.bytes, out.summary.sopInstanceUid + '.dcm');
      if (!r.anonymised) failed.push(describeIdentifiability(r));
    }
    expect(failed).toEqual([]);
  });
});

// hardcases/dcmqi-seg/ct-3slice with identity, private tags, an overlay, a curve and sequences planted (test/anonymise-plant.ts).
describe('findIdentifyingAttributes: a planted series', () => {
  let tmp: string;
  let series: PlantedSeries;
  let anonymised: Uint8Array;

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 's2p-check-'));
    series = plantSeries(join(tmp, 'in'));
    anonymised = createAnonymiser(KEY).anonymiseSync(read(series.files[0]!), series.files[0]!).bytes;
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('the planted original fails on each planted kind, including the nested physician in a kept sequence', () => {
    const r = findIdentifyingAttributes(read(series.files[0]!), 'planted.dcm');
    const t = tags(r);
    for (const must of ['(0010,0010)', '(0010,0030)', '(0010,1040)', '(0008,0090)', '(0008,0080)', '(0040,0275)', '(0008,1120)']) {
      expect(t).toContain(must);
    }
    for (const mask of ['private', 'overlay', 'curve']) expect(r.problems.map((p) => p.action)).toContain(mask);
    const nested = r.problems.filter((p) => p.tag === '(0008,0090)' && p.reason.includes('(0008,2218)'));
    expect(nested).toHaveLength(1);
    expect(nested[0]!.reason).toContain('AnatomicRegionSequence item 1');
    // The UID inside the kept Referenced Image Sequence (X/Z/U*) is an original one.
    expect(r.problems.some((p) => p.tag === '(0008,1155)' && p.reason.includes('(0008,1140)'))).toBe(true);
  });

  it('the anonymised file passes', () => {
    const r = findIdentifyingAttributes(anonymised, 'a.dcm');
    expect(describeIdentifiability(r)).toBe('a.dcm: no identifying attributes (DICOM PS3.15 Basic Profile)');
    expect(r).toEqual({ file: 'a.dcm', anonymised: true, problems: [] });
  });

  // One attribute put back into the anonymised file: exactly that attribute is named.
  const replants: [string, string, string, (ds: RawElement[]) => RawElement[]][] = [
    ['PatientName (Z)', '(0010,0010)', 'PatientName', (ds) => put(ds, text(0x00100010, 'PN', 'Replant^Patient'))],
    ['PatientID (Z/D) back to the hospital number', '(0010,0020)', 'PatientID', (ds) => put(ds, text(0x00100020, 'LO', 'PID-4711'))],
    ['InstitutionName (X/Z/D)', '(0008,0080)', 'InstitutionName', (ds) => put(ds, text(0x00080080, 'LO', 'Replant Hospital'))],
    ['PatientAddress (X)', '(0010,1040)', 'PatientAddress', (ds) => put(ds, text(0x00101040, 'LO', '1 Street'))],
    ['StudyDate (Z)', '(0008,0020)', 'StudyDate', (ds) => put(ds, text(0x00080020, 'DA', '19870412'))],
    [
      'StudyInstanceUID (U) back to a scanner UID',
      '(0020,000D)',
      'StudyInstanceUID',
      (ds) => put(ds, text(0x0020000d, 'UI', '1.2.840.113619.2.1.1.1')),
    ],
    ['a private element', '(0009,1001)', 'PrivateAttribute', (ds) => put(ds, text(0x00091001, 'LO', 'secret'))],
    ['an overlay row count', '(6000,0010)', 'OverlayPlane', (ds) => put(ds, { tag: 0x60000010, vr: 'US', value: new Uint8Array([16, 0]) })],
    ['PatientIdentityRemoved NO', '(0012,0062)', 'PatientIdentityRemoved', (ds) => put(ds, text(0x00120062, 'CS', 'NO'))],
    ['PatientIdentityRemoved absent', '(0012,0062)', 'PatientIdentityRemoved', (ds) => ds.filter((e) => e.tag !== 0x00120062)],
    [
      'a physician nested in the kept AnatomicRegionSequence',
      '(0008,0090)',
      'ReferringPhysicianName',
      (ds) => putNested(ds, 0x00082218, text(0x00080090, 'PN', 'Nested^Doc')),
    ],
    [
      'a scanner UID nested in the Referenced Image Sequence (X/Z/U*)',
      '(0008,1155)',
      'ReferencedSOPInstanceUID',
      (ds) => putNested(ds, 0x00081140, text(0x00081155, 'UI', '1.3.12.2.1107.5.1.4')),
    ],
    // Issue 13 classes 1–4: outside the table, the anonymiser's rule (retain.ts) holds.
    ['free text outside the table (SoftwareVersions)', '(0018,1020)', 'SoftwareVersions',
      (ds) => put(ds, text(0x00181020, 'LO', 'Doe^John'))],
    [
      'TextValue nested in the kept AnatomicRegionSequence',
      '(0040,A160)',
      'TextValue',
      (ds) => putNested(ds, 0x00082218, text(0x0040a160, 'UT', 'seen by Dr Doe')),
    ],
    ['a name in a decimal string outside the table', '(0018,1100)', 'ReconstructionDiameter',
      (ds) => put(ds, text(0x00181100, 'DS', 'Doe^John'))],
    ['a scanner UID outside the table (CreatorVersionUID)', '(0008,9123)', 'CreatorVersionUID',
      (ds) => put(ds, text(0x00089123, 'UI', '1.3.12.2.1107.5.1.4'))],
    ['a command group element (ErrorComment)', '(0000,0902)', 'CommandGroup', (ds) => put(ds, text(0x00000902, 'LO', 'Doe'))],
  ];

  it('re-written in explicit VR with the AnatomicRegionSequence stored as UN (implicit VR items): fails naming it only', () => {
    const p = parseDicom(anonymised, 'a.dcm');
    const ts = '1.2.840.10008.1.2.1';
    const meta = p.meta.map((e) => (e.tag === 0x00020010 ? { ...e, value: encodeValue(ts, 'UI') } : e));
    const asSq = writeDicom(meta, p.dataset, ts);
    expect(findIdentifyingAttributes(asSq, 'sq.dcm').problems).toEqual([]);
    const ds = p.dataset.map((e) => (e.tag === 0x00082218 ? { ...e, vr: 'UN', itemsImplicit: true } : e));
    const r = findIdentifyingAttributes(writeDicom(meta, ds, ts), 'un.dcm');
    expect(r.problems.map((x) => [x.tag, x.keyword, x.action])).toEqual([['(0008,2218)', 'AnatomicRegionSequence', 'un-sequence']]);
  });
  for (const [what, tag, keyword, edit] of replants) {
    it(`re-planted ${what}: fails naming ${tag} ${keyword} only`, () => {
      const r = findIdentifyingAttributes(edited(anonymised, edit), 'IMG0001.dcm');
      expect(r.anonymised).toBe(false);
      expect(r.problems.map((p) => [p.tag, p.keyword])).toEqual([[tag, keyword]]);
      if (what.includes('nested')) expect(r.problems[0]!.reason).toMatch(/ \(in \(0008,(2218|1140)\) \w+Sequence item 1\) /);
      expect(describeIdentifiability(r)).toMatch(new RegExp(`^IMG0001\\.dcm: still identifiable: \\${tag.slice(0, -1)}\\) ${keyword} `));
    });
  }

  it('a dummy or empty value passes where the profile allows it, a binary X value does not', () => {
    const ok = edited(anonymised, (ds) => put(put(ds, text(0x00080080, 'LO', 'ANONYMISED')), text(0x00101040, 'LO', '')));
    expect(findIdentifyingAttributes(ok, 'a.dcm').problems).toEqual([]);
    // (0018,9373) X-Ray Detector Label is X; Patient's Size (0010,1020) is X with VR DS: "0" is still a value.
    const bad = edited(anonymised, (ds) => put(ds, text(0x00101020, 'DS', '0')));
    expect(tags(findIdentifyingAttributes(bad, 'a.dcm'))).toEqual(['(0010,1020)']);
  });
});

describe('findIdentifyingAttributes: every attribute of the profile table', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 's2p-check-all-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('a file carrying all of them fails on each one the profile does not keep; anonymised, it passes', () => {
    const file = join(tmp, 'all.dcm');
    const planted = plantEveryProfileAttribute(file, PROFILE_TABLE);
    const bytes = read(file);
    const r = findIdentifyingAttributes(bytes, file);
    const found = new Set(tags(r));
    const missed = planted.filter((t) => {
      const e = profileEntries().get(parseInt(t.replace(/[(),]/g, ''), 16) >>> 0)!;
      // A planted SQ with a code item under U*: only the UIDs inside would count, and the item holds none.
      return e.action !== 'U*' && !found.has(t);
    });
    expect(missed).toEqual([]);
    const out = createAnonymiser(KEY).anonymiseSync(bytes, file);
    const after = findIdentifyingAttributes(out.bytes, 'all-anonymised.dcm');
    expect(describeIdentifiability(after)).toBe('all-anonymised.dcm: no identifying attributes (DICOM PS3.15 Basic Profile)');
  });
});

describe('findIdentifyingAttributes: every hardcase the anonymiser accepts passes after anonymisation', () => {
  it('hardcases/{pydicom,cornerstone-ct-ts,wg04-ct,dcmqi-seg,slicer-ctheadaxial-64}', () => {
    const anon = createAnonymiser(KEY);
    const failed: string[] = [];
    let checked = 0;
    for (const d of ['pydicom', 'cornerstone-ct-ts', 'wg04-ct', 'dcmqi-seg', 'slicer-ctheadaxial-64']) {
      const dir = dataPath('hardcases', d);
      for (const f of readdirSync(dir).sort()) {
        const p = join(dir, f);
        if (statSync(p).isDirectory() || !/\.dcm$|^[^.]+$/.test(f) || f === 'LICENSE') continue;
        let out;
        try {
          out = anon.anonymiseSync(read(p), p);
        } catch (e) {
          if (isScanError(e)) continue;
          throw e;
        }
        checked++;
        const r = findIdentifyingAttributes(out.bytes, p);
        if (!r.anonymised) failed.push(describeIdentifiability(r));
      }
    }
    expect(failed).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  });
});

describe('findIdentifyingAttributes: inputs that are not DICOM', () => {
  it('throws core\'s input error naming the file', () => {
    const p = dataPath('hardcases', 'wg04-ct', 'MANIFEST.files.json');
    let err: unknown;
    try {
      findIdentifyingAttributes(read(p), p);
    } catch (e) {
      err = e;
    }
    expect(isScanError(err), String(err)).toBe(true);
    expect((err as Error).message).toBe(`${p}: not a DICOM file: no 'DICM' marker at byte 128 and no recognisable dataset at byte 0`);
    const truncated = read(dataPath('hardcases', 'pydicom', 'MR_truncated.dcm'));
    expect(() => findIdentifyingAttributes(truncated, 'trunc.dcm')).toThrow(/^trunc\.dcm: truncated/);
  });
});

describe('replacement UIDs and keywords', () => {
  it('tells deriveUid output from scanner UIDs and random (version 4) 2.25 UIDs', () => {
    const k = keyBytes(KEY);
    for (let i = 0; i < 200; i++) expect(isReplacementUid(deriveUid(k, `1.2.3.${i}`))).toBe(true);
    expect(isReplacementUid(deriveUid(keyBytes(randomBytes(32)), '1.2.840.10008.1'))).toBe(true);
    let v4 = 0;
    for (let i = 0; i < 200; i++) if (isReplacementUid(`2.25.${BigInt('0x' + randomUUID().replace(/-/g, '')).toString(10)}`)) v4++;
    expect(v4).toBe(0);
    for (const u of ['1.2.840.113619.2.55.3', '2.25.', '2.25.01', '2.25.1x', `2.25.${(1n << 128n).toString()}`]) {
      expect(isReplacementUid(u), u).toBe(false);
    }
  });

  it('derives DICOM keywords from the table\'s names', () => {
    const name = (hex: number) => keywordOf(profileEntries().get(hex)!.name);
    expect(name(0x00100010)).toBe('PatientName');
    expect(name(0x00100030)).toBe('PatientBirthDate');
    expect(name(0x00081070)).toBe('OperatorsName');
    expect(name(0x00080090)).toBe('ReferringPhysicianName');
    expect(name(0x00101000)).toBe('OtherPatientIDs');
    expect(name(0x00081060)).toBe('NameOfPhysiciansReadingStudy');
    // From the dictionary: a tag outside the table, and a retired one (no RETIRED_ prefix).
    expect(keywordFor(0x00082218)).toBe('AnatomicRegionSequence');
    expect(keywordFor(0x00321000)).toBe('ScheduledStudyStartDate');
    expect(keywordFor(0x00091001)).toBe('');
  });

  it('lists five problems and counts the rest; patient attributes first', () => {
    const order = ['(0008,0020)', '(0008,0021)', '(0008,0022)', '(0008,0023)', '(0008,0030)', '(0010,0010)', '(0010,0030)'];
    const problems = order.map((tag) => ({
      tag, keyword: 'K' + tag.slice(6, 10), action: 'Z', reason: 'has a value',
    }));
    expect(describeIdentifiability({ file: 'f.dcm', anonymised: false, problems })).toBe(
      'f.dcm: still identifiable: (0010,0010) K0010 has a value, (0010,0030) K0030 has a value, (0008,0020) K0020 has a value, '
        + '(0008,0021) K0021 has a value, (0008,0022) K0022 has a value, and 2 more',
    );
  });
});

describe('findIdentifyingAttributes: dates shifted by the longitudinal option', () => {
  it('passes a date-shifted file (its dates are the option’s), and flags the same dates without the MODIFIED flag', async () => {
    const dir = dataPath('ct', 'philips-head-phantom-1mm');
    const names = readdirSync(dir).filter((f) => f !== 'DIRFILE').sort().slice(0, 3);
    const a = createAnonymiser(KEY, { dates: 'shift' });
    for (const n of names) {
      const out = (await a.anonymise(read(join(dir, n)), n)).bytes;
      const r = findIdentifyingAttributes(out, n);
      expect(r.problems, describeIdentifiability(r)).toEqual([]);
      const p = parseDicom(out, n);
      expect(p.dataset.some((e) => e.tag === 0x00080020 && e.value !== undefined && e.value.length >= 8), 'StudyDate kept, shifted').toBe(true);
      // Without (0028,0303) MODIFIED the same dates are real dates as far as the gate can tell.
      const unflagged = edited(out, (ds) => put(ds, text(0x00280303, 'CS', 'UNMODIFIED')));
      expect(tags(findIdentifyingAttributes(unflagged, n))).toContain('(0008,0020)');
    }
  });
});
