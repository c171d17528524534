// Forest inference time against the threshold method on the same volume (built dist):
// ct/philips-head-phantom-1mm (512×512×140), medians of 3 runs each, on a pool of
// N worker threads (default 2: the "2 cores"), the shipped model
// packages/core/models/bone-forest.bin. Prints JSON. The wall times include the
// feature passes, both stages and the upsampling to the scan's grid. CPU is the whole
// process's user+sys (process.cpuUsage counts every thread, so the pool's workers too):
// on a loaded machine wall/CPU is what shows how much the pool ran in parallel; wall
// alone measures the other tenants. POOL=N (env) overrides the workers argument.
// Usage: [POOL=2] node bench/segment/forest.mjs [series-folder] [workers] [model.bin]
import { readFileSync } from 'node:fs';
import { resolve, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg } from 'node:os';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const core = await import(resolve(root, 'packages/core/dist/index.js'));
const { importFromPaths } = await import(resolve(root, 'packages/cli/dist/io/import-input.js'));
const { createNodePool } = await import(resolve(root, 'packages/cli/dist/pool/node-pool.js'));
const data = process.env.SCAN2PRINT_DATA ?? resolve(root, '../shared/data');
const series = process.argv[2] ?? join(data, 'ct/philips-head-phantom-1mm');
const workers = Number(process.env.POOL ?? process.argv[3] ?? 2);
const modelPath = process.argv[4] ?? join(root, 'packages/core/models/bone-forest.bin');
const RUNS = 3;
const loadBefore = loadavg()[0];

const volume = (await importFromPaths([series], { quiet: true, json: true })).output.volume;
const model = core.decodeForest(new Uint8Array(readFileSync(modelPath)), modelPath);
const pool = workers > 1 ? createNodePool(workers) : undefined;
const ctx = pool ? { pool } : {};
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function time(name, body) {
  const ms = [];
  const cpu = [];
  let last;
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    const c = process.cpuUsage();
    last = await body();
    const d = process.cpuUsage(c);
    ms.push(Math.round(performance.now() - t));
    cpu.push(Math.round((d.user + d.system) / 1000));
  }
  return { name, runs_ms: ms, median_ms: median(ms), cpu_ms: cpu, median_cpu_ms: median(cpu), last };
}

try {
  const threshold = await time('threshold (bone preset)', () => core.getMethod('threshold').run(volume, core.getMethod('threshold').paramsSchema.parse({ preset: 'bone' }), ctx));
  const forest = await time('forest', () => core.getMethod('forest').run(volume, { model, source: modelPath }, ctx));
  const f = forest.last.record.figures;
  console.log(
    JSON.stringify(
      {
        input: series,
        dims: volume.grid.dims,
        spacing_mm: volume.grid.spacing_mm,
        workers,
        machineCores: cpus().length,
        // Wall times depend on what else runs: the 1-minute load average before and after.
        loadAverage: { before: loadBefore, after: loadavg()[0] },
        model: { file: modelPath, trees: model.meta.trees, depth: model.meta.depth, groups: model.meta.groups.length },
        working: { dims: f.working_dims, spacing_mm: f.working_spacing_mm },
        threshold: { runs_ms: threshold.runs_ms, median_ms: threshold.median_ms, cpu_ms: threshold.cpu_ms, median_cpu_ms: threshold.median_cpu_ms },
        forest: { runs_ms: forest.runs_ms, median_ms: forest.median_ms, cpu_ms: forest.cpu_ms, median_cpu_ms: forest.median_cpu_ms, voxels_selected: f.voxels_selected },
      },
      null,
      2,
    ),
  );
} finally {
  await pool?.close();
}
