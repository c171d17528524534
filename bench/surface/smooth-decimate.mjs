#!/usr/bin/env node
// bench/surface smoothing and decimation: scan2print's smoothing, decimation and web preview vs VTK's
// vtkWindowedSincPolyDataFilter (40 iterations, pass band 0.01, 3D Slicer's settings) and
// vtkQuadricDecimation (C++, Debian python3-vtk9) on the same input: the phantom skull
// (ct/philips-head-phantom-1mm, 226 HU), extracted and cleaned by scan2print. Filter time only
// (the mesh is in memory on both sides); alternating runs, medians, ratios; quality of each
// output measured by the same code (volume change, topology, Hausdorff to the input).
// Results to bench/results/surface-smooth-decimate.md.
//   npm run build && node bench/surface/smooth-decimate.mjs [--runs N]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from '../lib/measure.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DATA = process.env.SCAN2PRINT_DATA ?? resolve(ROOT, '../shared/data');
const SERIES = 'ct/philips-head-phantom-1mm';
const LEVEL = 226;
const ITERATIONS = 40;
const REDUCTION = 0.9;
/** The web preview's size (SPEC §7: ~10k faces), made by previewMesh as every job makes it. */
const PREVIEW_FACES = 10_000;
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;

const core = await import(join(ROOT, 'packages/core/dist/index.js'));
const { createNodePool } = await import(join(ROOT, 'packages/cli/dist/pool/node-pool.js'));
const pool = createNodePool(2);

// The input: our closed, cleaned isosurface of the phantom skull (not timed).
const dir = join(DATA, SERIES);
const sources = readdirSync(dir)
  .sort()
  .filter((n) => statSync(join(dir, n)).isFile())
  .map((n) => ({ name: join(dir, n), read: async () => new Uint8Array(readFileSync(join(dir, n))) }));
const volume = (await core.importSeries(sources)).output.volume;
const labels = core.thresholdVolume(volume, LEVEL, 3071);
const iso = await core.extractSurface(labels, { field: volume, level: LEVEL });
const input = core.cleanupMesh(iso.output, { minShell_mm3: 1 }).output;
const tmp = join(tmpdir(), 'scan2print-bench-smooth-decimate');
mkdirSync(tmp, { recursive: true });
const inputPly = join(tmp, 'input.ply');
writeFileSync(inputPly, core.writePly(input));
const facesIn = input.indices.length / 3;
const volumeIn = core.meshSignedVolume_mm3(input);
const targetFaces = Math.round(facesIn * (1 - REDUCTION));
const previewReduction = 1 - PREVIEW_FACES / facesIn;
console.error(`input: ${facesIn} triangles, ${input.positions.length / 3} vertices, ${volumeIn.toFixed(0)} mm³`);

const vtk = (op, param) => {
  const out = join(tmp, `vtk-${op}-${param}.ply`);
  const line = execFileSync('/usr/bin/python3', [join(ROOT, 'bench/surface/smooth_decimate_vtk.py'), inputPly, op, String(param), out], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return { ...JSON.parse(line.trim().split('\n').pop()), out };
};
const timeOurs = async (fn) => {
  const t0 = performance.now();
  const r = await fn();
  return { ms: performance.now() - t0, r };
};

const t = { oursSmooth: [], vtkSmooth: [], oursDecimate: [], vtkDecimate: [], oursPreview: [], vtkPreview: [] };
let last = {};
for (let i = 0; i < RUNS; i++) {
  const os = await timeOurs(() => core.smoothMeshAsync(input, { method: 'windowed-sinc', iterations: ITERATIONS, passBand: 0.01 }, { pool }));
  t.oursSmooth.push(os.ms);
  const vs = vtk('smooth', ITERATIONS);
  t.vtkSmooth.push(vs.wall_ms);
  const od = await timeOurs(() => core.decimateMesh(input, { targetFaces, skipHausdorff: true }));
  t.oursDecimate.push(od.ms);
  const vd = vtk('decimate', REDUCTION);
  t.vtkDecimate.push(vd.wall_ms);
  const op = await timeOurs(() => core.previewMesh(input, PREVIEW_FACES));
  t.oursPreview.push(op.ms);
  const vp = vtk('decimate', previewReduction);
  t.vtkPreview.push(vp.wall_ms);
  last = { os: os.r, vs, od: od.r, vd, op: op.r, vp };
  console.error(`run ${i + 1}: smooth ours ${os.ms.toFixed(0)} ms, VTK ${vs.wall_ms.toFixed(0)} ms; decimate ours ${od.ms.toFixed(0)} ms, VTK ${vd.wall_ms.toFixed(0)} ms; preview ours ${op.ms.toFixed(0)} ms, VTK ${vp.wall_ms.toFixed(0)} ms`);
}

await pool.close();

// Quality, measured by the same code on both outputs (not timed).
const quality = (mesh) => {
  const topo = core.countTopology(mesh);
  const vol = core.meshSignedVolume_mm3(mesh);
  return { ...topo, triangles: mesh.indices.length / 3, volume_mm3: vol, volumeChange_percent: (100 * (vol - volumeIn)) / volumeIn };
};
const readVtk = (file) => core.readPly(new Uint8Array(readFileSync(file)), file);
const centroid = (m) => {
  const c = [0, 0, 0];
  const n = m.positions.length / 3;
  for (let v = 0; v < n; v++) for (let a = 0; a < 3; a++) c[a] += m.positions[3 * v + a] / n;
  return c;
};
const shift = (m) => {
  const a = centroid(input);
  const b = centroid(m);
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
};
const vtkSmoothed = readVtk(last.vs.out);
const vtkDecimated = readVtk(last.vd.out);
const vtkPreview = readVtk(last.vp.out);
const q = {
  oursSmooth: { ...quality(last.os.output), shift_mm: shift(last.os.output) },
  vtkSmooth: { ...quality(vtkSmoothed), shift_mm: shift(vtkSmoothed) },
  oursDecimate: { ...quality(last.od.output), hausdorff: core.hausdorffDistance(input, last.od.output) },
  vtkDecimate: { ...quality(vtkDecimated), hausdorff: core.hausdorffDistance(input, vtkDecimated) },
  oursPreview: { ...quality(last.op.output), hausdorff: core.hausdorffDistance(input, last.op.output) },
  vtkPreview: { ...quality(vtkPreview), hausdorff: core.hausdorffDistance(input, vtkPreview) },
};

const f0 = (x) => x.toFixed(0);
const f2 = (x) => x.toFixed(2);
const f3 = (x) => x.toFixed(3);
const row = (name, ours, peer) => `| ${name} | ${f0(median(ours))} | ${f0(median(peer))} | ${f2(median(ours) / median(peer))} |`;
const topo = (x) => `${x.openEdges} / ${x.nonManifoldEdges} / ${x.misorientedEdges}`;
const md = `# bench/surface: smoothing and decimation

Input: the phantom skull (\`${SERIES}\`, ${LEVEL} HU), extracted and cleaned by scan2print:
${facesIn} triangles, ${input.positions.length / 3} vertices, ${f0(volumeIn)} mm³, closed and manifold.
Both sides get the same mesh (binary PLY for VTK) and are timed on the filter only (mesh in
memory): ours in-process, VTK (${'python3-vtk9'}, C++) around \`Update()\`. ${RUNS} alternating runs each, medians.

- Smoothing: our windowed-sinc (${ITERATIONS} iterations, pass band 0.01, Blackman window (VTK: Hamming), coefficients
  normalised so a translation passes exactly; steps on 2 worker threads) vs \`vtkWindowedSincPolyDataFilter\` (${ITERATIONS}
  iterations, pass band 0.01, 3D Slicer's settings: boundary/feature smoothing off, non-manifold
  smoothing on, coordinate normalisation on; TBB, default threads).
- Decimation: ours (meshoptimizer quadric collapses in manifold-verified rounds, one thread,
  Hausdorff not timed) vs \`vtkQuadricDecimation\` (target reduction ${REDUCTION}), both to ~${targetFaces} triangles.
- Preview: ours (\`previewMesh\`, as every job makes the web preview: a first reduction in 8 slabs,
  then halving rounds, each verified manifold; one thread) vs \`vtkQuadricDecimation\` (target
  reduction ${previewReduction.toFixed(5)}), both to ~${PREVIEW_FACES} triangles.

Machine: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, node ${process.version}, ${new Date().toISOString()}.

| step | scan2print (ms) | VTK (ms) | ratio (ours / VTK) |
|---|---|---|---|
${row('smoothing (windowed-sinc, 40 it.)', t.oursSmooth, t.vtkSmooth)}
${row('decimation (quadric, −90 %)', t.oursDecimate, t.vtkDecimate)}
${row(`preview (quadric, to ~${PREVIEW_FACES} faces)`, t.oursPreview, t.vtkPreview)}

Quality of each output, measured by scan2print's code on both:

| output | triangles | volume change | centroid shift (mm) | open / non-manifold / misoriented edges | Hausdorff to input (mm): max, p95 (input→output) |
|---|---|---|---|---|---|
| ours, smoothed | ${q.oursSmooth.triangles} | ${f3(q.oursSmooth.volumeChange_percent)} % | ${f3(q.oursSmooth.shift_mm)} | ${topo(q.oursSmooth)} | |
| VTK, smoothed | ${q.vtkSmooth.triangles} | ${f3(q.vtkSmooth.volumeChange_percent)} % | ${f3(q.vtkSmooth.shift_mm)} | ${topo(q.vtkSmooth)} | |
| ours, decimated | ${q.oursDecimate.triangles} | ${f3(q.oursDecimate.volumeChange_percent)} % | | ${topo(q.oursDecimate)} | ${q.oursDecimate.hausdorff.hausdorff_mm}, ${q.oursDecimate.hausdorff.aToB.p95_mm} |
| VTK, decimated | ${q.vtkDecimate.triangles} | ${f3(q.vtkDecimate.volumeChange_percent)} % | | ${topo(q.vtkDecimate)} | ${q.vtkDecimate.hausdorff.hausdorff_mm}, ${q.vtkDecimate.hausdorff.aToB.p95_mm} |
| ours, preview | ${q.oursPreview.triangles} | ${f3(q.oursPreview.volumeChange_percent)} % | | ${topo(q.oursPreview)} | ${q.oursPreview.hausdorff.hausdorff_mm}, ${q.oursPreview.hausdorff.aToB.p95_mm} |
| VTK, preview | ${q.vtkPreview.triangles} | ${f3(q.vtkPreview.volumeChange_percent)} % | | ${topo(q.vtkPreview)} | ${q.vtkPreview.hausdorff.hausdorff_mm}, ${q.vtkPreview.hausdorff.aToB.p95_mm} |

All runs (ms):
- ours smoothing: ${t.oursSmooth.map(f0).join(', ')}
- VTK smoothing: ${t.vtkSmooth.map(f0).join(', ')}
- ours decimation: ${t.oursDecimate.map(f0).join(', ')}
- VTK decimation: ${t.vtkDecimate.map(f0).join(', ')}
- ours preview: ${t.oursPreview.map(f0).join(', ')}
- VTK preview: ${t.vtkPreview.map(f0).join(', ')}
`;
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/surface-smooth-decimate.md'), md);
process.stdout.write(md);
