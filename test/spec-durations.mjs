// Writes test/spec-durations.json (read by test/sequencer.ts) from the output of a full run:
//   npx vitest run > /tmp/r.log 2>&1; node test/spec-durations.mjs /tmp/r.log
// It reads the default reporter's line per file (`✓ |project| path (N tests) 1234ms`, or with
// CI=true, as .ci/run prints it, `✓  project  path …` in colours): that time includes the file's
// hooks (a beforeAll that converts a series), which the JSON report's start/end times per file
// leave out. A log with no such line (not a vitest run) leaves the table as it is.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const rows = [];
// eslint-disable-next-line no-control-regex
const log = readFileSync(process.argv[2], 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
for (const m of log.matchAll(/^ [✓❯×] +(?:\|[\w-]+\||[\w-]+ ) *(\S+\.spec\.ts) \(.*\) (\d+)ms$/gm)) rows.push([m[1], Math.round(Number(m[2]) / 100) / 10]);
if (rows.length === 0) {
  console.error(`no spec file lines in ${process.argv[2]}: test/spec-durations.json left as it is`);
  process.exit(1);
}
rows.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
writeFileSync(resolve(root, 'test/spec-durations.json'), `${JSON.stringify(Object.fromEntries(rows), null, 1)}\n`);
console.log(`${rows.length} spec files, ${rows.reduce((s, r) => s + r[1], 0).toFixed(0)} s in all`);
