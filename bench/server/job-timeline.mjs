#!/usr/bin/env node
// The timeline of one server convert job, as `scan2print serve` runs it: core's runConvertJob on
// the convert thread with its own worker pool (packages/cli/dist/serve/convert-thread.js), the
// series anonymised in memory first (not timed), every output written to a sink that only
// counts. Prints when each output arrived (ms from the job's start) and, with --report FILE, the
// job's report. A profile of where a job's time goes, not a comparison with a peer.
//   npm run build && node bench/server/job-timeline.mjs [series under ct/] [params JSON] [--report FILE]
//   e.g. node bench/server/job-timeline.mjs philips-head-phantom-1mm '{}'
//        node bench/server/job-timeline.mjs ge-head-tilt-variable-spacing '{"isotropic":2}'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DATA = process.env.SCAN2PRINT_DATA ?? resolve(ROOT, '../shared/data');
const args = process.argv.slice(2);
const reportAt = args.indexOf('--report');
const reportFile = reportAt >= 0 ? args.splice(reportAt, 2)[1] : undefined;
const [series = 'philips-head-phantom-1mm', params = '{}'] = args;

const { convertJobSettings, createAnonymiser } = await import(join(ROOT, 'packages/core/dist/index.js'));
const { convertOnThread } = await import(join(ROOT, 'packages/cli/dist/serve/convert-thread.js'));
const { jobOutputs } = await import(join(ROOT, 'packages/server/dist/jobs/convert-job.js'));

const dir = join(DATA, 'ct', series);
const anonymiser = createAnonymiser('bench job timeline key 0123456789');
const files = [];
for (const name of readdirSync(dir).sort()) {
  if (/^(DICOMDIR|DIRFILE)$/i.test(name)) continue;
  const r = await anonymiser.anonymise(new Uint8Array(readFileSync(join(dir, name))), name);
  files.push({ name, bytes: r.bytes });
}
const settings = convertJobSettings(JSON.parse(params));
const req = {
  sources: files.map((f) => ({ name: f.name, read: async () => f.bytes })),
  inputLabel: `bench ${series}`,
  ...(settings.series !== undefined ? { series: settings.series } : {}),
  segmentation: settings.segmentation,
  condition: settings.condition,
  ...(settings.decimateRatio !== undefined ? { decimateRatio: settings.decimateRatio } : {}),
  tissue: settings.tissue,
  force: settings.force,
  outputs: jobOutputs(settings.tissue),
  now: new Date(0),
};
const t0 = performance.now();
const at = () => (performance.now() - t0).toFixed(0).padStart(6);
let stage = '';
const result = await convertOnThread(req, {
  progress: (_f, message) => {
    const s = (message ?? '').split(':')[0];
    if (s !== stage) console.log(`${at()} ms  ${(stage = s)}`);
  },
  sink: async (name, bytes) => console.log(`${at()} ms    out ${name} (${bytes.length} bytes)`),
});
console.log(`${at()} ms  done (${series} ${params})`);
if (reportFile) writeFileSync(reportFile, JSON.stringify(result.report, null, 2));
