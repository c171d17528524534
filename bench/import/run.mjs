#!/usr/bin/env node
// Import benchmark: `scan2print export-volume` vs Debian's dcm2niix converting the same
// DICOM folder (ct/philips-head-phantom-1mm, 512×512×140) to NIfTI, gzipped and not.
// Runs alternate (ours, peer, ours, peer …) so machine load hits both alike; wall time
// and peak resident memory come from /usr/bin/time -v (kernel maxrss of the process).
// Usage: npm run build && node bench/import/run.mjs [runs=5] [series folder]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCAN2PRINT } from '../lib/command.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DATA = process.env.SCAN2PRINT_DATA ?? resolve(ROOT, '../shared/data');
const RUNS = Math.max(1, Number(process.argv[2] ?? 5));
const SERIES = process.argv[3] ?? join(DATA, 'ct/philips-head-phantom-1mm');
const CLI = SCAN2PRINT;

for (const [what, p] of [['GNU time', '/usr/bin/time'], ['series', SERIES], ['built CLI', join(ROOT, 'packages/cli/dist/main.js')]]) {
  if (!existsSync(p)) {
    console.error(`missing ${what}: ${p} (scripts/install-bench-deps.sh; npm run build)`);
    process.exit(1);
  }
}

/** Runs argv under /usr/bin/time -v; returns wall seconds and peak RSS bytes. */
function timed(argv) {
  const r = spawnSync('/usr/bin/time', ['-v', ...argv], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  if (!wall || !rss) throw new Error(`cannot read /usr/bin/time output:\n${r.stderr.slice(-1000)}`);
  return { wall_s: Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]), rss: Number(rss[1]) * 1024 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mb = (b) => (b / 1048576).toFixed(0);

const version = spawnSync('dcm2niix', ['--version'], { encoding: 'utf8' });
const peerVersion = (/v[\d.]+/.exec(`${version.stdout}${version.stderr}`) ?? ['?'])[0];
const files = readdirSync(SERIES).filter((n) => statSync(join(SERIES, n)).isFile()).length;
const tmp = mkdtempSync(join(tmpdir(), 's2p-bench-import-'));
const rows = [];
try {
  for (const gz of [true, false]) {
    const ours = [], peer = [];
    for (let i = 0; i < RUNS; i++) {
      const outOurs = join(tmp, `ours${gz ? '.nii.gz' : '.nii'}`);
      ours.push(timed([CLI, 'export-volume', SERIES, '-o', outOurs, '-q']));
      const peerDir = join(tmp, `peer${i}${gz}`);
      mkdirSync(peerDir);
      // -z y: gzip (pigz when installed, else dcm2niix's internal miniz); -b n: no JSON sidecar
      peer.push(timed(['dcm2niix', '-z', gz ? 'y' : 'n', '-b', 'n', '-f', 'peer', '-o', peerDir, SERIES]));
    }
    const row = {
      output: gz ? '.nii.gz' : '.nii',
      ours_s: median(ours.map((r) => r.wall_s)),
      peer_s: median(peer.map((r) => r.wall_s)),
      ours_rss: median(ours.map((r) => r.rss)),
      peer_rss: median(peer.map((r) => r.rss)),
    };
    rows.push(row);
    console.log(
      `${row.output}: scan2print ${row.ours_s.toFixed(2)} s, ${mb(row.ours_rss)} MB | dcm2niix ${row.peer_s.toFixed(2)} s, ${mb(row.peer_rss)} MB | ` +
        `time ratio ${(row.ours_s / row.peer_s).toFixed(2)}×, memory ratio ${(row.ours_rss / row.peer_rss).toFixed(2)}×`,
    );
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const md = [
  '# Import benchmark: DICOM folder → NIfTI',
  '',
  `Series: \`${SERIES.replace(DATA, 'data')}\` (${files} files). ${RUNS} runs each, alternating; medians. ` +
    `Wall time and peak RSS from \`/usr/bin/time -v\`. Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}; node ${process.version}; dcm2niix ${peerVersion}.`,
  '',
  '| output | scan2print export-volume (s) | dcm2niix (s) | time ratio | scan2print peak RSS (MB) | dcm2niix peak RSS (MB) | memory ratio |',
  '|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.output} | ${r.ours_s.toFixed(2)} | ${r.peer_s.toFixed(2)} | ${(r.ours_s / r.peer_s).toFixed(2)}× | ${mb(r.ours_rss)} | ${mb(r.peer_rss)} | ${(r.ours_rss / r.peer_rss).toFixed(2)}× |`),
  '',
  'scan2print also runs the input assessment (histogram, borders) in the same command; both write int16 voxels for this series.',
  '',
];
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/import.md'), md.join('\n'));
console.log(`wrote bench/results/import.md`);
