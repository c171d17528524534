/**
 * `scan2print export-volume <path…> -o volume.nii.gz`: the imported (tilt- and
 * spacing-corrected) Hounsfield volume as NIfTI-1, affine in RAS (x and y flipped from
 * our LPS), so any tool can check the geometry. Written under a temporary name and
 * renamed: never a half-written file under the output name.
 */
import { gzipSync } from 'node:zlib';
import type { Command } from 'commander';
import { assessVolume, inputError, usageError, writeNifti } from '@scan2print/core';
import { importFromPaths } from '../io/import-input.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { preflightOutputs } from '../util/output-set.js';
import type { RegisterCommand } from './index.js';

interface ExportOptions {
  output: string;
  series?: string;
  quiet?: boolean;
  json?: boolean;
}

export const registerExportVolume: RegisterCommand = (program: Command) => {
  program
    .command('export-volume')
    .description('import a DICOM series and write the corrected Hounsfield volume as NIfTI-1 (.nii or .nii.gz)')
    .argument('<path...>', 'DICOM folders (searched recursively), files or .zip archives')
    .requiredOption('-o, --output <file>', 'output NIfTI file (.nii.gz is gzipped, .nii is not)')
    .option('--series <uid|number>', 'series to export: SeriesInstanceUID or SeriesNumber (default: the largest axial CT series)')
    .option('--json', 'print the import and assessment records as JSON')
    .option('-q, --quiet', 'no progress line or findings on stderr')
    .action(async (paths: string[], opts: ExportOptions) => {
      if (!/\.nii(\.gz)?$/i.test(opts.output)) throw usageError('OUTPUT_NAME', `${opts.output}: the output name must end in .nii or .nii.gz`);
      preflightOutputs([opts.output], paths); // an unwritable output fails now, not after the import
      const imp = await importFromPaths(paths, opts);
      const vol = imp.output.volume;
      const as = assessVolume({ volume: vol, ...(imp.output.chosen.modality ? { modality: imp.output.chosen.modality } : {}) });
      const raw = writeNifti(vol, { description: `HU series ${imp.output.chosen.number ?? ''}`.trim() });
      // Node's native zlib (level 6, no timestamp in the header: deterministic bytes) is
      // several times faster than the pure-JS gzip core uses in the browser.
      const bytes = /\.gz$/i.test(opts.output) ? gzipSync(raw, { level: 6 }) : raw;
      try {
        writeFileAtomic(opts.output, bytes);
      } catch (e) {
        throw inputError('WRITE_FAILED', `cannot write (${(e as Error).message})`, opts.output, e);
      }
      const findings = [...(imp.record.findings ?? []), ...(as.record.findings ?? [])];
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ output: opts.output, bytes: bytes.length, dims: vol.grid.dims, spacing_mm: vol.grid.spacing_mm, findings, records: [imp.record, as.record] }, null, 2)}\n`);
      } else if (!opts.quiet) {
        const g = vol.grid;
        process.stdout.write(`wrote ${opts.output}: ${g.dims.join('×')} voxels, ${g.spacing_mm.map((x) => x.toFixed(4)).join(' × ')} mm, ${vol.data instanceof Int16Array ? 'int16' : 'float32'} HU\n`);
        for (const c of imp.record.corrections ?? []) process.stderr.write(`corrected: ${c}\n`);
        for (const f of findings) process.stderr.write(`${f.severity} ${f.code}: ${f.message}\n`);
      }
    });
};
