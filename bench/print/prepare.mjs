// bench/print: `scan2print prepare` on the phantom skull of ct/philips-head-phantom-1mm (made
// once here by `scan2print convert`, defaults) for a 120 × 120 × 120 mm printer: median wall
// time and peak memory (whole process tree) of `runs` runs, parts, connectors, triangles, and
// the load average (the test machine is shared). Writes bench/results/print-prepare-<date>.json.
// Usage: node bench/print/prepare.mjs [runs=3] [skull.3mf|-] [prepare options…]   (needs: npm run build)
// e.g. the issue-12 options: node bench/print/prepare.mjs 1 - --dowels --plates packed
// (results then go to print-prepare-<options>-<date>.json).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { measure, median, mb } from '../lib/measure.mjs';
import { cli, phantomSkull, root, SKULL_SERIES, triangleCount } from '../lib/phantom-skull.mjs';

const runs = Number(process.argv[2] ?? 3);
const work = mkdtempSync(join(tmpdir(), 's2p-bench-prepare-'));
const printer = '120x120x120';

const extra = process.argv.slice(4);
const skull = await phantomSkull(work, process.argv[3] === '-' ? undefined : process.argv[3]);
const triangles = await triangleCount(skull);

const rows = [];
for (let i = 0; i < runs; i++) {
  const load = loadavg()[0];
  const r = await measure([cli, 'prepare', skull, '--printer', printer, ...extra, '-o', join(work, `parts${i}`), '--json', '--quiet']);
  if (r.code !== 0) throw new Error(`prepare failed (${r.code}): ${r.stderr}`);
  const j = JSON.parse(r.stdout);
  rows.push({ wall_s: Number(r.wall_s.toFixed(2)), peakRss_mb: Number(mb(r.peakRss_bytes)), load1_before: Number(load.toFixed(2)), parts: j.parts.length, plates: j.plates?.length ?? null, connectors: j.connectors.length, dowelsJoined: (j.dowels ?? []).filter((d) => d.joined).length, hollowRemoved_mm3: j.hollow?.removed_mm3 ?? null, allFitClosedManifold: j.parts.every((p) => p.fits && p.closed && p.manifold) });
  console.log(`run ${i + 1}: ${r.wall_s.toFixed(1)} s, ${mb(r.peakRss_bytes)} MB, ${j.parts.length} parts on ${j.plates?.length ?? '?'} plates, ${j.connectors.length} connectors, ${(j.dowels ?? []).filter((d) => d.joined).length} dowels (load ${load.toFixed(1)})`);
}
const result = {
  bench: 'print/prepare',
  date: new Date().toISOString(),
  input: { series: SKULL_SERIES, model: 'scan2print convert defaults', triangles },
  printer,
  options: extra,
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? '' },
  runs: rows,
  median_wall_s: median(rows.map((r) => r.wall_s)),
  median_peakRss_mb: median(rows.map((r) => r.peakRss_mb)),
};
const variant = extra.length ? `${extra.join('').replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '')}-` : '';
const out = resolve(root, `bench/results/print-prepare-${variant}${result.date.slice(0, 10)}.json`);
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`median ${result.median_wall_s} s, ${result.median_peakRss_mb} MB → ${out}`);
rmSync(work, { recursive: true, force: true });
