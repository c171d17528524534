// bench/convert/stages.mjs: CPU time of every stage of the default convert, measured so that a
// busy machine does not distort it. The job runs in this process on core's inline pool (every
// task on this thread), and the records' wall_ms clock is swapped for this process's CPU clock,
// so each record's figure is the CPU milliseconds of that stage. Worker-pool overheads
// (copies to workers, thread start) are therefore not in these figures; the whole-process
// figures of run.mjs are. Usage: node bench/convert/stages.mjs [series dir] [model.3mf]
// Needs: npm run build.
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
// CORE_DIST: another build of core (e.g. the code before a change) to compare with.
const core = await import(resolve(process.env.CORE_DIST ?? resolve(root, 'packages/core/dist'), 'index.js'));
const { collectInputs } = await import(resolve(root, 'packages/cli/dist/io/inputs.js'));
const data = process.env.SCAN2PRINT_DATA ?? resolve(root, '../shared/data');
const series = process.argv[2] ?? resolve(data, 'ct/philips-head-phantom-1mm');
const model = process.argv[3];

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
// POOL=N runs on N worker threads with the wall clock instead (the CLI's set-up).
const poolSize = Number(process.env.POOL ?? 0);
// Records time themselves with performance.now(); make that the process CPU clock.
if (!poolSize) performance.now = cpuMs;
const { createNodePool } = await import(resolve(root, 'packages/cli/dist/index.js'));
// The CLI hashes inputs and outputs with node:crypto (run-convert.ts); so does this bench, or
// "import" would carry ~0.4 s of core's pure-TS sha256 that a CLI user never pays.
const { sha256Hex } = await import(resolve(root, 'packages/cli/dist/util/checksum.js'));

const input = await collectInputs([series]);
const settings = core.convertJobSettings({});
const c0 = cpuMs();
const w0 = Date.now();
const result = await core.runConvertJob(
  { sources: input.sources, inputLabel: input.label, ...settings, outputs: { models: ['m.3mf'] }, now: new Date(0) },
  {
    pool: poolSize ? createNodePool(poolSize) : core.createInlinePool(),
    sha256Hex,
    sink: (name, bytes) => {
      if (model) writeFileSync(model, bytes);
    },
  },
);
const total = cpuMs() - c0;
const wall = Date.now() - w0;
let sum = 0;
const rows = [];
for (const s of result.report.stages) {
  if (typeof s.wall_ms !== 'number') continue;
  sum += s.wall_ms;
  rows.push([`${s.stage} ${s.method}`, s.wall_ms]);
}
for (const [k, v] of rows) console.log(`${String(Math.round(v)).padStart(6)} ms  ${k}`);
console.log(`${String(Math.round(total - sum)).padStart(6)} ms  rest (export, report, between stages)`);
console.log(`${String(Math.round(total)).padStart(6)} ms  CPU of the job${poolSize ? ` (${poolSize} workers: stage figures are wall ms)` : ' (inline pool)'}`);
if (poolSize) console.log(`${String(wall).padStart(6)} ms  wall of the job`);
process.exit(0);
