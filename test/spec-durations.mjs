// Writes test/spec-durations.json (read by test/sequencer.ts) from the output of a full run:
//   npx vitest run > /tmp/r.log 2>&1; node test/spec-durations.mjs /tmp/r.log
// It reads the default reporter's line per file (`✓ |project| path (N tests) 1234ms`): that time
// includes the file's hooks (a beforeAll that converts a series), which the JSON report's
// start/end times per file leave out.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const rows = [];
for (const m of readFileSync(process.argv[2], 'utf8').matchAll(/^ [✓❯×] \|[\w-]+\| (\S+\.spec\.ts) \(.*\) (\d+)ms$/gm)) rows.push([m[1], Math.round(Number(m[2]) / 100) / 10]);
rows.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
writeFileSync(resolve(root, 'test/spec-durations.json'), `${JSON.stringify(Object.fromEntries(rows), null, 1)}\n`);
console.log(`${rows.length} spec files, ${rows.reduce((s, r) => s + r[1], 0).toFixed(0)} s in all`);
