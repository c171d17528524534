import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymiseDataset, PROFILE_TABLE } from '@scan2print/core';
import {
  findBytes, forbiddenStrings, PLANTED, plantEveryProfileAttribute, plantSeries, type PlantedSeries,
} from '../../../../test/anonymise-plant.js';
import { dataPath } from '../../../../test/data.js';
import { runScan2print } from '../../../../test/cli.js';
import { startOrthanc, type Orthanc } from '../../../../test/orthanc.js';

/**
 * `scan2print anonymise` on a real CT series with identity planted in it, and the same files
 * anonymised by a real peer, Debian's Orthanc (REST: POST /instances, POST
 * /instances/{id}/anonymize with its default Basic Profile), compared attribute by attribute.
 * Run `npm run build` first (the CLI is spawned from its build).
 */

let tmp: string;
let series: PlantedSeries;
let outDir: string;
let keyFile: string;
let first: { code: number; stdout: string; stderr: string };

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 's2p-anon-cli-'));
  series = plantSeries(join(tmp, 'in'));
  outDir = join(tmp, 'out');
  keyFile = join(tmp, 'keys', 'project.key');
  first = await runScan2print(['anonymise', join(tmp, 'in'), '-o', outDir, '--key-file', keyFile, '--json']);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('scan2print anonymise', () => {
  it('writes one file per instance named by its new SOPInstanceUID, and anonymisation.json', async () => {
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/created a new project key/);
    const names = readdirSync(outDir).sort();
    expect(names.filter((n) => n.endsWith('.dcm'))).toHaveLength(3);
    expect(names).toContain('anonymisation.json');
    for (const n of names.filter((x) => x.endsWith('.dcm'))) {
      const ds = dicomParser.parseDicom(new Uint8Array(readFileSync(join(outDir, n))));
      expect(`${ds.string('x00080018')}.dcm`).toBe(n);
    }
    const summary = JSON.parse(first.stdout);
    expect(summary.files.written).toBe(3);
    expect(summary.patients).toHaveLength(1);
    expect(summary.patients[0].series).toBe(1);
    expect(summary.uidMapping.distinctUidsReplaced).toBe(6);
    expect(JSON.parse(readFileSync(join(outDir, 'anonymisation.json'), 'utf8'))).toEqual(summary);
  });

  it('leaves no planted value, original UID, input path or key in any output byte, the summary or the console', async () => {
    const key = readFileSync(keyFile, 'utf8').trim();
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    const texts = [first.stdout, first.stderr];
    const leaks: string[] = [];
    for (const n of readdirSync(outDir)) {
      const bytes = new Uint8Array(readFileSync(join(outDir, n)));
      for (const s of [...forbiddenStrings(), ...series.originalUids, key, join(tmp, 'in')]) if (findBytes(bytes, s) >= 0) leaks.push(`${n}: ${s}`);
    }
    for (const t of texts) if (t.includes(key)) leaks.push('key printed');
    expect(leaks).toEqual([]);
  });

  it('gives identical files on a second run with the same key, from a folder or from a zip', async () => {
    const zipPath = join(tmp, 'in.zip');
    const entries: Record<string, Uint8Array> = {};
    for (const f of series.files) entries[`series/${f.split('/').pop()}`] = new Uint8Array(readFileSync(f));
    writeFileSync(zipPath, zipSync(entries));
    const out2 = join(tmp, 'out2');
    const r = await runScan2print(['anonymise', zipPath, '-o', out2, '--key-file', keyFile, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/created a new project key/);
    for (const n of readdirSync(outDir)) {
      if (!n.endsWith('.dcm')) continue;
      expect(readFileSync(join(out2, n)).equals(readFileSync(join(outDir, n))), n).toBe(true);
    }
  });

  it('refuses a key file inside the output folder (exit 2) and non-DICOM input (exit 3)', async () => {
    const r = await runScan2print(['anonymise', join(tmp, 'in'), '-o', join(tmp, 'o3'), '--key-file', join(tmp, 'o3', 'k.key')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/must not be inside the output folder/);
    const junk = join(tmp, 'junk');
    mkdirSync(junk);
    writeFileSync(join(junk, 'notes.txt'), 'hello');
    const j = await runScan2print(['anonymise', junk, '-o', join(tmp, 'o4'), '--key-file', keyFile]);
    expect(j.code).toBe(3);
  });

  it('keeps its default key in the user config folder (0600 in a 0700 folder), never in the working folder', async () => {
    const home = join(tmp, 'home');
    const work = join(tmp, 'work');
    mkdirSync(home);
    mkdirSync(work);
    const env = { HOME: home, XDG_CONFIG_HOME: '', SCAN2PRINT_KEY_FILE: '' };
    const a = await runScan2print(['anonymise', join(tmp, 'in'), '-o', join(work, 'upload'), '-q'], { cwd: work, env });
    expect(a.code, a.stderr).toBe(0);
    const dir = join(home, '.config', 'scan2print');
    const key = join(dir, 'project.key');
    // --quiet keeps the "created a new project key" line out (the first test shows it without).
    expect(a.stderr).not.toMatch(/created a new project key/);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(work)).toEqual(['upload']);
    expect(readdirSync(join(work, 'upload')).some((n) => n.includes('key'))).toBe(false);
    // the second run reuses it: same UIDs, no new key
    const b = await runScan2print(['anonymise', join(tmp, 'in'), '-o', join(work, 'upload2'), '-q'], { cwd: work, env });
    expect(b.code).toBe(0);
    expect(b.stderr).not.toMatch(/created a new project key/);
    expect(readdirSync(join(work, 'upload2')).sort()).toEqual(readdirSync(join(work, 'upload')).sort());
    // $XDG_CONFIG_HOME wins over ~/.config
    const xdg = join(tmp, 'xdg');
    const c = await runScan2print(['anonymise', join(tmp, 'in'), '-o', join(work, 'upload3'), '-q'], { cwd: work, env: { ...env, XDG_CONFIG_HOME: xdg } });
    expect(c.code).toBe(0);
    expect(statSync(join(xdg, 'scan2print', 'project.key')).mode & 0o777).toBe(0o600);
  });
});

describe('scan2print anonymise: nested zips, DICOMDIRs, the key file, --quiet, --shift-dates (issue 13)', () => {
  const DICOMDIR = () => dataPath('ct', 'philips-head-phantom-1mm', 'DIRFILE');

  it('opens a zip inside a zip; a deeper zip, or a zip not named .zip, is reported by name and fails the run', async () => {
    const dcm: Record<string, Uint8Array> = {};
    for (const f of series.files) dcm[`series/${f.split('/').pop()}`] = new Uint8Array(readFileSync(f));
    const level3 = zipSync({ 'deep/01.dcm': dcm[Object.keys(dcm)[0]!]! });
    const outer = zipSync({
      'inner.zip': zipSync(dcm),
      'deeper.zip': zipSync({ 'level3.zip': level3 }),
      'disguised.bin': zipSync({ 'x.dcm': dcm[Object.keys(dcm)[1]!]! }),
      'readme.txt': new TextEncoder().encode('not DICOM'),
    });
    const zipPath = join(tmp, 'outer.zip');
    writeFileSync(zipPath, outer);
    const out = join(tmp, 'o-nested');
    const r = await runScan2print(['anonymise', zipPath, '-o', out, '--key-file', keyFile, '--json']);
    expect(r.code, r.stderr).toBe(3);
    const summary = JSON.parse(r.stdout);
    expect(summary.files).toMatchObject({ inputs: 6, written: 3, notDicom: 1, failed: 2 });
    const codes = summary.files.skipped.map((s: { code: string }) => s.code).sort();
    expect(codes).toEqual(['NOT_DICOM', 'ZIP_NESTED_NOT_OPENED', 'ZIP_NESTED_TOO_DEEP']);
    expect(r.stderr).toContain(`${zipPath}!/deeper.zip!/level3.zip: is a zip inside a zip inside a zip: not opened`);
    expect(r.stderr).toContain(`${zipPath}!/disguised.bin: is a zip archive inside a zip, not named .zip`);
    // The nested zip's files are the same instances as the folder's: the same bytes under the same key.
    for (const n of readdirSync(out).filter((x) => x.endsWith('.dcm'))) {
      expect(readFileSync(join(out, n)).equals(readFileSync(join(outDir, n))), n).toBe(true);
    }
    expect(readdirSync(out).filter((x) => x.endsWith('.dcm'))).toHaveLength(3);
  });

  it('counts DICOMDIRs left out in the summary and says so', async () => {
    const dir = join(tmp, 'with-dicomdir');
    mkdirSync(dir);
    for (const f of series.files) writeFileSync(join(dir, f.split('/').pop()!), readFileSync(f));
    writeFileSync(join(dir, 'DIRFILE'), readFileSync(DICOMDIR()));
    const r = await runScan2print(['anonymise', dir, '-o', join(tmp, 'o-dicomdir'), '--key-file', keyFile]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^1 DICOMDIR left out/m);
    expect(r.stderr).toMatch(/DIRFILE: is a DICOMDIR/);
    const summary = JSON.parse(readFileSync(join(tmp, 'o-dicomdir', 'anonymisation.json'), 'utf8'));
    expect(summary.files).toMatchObject({ inputs: 4, written: 3, dicomdirsLeftOut: 1, failed: 0 });
  });

  it('warns when the key file can be read by others, even with --quiet; not when it is 0600', async () => {
    const shared = join(tmp, 'keys2', 'shared.key');
    mkdirSync(join(tmp, 'keys2'));
    writeFileSync(shared, readFileSync(keyFile));
    chmodSync(shared, 0o644);
    const r = await runScan2print(['anonymise', join(tmp, 'in'), '-o', join(tmp, 'o-wide'), '--key-file', shared, '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`the key file ${shared} can be read by others (mode 0644): chmod 600 ${shared}`);
    chmodSync(shared, 0o600);
    const s = await runScan2print(['anonymise', join(tmp, 'in'), '-o', join(tmp, 'o-narrow'), '--key-file', shared, '-q']);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stderr).toBe('');
    expect(s.stdout).toBe('');
  });

  it('--quiet creates a key without the "created" line; without it the line names the key', async () => {
    const q = join(tmp, 'keys3', 'q.key');
    const r = await runScan2print(['anonymise', join(tmp, 'in'), '-o', join(tmp, 'o-q'), '--key-file', q, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(q)).toBe(true);
    expect(r.stderr).toBe('');
    const n = join(tmp, 'keys3', 'n.key');
    const s = await runScan2print(['anonymise', join(tmp, 'in'), '-o', join(tmp, 'o-n'), '--key-file', n]);
    expect(s.stderr).toContain(`created a new project key in ${n}`);
  });

  it('--shift-dates: dates moved by one offset within ±365 days, recorded, no planted date left', async () => {
    const out = join(tmp, 'o-shift');
    const r = await runScan2print(['anonymise', join(tmp, 'in'), '-o', out, '--key-file', keyFile, '--shift-dates']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^dates shifted per patient \(\d+ values\)$/m);
    const summary = JSON.parse(readFileSync(join(out, 'anonymisation.json'), 'utf8'));
    expect(summary.dates.mode).toBe('shifted');
    expect(summary.dates.shifted).toBeGreaterThanOrEqual(3 * 5);
    expect(summary.record.params.dates).toMatch(/Modified Dates/);
    const day = (s: string) => Date.UTC(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8)) / 86_400_000;
    const offsets = new Set<number>();
    const files: Array<[string, Uint8Array]> = [];
    for (const n of readdirSync(out).filter((x) => x.endsWith('.dcm'))) {
      const bytes = new Uint8Array(readFileSync(join(out, n)));
      const ds = dicomParser.parseDicom(bytes);
      expect(ds.string('x00280303')).toBe('MODIFIED');
      const dated = [['x00080020', PLANTED.StudyDate], ['x00080021', PLANTED.SeriesDate], ['x00080023', PLANTED.ContentDate]] as const;
      for (const [tag, orig] of dated) {
        offsets.add(day(ds.string(tag)!) - day(orig));
      }
      files.push([n, bytes]);
    }
    expect(offsets.size).toBe(1);
    const [d] = [...offsets];
    expect(d !== 0 && Math.abs(d!) <= 365).toBe(true);
    // No planted date is left, except where the shift itself writes that string: the planted
    // dates are days apart (study 12th, acquisition 14th, ...), so an offset of a few days moves
    // one onto another (a random key gave −2 once: acquisition 14th → 12th, the study's date).
    const planted = [PLANTED.StudyDate, PLANTED.SeriesDate, PLANTED.AcquisitionDate, PLANTED.ContentDate, PLANTED.PatientBirthDate];
    const shifted = (s: string) => new Date((day(s) + d!) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
    const written = new Set(planted.map(shifted));
    const mustBeGone = planted.filter((s) => !written.has(s));
    expect(mustBeGone.length).toBeGreaterThanOrEqual(planted.length - 3);
    for (const [n, bytes] of files) {
      for (const s of mustBeGone) expect(findBytes(bytes, s), `${n}: ${s}`).toBe(-1);
    }
    // Default runs (above) are untouched: no flag, dates emptied.
    const plain = dicomParser.parseDicom(new Uint8Array(readFileSync(join(outDir, readdirSync(outDir).find((x) => x.endsWith('.dcm'))!))));
    expect(plain.elements.x00280303).toBeUndefined();
    expect(plain.string('x00080020') ?? '').toBe('');
  });
});

// ---------------------------------------------------------------- Orthanc, the real peer

type Flat = Map<string, { hex: string; items?: number }>;

/** Flattens a dataset to path → value bytes (hex, padding trimmed); sequences give their item count. */
function flatten(ds: any, prefix = '', out: Flat = new Map()): Flat {
  for (const [k, e] of Object.entries<any>(ds.elements)) {
    const tag = k.slice(1).toUpperCase();
    if (tag.startsWith('0002')) continue;
    const path = prefix + `(${tag.slice(0, 4)},${tag.slice(4)})`;
    if (e.items) {
      out.set(path, { hex: '', items: e.items.length });
      e.items.forEach((it: any, i: number) => it.dataSet && flatten(it.dataSet, `${path}[${i}].`, out));
    } else if (e.fragments || e.length === undefined) {
      out.set(path, { hex: 'encapsulated' });
    } else {
      let bytes = Buffer.from(ds.byteArray.subarray(e.dataOffset, e.dataOffset + e.length));
      let end = bytes.length;
      while (end > 0 && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0)) end--;
      bytes = bytes.subarray(0, end);
      out.set(path, { hex: bytes.toString('hex') });
    }
  }
  return out;
}

type Fate = 'removed' | 'emptied' | 'replaced' | 'kept';
function fate(orig: { hex: string; items?: number }, after: { hex: string; items?: number } | undefined): Fate {
  if (!after) return 'removed';
  if (orig.items !== undefined) return after.items === 0 ? 'emptied' : 'kept';
  if (after.hex === '') return orig.hex === '' ? 'kept' : 'emptied';
  return after.hex === orig.hex ? 'kept' : 'replaced';
}

describe('compared with Orthanc (Debian) anonymising the same files', () => {
  let orthanc: Orthanc;

  beforeAll(async () => {
    orthanc = await startOrthanc(join(tmp, 'orthanc'), 's2p-anonymise-test');
  });

  afterAll(() => orthanc?.stop());

  /** Orthanc's default-profile anonymisation of one file (stored first). */
  async function orthancAnonymised(input: Uint8Array): Promise<Uint8Array> {
    const stored = await orthanc.store(input);
    expect('ids' in stored, JSON.stringify(stored)).toBe(true);
    const an = await orthanc.anonymize((stored as { ids: string[] }).ids[0]!);
    expect('bytes' in an, JSON.stringify(an)).toBe(true);
    return (an as { bytes: Uint8Array }).bytes;
  }

  /**
   * Attributes Orthanc removes, empties or replaces that we keep unchanged. Expected: none.
   * An entry here would need a comment saying why we keep it (e.g. geometry the model needs).
   */
  const ALLOWED_KEPT: Record<string, string> = {};

  it('Orthanc removes, empties or replaces nothing that we keep', async () => {
    const ours = new Map<string, Flat>();
    for (const n of readdirSync(outDir).filter((x) => x.endsWith('.dcm'))) {
      const ds = dicomParser.parseDicom(new Uint8Array(readFileSync(join(outDir, n))));
      ours.set(n, flatten(ds));
    }
    const orthancRemovesWeKeep = new Set<string>();
    const weRemoveOrthancKeeps = new Set<string>();
    const bothChange = new Set<string>();
    for (const f of series.files) {
      const input = new Uint8Array(readFileSync(f));
      const theirs = flatten(dicomParser.parseDicom(await orthancAnonymised(input)));
      const orig = dicomParser.parseDicom(input);
      const origFlat = flatten(orig);
      // Our file for this input: the one whose InstanceNumber and position match.
      const ipp = orig.string('x00200032');
      const mine = [...ours.values()].find((m) => m.get('(0020,0032)')?.hex === Buffer.from(ipp ?? '').toString('hex'))!;
      expect(mine, `our output for ${f}`).toBeDefined();
      for (const [path, o] of origFlat) {
        const t = fate(o, theirs.get(path));
        const m = fate(o, mine.get(path));
        const label = path.replace(/\[\d+\]/g, '[n]');
        if (t !== 'kept' && m === 'kept') orthancRemovesWeKeep.add(`${label} (Orthanc: ${t})`);
        if (m !== 'kept' && t === 'kept') weRemoveOrthancKeeps.add(`${label} (ours: ${m})`);
        if (m !== 'kept' && t !== 'kept') bothChange.add(label);
      }
    }
    const a = [...orthancRemovesWeKeep].sort();
    const b = [...weRemoveOrthancKeeps].sort();
    console.log(
      `Orthanc ${orthanc.version} vs scan2print anonymise on ${series.files.length} planted CT files\n` +
        `  attributes Orthanc removes/empties/replaces that we keep (${a.length}): ${a.join(', ') || 'none'}\n` +
        `  attributes we remove/empty/replace that Orthanc keeps (${b.length}): ${b.join(', ') || 'none'}\n` +
        `  attributes both de-identify: ${bothChange.size}`,
    );
    expect(a.filter((x) => !(x.split(' ')[0]! in ALLOWED_KEPT))).toEqual([]);
    expect(bothChange.size).toBeGreaterThan(10);
  });

  it('on a slice carrying every attribute of the profile table, Orthanc de-identifies nothing we keep', async () => {
    const file = join(tmp, 'every-attribute.dcm');
    const planted = plantEveryProfileAttribute(file, PROFILE_TABLE);
    const input = new Uint8Array(readFileSync(file));
    const theirs = flatten(dicomParser.parseDicom(await orthancAnonymised(input)));
    const mine = flatten(dicomParser.parseDicom((await anonymiseDataset(input, file, { key: 'orthanc-comparison-key-0123456789' })).bytes));
    const orig = flatten(dicomParser.parseDicom(input));
    const a: string[] = [];
    const b: string[] = [];
    const fates = new Map<string, number>();
    const bothKeep: string[] = [];
    for (const tag of planted) {
      const o = orig.get(tag);
      expect(o, `planted ${tag}`).toBeDefined();
      const t = fate(o!, theirs.get(tag));
      const m = fate(o!, mine.get(tag));
      fates.set(`ours ${m} / Orthanc ${t}`, (fates.get(`ours ${m} / Orthanc ${t}`) ?? 0) + 1);
      if (t !== 'kept' && m === 'kept') a.push(`${tag} (Orthanc: ${t})`);
      if (m !== 'kept' && t === 'kept') b.push(`${tag} (ours: ${m})`);
      if (m === 'kept' && t === 'kept') bothKeep.push(tag);
    }
    console.log(
      `Orthanc vs scan2print on one slice with all ${planted.length} exact profile attributes planted\n` +
        `  outcomes: ${[...fates].map(([k, v]) => `${k}: ${v}`).join('; ')}\n` +
        `  Orthanc removes/empties/replaces, we keep (${a.length}): ${a.join(', ') || 'none'}\n` +
        `  we remove/empty/replace, Orthanc keeps (${b.length}): ${b.join(', ') || 'none'}\n` +
        `  both keep (sequences whose items are cleaned, X/Z/U*): ${bothKeep.join(', ') || 'none'}`,
    );
    // Only the X/Z/U* sequences may stay (their items are cleaned and their UIDs replaced).
    expect(bothKeep.every((t) => PROFILE_TABLE.some(([id, code]) => `(${id.slice(0, 4)},${id.slice(4)})`.toUpperCase() === t.toUpperCase() && code === 'X/Z/U*'))).toBe(true);
    expect(a.filter((x) => !(x.split(' ')[0]! in ALLOWED_KEPT))).toEqual([]);
  });
});
