/**
 * `scan2print evaluate`: compare a segmentation with a reference label map
 * (ISO/IEC 3532-2 performance evaluation). Both may be NIfTI-1 (.nii/.nii.gz) or,
 * once the DICOM SEG reader is present, DICOM SEG.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { evaluateSegmentationAsync, inputError, readLabelFile, type SegmentationMetrics, type StageRecord } from '@scan2print/core';
import { createNodePool } from '../pool/node-pool.js';
import type { RegisterCommand } from './index.js';
import { labelsIn } from '../util/labels-in.js';

interface EvaluateOptions {
  ref: string;
  refLabels?: string;
  seg: string;
  segLabels?: string;
  json?: boolean;
}

const METRIC_KEYS: (keyof SegmentationMetrics)[] = ['dice', 'jaccard', 'sensitivity', 'precision', 'volumeDiffPercent', 'hausdorff_mm', 'hausdorff95_mm', 'assd_mm'];

/** Volumes above this many voxels run the distance transforms on worker threads. */
const POOL_MIN_VOXELS = 4_000_000;

function readBytes(file: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw inputError('READ_FAILED', code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, expected a label file (.nii, .nii.gz or DICOM SEG)' : `cannot read (${(e as Error).message})`, file, e);
  }
}

function fmt(v: number | null, digits: number, unit = ''): string {
  return v === null ? 'n/a' : `${v.toFixed(digits)}${unit}`;
}

function table(m: SegmentationMetrics, rec: StageRecord, opts: EvaluateOptions): string {
  const f = rec.figures;
  const lines = [
    `reference:    ${opts.ref} (labels ${String(rec.params.refLabels)}; ${f.ref_voxels} voxels, ${f.ref_volume_mm3} mm³)`,
    `segmentation: ${opts.seg} (labels ${String(rec.params.segLabels)}; ${f.seg_voxels} voxels, ${f.seg_volume_mm3} mm³)`,
    ...(rec.corrections ?? []).map((c) => `note: ${c}`),
    ...(rec.findings ?? []).map((x) => `${x.severity}: ${x.message}`),
    '',
    `  Dice                     ${fmt(m.dice, 4)}`,
    `  Jaccard                  ${fmt(m.jaccard, 4)}`,
    `  Sensitivity              ${fmt(m.sensitivity, 4)}`,
    `  Precision                ${fmt(m.precision, 4)}`,
    `  Volume difference        ${fmt(m.volumeDiffPercent, 2, ' %')}`,
    `  Hausdorff (max)          ${fmt(m.hausdorff_mm, 3, ' mm')}`,
    `  Hausdorff (95th pct)     ${fmt(m.hausdorff95_mm, 3, ' mm')}`,
    `  Mean surface distance    ${fmt(m.assd_mm, 3, ' mm')}`,
    '',
    'HD95 = the larger of the two directed 95th percentiles; distances between boundary-voxel centres, exact Euclidean, physical spacing.',
  ];
  return `${lines.join('\n')}\n`;
}

export const registerEvaluate: RegisterCommand = (program: Command, setExit) => {
  program
    .command('evaluate')
    .description('compare a segmentation with a reference label map: Dice, Jaccard, sensitivity, precision, volume difference, Hausdorff (max, 95th percentile), mean surface distance (mm)')
    .requiredOption('--ref <file>', 'reference label map (.nii, .nii.gz or DICOM SEG)')
    .option('--ref-labels <ranges>', 'reference labels to use, e.g. 25-50,69-78,91-116 (default: every non-zero label)')
    .requiredOption('--seg <file>', 'segmentation to evaluate (.nii, .nii.gz or DICOM SEG)')
    .option('--seg-labels <ranges>', 'segmentation labels to use (default: every non-zero label)')
    .option('--json', 'print the metrics as JSON (keys dice, jaccard, sensitivity, precision, volumeDiffPercent, hausdorff_mm, hausdorff95_mm, assd_mm; the stage record under "record")')
    .action(async (opts: EvaluateOptions) => {
      const ref = readLabelFile(readBytes(opts.ref), opts.ref);
      const seg = readLabelFile(readBytes(opts.seg), opts.seg);
      const n = seg.grid.dims[0] * seg.grid.dims[1] * seg.grid.dims[2];
      const pool = n >= POOL_MIN_VOXELS ? createNodePool() : undefined;
      try {
        const params = { ...(opts.refLabels !== undefined ? { refLabels: opts.refLabels } : {}), ...(opts.segLabels !== undefined ? { segLabels: opts.segLabels } : {}) };
        const { output, record } = await evaluateSegmentationAsync(ref, seg, params, pool ? { pool } : {});
        if (opts.json) {
          const out: Record<string, unknown> = {};
          for (const k of METRIC_KEYS) out[k] = output[k];
          out.ref = opts.ref;
          out.seg = opts.seg;
          out.record = record;
          process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        } else {
          process.stdout.write(table(output, record, opts));
        }
        // An empty reference leaves nothing to measure against (both empty reads as Dice 1): a
        // label that is not in the file, as a rule. The figures above still stand, exit 3.
        if (record.figures.ref_voxels === 0) {
          process.stderr.write(`scan2print: ${opts.ref}: the reference mask (labels ${String(record.params.refLabels)}) is empty: nothing to compare with (labels in the file: ${labelsIn(ref.data)})\n`);
          setExit(3);
        }
      } finally {
        await pool?.close();
      }
    });
};
