/**
 * Issue 13's adversarial review as a test: every case of test/adversarial/generate.ts (real
 * files with identifiers planted per leak class) through core's anonymiser and through
 * Orthanc's default anonymisation, every output byte searched for every planted secret in
 * many encodings (scan.ts). Prints a table per class and per case; asserts zero leaks for
 * every class and case not in KNOWN_LEAKS (Orthanc's figures are printed, never asserted).
 * `ADVERSARIAL_MD=<section> npx vitest run test/adversarial/adversarial.spec.ts` also writes
 * the tables to bench/results/anonymise-adversarial.md under that section name.
 * `ADVERSARIAL_CORE=<path to another core's src/index.ts>` runs that core instead (the "before"
 * figures came from `git archive <commit> packages/core/src` extracted beside a node_modules link).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { inflateRawSync } from 'node:zlib';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as workingCore from '@scan2print/core';
import { collectInputs } from '../../packages/cli/src/io/inputs.js';
import { ROOT } from '../data.js';
import { splitFile, topLevel, TS } from './dicom-bytes.js';
import { generateCases, type AdversarialCase, type LeakClass } from './generate.js';
import { startOrthanc, type Orthanc } from '../orthanc.js';
import { caseTable, classTable, writeSection, type Outcome } from './report.js';
import { leakedSecrets, MIN_NEEDLE_BYTES, needles, scanOutputs } from './scan.js';

/**
 * Classes (or single cases, by name) whose leaks are reported, not failed, while a fix is under
 * way. Issue 13's fixes landed (classes 1–4 in 7545ec7 and after, the data set walk; 5 in
 * c73c283, text markers in compressed frames), so no class is here: a leaked secret in any
 * other case fails this spec. text-in-kept-code-lower-case no longer leaks (retain.ts: CS is upper
 * case only and a string value has at most the dictionary's fixed multiplicity). Left:
 * - name-as-valid-code: a name as an upper-case ImageType value is kept. ImageType's values are
 *   defined terms vendors extend freely, so an upper-case word there cannot be told from a code
 *   (Orthanc keeps it too); removing ImageType would cost the import its LOCALIZER test.
 */
const KNOWN_LEAKS = new Set<LeakClass | string>(['name-as-valid-code']);
const known = (c: AdversarialCase) => KNOWN_LEAKS.has(c.cls) || KNOWN_LEAKS.has(c.name);

const KEY = 'adversarial-review-project-key-0123456789';

type Core = Pick<typeof workingCore, 'createAnonymiser' | 'isScanError'>;
let core: Core = workingCore;

let tmp: string;
let cases: AdversarialCase[];
const ours = new Map<string, Outcome>();
/** Our output files per case, for the independent readers. */
const ourFiles = new Map<string, { name: string; bytes: Uint8Array }[]>();
const theirs = new Map<string, Outcome>();
let orthanc: Orthanc | undefined;

/** Our anonymiser on one case: a file, or every entry of a zip as the CLI reads it. */
async function anonymiseCase(c: AdversarialCase): Promise<Outcome> {
  const anon = core.createAnonymiser(KEY);
  const inputs: { name: string; read: () => Promise<Uint8Array> }[] = [];
  if (c.zip) {
    const p = join(tmp, `${c.name}.zip`);
    writeFileSync(p, c.bytes);
    inputs.push(...(await collectInputs([p])).sources);
  } else {
    inputs.push({ name: join(tmp, 'in', `${c.name}.dcm`), read: async () => c.bytes });
  }
  const outputs: { name: string; bytes: Uint8Array }[] = [];
  const refused: string[] = [];
  for (const src of inputs) {
    try {
      const r = await anon.anonymise(await src.read(), src.name);
      outputs.push({ name: `${r.summary.sopInstanceUid}.dcm`, bytes: r.bytes });
    } catch (e) {
      if (!core.isScanError(e)) throw e;
      refused.push(`${e.code}: ${e.message}`);
    }
  }
  ourFiles.set(c.name, outputs);
  const scan = scanOutputs(outputs, c.secrets);
  return { scan, files: outputs.length, ...(refused.length ? { refused: refused.join('; ') } : {}) };
}

/** dicom-parser's hook for a deflated data set: header bytes kept, the rest inflated. */
function inflater(bytes: Uint8Array, position: number): Uint8Array {
  const inflated = inflateRawSync(bytes.subarray(position));
  const out = new Uint8Array(position + inflated.length);
  out.set(bytes.subarray(0, position));
  out.set(inflated, position);
  return out;
}

/** What this spec's leak assertion says about our outcomes. */
function verdict(): string {
  const leaking = cases.filter((c) => !known(c) && ours.get(c.name)!.scan.leaks.length > 0);
  if (!leaking.length) return 'passes (no leak outside the known ones)';
  return `fails (${leaking.length} cases leak: ${leaking.map((c) => c.name).join(', ')})`;
}

async function orthancCase(o: Orthanc, c: AdversarialCase): Promise<Outcome> {
  const stored = await o.store(c.bytes);
  if ('refused' in stored) return { refused: `store: ${stored.refused}`, files: 0, scan: scanOutputs([], c.secrets) };
  const outputs: { name: string; bytes: Uint8Array }[] = [];
  const refused: string[] = [];
  for (const id of stored.ids) {
    const a = await o.anonymize(id);
    if ('refused' in a) refused.push(`anonymize: ${a.refused}`);
    else outputs.push({ name: `orthanc-${id}.dcm`, bytes: a.bytes });
    await o.remove(id);
  }
  return { scan: scanOutputs(outputs, c.secrets), files: outputs.length, ...(refused.length ? { refused: refused.join('; ') } : {}) };
}

beforeAll(async () => {
  if (process.env.ADVERSARIAL_CORE) core = (await import(process.env.ADVERSARIAL_CORE)) as Core;
  tmp = mkdtempSync(join(tmpdir(), 's2p-adversarial-'));
  mkdirSync(join(tmp, 'in'));
  cases = generateCases();
  for (const c of cases) ours.set(c.name, await anonymiseCase(c));
  orthanc = await startOrthanc(join(tmp, 'orthanc'), 's2p-adversarial');
  for (const c of cases) theirs.set(c.name, await orthancCase(orthanc, c));
});
afterAll(async () => {
  await orthanc?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('the adversarial set', () => {
  it('has a case in every leak class, and every secret is long enough in every encoding to not match by chance', () => {
    for (const cls of [0, 1, 2, 3, 4, 5] as const) expect(cases.filter((c) => c.cls === cls).length, `class ${cls}`).toBeGreaterThan(0);
    for (const c of cases) {
      expect(c.secrets.length, c.name).toBeGreaterThan(2);
      for (const s of c.secrets) {
        for (const n of needles(s)) expect(n.bytes.length, `${c.name}: ${s.value} ${n.encoding}`).toBeGreaterThanOrEqual(MIN_NEEDLE_BYTES);
      }
    }
  });

  it('every planted secret is found by the scanner in its own input (the planting and the scanner work)', () => {
    const encodings = new Set<string>();
    const places = new Set<string>();
    for (const c of cases) {
      const r = scanOutputs([{ name: 'input', bytes: c.bytes }], c.secrets);
      expect(r.unreadable, c.name).toEqual([]);
      const found = new Set(leakedSecrets(r).map((s) => s.value));
      expect(c.secrets.filter((s) => !found.has(s.value)).map((s) => s.value), c.name).toEqual([]);
      for (const l of r.leaks) {
        encodings.add(l.encoding.replace(/ (upper|lower)$/, ''));
        places.add(l.where.replace(/zip:.*/, 'zip').replace(/^input › /, ''));
      }
    }
    // The positive controls cover the non-trivial paths of the scanner.
    for (const e of ['utf-8', 'latin-1', 'utf-16le', 'shift-jis', 'euc-jp', 'iso-2022-jp']) expect(encodings, e).toContain(e);
    expect([...encodings].some((e) => e.startsWith('base64/')), 'base64').toBe(true);
    expect(places).toContain('inflated data set');
    expect(places).toContain('zip');
  });

  it('every DICOM case parses with dicom-parser (an independent reader) and dcmdump reads the UN, command group and JPEG cases', () => {
    // dicom-parser loses its place after an implicit VR command group (dcmtk reads it: see below).
    for (const c of cases.filter((x) => !x.zip && x.name !== 'command-group-implicit')) {
      const opts = c.name === 'no-meta' ? { TransferSyntaxUID: '1.2.840.10008.1.2.1' } : { inflater };
      const ds = dicomParser.parseDicom(c.bytes, opts as any);
      // The planted values are the ones a reader sees: one element per tag, in ascending order, up to the end.
      if (!c.name.startsWith('charset')) expect(ds.string('x00100010'), c.name).toBe('Basefamily^Basegiven');
      const f = splitFile(c.bytes, c.name === 'no-meta' ? TS.explicitLE : undefined);
      const tags = topLevel(f.dataset, f.syntax);
      for (let i = 1; i < tags.length; i++) expect(tags[i]!.tag >>> 0, `${c.name} element ${i}`).toBeGreaterThan(tags[i - 1]!.tag >>> 0);
      expect(tags.at(-1)!.end, c.name).toBe(f.dataset.length);
    }
    for (const c of cases.filter((x) => x.cls === 1 || x.cls === 4 || x.cls === 5)) {
      const p = join(tmp, `${c.name}-dump.dcm`);
      writeFileSync(p, c.bytes);
      const dump = execFileSync('dcmdump', ['-q', p], { encoding: 'utf8', stdio: 'pipe' });
      expect(dump, c.name).toMatch(/^\(0010,0010\) PN \[Basefamily\^Basegiven\]/m);
    }
  });
});

describe('scan2print anonymise on the adversarial set', () => {
  it('leaks nothing in the classes that are fixed; prints leaks per class and per case (with Orthanc side by side)', () => {
    const table = { cases, ours, orthanc: orthanc ? { version: orthanc.version, outcomes: theirs } : undefined };
    const perClass = classTable(table);
    const perCase = caseTable(table);
    const coreLabel = process.env.ADVERSARIAL_CORE ?? 'working tree';
    const open = [...KNOWN_LEAKS].join(', ') || 'none';
    console.log(`adversarial set: ${cases.length} cases, core: ${coreLabel}; known leaks (classes or cases): ${open}`);
    console.log(`${perClass}\n\n${perCase}`);
    const nowClean = [...KNOWN_LEAKS].filter((k) => cases.some((c) => c.name === k) && ours.get(k as string)!.scan.leaks.length === 0);
    if (nowClean.length) console.log(`KNOWN_LEAKS entries that no longer leak (remove them): ${nowClean.join(', ')}`);
    const section = process.env.ADVERSARIAL_MD;
    if (section) {
      const head = execFileSync('git', ['log', '-1', '--format=%h %s'], { cwd: ROOT, encoding: 'utf8' }).trim().slice(0, 90);
      // ADVERSARIAL_CORE_COMMIT names the commit an ADVERSARIAL_CORE export came from.
      const commit = process.env.ADVERSARIAL_CORE_COMMIT ?? '?';
      const coreAt = process.env.ADVERSARIAL_CORE ? `core exported from ${commit}` : `core of the working tree at ${head}`;
      const env = process.env.ADVERSARIAL_CORE ? `ADVERSARIAL_CORE=${coreLabel} ADVERSARIAL_CORE_COMMIT=${commit} ` : '';
      writeSection(
        join(ROOT, 'bench', 'results', 'anonymise-adversarial.md'),
        section,
        `## ${section}: ${new Date().toISOString().slice(0, 16)}Z, ${coreAt}\n\n` +
          `Command: \`${env}ADVERSARIAL_MD=${section} npx vitest run test/adversarial/adversarial.spec.ts\`. ` +
          `Known leaks (classes or cases) in this run: ${open}. Verdict: ${verdict()}.\n\n${perClass}\n\n${perCase}\n`,
      );
    }
    for (const c of cases) {
      const o = ours.get(c.name)!;
      expect(o.scan.unreadable, c.name).toEqual([]);
      if (known(c)) continue;
      const leaks = o.scan.leaks.map((l) => `${l.where}: ${l.secret.label} "${l.secret.value}" as ${l.encoding} at ${l.offset}`);
      expect(leaks, `${c.name} (class ${c.cls})`).toEqual([]);
    }
  });

  it('writes every case of the classes found clean before (none refused), one output per input', () => {
    for (const c of cases.filter((x) => x.cls === 0)) {
      const o = ours.get(c.name)!;
      expect(o.refused, c.name).toBeUndefined();
      expect(o.files, c.name).toBe(c.name === 'zip-in-zip' ? 3 : c.zip ? 2 : 1);
    }
  });

  it('writes files that dcmdump (dcmtk) reads without a warning, and with no UN element left', () => {
    const problems: string[] = [];
    for (const c of cases) {
      for (const o of ourFiles.get(c.name) ?? []) {
        const p = join(tmp, `ours-${c.name}.dcm`);
        writeFileSync(p, o.bytes);
        const r = spawnSync('dcmdump', ['-q', p], { encoding: 'utf8' });
        if (r.status !== 0 || r.stderr.trim()) problems.push(`${c.name}: dcmdump ${r.status}: ${r.stderr.trim().slice(0, 200)}`);
        // An element left as UN is one no reader can check; the fixes write sequences back as SQ.
        const un = r.stdout.split('\n').filter((l) => /^\s*\([0-9a-f]{4},[0-9a-f]{4}\) UN /i.test(l));
        if (un.length) problems.push(`${c.name}: UN left: ${un.slice(0, 3).join(' | ')}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('Orthanc stored and anonymised the plain cases (the comparison ran)', () => {
    expect(orthanc).toBeDefined();
    const ran = cases.filter((c) => (theirs.get(c.name)?.files ?? 0) > 0);
    expect(ran.length).toBeGreaterThan(cases.length / 2);
  });
});
