// bench/convert/steps.mjs: where the default convert's time goes, step by step, beside VTK's
// pipeline doing its own steps (bench/convert/vtk_pipeline.py with VTK_STEP_TIMES=1: each filter
// brought up to date on its own and timed). run.mjs compares the whole commands; this splits
// them: the steps both do (read the series, threshold, extract the surface, smooth, write) and
// the steps only the default convert does (the segmentation's clean-up, edge placement, the
// mesh's clean-ups, self-intersection repair, cavities, the printability gate, the accuracy).
// Ours: `scan2print convert DIR -o m.3mf --quiet --report r.json`, each stage's wall_ms from the
// report (the job's thread: a stage's time includes its work on the pool). VTK: as python runs it
// and with our launcher's glibc allocator settings (as run.mjs). Alternating runs, medians.
// Writes bench/results/convert-steps.md (this run on top, earlier runs kept below).
// Usage: node bench/convert/steps.mjs [runs=5]. Needs: npm run build; python3-vtk9
// (bash scripts/install-bench-deps.sh).
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure, median } from '../lib/measure.mjs';
import { benchCommit, launcherTunables, SCAN2PRINT } from '../lib/command.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const runs = Number(process.argv[2] ?? 5);
const data = process.env.SCAN2PRINT_DATA ?? resolve(root, '../shared/data');
const series = join(data, 'ct/philips-head-phantom-1mm');
const work = mkdtempSync(join(tmpdir(), 's2p-bench-steps-'));
const tunables = launcherTunables();

// The steps both pipelines do: [label, VTK step, our stage/method keys (summed)].
const SHARED = [
  ['read the DICOM series', 'read', ['import/dicom-stack']],
  ['threshold (ours: the automatic level, then the mask)', 'threshold', ['segment/auto-threshold', 'segment/threshold']],
  ['extract the surface', 'flying-edges', ['surface/manifold-marching-cubes']],
  ['smooth (windowed sinc, 40 iterations)', 'smooth', ['condition/smooth-windowed-sinc']],
  ['orient (VTK: normals with consistency; ours: inside the clean-ups)', 'normals', []],
  ['write the model (VTK: binary STL; ours: 3MF, made on the pool beside the gate: the wait after it)', 'write-stl', ['export/3mf']],
];
const OURS_ONLY = [
  ['assess the series (HU histogram, borders)', ['assess/hu-histogram-and-borders']],
  ['flag metal', ['segment/metal-flag']],
  ['remove the table / head holder', ['segment/remove-table']],
  ['drop faint components', ['segment/faint-components']],
  ['fill marrow', ['segment/marrow-fill']],
  ['components', ['segment/components']],
  ['edge placement (vertices at the scanned edge)', ['surface/edge-model-placement']],
  ['clean-ups (two: merge, faces, orientation, shells, coincident vertices)', ['condition/cleanup']],
  ['self-intersection repair', ['condition/self-intersection-repair']],
  ['fill cavities', ['condition/fill-cavities']],
  ['printability gate (indexed and position-welded topology)', ['gate/printability-gate']],
];
const ACCURACY = 'accuracy/mesh-to-segmentation-boundary';

const vtkCmd = (i) => ['/usr/bin/python3', join(here, 'vtk_pipeline.py'), series, join(work, `vtk${i}.stl`), '226', '0'];
const vtkSteps = (r) => JSON.parse(/steps_ms (\{.*\})/.exec(r.stderr)?.[1] ?? 'null');
const runsOf = { vtk: [], vtka: [], ours: [] };
for (let i = 0; i < runs; i++) {
  for (const [tag, env] of [['vtk', {}], ['vtka', { GLIBC_TUNABLES: tunables }]]) {
    const r = await measure(vtkCmd(i), { env: { VTK_STEP_TIMES: '1', ...env } });
    const steps = vtkSteps(r);
    if (r.code !== 0 || !steps) throw new Error(`VTK run ${i} failed (exit ${r.code}): ${r.stderr.slice(-2000)}`);
    runsOf[tag].push({ wall_ms: 1000 * r.wall_s, steps });
  }
  const report = join(work, `ours${i}.json`);
  const r = await measure([SCAN2PRINT, 'convert', series, '-o', join(work, `ours${i}.3mf`), '--quiet', '--report', report]);
  if (r.code !== 0) throw new Error(`convert run ${i} failed (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  const steps = {};
  for (const s of JSON.parse(readFileSync(report, 'utf8')).stages) {
    if (s.wall_ms !== null) steps[`${s.stage}/${s.method}`] = (steps[`${s.stage}/${s.method}`] ?? 0) + s.wall_ms;
  }
  runsOf.ours.push({ wall_ms: 1000 * r.wall_s, steps });
  console.log(`run ${i + 1}/${runs}: VTK ${runsOf.vtk.at(-1).wall_ms.toFixed(0)} / ${runsOf.vtka.at(-1).wall_ms.toFixed(0)} ms, ours ${runsOf.ours.at(-1).wall_ms.toFixed(0)} ms`);
}

const med = (tag, f) => median(runsOf[tag].map(f));
const vtkMs = (tag, step) => med(tag, (x) => x.steps[step] ?? 0);
const ourMs = (keys) => med('ours', (x) => keys.reduce((s, k) => s + (x.steps[k] ?? 0), 0));
const f0 = (ms) => (ms / 1000).toFixed(2);
const sharedOurs = SHARED.reduce((s, [, , keys]) => s + ourMs(keys), 0);
const onlyOurs = OURS_ONLY.reduce((s, [, keys]) => s + ourMs(keys), 0);
const allStages = med('ours', (x) => Object.entries(x.steps).reduce((s, [k, v]) => s + (k === ACCURACY ? 0 : v), 0));
const commit = benchCommit();
const lines = [
  `# bench/convert/steps — ${new Date().toISOString().slice(0, 10)} at ${commit} (\`node bench/convert/steps.mjs ${runs}\`)`,
  '',
  `Input: ct/philips-head-phantom-1mm (512×512×140). ${runs} alternating runs, medians (s). Machine: ${cpus().length} cores.`,
  'Ours: the default `scan2print convert DIR -o m.3mf`, each stage\'s wall time from its report (on the job\'s thread, its pool work included). VTK: `vtk_pipeline.py` (threshold 226), each filter updated on its own.',
  '',
  '## The steps both pipelines do',
  '',
  '| step | VTK | VTK, our allocator | scan2print |',
  '|---|---|---|---|',
  ...SHARED.map(([label, step, keys]) => `| ${label} | ${f0(vtkMs('vtk', step))} | ${f0(vtkMs('vtka', step))} | ${keys.length ? f0(ourMs(keys)) : '—'} |`),
  `| **sum** | ${f0(med('vtk', (x) => Object.values(x.steps).reduce((s, v) => s + v, 0)))} | ${f0(med('vtka', (x) => Object.values(x.steps).reduce((s, v) => s + v, 0)))} | ${f0(sharedOurs)} |`,
  '',
  '## The steps only the default convert does',
  '',
  '| step | scan2print |',
  '|---|---|',
  ...OURS_ONLY.map(([label, keys]) => `| ${label} | ${f0(ourMs(keys))} |`),
  `| **sum** | ${f0(onlyOurs)} |`,
  `| accuracy (on a worker beside the gate: not in the sums) | ${f0(ourMs([ACCURACY]))} |`,
  '',
  '## Whole commands',
  '',
  `- VTK ${f0(med('vtk', (x) => x.wall_ms))} s as python runs it, ${f0(med('vtka', (x) => x.wall_ms))} s with our allocator settings (the difference from the step sums: python and VTK start-up).`,
  `- scan2print ${f0(med('ours', (x) => x.wall_ms))} s; its stages sum to ${f0(allStages)} s (the rest: start-up, reading the files' list, the report).`,
  '',
  `Per run, whole command (s): VTK ${runsOf.vtk.map((x) => f0(x.wall_ms)).join(', ')}; VTK, our allocator ${runsOf.vtka.map((x) => f0(x.wall_ms)).join(', ')}; scan2print ${runsOf.ours.map((x) => f0(x.wall_ms)).join(', ')}.`,
  '',
];
const md = lines.join('\n');
console.log(md);
const out = resolve(root, 'bench/results/convert-steps.md');
const earlier = existsSync(out) ? readFileSync(out, 'utf8') : '';
writeFileSync(out, earlier ? `${md}\n---\n\n${earlier}` : md);
rmSync(work, { recursive: true, force: true });
