#!/usr/bin/env node
// bench/fidelity/grid.mjs: the default convert (automatic threshold, edge placement, windowed-sinc)
// on scanned phantoms over a grid of scanner conditions wider than the tests' (noise 5-40 HU,
// point spread 0.3-0.8 mm, voxels 0.5-1.25 mm), each row against issue 8's targets: spheres r 15
// within ±0.5 % volume and 0.05 mm mean distance; plates 1.5-3 mm tilted 30° within ±3 % volume
// and ±0.1 mm wall. The tests hold the conditions the issue names (σ 0.5 mm, noise 15-20 HU); this
// shows where the path leaves its targets. Bone 1200 HU in tissue 40 HU, 3×3×3 partial volume,
// seed 7, the 5 mm density insert, as validate.spec.ts. Results to bench/results/fidelity-grid.md.
// --exact: the phantoms blurred by the shape's exact convolution (phantom-series.ts blurModel), not
// Φ(−sdf/σ); results to bench/results/fidelity-grid-exact.md.
//   npm run build && node bench/fidelity/grid.mjs [--exact]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const run = await import(join(ROOT, 'packages/core/dist/validate/run.js'));
const shapes = await import(join(ROOT, 'packages/core/dist/validate/shapes.js'));

const exact = process.argv.includes('--exact');
const OUT = exact ? 'bench/results/fidelity-grid-exact.md' : 'bench/results/fidelity-grid.md';
const centre = [0.31, -0.23, 0.17];
const cases = [];
for (const noise of [5, 15, 20, 30, 40])
  for (const blur of [0.3, 0.5, 0.8])
    for (const voxel of [[0.5, 0.5, 1], [0.6, 0.6, 1.25], [1, 1, 1], [1.25, 1.25, 1.25]]) cases.push({ name: 'sphere r 15', sphere: true, shape: () => shapes.sphere(15, centre), noise, blur, voxel });
for (const noise of [15, 20, 30])
  for (const blur of [0.5, 0.8])
    for (const t of [1.5, 2, 3])
      for (const voxel of [[0.5, 0.5, 1], [0.6, 0.6, 1.25], [1, 1, 1]]) cases.push({ name: `plate ${t}`, sphere: false, shape: () => shapes.plate(40, t, centre, 30), noise, blur, voxel });

const rows = [];
let miss = 0;
for (const c of cases) {
  const v = await run.validatePhantom(c.shape(), { voxel_mm: c.voxel, noise_hu: c.noise, blur_mm: c.blur, tilt_deg: 0, seed: 7, ...(exact ? { blurModel: 'exact' } : {}) }, { condition: {} }, {}, { sideBySide: false });
  const m = v.measures;
  const vol = m.volumeErrorPercent;
  const mean = m.surfaceDistance.mean_mm;
  const wall = m.wallThickness?.error_mm;
  const ok = c.sphere ? Math.abs(vol) <= 0.5 && mean <= 0.05 : Math.abs(vol) <= 3 && Math.abs(wall) <= 0.1;
  if (!ok) miss++;
  const placed = v.records.find((r) => r.method === 'edge-model-placement')?.figures ?? {};
  const row = `| ${c.name} | ${c.noise} | ${c.blur} | ${c.voxel.join('×')} | ${Math.round(v.threshold_HU)} | ${vol.toFixed(2)} | ${mean.toFixed(3)} | ${wall === undefined ? '—' : wall.toFixed(3)} | ${placed.bone_HU ?? '—'} | ${ok ? 'within' : '**outside**'} |`;
  rows.push(row);
  console.log(row);
}

const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
const text = [
  `# bench/fidelity grid${exact ? ' (exact blur)' : ''} — ${new Date().toISOString().slice(0, 10)} at ${commit}`,
  '',
  `The default convert on scanned phantoms (\`node bench/fidelity/grid.mjs${exact ? ' --exact' : ''}\`): bone 1200 HU in tissue 40 HU, 3×3×3 partial volume, seed 7, a 5 mm density insert (left out of the figures). Blur: ${exact ? 'the shape convolved with the Gaussian point spread (exact)' : 'Φ(−sdf/σ) (exact for a planar edge only)'}.`,
  'Targets (issue 8): spheres ±0.5 % volume and ≤ 0.05 mm mean distance; plates (tilted 30°) ±3 % volume and ±0.1 mm wall.',
  `${cases.length - miss} of ${cases.length} rows within their targets.`,
  '',
  '| phantom | noise HU | blur σ mm | voxel mm | threshold HU | volume err % | mean dist mm | wall err mm | bone HU (estimated) | targets |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...rows,
  '',
].join('\n');
writeFileSync(join(ROOT, OUT), text);
console.log(`${cases.length - miss} of ${cases.length} within; ${OUT}`);
