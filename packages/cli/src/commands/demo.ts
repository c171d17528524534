/**
 * `scan2print demo -o DIR`: writes a small synthetic head-like CT series (skull shell,
 * soft tissue, a head holder, noise) as DICOM and converts it like a real scan, so the
 * main job can be seen working on a fresh machine without patient data.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { syntheticHeadSeries, writeCtSeries } from '@scan2print/core';
import { collectInputs } from '../io/inputs.js';
import { preflightConvert, runConvert } from '../convert/run-convert.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { createProgress } from '../util/progress.js';
import { convertCondition, convertSegmentation } from './convert.js';
import { outputTime } from '../util/time.js';
import type { RegisterCommand } from './index.js';

export const registerDemo: RegisterCommand = (program: Command) => {
  program
    .command('demo')
    .description('make a synthetic head CT series (DICOM) and convert it: model.3mf, model.stl, report.json, report.html')
    .requiredOption('-o, --output <dir>', 'output folder')
    .option('--json', 'print the report JSON on stdout')
    .option('-q, --quiet', 'no progress line')
    .action(async (o: { output: string; json?: boolean; quiet?: boolean }) => {
      const dicomDir = join(o.output, 'dicom');
      const cli = { output: [], tissue: 'bone', smooth: '40', smoothMethod: 'windowed-sinc', minShell: '1' };
      const segmentation = convertSegmentation(cli);
      const outputs = {
        models: [join(o.output, 'model.3mf'), join(o.output, 'model.stl')],
        preview: join(o.output, 'preview.stl'),
        labels: join(o.output, 'labels.nii.gz'),
        reportJson: join(o.output, 'report.json'),
        reportHtml: join(o.output, 'report.html'),
      };
      preflightConvert({ outputs, segmentation });
      const { slices, options } = syntheticHeadSeries();
      const files = writeCtSeries(slices, options);
      files.forEach((bytes, k) => writeFileAtomic(join(dicomDir, `slice${String(k + 1).padStart(4, '0')}.dcm`), bytes));
      const input = await collectInputs([dicomDir]);
      const outcome = await runConvert(
        {
          sources: input.sources,
          inputLabel: dicomDir,
          segmentation,
          condition: convertCondition(cli, 'bone'),
          outputs,
          purpose: 'demonstration on a synthetic head phantom',
          tissue: 'bone',
          force: false,
          now: outputTime(),
        },
        { progress: createProgress({ quiet: o.quiet === true, json: o.json === true }) },
      );
      if (o.json) {
        process.stdout.write(`${JSON.stringify(outcome.report, null, 2)}\n`);
        return;
      }
      const m = outcome.report.models[0]!;
      const c = m.checks as Record<string, unknown>;
      process.stdout.write(
        `synthetic head: ${files.length} DICOM slices in ${dicomDir}\n` +
          `model: ${String(c.triangles)} triangles, closed=${String(c.closed)} manifold=${String(c.manifold)} oriented=${String(c.oriented)}, volume ${String(c.volume_mm3)} mm³\n` +
          outcome.written.map((w) => `wrote ${w.file}`).join('\n') +
          '\n',
      );
    });
};
