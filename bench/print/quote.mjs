// bench/print: `scan2print quote` on the phantom skull of ct/philips-head-phantom-1mm (made once
// here by `scan2print convert`, defaults) for the Prusa MK4 in PLA, supports on, against the
// peer: `prusa-slicer --export-gcode` alone on the same file with the same generated
// configuration (what quote adds: reading and checking the mesh, writing the .ini, reading the
// G-code's ends, pricing). Medians of `runs` runs each (alternating, peer first), wall time and
// CPU time (user + sys of the whole tree, from GNU time: less sensitive to a shared machine),
// peak memory, the ratio quote/peer, and the load average. Writes
// bench/results/print-quote-<date>.json.
// Usage: node bench/print/quote.mjs [runs=3] [model.3mf|.stl, default the skull]   (needs: npm run build, prusa-slicer)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { measure, median, mb } from '../lib/measure.mjs';
import { cli, loadCore, phantomSkull, root, SKULL_SERIES, triangleCount } from '../lib/phantom-skull.mjs';

const runs = Number(process.argv[2] ?? 3);
const work = mkdtempSync(join(tmpdir(), 's2p-bench-quote-'));
const printer = 'prusa-mk4';
const material = 'pla';

const skull = await phantomSkull(work, process.argv[3]);
const core = await loadCore();
const { prusaConfig } = await import(resolve(root, 'packages/server/dist/print/prusa-config.js'));
const triangles = await triangleCount(skull);
const p = core.findPrinter(printer);
const cfg = prusaConfig(p, core.materialFor(p, material), { supports: true });
const ini = join(work, 'peer.ini');
writeFileSync(ini, cfg.ini);

/** GNU time's "%e %U %S" on the last stderr line → CPU seconds of the whole tree. */
async function timed(argv) {
  const r = await measure(['/usr/bin/time', '-f', 'TIME %e %U %S', ...argv]);
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  return { ...r, cpu_s: m ? Number((Number(m[2]) + Number(m[3])).toFixed(2)) : null };
}

const rows = [];
for (let i = 0; i < runs; i++) {
  const load = loadavg()[0];
  const peer = await timed(['prusa-slicer', '--datadir', join(work, 'prusa-datadir'), '--load', ini, '--export-gcode', '--output', join(work, 'peer.gcode'), '--loglevel', '1', skull]);
  if (peer.code !== 0) throw new Error(`prusa-slicer failed (${peer.code}): ${peer.stderr.slice(-2000)}`);
  const est = core.parsePrusaGcode(readFileSync(join(work, 'peer.gcode'), 'utf8'), 'peer.gcode');
  rmSync(join(work, 'peer.gcode'), { force: true });
  const q = await timed([cli, 'quote', skull, '--printer', printer, '--material', material, '--json']);
  if (q.code !== 0) throw new Error(`quote failed (${q.code}): ${q.stderr.slice(-2000)}`);
  const j = JSON.parse(q.stdout);
  const row = {
    load1_before: Number(load.toFixed(2)),
    quote: { wall_s: Number(q.wall_s.toFixed(2)), cpu_s: q.cpu_s, peakRss_mb: Number(mb(q.peakRss_bytes)) },
    peer: { wall_s: Number(peer.wall_s.toFixed(2)), cpu_s: peer.cpu_s, peakRss_mb: Number(mb(peer.peakRss_bytes)) },
    quoteResult: { printTime_s: j.printTime_s, material_g: j.material_g, configSha256: j.configSha256 },
    peerResult: { printTime_s: est.printTime_s, filament_g: est.filament_g },
  };
  rows.push(row);
  console.log(`run ${i + 1}: quote ${row.quote.wall_s} s (cpu ${row.quote.cpu_s} s), peer ${row.peer.wall_s} s (cpu ${row.peer.cpu_s} s); ${j.printTime_s} s / ${j.material_g} g (load ${load.toFixed(1)})`);
}
const med = (f) => median(rows.map(f));
const result = {
  bench: 'print/quote',
  date: new Date().toISOString(),
  input: process.argv[3] ? { file: process.argv[3], triangles } : { series: SKULL_SERIES, model: 'scan2print convert defaults', triangles },
  printer,
  material,
  config: { sha256: cfg.sha256, settings: cfg.settings },
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? '' },
  runs: rows,
  median: {
    quote_wall_s: med((r) => r.quote.wall_s),
    peer_wall_s: med((r) => r.peer.wall_s),
    quote_cpu_s: med((r) => r.quote.cpu_s),
    peer_cpu_s: med((r) => r.peer.cpu_s),
    quote_peakRss_mb: med((r) => r.quote.peakRss_mb),
    peer_peakRss_mb: med((r) => r.peer.peakRss_mb),
  },
  // PrusaSlicer's multi-threaded slicing varies its estimate by a few seconds between runs of
  // the same input, so the quote and the peer agree within 0.1 % of the time, grams equal.
  estimateAgrees: rows.every((r) => Math.abs(r.quoteResult.printTime_s - r.peerResult.printTime_s) <= 0.001 * r.peerResult.printTime_s && r.quoteResult.material_g === r.peerResult.filament_g && r.quoteResult.configSha256 === cfg.sha256),
};
result.median.ratio_wall = Number((result.median.quote_wall_s / result.median.peer_wall_s).toFixed(3));
result.median.ratio_cpu = result.median.peer_cpu_s ? Number((result.median.quote_cpu_s / result.median.peer_cpu_s).toFixed(3)) : null;
const out = resolve(root, `bench/results/print-quote-${result.date.slice(0, 10)}.json`);
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`median quote ${result.median.quote_wall_s} s vs prusa-slicer ${result.median.peer_wall_s} s (×${result.median.ratio_wall} wall, ×${result.median.ratio_cpu} cpu); estimate agrees: ${result.estimateAgrees} → ${out}`);
rmSync(work, { recursive: true, force: true });
