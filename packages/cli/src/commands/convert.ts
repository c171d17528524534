/**
 * `scan2print convert`: the command a print lab runs every day. DICOM in; models
 * (3MF/STL/OBJ/PLY), optionally the label map, and the ISO/IEC 3532-1 report out.
 */
import { Option, type Command } from 'commander';
import {
  CONVERT_DEFAULT_TISSUE,
  convertJobSettings,
  usageError,
  type ConditionParams,
  type ConvertJobParams,
  type SegmentationOptions,
} from '@scan2print/core/job';
import { collectInputs } from '../io/inputs.js';
import { preflightConvert, runConvert } from '../convert/run-convert.js';
import { createProgress } from '../util/progress.js';
import { refuseAsciiWithoutStl } from './option-rules.js';
import { addMeshOptions, addSegmentationOptions } from './shared-options.js';
import type { RegisterCommand } from './index.js';
import { outputTime } from '../util/time.js';

/** Options that name output files or shape the terminal: the host's to decide, not the job's (a server decides its outputs). */
export const CONVERT_HOST_OPTIONS = ['output', 'labels', 'labelsOut', 'report', 'html', 'preview', 'ascii', 'json', 'quiet'] as const;

interface ConvertHostOptions {
  output: string[];
  labels?: string;
  labelsOut?: string;
  report?: string;
  html?: string;
  preview?: string;
  ascii?: boolean;
  json?: boolean;
  quiet?: boolean;
}

/** Every other option of the command is a job parameter, under the same name the server's params use. */
type ConvertCliOptions = ConvertHostOptions & ConvertJobParams;

/** The job's params among the command's options: the same object a server client sends. */
export function convertParamsOf(o: ConvertCliOptions): ConvertJobParams {
  const params: Record<string, unknown> = { ...o };
  for (const k of CONVERT_HOST_OPTIONS) delete params[k];
  return params as ConvertJobParams;
}

/** The segmentation `convert` runs for these options (core's convertJobSettings: the CLI's and the server's defaults). */
export function convertSegmentation(o: ConvertCliOptions): SegmentationOptions {
  return convertJobSettings(convertParamsOf(o)).segmentation;
}

export function convertCondition(o: ConvertCliOptions, name: string): ConditionParams {
  return { ...convertJobSettings(convertParamsOf(o)).condition, name };
}

export const registerConvert: RegisterCommand = (program: Command) => {
  const cmd = program
    .command('convert')
    .description('DICOM CT → segmentation → closed, printable 1:1 model(s) in patient mm, with the ISO/IEC 3532-1 report')
    .argument('<inputs...>', 'DICOM files, folders (recursive) or .zip archives')
    .requiredOption('-o, --output <file>', 'model file (.3mf, .stl, .obj, .ply); repeat for several formats', (v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
  addSegmentationOptions(cmd, { defaultMethod: 'auto' });
  addMeshOptions(cmd);
  cmd
    .option('--keep-table', 'do not remove the scanner table / head holder (removed by default: it must not be printed)')
    .option('--keep-faint', 'keep faint components (tissue at the automatic threshold plus noise, e.g. contrast-enhanced vessels), removed by default for bone')
    .option('--placement <rule>', 'where vertices go: edge (default: at the scanned edge, from the HU profile along the normal) or threshold (on the threshold\'s iso-surface, interpolated between voxels)')
    .option('--decimate-ratio <r>', 'decimate each model to this fraction of its raw triangle count (0 < r ≤ 1)')
    .option('--labels-out <file>', 'also write the label map (.nii.gz) of each model')
    .addOption(new Option('--labels <file>', 'old name of --labels-out').hideHelp())
    .option('--purpose <text>', 'clinical purpose, recorded in the report')
    .option('--tissue <name>', 'tissue / anatomy modelled (report and file names)', CONVERT_DEFAULT_TISSUE)
    .option(
      '--method <name>',
      'segment with a method instead of a threshold (e.g. --method threshold-forest --anatomy femur_left): forest (the bone forest shipped in packages/core/models: its groups and P(bone)), or threshold-forest (bone from the automatic threshold, each voxel named by the forest); not with --preset/--threshold(s)/--seed/--soft',
    )
    .option('--anatomy <names>', 'one model of these bone structures (comma-separated, e.g. skull,mandible), one named, coloured 3MF object per structure; an unknown name lists the known ones')
    .option('--report <file>', 'write the ISO/IEC 3532-1 report as JSON')
    .option('--html <file>', 'write the report as a self-contained HTML page')
    .option('--force', 'build the model even when the input assessment finds errors (recorded in the report)')
    .option('--json', 'print the report JSON on stdout')
    .option('-q, --quiet', 'no progress line, no summary')
    .action(async (inputs: string[], o: ConvertCliOptions) => {
      for (const f of [...o.output, ...(o.preview ? [o.preview] : [])]) {
        if (!/\.(3mf|stl|obj|ply)$/i.test(f)) throw usageError('MESH_FORMAT', `${f}: unknown model format (use .3mf, .stl, .obj or .ply)`);
      }
      if (o.labels !== undefined && o.labelsOut !== undefined) throw usageError('BAD_OPTION', 'give --labels-out once (--labels is its old name)');
      const labelsOut = o.labelsOut ?? o.labels;
      if (labelsOut && !/\.nii(\.gz)?$/i.test(labelsOut)) throw usageError('BAD_OUTPUT', `${labelsOut}: --labels-out writes NIfTI (.nii or .nii.gz)`);
      // The job's params are validated as a server validates a client's (core's convertParamsSchema).
      const job = convertJobSettings(convertParamsOf(o));
      refuseAsciiWithoutStl(o);
      const outputs = {
        models: o.output,
        ascii: o.ascii === true,
        ...(o.preview ? { preview: o.preview } : {}),
        ...(labelsOut ? { labels: labelsOut } : {}),
        ...(o.report ? { reportJson: o.report } : {}),
        ...(o.html ? { reportHtml: o.html } : {}),
      };
      // Unwritable outputs fail now, not after the run.
      preflightConvert({ outputs, segmentation: job.segmentation });
      const progress = createProgress({ quiet: o.quiet === true, json: o.json === true });
      // The series is imported on the pool: files in shared blocks (io/shared-blocks.ts).
      const input = await collectInputs(inputs, { sharedBlocks: true });
      const outcome = await runConvert(
        {
          sources: input.sources,
          inputLabel: input.label,
          ...job,
          outputs,
          now: outputTime(),
        },
        { progress },
      );
      if (o.json) {
        process.stdout.write(`${JSON.stringify(outcome.report, null, 2)}\n`);
        return;
      }
      if (o.quiet) return;
      const lines: string[] = [];
      for (const f of outcome.report.findings) lines.push(`${f.severity.padEnd(5)} ${f.code}: ${f.message}`);
      for (const m of outcome.report.models) {
        const c = m.checks as Record<string, unknown>;
        const a = m.accuracy ?? {};
        lines.push(
          `model ${m.name}${m.threshold !== undefined ? ` (threshold ${JSON.stringify(m.threshold)} HU)` : ''}: ${String(c.triangles)} triangles, ${String(c.shells)} shell(s), ` +
            `closed=${String(c.closed)} manifold=${String(c.manifold)} oriented=${String(c.oriented)}, volume ${String(c.volume_mm3)} mm³; ` +
            `mesh→segmentation mean ${String(a.mean_mm)} / p95 ${String(a.p95_mm)} / max ${String(a.max_mm)} mm`,
        );
      }
      const an = outcome.report.anatomy;
      if (an) {
        lines.push(`anatomy (graph ${an.graph}): region ${an.region.join(', ') || 'none'}; ${an.structures.map((st) => `${st.name}${st.modelled ? '*' : ''} ${Math.round(st.volume_mm3 / 1000)} cm³ (confidence ${st.confidence})`).join(', ')}  (* = modelled)`);
      }
      for (const w of outcome.written) lines.push(`wrote ${w.file} (${w.bytes} bytes, sha256 ${w.sha256.slice(0, 16)}…)`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
};
