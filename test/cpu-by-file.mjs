// Prints the lines test/cpu-by-file.ts wrote (SCAN2PRINT_CPU_BY_FILE=F npx vitest run) as a
// table, the files with the most CPU (own + children) first, and the totals:
//   node test/cpu-by-file.mjs /tmp/cpu.jsonl [rows]
// A file listed more than once (one run appended after another) is summed.
import { readFileSync } from 'node:fs';

const [path, rowsArg] = process.argv.slice(2);
if (!path) {
  console.error('usage: node test/cpu-by-file.mjs <file.jsonl> [rows]');
  process.exit(2);
}
const byFile = new Map();
let n = 0;
for (const [i, line] of readFileSync(path, 'utf8').split('\n').entries()) {
  if (!line.trim()) continue;
  let r;
  try {
    r = JSON.parse(line);
  } catch {
    console.error(`${path}:${i + 1}: not a JSON line`);
    process.exit(1);
  }
  const a = byFile.get(r.file) ?? { file: r.file, own_s: 0, children_s: 0, wall_s: 0 };
  a.own_s += r.own_s;
  a.children_s += Number.isFinite(r.children_s) ? r.children_s : 0;
  a.wall_s += r.wall_s;
  byFile.set(r.file, a);
  n++;
}
const rows = [...byFile.values()].sort((a, b) => b.own_s + b.children_s - (a.own_s + a.children_s) || (a.file < b.file ? -1 : 1));
const total = rows.reduce((t, r) => ({ own: t.own + r.own_s, kids: t.kids + r.children_s, wall: t.wall + r.wall_s }), { own: 0, kids: 0, wall: 0 });
const all = total.own + total.kids;
const f = (x) => x.toFixed(1);
console.log('| spec | own CPU-s | children CPU-s | share | wall s |');
console.log('|---|---|---|---|---|');
for (const r of rows.slice(0, rowsArg ? Number(rowsArg) : rows.length)) {
  console.log(`| ${r.file} | ${f(r.own_s)} | ${f(r.children_s)} | ${all > 0 ? f((100 * (r.own_s + r.children_s)) / all) : '0.0'} % | ${f(r.wall_s)} |`);
}
console.log(`\n${rows.length} files (${n} lines): ${f(total.own)} CPU-s in the test processes, ${f(total.kids)} in their children, ${f(all)} in all; ${f(total.wall)} s of file wall time`);
