// The femur/hip split (anatomy/ball-joint.ts) over the hip joint's reach, on labelled/totalsegmentator/example_ct
// against its reference (example_seg_fast_force_split): per structure, Dice, % of its reference voxels inside our mask
// named with its own name, and the share named with its partner (hips: femur of that side; femurs: hip; sacrum: either
// hip). Both masks identify.spec uses: convert's default segmentation and segment's bare automatic threshold. Built
// dist (npx tsc -b packages/core first). MASK_CACHE=dir keeps the masks between runs (they do not depend on the reach).
// Usage: [MASKS=convert,segment] [MASK_CACHE=/tmp/x] node bench/anatomy/hip-split.mjs [reach_mm ...]   (default 24 27 30 33 36)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dist = (p) => import(resolve(root, 'packages/core/dist', p));
const { readNifti, readNiftiLabels } = await dist('formats/nifti.js');
const { indexToPhysical, physicalToIndex } = await dist('geometry/grid.js');
const { runSegmentation } = await dist('segment/pipeline.js');
const { convertSegmentationDefaults } = await dist('pipeline/defaults.js');
const { optionsFromArgs } = await dist('pipeline/segment-args.js');
const { ANATOMY_GRAPH } = await dist('anatomy/graph-data.js');
const { identifyStructures } = await dist('anatomy/identify.js');

const ts = join(process.env.SCAN2PRINT_DATA ?? resolve(root, '../shared/data'), 'labelled/totalsegmentator');
const reaches = process.argv.slice(2).map(Number).filter((r) => r > 0);
if (!reaches.length) reaches.push(24, 27, 30, 33, 36);
const volume = readNifti(new Uint8Array(readFileSync(join(ts, 'example_ct.nii.gz'))), 'example_ct.nii.gz').volume;
const ref = readNiftiLabels(new Uint8Array(readFileSync(join(ts, 'example_seg_fast_force_split.nii.gz'))), 'example_seg_fast_force_split.nii.gz');
const names = JSON.parse(readFileSync(join(ts, 'labelmap_total_v2.json'), 'utf8'));
const toS = new Map();
for (const [id, n] of Object.entries(names)) {
  const s = ANATOMY_GRAPH.structures.find((x) => x.totalSegmentator.includes(n));
  if (s) toS.set(Number(id), s.name);
}

async function mask(kind) {
  const f = process.env.MASK_CACHE ? join(process.env.MASK_CACHE, `hip-split-${kind}.mask`) : null;
  if (f && existsSync(f)) return { grid: JSON.parse(readFileSync(`${f}.json`, 'utf8')), data: new Uint8Array(readFileSync(f)) };
  const seg = await runSegmentation(volume, kind === 'convert' ? convertSegmentationDefaults('bone') : optionsFromArgs({}));
  const m = seg.output.labels[0];
  const data = Uint8Array.from(m.data);
  if (f) {
    writeFileSync(f, data);
    writeFileSync(`${f}.json`, JSON.stringify(m.grid));
  }
  return { grid: m.grid, data };
}

/** Our voxel index of each reference voxel of a graph structure (-1 outside our grid), compared in patient mm. */
function refOnOurs(grid) {
  const [nx, ny] = ref.grid.dims;
  const d = grid.dims;
  const out = new Int32Array(ref.data.length).fill(-1);
  for (let p = 0; p < ref.data.length; p++) {
    if (!toS.has(ref.data[p])) continue;
    const x = indexToPhysical(ref.grid, p % nx, Math.floor(p / nx) % ny, Math.floor(p / (nx * ny)));
    const [a, b, c] = physicalToIndex(grid, x[0], x[1], x[2]).map(Math.round);
    if (a >= 0 && b >= 0 && c >= 0 && a < d[0] && b < d[1] && c < d[2]) out[p] = a + b * d[0] + c * d[0] * d[1];
  }
  return out;
}

const S = ['femur_left', 'femur_right', 'hip_left', 'hip_right', 'sacrum'];
const partner = (s) => (s === 'sacrum' ? ['hip_left', 'hip_right'] : [s.replace(/^(femur|hip)/, (b) => (b === 'femur' ? 'hip' : 'femur'))]);
const hipReach = (r) => ({ ...ANATOMY_GRAPH, joints: ANATOMY_GRAPH.joints.map((j) => (j.head.startsWith('femur_') ? { ...j, reach_mm: r } : j)) });

for (const kind of (process.env.MASKS ?? 'convert,segment').split(',')) {
  const m = await mask(kind);
  const at = refOnOurs(m.grid);
  console.log(`\n${kind}'s mask: Dice, % named own, % named partner`);
  console.log(`reach ${S.map((s) => s.padEnd(20)).join('')}`);
  for (const r of reaches) {
    const id = identifyStructures(m, volume, { graph: hipReach(r) });
    const nm = id.labels.labels ?? {};
    const lab = id.labels.data;
    const ours = new Map();
    for (let p = 0; p < lab.length; p++) if (lab[p]) ours.set(nm[lab[p]], (ours.get(nm[lab[p]]) ?? 0) + 1);
    const refN = new Map();
    const conf = new Map();
    for (let p = 0; p < ref.data.length; p++) {
      const t = toS.get(ref.data[p]);
      if (!t) continue;
      refN.set(t, (refN.get(t) ?? 0) + 1);
      const v = at[p] >= 0 ? lab[at[p]] : 0;
      if (!v) continue;
      const c = conf.get(t) ?? new Map();
      c.set(nm[v], (c.get(nm[v]) ?? 0) + 1);
      conf.set(t, c);
    }
    const cells = S.map((s) => {
      const c = conf.get(s) ?? new Map();
      const tot = [...c.values()].reduce((a, b) => a + b, 0) || 1;
      const dice = (2 * (c.get(s) ?? 0)) / ((ours.get(s) ?? 0) + (refN.get(s) ?? 0));
      const other = partner(s).reduce((a, o) => a + (c.get(o) ?? 0), 0);
      return `${dice.toFixed(3)} ${Math.round((100 * (c.get(s) ?? 0)) / tot)}% ${Math.round((100 * other) / tot)}%`.padEnd(20);
    });
    console.log(`${String(r).padEnd(6)}${cells.join('')}`);
  }
}
