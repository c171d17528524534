// Shared benchmark helpers: run a command, sample the whole process tree's resident
// memory from /proc every 20 ms (peak of the SUM over all processes, so multi-process
// peers are charged for every worker), and report medians.
//
// The sampler must not take CPU from the command it measures: finding the tree reads every
// process's /proc/PID/stat (~1.7 ms CPU with ~80 processes), which every 20 ms was ~9 % of a
// core (without it both our convert and VTK ran ~0.1-0.2 s faster). So the tree is found again
// only every TREE_EVERY ticks; each tick reads the VmRSS of the pids already known (one small
// file each).
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

function childrenOf() {
  const map = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!map.has(ppid)) map.set(ppid, []);
      map.get(ppid).push(Number(d));
    } catch {
      /* process ended */
    }
  }
  return map;
}

function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The pids of root's process tree (root first). */
export function treeOf(root) {
  const kids = childrenOf();
  const out = [];
  const stack = [root];
  while (stack.length) {
    const p = stack.pop();
    out.push(p);
    for (const c of kids.get(p) ?? []) stack.push(c);
  }
  return out;
}

/** Resident memory of these processes together. */
const rssSum = (pids) => pids.reduce((sum, p) => sum + rssOf(p), 0);

export function treeRss(root) {
  return rssSum(treeOf(root));
}

/** Ticks (of 20 ms) between searches for the tree's processes: a new child is missed for at most 200 ms. */
const TREE_EVERY = 10;

/** Runs argv, returns { wall_s, peakRss_bytes, code, stdout, stderr }. */
export function measure(argv, opts = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { cwd: opts.cwd, env: { ...process.env, ...(opts.env ?? {}) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let peak = 0;
    let tick = 0;
    let tree = [child.pid];
    const timer = setInterval(() => {
      if (tick++ % TREE_EVERY === 0) tree = treeOf(child.pid);
      const r = rssSum(tree);
      if (r > peak) peak = r;
    }, 20);
    child.on('error', (e) => {
      clearInterval(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearInterval(timer);
      const wall_s = Number(process.hrtime.bigint() - t0) / 1e9;
      resolve({ wall_s, peakRss_bytes: peak, code, stdout, stderr });
    });
  });
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const mb = (b) => (b / 1048576).toFixed(0);
