/**
 * `scan2print anonymise <dicom…> -o OUTDIR`: DICOM PS3.15 Basic Profile de-identification of
 * files, folders and zips, with a project key so UIDs and the patient key are the same in every
 * run. Writes `<new SOPInstanceUID>.dcm` files (temp + rename) and `anonymisation.json`, a summary
 * that holds no identity: no names, no original UIDs, not even the input paths (a folder name
 * is often the patient's name). Input paths appear only in messages on this machine's stderr.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { anonymisedFileName, createAnonymiser, isScanError, SCAN2PRINT_VERSION, usageError, type AnonymiseResult, type Finding } from '@scan2print/core';
import { collectInputs } from '../io/inputs.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { createProgress } from '../util/progress.js';
import type { RegisterCommand } from './index.js';
import { configDir, ensurePrivateDir, openToOthers } from '../util/config-dir.js';
import { earlierOutputs, preflightAnonymise, refuseOverlap, SUMMARY_FILE, within, type OutputEntry } from './anonymise-output.js';

export { SUMMARY_FILE } from './anonymise-output.js';

interface AnonymiseCliOptions {
  output: string;
  keyFile?: string;
  json?: boolean;
  quiet?: boolean;
  allowBurnedIn?: boolean;
  shiftDates?: boolean;
}

/** Where keys used to be created by default (the working folder); found there, it is not used silently. */
export const LEGACY_KEY_FILE = 'scan2print-project.key';
export const DEFAULT_KEY_NAME = 'project.key';

/** The default key file: $SCAN2PRINT_KEY_FILE, else project.key in the user's config folder. */
export function defaultKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.SCAN2PRINT_KEY_FILE || join(configDir(env), DEFAULT_KEY_NAME);
}

/** Reads the project key (hex of ≥ 16 bytes, or a text passphrase of ≥ 16 bytes); creates a random one if absent. */
export function loadOrCreateKey(path: string): { key: Uint8Array; created: boolean } {
  if (!existsSync(path)) {
    const dir = dirname(path);
    if (dir === configDir()) ensurePrivateDir(dir);
    else mkdirSync(dir, { recursive: true, mode: 0o700 });
    const key = randomBytes(32);
    writeFileSync(path, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    return { key: new Uint8Array(key), created: true };
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw usageError('KEY_FILE_UNREADABLE', `${path}: cannot read the key file (${(e as Error).message})`);
  }
  if (/^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0 && text.length >= 32) return { key: new Uint8Array(Buffer.from(text, 'hex')), created: false };
  const key = new Uint8Array(Buffer.from(text, 'utf8'));
  if (key.length < 16) throw usageError('KEY_TOO_SHORT', `${path}: the key file must hold at least 16 bytes (hex or text)`);
  return { key, created: false };
}

export const registerAnonymise: RegisterCommand = (program: Command, setExit) => {
  program
    .command('anonymise')
    .alias('anonymize')
    .description('remove or replace identifying data (DICOM PS3.15 Basic Application Confidentiality Profile) in DICOM files, folders or zips; UIDs replaced consistently per project key; a one-way patient key in PatientID')
    .argument('<dicom...>', 'DICOM files, folders (recursive) or .zip archives')
    .requiredOption('-o, --output <dir>', 'folder for the anonymised files (<new SOPInstanceUID>.dcm) and anonymisation.json')
    .option('--key-file <file>', `project key file; created with a random key (mode 0600) if absent (default: $SCAN2PRINT_KEY_FILE, else $XDG_CONFIG_HOME/scan2print/${DEFAULT_KEY_NAME} or ~/.config/scan2print/${DEFAULT_KEY_NAME}). Keep it secret, keep it out of what you send`)
    .option('--allow-burned-in', 'also write files whose BurnedInAnnotation is YES (their pixels may show identity)')
    .option(
      '--shift-dates',
      'keep intervals: move every date of a patient by the same secret offset (whole days, within ±365, from the key and the patient) ' +
        'instead of removing dates (PS3.15 Retain Longitudinal Temporal Information with Modified Dates)',
    )
    .option('--json', 'print the summary (the content of anonymisation.json) as JSON on stdout')
    .option('-q, --quiet', 'no progress and no summary lines')
    .action(async (inputs: string[], opts: AnonymiseCliOptions) => {
      const outDir = resolve(opts.output);
      const keyPath = resolve(opts.keyFile ?? defaultKeyFile());
      if (opts.keyFile === undefined && keyPath !== resolve(LEGACY_KEY_FILE) && existsSync(LEGACY_KEY_FILE)) {
        process.stderr.write(`scan2print: note: ./${LEGACY_KEY_FILE} (an older default) is not used; the key is ${keyPath} — pass --key-file ${LEGACY_KEY_FILE} to keep the old UIDs, and move it out of this folder\n`);
      }
      if (within(keyPath, outDir)) throw usageError('KEY_IN_OUTPUT', `the key file ${keyPath} must not be inside the output folder ${outDir}, which is meant to be sent`);
      refuseOverlap(outDir, inputs);
      preflightAnonymise(outDir, keyPath);
      const { sources } = await collectInputs(inputs);
      const { key, created } = loadOrCreateKey(keyPath);
      if (created && !opts.quiet) {
        process.stderr.write(
          `scan2print: created a new project key in ${keyPath} — keep it secret and reuse it: ` +
            'the same key gives the same UIDs and patient keys\n',
        );
      }
      const mode = created ? undefined : openToOthers(keyPath);
      // Shown under --quiet too: whoever else can read the key can re-derive patient keys and UIDs (and date offsets).
      if (mode !== undefined) {
        const octal = mode.toString(8).padStart(4, '0');
        process.stderr.write(`scan2print: warning: the key file ${keyPath} can be read by others (mode ${octal}): chmod 600 ${keyPath}\n`);
      }
      mkdirSync(outDir, { recursive: true });

      const anon = createAnonymiser(key, {
        burnedInAnnotation: opts.allowBurnedIn ? 'warn' : 'error',
        dates: opts.shiftDates ? 'shift' : 'remove',
      });
      const progress = createProgress({ quiet: opts.quiet, json: opts.json });
      progress.stage('anonymise');
      const outputs: OutputEntry[] = [];
      const findings: Finding[] = [];
      const skipped: { input: number; code: string }[] = [];
      const written = new Set<string>();
      let refused = 0;
      let failed = 0;
      let notDicom = 0;
      let dicomdirs = 0;
      const dates = { shifted: 0, notShifted: 0 };
      for (let i = 0; i < sources.length; i++) {
        const src = sources[i]!;
        progress.update(i / sources.length, `${i}/${sources.length} files`);
        let r: AnonymiseResult;
        try {
          r = await anon.anonymise(await src.read(), src.name);
        } catch (e) {
          if (!isScanError(e)) throw e;
          skipped.push({ input: i + 1, code: e.code });
          if (e.code === 'NOT_DICOM') notDicom++;
          else if (e.code === 'ANON_DICOMDIR') dicomdirs++;
          else failed++;
          // An input that could not be anonymised is an error: said under --quiet too.
          if (e.code !== 'NOT_DICOM') process.stderr.write(`scan2print: skipped ${e.message}\n`);
          continue;
        }
        const name = anonymisedFileName(r.summary.sopInstanceUid);
        const burned = r.findings.some((f) => f.code === 'BURNED_IN_ANNOTATION' && f.severity === 'error');
        for (const f of r.findings) findings.push({ ...f, files: [burned ? `input #${i + 1} (not written)` : name] });
        if (burned) {
          refused++;
          anon.discard(r);
          process.stderr.write(`scan2print: not written: ${src.name}: BurnedInAnnotation is YES (the pixels may show identity); use --allow-burned-in to write it anyway\n`);
          continue;
        }
        if (written.has(name)) {
          anon.discard(r);
          findings.push({ code: 'DUPLICATE_INSTANCE', severity: 'warn', message: 'two inputs have the same SOPInstanceUID; the first was kept', files: [name] });
          continue;
        }
        writeFileAtomic(join(outDir, name), r.bytes);
        written.add(name);
        const s = r.summary;
        dates.shifted += s.dateShift?.shifted ?? 0;
        dates.notShifted += s.dateShift?.notShifted ?? 0;
        outputs.push({
          file: name, patientKey: s.patientKey, transferSyntax: s.transferSyntax, bytes: s.bytesOut,
          ...(s.studyInstanceUid ? { studyInstanceUid: s.studyInstanceUid } : {}),
          ...(s.seriesInstanceUid ? { seriesInstanceUid: s.seriesInstanceUid } : {}),
          ...(s.modality ? { modality: s.modality } : {}),
        });
      }
      progress.done();

      // What an earlier run wrote here stays listed (this run's entries replace those it wrote again).
      const earlier = earlierOutputs(outDir, written);
      const listed = [...earlier, ...outputs].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
      const patients = new Map<string, { files: number; studies: Set<string>; series: Set<string> }>();
      for (const o of listed) {
        const p = patients.get(o.patientKey) ?? { files: 0, studies: new Set(), series: new Set() };
        p.files++;
        if (o.studyInstanceUid) p.studies.add(o.studyInstanceUid);
        if (o.seriesInstanceUid) p.series.add(o.seriesInstanceUid);
        patients.set(o.patientKey, p);
      }
      const record = { ...anon.record(), findings };
      const summary = {
        tool: 'scan2print',
        version: SCAN2PRINT_VERSION,
        profile: 'DICOM PS3.15 Basic Application Confidentiality Profile',
        keyFile: created ? 'created' : 'existing',
        files: {
          inputs: sources.length, written: outputs.length, notDicom, dicomdirsLeftOut: dicomdirs, failed, refusedBurnedIn: refused, skipped, fromEarlierRuns: earlier.length,
        },
        dates: opts.shiftDates ? { mode: 'shifted', ...dates } : { mode: 'removed' },
        patients: [...patients].map(([patientKey, p]) => ({ patientKey, files: p.files, studies: p.studies.size, series: p.series.size })),
        uidMapping: { distinctUidsReplaced: anon.uidsReplaced },
        findings,
        record,
        outputs: listed,
      };
      writeFileAtomic(join(outDir, SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
      const notShiftable = dates.notShifted ? `; ${dates.notShifted} not shiftable, removed by the profile` : '';
      if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else if (!opts.quiet) {
        // This run's patients (the summary's list covers the folder, earlier runs included).
        const runPatients = new Set(outputs.map((o) => o.patientKey)).size;
        process.stdout.write(
          `anonymised ${outputs.length} of ${sources.length} files → ${outDir} (${runPatients} patient${runPatients === 1 ? '' : 's'}, ${anon.uidsReplaced} UIDs replaced)\n` +
            (earlier.length ? `${earlier.length} file${earlier.length === 1 ? '' : 's'} from earlier runs in ${outDir} listed too\n` : '') +
            (notDicom ? `${notDicom} non-DICOM files ignored\n` : '') +
            (dicomdirs ? `${dicomdirs} DICOMDIR${dicomdirs === 1 ? '' : 's'} left out (media indexes that hold patient names)\n` : '') +
            (failed ? `${failed} input${failed === 1 ? '' : 's'} could not be anonymised (named above)\n` : '') +
            (opts.shiftDates ? `dates shifted per patient (${dates.shifted} values${notShiftable})\n` : '') +
            findings.map((f) => `${f.severity}: ${f.code}: ${f.message} [${(f.files ?? []).join(', ')}]\n`).join('') +
            `summary: ${join(outDir, SUMMARY_FILE)}\n`,
        );
      }
      if (opts.quiet && outputs.length === 0) {
        const why = sources.length ? `none of the ${sources.length} input files could be written (${notDicom} not DICOM, ${failed} unreadable, ${refused} refused)` : 'the inputs hold no files';
        process.stderr.write(`scan2print: nothing anonymised: ${why}\n`);
      }
      if (outputs.length === 0 || refused > 0 || failed > 0) setExit(3); // EXIT.input: some input was unusable or refused
    });
};
