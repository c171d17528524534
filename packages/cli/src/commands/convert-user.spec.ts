import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportSchema, syntheticHeadSeries, writeCtSeries } from '@scan2print/core';
import { interruptWhileWriting, runScan2printAsync } from '../../../../test/cli.js';
import { sharedOutput } from '../../../../test/convert-cache.js';

/**
 * What a new user hits with `convert` (issue 8 §5): outputs checked before the work, all or
 * nothing on Ctrl-C, HU ranges checked in user terms, `-o` required, ignored flags refused,
 * and a folder holding two patients' series. Small synthetic heads keep each run short.
 */

const work = mkdtempSync(join(tmpdir(), 's2p-convert-user-'));
const one = join(work, 'one');
const two = join(work, 'two');
afterAll(() => rmSync(work, { recursive: true, force: true }));

function writeHead(dir: string, o: { slices: number; uidRoot: string; patient: string; number: number; description: string }): void {
  const { slices, options } = syntheticHeadSeries({ size: 72, slices: o.slices, spacing_mm: 3, sliceStep_mm: 3 });
  const files = writeCtSeries(slices, { ...options, uidRoot: o.uidRoot, patientName: o.patient, patientId: o.patient, seriesNumber: o.number, seriesDescription: o.description });
  mkdirSync(dir, { recursive: true });
  files.forEach((b, k) => writeFileSync(join(dir, `${o.uidRoot}-${k}.dcm`), b));
}

beforeAll(() => {
  writeHead(one, { slices: 48, uidRoot: '2.25.1111', patient: 'A', number: 3, description: 'head A' });
  writeHead(two, { slices: 48, uidRoot: '2.25.1111', patient: 'A', number: 3, description: 'head A' });
  writeHead(two, { slices: 30, uidRoot: '2.25.2222', patient: 'B', number: 7, description: 'head B' });
});

describe('convert: refused before any work', () => {
  it('requires -o (exit 2, saying so)', async () => {
    const r = await runScan2printAsync(['convert', one]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/required option '-o, --output <file>'/);
  });

  it('refuses an output that is a folder, or lies under a file, naming it (exit 3), and writes none of the others', async () => {
    const folder = join(work, 'taken.3mf');
    mkdirSync(folder);
    const ok = join(work, 'out-a', 'm.stl');
    const r = await runScan2printAsync(['convert', one, '-o', ok, '-o', folder]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(folder);
    expect(r.stderr).toMatch(/is a folder/);
    expect(existsSync(ok)).toBe(false);
    const file = join(work, 'plain-file');
    writeFileSync(file, 'x');
    const under = await runScan2printAsync(['convert', one, '-o', join(work, 'm.stl'), '--report', join(file, 'r.json')]);
    expect(under.code).toBe(3);
    expect(under.stderr).toContain(join(file, 'r.json'));
    expect(under.stderr).toMatch(/is not a folder/);
  });

  it('checks HU values against the CT scale, in the user\'s terms (exit 2)', async () => {
    for (const t of ['-5000', '5000', '200,9000']) {
      const r = await runScan2printAsync(['convert', one, '-o', join(work, 'x.stl'), '--threshold', t]);
      expect(r.code, t).toBe(2);
      expect(r.stderr).toMatch(/outside the CT scale -1024\.\.3071 HU/);
    }
    const many = await runScan2printAsync(['convert', one, '-o', join(work, 'x.stl'), '--thresholds', '200,-2000']);
    expect(many.code).toBe(2);
    expect(many.stderr).toMatch(/--thresholds 200,-2000: -2000 HU/);
  });

  it('refuses flags that would be ignored (exit 2)', async () => {
    const r = await runScan2printAsync(['convert', one, '-o', join(work, 'x.stl'), '--decimate', '1000', '--decimate-ratio', '0.5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--decimate FACES or --decimate-ratio R, not both/);
    const v = await runScan2printAsync(['validate', '--field', join(work, 'f.nii.gz')]);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/--field only applies with --mesh/);
  });

  it('accepts -q and shows examples in --help on every command', async () => {
    for (const c of ['convert', 'demo', 'segment', 'mesh', 'evaluate', 'inspect', 'export-volume', 'anonymise', 'validate']) {
      // One run per test run for the specs reading the same help (readme.spec checks the README's options against it).
      const h = await sharedOutput([c, '--help']);
      expect(h.code, c).toBe(0);
      expect(h.stdout, c).toMatch(/-q, --quiet/);
      expect(h.stdout, c).toMatch(/Examples:\n {2}\$ scan2print /);
    }
  });
});

describe('convert: which series, and all or nothing', () => {
  it('says which series it builds and which it leaves, on stderr and in the report', async () => {
    const out = join(work, 'two-out');
    const r = await runScan2printAsync(['convert', two, '-o', join(out, 'm.stl'), '--report', join(out, 'r.json'), '--smooth', 'none'], { timeout_ms: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/building series #3 "head A"/);
    expect(r.stderr).toMatch(/not used: #7 "head B" CT 30 images/);
    const report = reportSchema.parse(JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')));
    const choice = report.records.find((x) => x.method === 'series-choice')!;
    expect(choice.stage).toBe('import');
    expect((choice.figures.chosen as { number: number }).number).toBe(3);
    expect((choice.figures.notChosen as Array<{ number: number }>).map((s) => s.number)).toEqual([7]);
    expect(report.findings.find((f) => f.code === 'OTHER_SERIES_NOT_USED')?.message).toMatch(/2 studies/);
    // the typed stage names of one core job, in pipeline order
    const stages = [...new Set(report.stages.map((s) => s.stage))];
    expect(stages).toEqual(['request', 'environment', 'input', 'import', 'assess', 'segment', 'surface', 'condition', 'gate', 'accuracy', 'export']);
  });

  it('leaves nothing behind when interrupted while writing (SIGINT → exit 130, no .partial, no model without its report)', async () => {
    const out = join(work, 'interrupted');
    mkdirSync(out);
    // Interrupted once all four temporaries exist (the run then holds before renaming them).
    const { sent, code, stderr } = await interruptWhileWriting(['convert', one, '-o', join(out, 'm.3mf'), '-o', join(out, 'm.stl'), '--report', join(out, 'r.json'), '--html', join(out, 'r.html')], out, 4);
    expect(sent, `finished before an interrupt could be sent: ${stderr}`).toBe(true);
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted \(SIGINT\)/);
    expect(readdirSync(out)).toEqual([]);
  });
});
