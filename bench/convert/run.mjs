// bench/convert: `scan2print convert` on ct/philips-head-phantom-1mm against, in the same run
// and alternating, (a) the same steps with VTK's C++ filters (Debian python3-vtk9) and
// (b) InVesalius' command line (Debian invesalius). Median wall time and peak memory of
// the whole process tree, output triangles and open / non-manifold edge counts of each
// output (counted by our own checker on the files they wrote). Writes
// bench/results/convert.md. Usage: node bench/convert/run.mjs [runs=5]
// Needs: npm run build; bash scripts/install-bench-deps.sh.
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure, median, mb } from '../lib/measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const core = await import(resolve(root, 'packages/core/dist/index.js'));
const runs = Number(process.argv[2] ?? 5);
const data = process.env.SCAN2PRINT_DATA ?? resolve(root, '../shared/data');
const series = join(data, 'ct/philips-head-phantom-1mm');
const work = mkdtempSync(join(tmpdir(), 's2p-bench-convert-'));
const TARGET_REDUCTION = 0.9;

function meshStats(file) {
  const bytes = new Uint8Array(readFileSync(file));
  const mesh = file.endsWith('.3mf') ? core.read3mf(bytes, file) : core.readStl(bytes, file);
  const c = core.checkMesh(mesh);
  return { triangles: c.triangles, openEdges: c.openEdges, nonManifoldEdges: c.nonManifoldEdges, misorientedEdges: c.misorientedEdges, shells: c.shells };
}

const tools = {
  scan2print: (i) => [process.execPath, resolve(root, 'packages/cli/bin/scan2print.js'), 'convert', series, '-o', join(work, `ours${i}.3mf`), '--threshold', 'auto', '--decimate-ratio', String(1 - TARGET_REDUCTION), '--quiet'],
  vtk: (i) => ['/usr/bin/python3', join(here, 'vtk_pipeline.py'), series, join(work, `vtk${i}.stl`), '226', String(TARGET_REDUCTION)],
  invesalius: (i) => ['xvfb-run', '-a', '/usr/bin/python3', '/usr/share/invesalius/app.py', '--no-gui', '-i', series, '-t', '226,3071', '-e', join(work, `inv${i}.stl`)],
};
const outputOf = { scan2print: (i) => join(work, `ours${i}.3mf`), vtk: (i) => join(work, `vtk${i}.stl`), invesalius: (i) => join(work, `inv${i}.stl`) };
const env = { invesalius: { PYTHONPATH: '/usr/lib/invesalius' } };
const cwd = { invesalius: '/usr/share/invesalius' };

const results = Object.fromEntries(Object.keys(tools).map((k) => [k, []]));
for (let i = 0; i < runs; i++) {
  for (const name of Object.keys(tools)) {
    const r = await measure(tools[name](i), { env: env[name], cwd: cwd[name] });
    if (r.code !== 0) {
      console.error(`${name} run ${i} failed (exit ${r.code}):\n${r.stderr.slice(-2000)}`);
      process.exit(1);
    }
    results[name].push(r);
    console.log(`${name.padEnd(11)} run ${i + 1}/${runs}: ${r.wall_s.toFixed(2)} s, peak ${mb(r.peakRss_bytes)} MB`);
  }
}
const rows = Object.keys(tools).map((name) => {
  const wall = median(results[name].map((r) => r.wall_s));
  const mem = median(results[name].map((r) => r.peakRss_bytes));
  return { name, wall, mem, ...meshStats(outputOf[name](0)) };
});
const ours = rows[0];
const lines = [
  `# bench/convert — ${new Date().toISOString().slice(0, 10)}`,
  '',
  `Input: ct/philips-head-phantom-1mm (512×512×140). ${runs} alternating runs each, medians. Machine: ${cpus().length} cores.`,
  'Peak memory: sum of resident memory over the whole process tree, sampled every 20 ms.',
  `scan2print: convert --threshold auto (table / head holder removed by default) --decimate-ratio ${(1 - TARGET_REDUCTION).toFixed(2)} (3MF). VTK: threshold 226, discrete flying edges, windowed sinc 40/0.01, quadric decimation ${TARGET_REDUCTION}, STL. InVesalius: --no-gui -t 226,3071 -e (raw contour STL).`,
  '',
  '| tool | median wall (s) | wall ratio vs scan2print | median peak memory (MB) | memory ratio | triangles | shells | open edges | non-manifold edges | misoriented edges |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.name} | ${r.wall.toFixed(2)} | ${(r.wall / ours.wall).toFixed(2)} | ${mb(r.mem)} | ${(r.mem / ours.mem).toFixed(2)} | ${r.triangles} | ${r.shells} | ${r.openEdges} | ${r.nonManifoldEdges} | ${r.misorientedEdges} |`),
  '',
];
const md = lines.join('\n');
console.log(md);
mkdirSync(resolve(root, 'bench/results'), { recursive: true });
writeFileSync(resolve(root, 'bench/results/convert.md'), md);
rmSync(work, { recursive: true, force: true });
