// Writes test/spec-durations.json (read by test/sequencer.ts) from a vitest JSON report of a full run:
//   npx vitest run --reporter=json --outputFile.json=/tmp/r.json && node test/spec-durations.mjs /tmp/r.json
import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const rows = report.testResults
  .map((r) => [relative(root, r.name).split('\\').join('/'), Math.round((r.endTime - r.startTime) / 100) / 10])
  .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
writeFileSync(resolve(root, 'test/spec-durations.json'), `${JSON.stringify(Object.fromEntries(rows), null, 1)}\n`);
console.log(`${rows.length} spec files, ${rows.reduce((s, r) => s + r[1], 0).toFixed(0)} s in all`);
