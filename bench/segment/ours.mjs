// One timed run of scan2print's segmentation clean-up stages (built dist) on a raw
// Int16 HU volume: threshold → components (26-connected, drop islands < MIN mm³) →
// fill holes (3D) → closing (ball of R mm). Prints per-step milliseconds as JSON and
// writes the final mask (uint8, memory order i fastest) for the equality check. Then
// times a closing with a larger ball (closeLarge_mm) on the filled mask, on its own.
// Usage: node bench/segment/ours.mjs volume.raw meta.json out.mask
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const core = await import(resolve(root, 'packages/core/dist/index.js'));
const [rawPath, metaPath, outPath] = process.argv.slice(2);
const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
const buf = readFileSync(rawPath);
const data = new Int16Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
const volume = { grid: meta.grid, data };

const ms = {};
let t = performance.now();
const lap = (name) => {
  const n = performance.now();
  ms[name] = Math.round((n - t) * 10) / 10;
  t = n;
};
let labels = core.thresholdVolume(volume, meta.threshold_HU, 3071);
lap('threshold');
labels = core.keepComponents(labels, volume, { connectivity: 26, minIsland_mm3: meta.minIsland_mm3 }, {}).output;
lap('components');
labels = core.fillHoles(labels, volume, { mode: '3d' }, {}).output;
lap('fillHoles3d');
const filled = labels;
labels = core.morphology(labels, volume, { op: 'close', radius_mm: meta.close_mm }, {}).output;
lap('closing');
ms.total = Math.round(Object.values(ms).reduce((a, b) => a + b, 0) * 10) / 10;
// The same closing with a larger ball (not part of the total), on the filled mask.
t = performance.now();
const closedLarge = core.morphology(filled, volume, { op: 'close', radius_mm: meta.closeLarge_mm }, {}).output;
lap('closingLarge');
const write = (path, l) => {
  const out = new Uint8Array(l.data.length);
  let n = 0;
  for (let p = 0; p < out.length; p++) if (l.data[p]) { out[p] = 1; n++; }
  writeFileSync(path, out);
  return n;
};
const voxels = write(outPath, labels);
const voxelsLarge = write(outPath + '.large', closedLarge);
console.log(JSON.stringify({ ms, voxels, voxelsLarge }));
