#!/usr/bin/env node
// bench/surface/self-intersections.mjs: how many triangles of the models `scan2print convert`
// writes pass through other triangles of the same model (core surface/self-intersections.ts),
// on the real series, by path: the default (edge placement, windowed-sinc), without smoothing,
// the threshold rule (vertices on the iso-surface) with and without smoothing, and decimated.
// Marching cubes alone never crosses itself (the threshold rule without smoothing must read 0);
// what moves vertices can. The conditioning's repair (surface/untangle.ts) runs after smoothing:
// its record gives what it found and how far it moved vertices; the STL read back gives what is
// left. Decimated, the repair runs again after the decimation (both shown, joined by ' + '), and
// the decimation again with the crossing sites locked where that leaves any (its tries shown).
// Results to bench/results/self-intersections.md.
//   npm run build && node bench/surface/self-intersections.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCAN2PRINT } from '../lib/command.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const core = await import(resolve(root, 'packages/core/dist/index.js'));
const data = resolve(root, '../shared/data');
const SERIES = ['ct/philips-head-phantom-1mm', 'ct/philips-head-phantom-tilt', 'ct/ge-head-tilt-variable-spacing', 'labelled/totalsegmentator/example_ct_dicom'];
const PATHS = [
  ['default', []],
  ['no smoothing', ['--smooth', 'none']],
  ['threshold rule', ['--placement', 'threshold']],
  ['threshold rule, no smoothing', ['--placement', 'threshold', '--smooth', 'none']],
  ['decimated 0.25', ['--decimate-ratio', '0.25']],
];

const dir = mkdtempSync(join(tmpdir(), 's2p-bench-si-'));
const rows = [];
try {
  for (const series of SERIES) {
    for (const [name, flags] of PATHS) {
      const out = join(dir, 'm.stl');
      const report = join(dir, 'r.json');
      execFileSync(SCAN2PRINT, ['convert', join(data, series), '-o', out, '--report', report, '-q', ...flags], { stdio: ['ignore', 'ignore', 'inherit'] });
      // one repair after smoothing, and one after decimation when decimated: both, joined by ' + '
      const records = JSON.parse(readFileSync(report, 'utf8')).records;
      const repairs = records.filter((r) => r.method === 'self-intersection-repair');
      // decimated: the decimation kept, its tries (decimated again with the crossing sites locked) and faces against the target
      const dec = records.find((r) => r.method === 'decimate-quadric');
      const tries = dec ? `${dec.figures.retriesForCrossings ?? 0} | ${dec.figures.facesAfter} / ${dec.params.targetFaces}` : '— | —';
      const each = (k) => repairs.map((r) => r.figures[k] ?? 0).join(' + ');
      const shifts = repairs.map((r) => `${r.figures.meanShift_mm ?? 0} / ${r.figures.maxShift_mm ?? 0}`).join(' + ');
      const fixed = repairs.length ? `${each('crossingTrianglesFound')} | ${each('verticesMoved')} | ${shifts} | ${repairs.map((r) => r.wall_ms).join(' + ')}` : '— | — | — | —';
      const mesh = core.readStl(new Uint8Array(readFileSync(out)), out);
      const t0 = performance.now();
      const si = core.findSelfIntersections(mesh.positions, mesh.indices);
      const ms = performance.now() - t0;
      const nt = mesh.indices.length / 3;
      const row = `| ${series} | ${name} | \`${flags.join(' ') || '(none)'}\` | ${nt} | ${fixed} | ${tries} | ${si.triangles} | ${((100 * si.triangles) / nt).toFixed(3)} | ${si.pairs} | ${Math.round(ms)} |`;
      rows.push(row);
      console.log(row);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
const text = [
  `# bench/surface/self-intersections — ${new Date().toISOString().slice(0, 10)} at ${commit}`,
  '',
  '`node bench/surface/self-intersections.mjs`: `scan2print convert SERIES -o m.stl --report r.json -q [flags]`. "Repair" columns: the conditioning\'s self-intersection repair after smoothing (and after the decimation, joined by " + "), from its record (crossing triangles it found, vertices it moved back toward the marching-cubes surface, their mean / largest shift, its wall time with the pool). Decimated: the repair after the decimation is that of the last try; "decimated again" counts the tries where crossings were left and the decimation ran again from the same mesh with the vertices round them locked (surface/decimate-untangled.ts), "faces / target" the decimated model against the target asked for. "Written" columns: the STL read back (welded by position) and the triangles that pass through another triangle of the same model, counted by core `findSelfIntersections` (shared edges and corners are not crossings); its time is the detector alone on this machine (one thread).',
  '',
  '| series | path | flags | triangles | repair: found | repair: vertices moved | repair: shift mean / max mm | repair ms | decimated again | faces / target | written: crossing triangles | % | crossing pairs | detector ms |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows,
  '',
].join('\n');
writeFileSync(join(root, 'bench/results/self-intersections.md'), text);
console.log('bench/results/self-intersections.md');
