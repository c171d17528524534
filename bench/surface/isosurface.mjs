#!/usr/bin/env node
// bench/surface isosurface: scan2print's extractor vs VTK's vtkFlyingEdges3D (C++, Debian
// python3-vtk9) on ct/philips-head-phantom-1mm at 226 HU. Extraction only, after loading:
// alternating runs, medians, ratios; results to bench/results/surface-isosurface.md.
//   npm run build && node bench/surface/isosurface.mjs [--runs N]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DATA = process.env.SCAN2PRINT_DATA ?? resolve(ROOT, '../shared/data');
const SERIES = 'ct/philips-head-phantom-1mm';
const LEVEL = 226;
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;

const core = await import(join(ROOT, 'packages/core/dist/index.js'));
const { createNodePool } = await import(join(ROOT, 'packages/cli/dist/pool/node-pool.js'));

const dir = join(DATA, SERIES);
const sources = readdirSync(dir)
  .sort()
  .filter((n) => statSync(join(dir, n)).isFile())
  .map((n) => ({ name: join(dir, n), read: async () => new Uint8Array(readFileSync(join(dir, n))) }));
const volume = (await core.importSeries(sources)).output.volume;
const n = volume.data.length;
// Inputs in shared memory, as the pipeline's pool stages leave them (the copy is not timed).
const shared = (a) => {
  const out = new a.constructor(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
};
const field = { grid: volume.grid, data: shared(volume.data) };
const labelData = new Uint8Array(new SharedArrayBuffer(n));
for (let v = 0; v < n; v++) labelData[v] = field.data[v] >= LEVEL ? 1 : 0;
const labels = { grid: volume.grid, data: labelData };

// The same volume for VTK, as raw little-endian samples of the same type.
const tmp = join(tmpdir(), 'scan2print-bench-isosurface');
mkdirSync(tmp, { recursive: true });
const dtype = field.data instanceof Int16Array ? '<i2' : '<f4';
writeFileSync(join(tmp, 'volume.raw'), new Uint8Array(field.data.buffer.slice(0)));
writeFileSync(join(tmp, 'volume.json'), JSON.stringify({ ...volume.grid, dtype }));

const vtk = (threads) => {
  // Two Update() calls per process; the second is timed (the first pays TBB's start-up).
  const out = execFileSync('/usr/bin/python3', [join(ROOT, 'bench/surface/isosurface_vtk.py'), join(tmp, 'volume.raw'), join(tmp, 'volume.json'), String(LEVEL), String(threads), '2'], { encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop());
  return { ms: r.wall_ms[r.wall_ms.length - 1], triangles: r.triangles, points: r.points, backend: r.backend, threads: r.threads };
};
const ours = async (pool) => {
  const t0 = performance.now();
  const r = await core.extractSurface(labels, { field, level: LEVEL }, pool ? { pool } : {});
  return { ms: performance.now() - t0, triangles: r.output.indices.length / 3, points: r.output.positions.length / 3 };
};

const pool = createNodePool(2);
await ours(null); // warm-up (JIT)
await ours(pool);
const t = { ours1: [], vtk1: [], ours2: [], vtk2: [] };
let info = {};
for (let i = 0; i < RUNS; i++) {
  const a = await ours(null);
  const b = vtk(1);
  const c = await ours(pool);
  const d = vtk(2);
  t.ours1.push(a.ms);
  t.vtk1.push(b.ms);
  t.ours2.push(c.ms);
  t.vtk2.push(d.ms);
  info = { ours: a, vtk: d, backend: b.backend };
  console.log(`run ${i + 1}: ours 1 thread ${a.ms.toFixed(0)} ms, VTK 1 thread ${b.ms.toFixed(0)} ms, ours 2 workers ${c.ms.toFixed(0)} ms, VTK 2 threads ${d.ms.toFixed(0)} ms`);
}
await pool.close();
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
const r1 = m.ours1 / m.vtk1;
const r2 = m.ours2 / m.vtk2;
console.log(`median: ours ${m.ours1.toFixed(0)} ms vs VTK ${m.vtk1.toFixed(0)} ms (1 thread): ratio ${r1.toFixed(2)}; ours ${m.ours2.toFixed(0)} ms vs VTK ${m.vtk2.toFixed(0)} ms (2): ratio ${r2.toFixed(2)}`);

const g = volume.grid;
const md = `# bench/surface: isosurface

scan2print \`extractSurface\` (label map ≥ ${LEVEL} HU + HU field for sub-voxel placement) vs VTK
\`vtkFlyingEdges3D\` (C++, Debian python3-vtk9, SMP backend ${info.backend}, normals/gradients/scalars off)
on \`${SERIES}\` (${g.dims.join('×')}, ${g.spacing_mm.map((x) => +x.toFixed(4)).join('×')} mm), iso level ${LEVEL} HU.
Extraction only (volume already in memory; our inputs in shared memory); ${RUNS} alternating runs each, medians.
VTK is timed inside its process on its second \`Update()\` (the first pays thread-pool start-up).

Machine: ${cpus()[0]?.model ?? 'unknown'}, ${availableParallelism()} cores, node ${process.version}, ${new Date().toISOString()}.

| threads | scan2print (ms) | vtkFlyingEdges3D (ms) | ratio (ours / VTK) |
|---|---|---|---|
| 1 | ${m.ours1.toFixed(0)} | ${m.vtk1.toFixed(0)} | ${r1.toFixed(2)} |
| 2 | ${m.ours2.toFixed(0)} | ${m.vtk2.toFixed(0)} | ${r2.toFixed(2)} |

Output: scan2print ${info.ours.triangles} triangles / ${info.ours.points} vertices (closed: includes the cap where the
skull leaves the scan); VTK ${info.vtk.triangles} triangles / ${info.vtk.points} points (open at the scan border).

All runs (ms):
- scan2print, 1 thread: ${t.ours1.map((x) => x.toFixed(0)).join(', ')}
- VTK, 1 thread: ${t.vtk1.map((x) => x.toFixed(0)).join(', ')}
- scan2print, 2 workers: ${t.ours2.map((x) => x.toFixed(0)).join(', ')}
- VTK, 2 threads: ${t.vtk2.map((x) => x.toFixed(0)).join(', ')}
`;
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/surface-isosurface.md'), md);
console.log('wrote bench/results/surface-isosurface.md');
