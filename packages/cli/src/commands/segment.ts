/**
 * `scan2print segment`: DICOM series or HU NIfTI → label map(s) (NIfTI or DICOM SEG),
 * with the stage records of every step (`--json`). Option parsing: core's pipeline/segment-args.ts.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  assessVolume,
  defaultForestModel,
  identifyStructures,
  setDefaultForestModel,
  sameGrid,
  type Identification,
  inputError,
  optionsFromArgs,
  readNifti,
  runSegmentation,
  usageError,
  writeNifti,
  type HuRange,
  type LabelMap,
  type StageRecord,
  type Volume,
} from '@scan2print/core';
import { lazyNodePool } from '../io/import-input.js';
import { preflightOutputs, withOutputs } from '../util/output-set.js';
import { createProgress } from '../util/progress.js';
import { outputNameFor, probabilityName, type SegmentCliOptions } from './segment-args.js';
import { loadDicomInput, plannedSegmentOutputs, writeDicomSeg, type DicomInput } from './segment-io.js';
import type { RegisterCommand } from './index.js';
import { addSegmentationOptions } from './shared-options.js';
import { shippedForestModel } from '../convert/forest-model.js';

/** Volumes above this many voxels run the slab kernels on worker threads. */
const POOL_MIN_VOXELS = 4_000_000;

function isNiftiPath(p: string): boolean {
  return /\.nii(\.gz)?$/i.test(p);
}

function readVolumeNifti(file: string): Volume {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw inputError('READ_FAILED', code === 'ENOENT' ? 'no such file' : `cannot read (${(e as Error).message})`, file, e);
  }
  return readNifti(bytes, file).volume;
}

function summary(records: StageRecord[], outputs: Array<{ file: string; range?: HuRange; voxels?: number }>): string {
  const lines: string[] = [];
  for (const r of records) {
    const f = r.figures;
    if (r.method === 'auto-threshold') {
      lines.push(
        f.fallback
          ? `auto threshold: ${String(f.threshold_HU)} HU (FALLBACK: ${String(f.reason)})`
          : `auto threshold: ${String(f.threshold_HU)} HU (soft-tissue peak ${String(f.peak_HU)} HU, inflection ${String(f.inflection_HU)} HU)`,
      );
    } else {
      // Scalars only; a component list is summarised by its length (the full list is in --json).
      const bits = Object.entries(f)
        .filter(([, v]) => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || Array.isArray(v))
        .slice(0, 8)
        .map(([k, v]) => (Array.isArray(v) ? (typeof v[0] === 'object' ? `${k}=${v.length}` : `${k}=${JSON.stringify(v)}`) : `${k}=${String(v)}`));
      lines.push(`${r.stage}/${r.method}${r.params.labelMap ? ` [${String(r.params.labelMap)}]` : ''}${bits.length ? `: ${bits.join(' ')}` : ''}`);
      for (const pr of (f.perRange as Array<Record<string, unknown>> | undefined) ?? []) lines.push(`  ${String(pr.range)}: voxels_selected=${String(pr.voxels_selected)} volume_mm3=${String(pr.volume_mm3)}`);
    }
    for (const x of r.findings ?? []) lines.push(`  ${x.severity}: ${x.message}`);
    for (const n of r.notes ?? []) lines.push(`  note: ${n}`);
  }
  for (const o of outputs) lines.push(`wrote ${o.file}${o.range ? ` (HU ${o.range[0]}..${o.range[1]})` : ''}${o.voxels !== undefined ? `: ${o.voxels} voxels` : ''}`);
  return `${lines.join('\n')}\n`;
}

function countOnes(l: LabelMap): number {
  let n = 0;
  for (let i = 0; i < l.data.length; i++) if (l.data[i] !== 0) n++;
  return n;
}

export const registerSegment: RegisterCommand = (program: Command) => {
  const cmd = program
    .command('segment')
    .description('segment a CT series (DICOM files/folders) or an HU NIfTI volume into a label map: thresholds, automatic threshold, soft threshold, region growing, preprocessing and clean-up')
    .argument('<inputs...>', 'DICOM files or folders, or one HU volume (.nii/.nii.gz)')
    .requiredOption('-o, --output <file>', 'label map to write: .nii, .nii.gz or .dcm (DICOM SEG referencing the source series)')
    .option('--remove-table', 'remove the scanner table / head holder')
    .option('--keep-faint', 'with the automatic threshold: keep faint components (tissue at the threshold plus noise, e.g. contrast-enhanced vessels), which are removed by default');
  addSegmentationOptions(cmd, { defaultMethod: 'auto' });
  cmd
    .option('--method <name>', 'a segmentation method by name instead of a threshold: forest (the bone forest shipped in packages/core/models; labels are bone groups, the record names them; see scan2print train) or threshold-forest (bone of the automatic threshold, each voxel named by the forest)')
    .option('--force', 'segment even when the input assessment finds errors (not CT, not in Hounsfield units, one slice; recorded in the records)')
    .option('--json', 'print the stage records (method, parameters, figures, components) and the identified bone structures as JSON')
    .option('--no-anatomy', 'with --json: do not identify bone structures (anatomical graph: name, side, volume, bounding box, confidence)')
    .action(async (inputs: string[], o: SegmentCliOptions) => {
      const out = o.output;
      if (!/\.(nii|nii\.gz|dcm)$/i.test(out)) throw usageError('BAD_OUTPUT', `${out}: output must end in .nii, .nii.gz or .dcm`);
      const options = optionsFromArgs(o);
      if (o.method !== undefined) {
        const thresholdGiven = o.preset !== undefined || (o.threshold?.length ?? 0) > 0 || o.thresholds !== undefined || o.seed !== undefined || o.seedVoxel !== undefined || o.soft !== undefined;
        if (thresholdGiven) throw usageError('BAD_OPTION', '--method replaces --preset, --threshold(s), --seed and --soft: give one of them');
        // The forest's trained model is data the host loads (core reads no files); threshold-forest runs it too.
        if ((o.method === 'forest' || o.method === 'threshold-forest') && !defaultForestModel()) {
          const { bytes, source } = shippedForestModel();
          setDefaultForestModel(bytes, source);
        }
        options.method = { method: o.method };
      }
      // Unwritable outputs (a folder of that name, a read-only folder) fail now, not after the run.
      preflightOutputs(plannedSegmentOutputs(out, options), inputs);
      const progress = createProgress({ json: o.json === true });
      const records: StageRecord[] = [];

      let volume: Volume;
      let dicom: DicomInput | undefined;
      // A NIfTI volume is the whole input: beside DICOM it was counted as "not DICOM" and left out.
      const niftis = inputs.filter((f) => isNiftiPath(f));
      if (niftis.length > 0 && inputs.length > 1) {
        throw usageError('BAD_INPUT', `${niftis.join(', ')}: give one HU volume (.nii/.nii.gz) alone, or DICOM files and folders without it`);
      }
      if (inputs.length === 1 && isNiftiPath(inputs[0]!)) {
        if (o.series !== undefined) throw usageError('BAD_OPTION', '--series applies to DICOM input, not to a NIfTI volume');
        volume = readVolumeNifti(inputs[0]!);
      } else {
        dicom = await loadDicomInput(inputs, o.series, { json: o.json === true });
        volume = dicom.volume;
        records.push(dicom.record);
      }
      // The check convert makes: a label map of data that is not CT in HU is no bone.
      const assess = assessVolume({ volume, ...(dicom?.imported.chosen.modality ? { modality: dicom.imported.chosen.modality } : {}) });
      records.push(assess.record);
      const errors = [...(dicom?.record.findings ?? []), ...(assess.record.findings ?? [])].filter((f) => f.severity === 'error');
      if (errors.length && o.force !== true) {
        const what = errors.map((f) => `${f.code}: ${f.message}`).join('; ');
        throw inputError('INPUT_ASSESSMENT_ERROR', `the input assessment found ${errors.length} error(s), no label map was written: ${what} (--force segments anyway)`, inputs.join(' '));
      }
      if (/\.dcm$/i.test(out)) {
        if (!dicom) throw usageError('SEG_NEEDS_DICOM', `${out}: a DICOM SEG output references its source series, so the input must be DICOM (write .nii.gz for a NIfTI input)`);
        if (options.preprocess?.isotropic_mm !== undefined) throw usageError('SEG_GRID', `${out}: a DICOM SEG must be on the source series' grid: drop --isotropic or write .nii.gz`);
      }

      const n = volume.grid.dims[0] * volume.grid.dims[1] * volume.grid.dims[2];
      const pool = n >= POOL_MIN_VOXELS ? lazyNodePool() : undefined;
      try {
        progress.stage('segment');
        const res = await runSegmentation(volume, options, { ...(pool ? { pool } : {}), progress: (f, m) => progress.update(f, m) });
        records.push(...res.records);
        const many = res.output.labels.length > 1;
        // All or nothing: temporaries renamed together at the end, removed on failure or Ctrl-C.
        const written = await withOutputs(async (set) => {
          const files: Array<{ file: string; range?: HuRange; voxels: number }> = [];
          for (let i = 0; i < res.output.labels.length; i++) {
            const labels = res.output.labels[i]!;
            const range = res.output.ranges?.[i];
            const file = range ? outputNameFor(out, range, many) : out;
            set.write(file, /\.dcm$/i.test(file) ? await writeDicomSeg(labels, dicom!, range, records) : writeNifti(labels, { gzip: /\.gz$/i.test(file), description: 'labels' }));
            files.push({ file, ...(range ? { range } : {}), voxels: countOnes(labels) });
          }
          if (res.output.probability) {
            const file = probabilityName(out);
            set.write(file, writeNifti(res.output.probability, { gzip: true, description: 'probability' }));
            files.push({ file, voxels: n });
          }
          return files;
        });
        // Structures of the (first) label map, when it lies on the input grid (no resampling).
        let anatomy: Identification | undefined;
        const first = res.output.labels[0];
        if (o.json && o.anatomy !== false && first && sameGrid(first.grid, volume.grid)) {
          progress.stage('anatomy');
          const forest = res.output.forest;
          const id = identifyStructures(first, volume, forest && sameGrid(forest.labels.grid, first.grid) ? { forest } : {});
          records.push(id.record);
          anatomy = id.output;
        }
        progress.done();
        if (o.json) process.stdout.write(`${JSON.stringify({ outputs: written, records, ...(anatomy ? { anatomy } : {}) }, null, 2)}\n`);
        else process.stdout.write(summary(records, written));
      } finally {
        await pool?.close();
      }
    });
};
