/**
 * `scan2print train --ct CT --labels LABELS [--ct … --labels …] --groups FILE -o model.bin`:
 * trains the chained bone forest (core segment/forest) on labelled scans. CT: a DICOM
 * folder/zip or an HU NIfTI; labels: NIfTI or DICOM SEG, on any grid (taken to the scan's
 * grid by patient mm). The group file maps group names to label names or ids (names are
 * TotalSegmentator v2's unless --label-names gives a label map). Same inputs, options and
 * seed → the same model bytes; a record (`<output>.json`) says what it was trained on,
 * with the options and timings.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import {
  DEFAULT_TRAIN_OPTIONS,
  SCAN2PRINT_VERSION,
  encodeForest,
  inputError,
  readLabelFile,
  readNifti,
  resolveGroups,
  trainForest,
  usageError,
  type TrainingCase,
  type TrainOptions,
  type Volume,
} from '@scan2print/core';
import { importFromPaths } from '../io/import-input.js';
import { createNodePool } from '../pool/node-pool.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { preflightOutputs } from '../util/output-set.js';
import { sha256Hex } from '../util/checksum.js';
import type { RegisterCommand } from './index.js';

interface TrainCliOptions {
  ct: string[];
  labels: string[];
  groups: string;
  labelNames?: string;
  output: string;
  seed: string;
  trees: string;
  depth: string;
  samplesPerGroup?: string;
  exclude?: string;
  workers?: string;
  json?: boolean;
  quiet?: boolean;
}

function readBytes(file: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw inputError('READ_FAILED', code === 'ENOENT' ? `no such ${what}` : code === 'EISDIR' ? `is a directory, expected a ${what}` : `cannot read (${(e as Error).message})`, file, e);
  }
}

function readJson(file: string, what: string): unknown {
  const text = new TextDecoder().decode(readBytes(file, what));
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw inputError('BAD_JSON', `${what} is not valid JSON (${(e as Error).message})`, file, e);
  }
}

function int(flag: string, s: string, min: number, max: number): number {
  const v = Number(s);
  if (!Number.isInteger(v) || v < min || v > max) throw usageError('BAD_OPTION', `${flag} ${s}: expected an integer ${min}..${max}`);
  return v;
}

async function loadCt(path: string, quiet: boolean): Promise<Volume> {
  if (/\.nii(\.gz)?$/i.test(path)) return readNifti(readBytes(path, 'CT volume'), path).volume;
  try {
    statSync(path);
  } catch {
    throw inputError('READ_FAILED', 'no such CT folder or file', path);
  }
  return (await importFromPaths([path], { quiet, json: true })).output.volume;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export const registerTrain: RegisterCommand = (program: Command) => {
  program
    .command('train')
    .description('train the bone forest (per-voxel classifier naming bone groups) on labelled CT scans; writes a model for the `forest` segmentation method')
    .option('--ct <path>', 'a CT: DICOM folder, file or .zip, or an HU NIfTI (.nii/.nii.gz); repeat, one per --labels', collect, [])
    .option('--labels <file>', 'its reference label map (.nii/.nii.gz or DICOM SEG), on any grid covering the scan; repeat', collect, [])
    .requiredOption('--groups <file>', 'JSON: group name → list of label names or ids, e.g. {"femur_left": ["femur_left"], "vertebrae_lumbar": [27, 28, 29, 30, 31]}')
    .option('--label-names <file>', 'JSON label map id → name for the names in --groups (default: TotalSegmentator v2 bone names)')
    .requiredOption('-o, --output <file>', 'model file to write (.bin); the record goes to the same name with .json')
    .option('--seed <n>', 'random seed (sampling, tree features)', String(DEFAULT_TRAIN_OPTIONS.seed))
    .option('--trees <n>', 'trees per stage', String(DEFAULT_TRAIN_OPTIONS.trees))
    .option('--depth <n>', 'maximum tree depth', String(DEFAULT_TRAIN_OPTIONS.depth))
    .option('--samples-per-group <n>', `sampled voxels per group per scan (default ${DEFAULT_TRAIN_OPTIONS.samplesPerGroup})`)
    .option('--exclude <names>', 'comma-separated features never to split on (e.g. posX,posY)')
    .option('--workers <n>', 'worker threads for the feature and tree passes (default 2; 0 = none)')
    .option('--json', 'print the record as JSON')
    .option('-q, --quiet', 'no progress on stderr')
    .action(async (opts: TrainCliOptions) => {
      if (opts.ct.length === 0) throw usageError('BAD_OPTION', 'give at least one --ct with its --labels');
      if (opts.ct.length !== opts.labels.length) throw usageError('BAD_OPTION', `${opts.ct.length} --ct but ${opts.labels.length} --labels: give one label map per scan, in the same order`);
      if (!/\.bin$/i.test(opts.output)) throw usageError('BAD_OUTPUT', `${opts.output}: the model file name must end in .bin`);
      // Both files are checked now: training takes minutes, and an unwritable output was found only after it.
      preflightOutputs([opts.output, opts.output.replace(/\.bin$/i, '.json')]);
      const options: Partial<TrainOptions> = {
        seed: int('--seed', opts.seed, 0, 2 ** 32 - 1),
        trees: int('--trees', opts.trees, 1, 1000),
        depth: int('--depth', opts.depth, 1, 30),
        ...(opts.samplesPerGroup !== undefined ? { samplesPerGroup: int('--samples-per-group', opts.samplesPerGroup, 10, 1_000_000) } : {}),
        ...(opts.exclude !== undefined ? { exclude: opts.exclude.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
      };
      const labelNames = opts.labelNames !== undefined ? (readJson(opts.labelNames, 'label map') as Record<string, string>) : undefined;
      if (labelNames !== undefined && (typeof labelNames !== 'object' || labelNames === null || Array.isArray(labelNames))) {
        throw inputError('BAD_LABEL_NAMES', 'expected a JSON object: label id → name', opts.labelNames);
      }
      const groupDef = resolveGroups(readJson(opts.groups, 'group file'), opts.groups, labelNames);
      const quiet = opts.quiet === true || opts.json === true;
      const log = (s: string) => {
        if (!quiet) process.stderr.write(`${s}\n`);
      };
      const t0 = performance.now();
      const cases: TrainingCase[] = [];
      const trainedOn: string[] = [];
      for (let i = 0; i < opts.ct.length; i++) {
        const ct = opts.ct[i]!;
        const lab = opts.labels[i]!;
        const volume = await loadCt(ct, quiet);
        const labBytes = readBytes(lab, 'label file');
        const labels = readLabelFile(labBytes, lab);
        const huHash = sha256Hex(new Uint8Array(volume.data.buffer, volume.data.byteOffset, volume.data.byteLength)).slice(0, 16);
        const g = volume.grid;
        trainedOn.push(
          `${basename(ct)} (${g.dims.join('×')} at ${g.spacing_mm.map((s) => +s.toFixed(4)).join('×')} mm, HU sha256 ${huHash}…) with ${basename(lab)} (sha256 ${sha256Hex(labBytes).slice(0, 16)}…)`,
        );
        cases.push({ name: ct, labelsName: lab, volume, labels });
        log(`read ${ct}: ${g.dims.join('×')} voxels; labels ${lab}`);
      }
      const tRead = performance.now();
      const workers = opts.workers !== undefined ? int('--workers', opts.workers, 0, 64) : 2;
      const pool = workers > 1 ? createNodePool(workers) : undefined;
      let res;
      try {
        res = await trainForest(cases, groupDef, options, { trainedOn, createdWith: `scan2print ${SCAN2PRINT_VERSION}` }, pool);
      } finally {
        await pool?.close();
      }
      const bytes = encodeForest(res.model);
      const tTrain = performance.now();
      const record = {
        output: opts.output,
        bytes: bytes.length,
        sha256: sha256Hex(bytes),
        meta: res.model.meta,
        figures: { ...res.figures, read_ms: Math.round(tRead - t0), train_ms: Math.round(tTrain - tRead), workers },
      };
      try {
        writeFileAtomic(opts.output, bytes);
        writeFileAtomic(opts.output.replace(/\.bin$/i, '.json'), `${JSON.stringify(record, null, 2)}\n`);
      } catch (e) {
        throw inputError('WRITE_FAILED', `cannot write (${(e as Error).message})`, opts.output, e);
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
      else if (!opts.quiet) {
        process.stdout.write(
          `wrote ${opts.output}: ${bytes.length} bytes, groups ${res.model.meta.groups.join(', ')}` +
            `${res.model.meta.absentGroups.length ? ` (no training voxels: ${res.model.meta.absentGroups.join(', ')})` : ''}; trained in ${((tTrain - tRead) / 1000).toFixed(1)} s\n`,
        );
      }
    });
};
