/**
 * `scan2print anonymise`'s output side on real slices of the Philips head phantom: an output
 * folder or key file that cannot be made is exit 3 / 2 naming it before any file is read (it was
 * an "internal error" from mkdir), errors are said under --quiet too, and a second run into the
 * same folder keeps the first run's files listed in anonymisation.json. An output folder holding an
 * input, or inside an input folder, is refused (the originals would be sent beside their copies).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScan2print } from '../../../../test/cli.js';
import { dataPath } from '../../../../test/data.js';
import { plantSeries } from '../../../../test/anonymise-plant.js';

const work = mkdtempSync(join(tmpdir(), 's2p-anon-out-'));
const key = ['--key-file', join(work, 'project.key')];
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Folder `name` holding the phantom's slices [from, to) (sorted by name), and one cut short when `cut`. */
function slices(name: string, from: number, to: number, cut = false): string {
  const series = dataPath('ct/philips-head-phantom-1mm');
  const files = readdirSync(series).filter((f) => f !== 'DIRFILE').sort().slice(from, to);
  const dir = join(work, name);
  mkdirSync(dir);
  for (const f of files) copyFileSync(join(series, f), join(dir, f));
  if (cut) writeFileSync(join(dir, 'cut.dcm'), readFileSync(join(series, files[0]!)).subarray(0, 4000));
  return dir;
}

let first: string;
let second: string;
beforeAll(() => {
  first = slices('first', 0, 4);
  second = slices('second', 10, 12, true);
});

describe('anonymise: the output folder and key', () => {
  it('an output that is a file, or under one, is exit 3 naming it; a key file under a file is exit 2; nothing is read', async () => {
    const file = join(work, 'a-file');
    writeFileSync(file, 'not a folder');
    for (const out of [file, join(file, 'sub')]) {
      const r = await runScan2print(['anonymise', ...key, first, '-o', out]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain(`cannot write the output: ${file} is not a folder`);
      expect(r.stderr).not.toMatch(/internal error|EEXIST|ENOTDIR/);
    }
    const k = await runScan2print(['anonymise', '--key-file', join(file, 'k.key'), first, '-o', join(work, 'never')]);
    expect(k.code, k.stderr).toBe(2);
    expect(k.stderr).toContain(`${join(file, 'k.key')}: cannot create the key file: ${file} is not a folder`);
    expect(readdirSync(work)).not.toContain('never');
  });

  it('an output folder that holds an input, or lies inside an input folder, is exit 2 naming both; nothing is written', async () => {
    const before = readdirSync(first).sort();
    const slice = join(first, before[0]!);
    for (const [inputs, out, words] of [
      [[first], first, 'is inside the output folder'],
      [[slice], first, 'is inside the output folder'],
      [[second, first], join(first, 'sent'), 'is inside the input folder'],
    ] as const) {
      const r = await runScan2print(['anonymise', ...key, ...inputs, '-o', out]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(words);
      expect(r.stderr).toContain(out);
      expect(readdirSync(first).sort()).toEqual(before);
    }
  });

  it('under --quiet, a file that cannot be anonymised and an input with nothing in it are still said', async () => {
    const q = await runScan2print(['anonymise', ...key, '-q', second, '-o', join(work, 'quiet')]);
    expect(q.code).toBe(3);
    expect(q.stdout).toBe('');
    expect(q.stderr).toMatch(/skipped .*cut\.dcm: truncated DICOM data/);
    const emptyDir = join(work, 'nothing');
    mkdirSync(emptyDir);
    const e = await runScan2print(['anonymise', ...key, '-q', emptyDir, '-o', join(work, 'quiet2')]);
    expect(e.code).toBe(3);
    expect(e.stderr).toContain('nothing anonymised: the inputs hold no files');
  });

  it('a second run into the same folder lists the first run\'s files too, and its own once', async () => {
    const out = join(work, 'shared-out');
    expect((await runScan2print(['anonymise', ...key, first, '-o', out, '-q'])).code).toBe(0);
    const r = await runScan2print(['anonymise', ...key, second, first, '-o', out]);
    expect(r.code).toBe(3); // the cut file
    expect(r.stdout).toContain('anonymised 6 of 7 files');
    const summary = JSON.parse(readFileSync(join(out, 'anonymisation.json'), 'utf8')) as { files: { written: number; fromEarlierRuns: number }; outputs: Array<{ file: string }> };
    const dcm = readdirSync(out).filter((f) => f.endsWith('.dcm')).sort();
    expect(dcm).toHaveLength(6);
    // The first run's 4 were written again (same key, same UIDs): listed once, as this run's.
    expect(summary.files).toMatchObject({ written: 6, fromEarlierRuns: 0 });
    expect(summary.outputs.map((o) => o.file)).toEqual(dcm);
    const third = await runScan2print(['anonymise', ...key, slices('third', 20, 21), '-o', out, '-q']);
    expect(third.code).toBe(0);
    const after = JSON.parse(readFileSync(join(out, 'anonymisation.json'), 'utf8')) as typeof summary;
    expect(after.files).toMatchObject({ written: 1, fromEarlierRuns: 6 });
    expect(after.outputs.map((o) => o.file)).toEqual(readdirSync(out).filter((f) => f.endsWith('.dcm')).sort());
  });

  it('the summary counts the UIDs of the files written, not of a refused burned-in file or a duplicate', async () => {
    const alone = JSON.parse((await runScan2print(['anonymise', ...key, '--json', first, '-o', join(work, 'alone')])).stdout) as Summary;
    const mixed = slices('mixed', 0, 4);
    // Another study's slice with BurnedInAnnotation YES, and a second copy of one slice.
    copyFileSync(plantSeries(join(work, 'burned'), { burnedIn: true }).files[0]!, join(mixed, 'burned.dcm'));
    copyFileSync(join(mixed, readdirSync(mixed).sort()[0]!), join(mixed, 'again.dcm'));
    const r = await runScan2print(['anonymise', ...key, '--json', mixed, '-o', join(work, 'mixed-out')]);
    expect(r.code, r.stderr).toBe(3); // a file was refused
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.files).toMatchObject({ inputs: 6, written: 4, refusedBurnedIn: 1 });
    expect(alone.uidMapping.distinctUidsReplaced).toBeGreaterThanOrEqual(7); // 4 instances, study, series, frame
    expect(s.uidMapping.distinctUidsReplaced).toBe(alone.uidMapping.distinctUidsReplaced);
    expect(s.record.figures).toMatchObject({ files: 4, patients: 1 });
  });
});

interface Summary {
  files: Record<string, number>;
  uidMapping: { distinctUidsReplaced: number };
  record: { figures: Record<string, unknown> };
}
