// bench/convert: `scan2print convert` on ct/philips-head-phantom-1mm against, in the same run
// and alternating, (a) the same steps with VTK's C++ filters (Debian python3-vtk9) and
// (b) InVesalius' command line (Debian invesalius). Median wall time and peak memory of
// the whole process tree, output triangles and open / non-manifold edge counts of each
// output (counted by our own checker on the files they wrote). Writes
// bench/results/convert.md: this run's section (date, commit, the command, medians, every run's
// time) on top, the earlier runs' sections kept below it. Usage: node bench/convert/run.mjs [runs=5]
// Needs: npm run build; bash scripts/install-bench-deps.sh. BENCH_NO_INVESALIUS=1 leaves InVesalius out.
import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure, median, mb } from '../lib/measure.mjs';
import { benchCommit, launcherTunables, SCAN2PRINT } from '../lib/command.mjs';

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

// Two comparisons, like with like, each with its own rows:
//  default   — what a new user gets: `convert DIR -o m.3mf` (and -o m.stl) with no flag at all,
//              against VTK doing the same steps without decimation (read, threshold 226,
//              discrete flying edges, windowed sinc 40/0.01, normals, binary STL);
//  decimated — both decimating to 10 % of the raw triangles (ours --decimate-ratio 0.10,
//              VTK quadric decimation 0.9), and InVesalius' raw contour for reference.
// Ours runs as a user's `npx scan2print` does (bench/lib/command.mjs).
const ours = SCAN2PRINT;
// The glibc allocator settings our launcher gives node (read from it: one source). The VTK
// pipeline runs once more with them: its allocations are large arrays too, and on a VM that
// hands freed memory back to its host its page faults are a good part of its time (philips 1 mm
// on a 2-core AMD VM, 2026-12-06: 5.04-5.11 s as python runs it, 4.08-4.15 s with these).
const tunables = launcherTunables();
/** The VTK pipeline writing `<tag><run>.stl`, decimating by `reduction` (0: none), with `env` added. */
const vtk = (tag, reduction, env) => ({
  cmd: (i) => ['/usr/bin/python3', join(here, 'vtk_pipeline.py'), series, join(work, `${tag}${i}.stl`), '226', String(reduction)],
  out: (i) => join(work, `${tag}${i}.stl`),
  ...(env ? { env } : {}),
});
const ourAllocator = { GLIBC_TUNABLES: tunables };
const scenarios = {
  default: {
    'scan2print (3MF)': { cmd: (i) => [ours, 'convert', series, '-o', join(work, `ours${i}.3mf`), '--quiet'], out: (i) => join(work, `ours${i}.3mf`) },
    'scan2print (STL)': { cmd: (i) => [ours, 'convert', series, '-o', join(work, `ours${i}.stl`), '--quiet'], out: (i) => join(work, `ours${i}.stl`) },
    vtk: vtk('vtk', 0),
    'vtk (our allocator)': vtk('vtka', 0, ourAllocator),
  },
  decimated: {
    'scan2print (3MF)': { cmd: (i) => [ours, 'convert', series, '-o', join(work, `oursd${i}.3mf`), '--decimate-ratio', String(1 - TARGET_REDUCTION), '--quiet'], out: (i) => join(work, `oursd${i}.3mf`) },
    vtk: vtk('vtkd', TARGET_REDUCTION),
    'vtk (our allocator)': vtk('vtkda', TARGET_REDUCTION, ourAllocator),
    ...(process.env.BENCH_NO_INVESALIUS
      ? {}
      : {
          invesalius: {
            cmd: (i) => ['xvfb-run', '-a', '/usr/bin/python3', '/usr/share/invesalius/app.py', '--no-gui', '-i', series, '-t', '226,3071', '-e', join(work, `inv${i}.stl`)],
            out: (i) => join(work, `inv${i}.stl`),
            env: { PYTHONPATH: '/usr/lib/invesalius' },
            cwd: '/usr/share/invesalius',
          },
        }),
  },
};

const tables = [];
for (const [scenario, tools] of Object.entries(scenarios)) {
  const results = Object.fromEntries(Object.keys(tools).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) {
    for (const [name, t] of Object.entries(tools)) {
      const r = await measure(t.cmd(i), { env: t.env, cwd: t.cwd });
      if (r.code !== 0) {
        console.error(`${scenario}/${name} run ${i} failed (exit ${r.code}):\n${r.stderr.slice(-2000)}`);
        process.exit(1);
      }
      results[name].push(r);
      console.log(`${scenario.padEnd(9)} ${name.padEnd(17)} run ${i + 1}/${runs}: ${r.wall_s.toFixed(2)} s, peak ${mb(r.peakRss_bytes)} MB`);
    }
  }
  const rows = Object.entries(tools).map(([name, t]) => ({
    name,
    walls: results[name].map((r) => r.wall_s),
    wall: median(results[name].map((r) => r.wall_s)),
    mem: median(results[name].map((r) => r.peakRss_bytes)),
    ...meshStats(t.out(0)),
  }));
  tables.push({ scenario, rows });
}

const header = [
  '| tool | median wall (s) | wall ratio vs VTK | median peak memory (MB) | memory ratio vs VTK | triangles | shells | open edges | non-manifold edges | misoriented edges |',
  '|---|---|---|---|---|---|---|---|---|---|',
];
const commit = benchCommit();
const command = `${process.env.BENCH_NO_INVESALIUS ? 'BENCH_NO_INVESALIUS=1 ' : ''}node bench/convert/run.mjs ${runs}`;
const lines = [
  `# bench/convert — ${new Date().toISOString().slice(0, 10)} at ${commit} (\`${command}\`)`,
  '',
  `Input: ct/philips-head-phantom-1mm (512×512×140). ${runs} alternating runs each, medians. Machine: ${cpus().length} cores.`,
  'Peak memory: sum of resident memory over the whole process tree, sampled every 20 ms (its processes found again every 200 ms). Ratios: < 1 means we are faster / smaller.',
  '',
];
for (const { scenario, rows } of tables) {
  const vtkRow = rows.find((r) => r.name === 'vtk');
  lines.push(
    scenario === 'default'
      ? '## Default path: `scan2print convert DIR -o m.3mf` (and `-o m.stl`), no other flag; VTK: threshold 226, discrete flying edges, windowed sinc 40/0.01, normals, binary STL (no decimation)'
      : `## Decimated: scan2print --decimate-ratio ${(1 - TARGET_REDUCTION).toFixed(2)} (3MF); VTK: the same steps + quadric decimation ${TARGET_REDUCTION}; InVesalius: --no-gui -t 226,3071 -e (raw contour STL)`,
    '',
    ...header,
    ...rows.map((r) => `| ${r.name} | ${r.wall.toFixed(2)} | ${(r.wall / vtkRow.wall).toFixed(2)} | ${mb(r.mem)} | ${(r.mem / vtkRow.mem).toFixed(2)} | ${r.triangles} | ${r.shells} | ${r.openEdges} | ${r.nonManifoldEdges} | ${r.misorientedEdges} |`),
    '',
    `Per run (s, in run order): ${rows.map((r) => `${r.name} ${r.walls.map((w) => w.toFixed(2)).join(', ')}`).join('; ')}.`,
    '',
  );
  const tuned = rows.find((r) => r.name === 'vtk (our allocator)');
  if (tuned) {
    lines.push(
      `VTK run with our launcher's allocator settings (\`GLIBC_TUNABLES=${tunables}\`): ${tuned.wall.toFixed(2)} s. Against it: ${rows
        .filter((r) => r.name.startsWith('scan2print'))
        .map((r) => `${r.name} ${(r.wall / tuned.wall).toFixed(2)}×`)
        .join(', ')}.`,
      '',
    );
  }
}
const md = lines.join('\n');
console.log(md);
mkdirSync(resolve(root, 'bench/results'), { recursive: true });
// Earlier runs stay below this one: a result is read against the ones before it.
const out = resolve(root, 'bench/results/convert.md');
const earlier = existsSync(out) ? readFileSync(out, 'utf8') : '';
writeFileSync(out, earlier ? `${md}\n---\n\n${earlier}` : md);
rmSync(work, { recursive: true, force: true });
