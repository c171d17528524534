#!/usr/bin/env node
// bench/fidelity/seeds.mjs: issue 8's plate targets (±3 % volume, ±0.1 mm wall, by the default
// convert) over ten noise seeds instead of one. The tests and grid.mjs each scan a phantom with one
// seed; a target can hold on that seed and not on the next (at noise 20 HU the automatic threshold
// sits near its 100 HU floor, and a seed decides between the rule's ~100 HU and the 226 HU
// fallback). Plates 1.5, 2 and 3 mm, flat and tilted 30°, at 0.5×0.5×1 and 0.6×0.6×1.25 mm
// voxels, noise 15 HU (the issue's) and 20 HU, exact blur σ 0.5 mm, the 5 mm density insert (left
// out of the figures), seeds 1-10: as validate.spec.ts, one figure per row the worst of ten.
// Results to bench/results/fidelity-seeds.md (about 6 minutes on 2 cores).
//   npm run build && node bench/fidelity/seeds.mjs
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const run = await import(join(ROOT, 'packages/core/dist/validate/run.js'));
const shapes = await import(join(ROOT, 'packages/core/dist/validate/shapes.js'));

const OUT = 'bench/results/fidelity-seeds.md';
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const centre = [0.31, -0.23, 0.17];
const rows = [];
const outside = [];
let runs = 0;
for (const noise of [15, 20])
  for (const voxel of [[0.5, 0.5, 1], [0.6, 0.6, 1.25]])
    for (const t of [1.5, 2, 3])
      for (const tilt of [0, 30]) {
        const vols = [];
        const walls = [];
        let fallback = 0;
        for (const seed of SEEDS) {
          const scan = { voxel_mm: voxel, noise_hu: noise, blur_mm: 0.5, blurModel: 'exact', tilt_deg: 0, seed };
          const v = await run.validatePhantom(shapes.plate(40, t, centre, tilt), scan, { condition: {} }, {}, { sideBySide: false });
          const vol = v.measures.volumeErrorPercent;
          const wall = v.measures.wallThickness.error_mm;
          runs++;
          vols.push(vol);
          walls.push(Math.abs(wall));
          if (v.threshold_HU === 226) fallback++;
          if (Math.abs(vol) > 3 || Math.abs(wall) > 0.1) {
            outside.push(`- noise ${noise} HU, ${voxel.join('×')} mm, plate ${t} mm ${tilt}°, seed ${seed}: volume ${vol.toFixed(2)} %, wall ${wall.toFixed(3)} mm, threshold ${Math.round(v.threshold_HU)} HU`);
          }
        }
        const within = vols.filter((x, k) => Math.abs(x) <= 3 && walls[k] <= 0.1).length;
        const row = `| ${noise} | ${voxel.join('×')} | ${t} mm, ${tilt}° | ${Math.min(...vols).toFixed(2)} … ${Math.max(...vols).toFixed(2)} | ${Math.max(...walls).toFixed(3)} | ${fallback} | ${within} of ${SEEDS.length} |`;
        rows.push(row);
        console.log(row);
      }

const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
const text = [
  `# bench/fidelity seeds — ${new Date().toISOString().slice(0, 10)} at ${commit}`,
  '',
  'The default convert on scanned plates over ten noise seeds (`node bench/fidelity/seeds.mjs`): bone 1200 HU in tissue 40 HU, 3×3×3 partial volume, exact blur σ 0.5 mm, a 5 mm density insert (left out of the figures), seeds 1-10.',
  "Targets (issue 8): plates ±3 % volume and ±0.1 mm wall. Each row: the range of the ten volume errors, the largest |wall error|, how many seeds took the automatic threshold's 226 HU fallback, how many of ten are within both targets.",
  `${runs - outside.length} of ${runs} runs within.`,
  '',
  '| noise HU | voxel mm | plate | volume err % (min … max) | max \\|wall err\\| mm | 226 HU fallback | within |',
  '|---|---|---|---|---|---|---|',
  ...rows,
  '',
  outside.length ? 'Runs outside a target:' : 'No run outside a target.',
  ...outside,
  '',
].join('\n');
writeFileSync(join(ROOT, OUT), text);
console.log(`${runs - outside.length} of ${runs} within; ${OUT}`);
