/**
 * `scan2print prepare` and `scan2print printers` through the built binary, on synthetic solids
 * (fast): parts, record, --json shape, same input → same bytes, clear refusals that leave no
 * output (bad files, a material the printer cannot use, stale parts of an earlier run, options
 * that would be ignored), a warning for a size implausible in mm, Ctrl-C while computing and
 * while writing. The real CT cases (a region of the head holder, the phantom skull) are in
 * prepare-ct.spec.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkMesh, read3mf, write3mf, writeStlBinary, type Mesh } from '@scan2print/core';
import { box, icosphere } from '../../../core/src/testing/meshes.js';
import { interruptWhileWriting, runScan2print } from '../../../../test/cli.js';
import { CLI_COMMAND } from '../../../../test/data.js';
import { sharedOutput } from '../../../../test/convert-cache.js';
import type { PartJson } from '../../../../test/prepare-part-json.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 's2p-prepare-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scan2print printers', () => {
  it('lists the catalogue; --json gives every value with its source', async () => {
    const r = await runScan2print(['printers']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/prusa-mk4\s+FDM\s+250 × 210 × 220/);
    // One run per test run: quote.spec reads the same catalogue.
    const j = await sharedOutput(['printers', '--json']);
    expect(j.code).toBe(0);
    const cat = JSON.parse(j.stdout);
    expect(cat.version).toMatch(/^\d{4}-\d{2}-\d{2}\.\d+$/);
    expect(cat.printers.find((p: { id: string }) => p.id === 'formlabs-form3plus').buildVolume_mm).toEqual({ value: [145, 145, 185], source: expect.stringContaining('Form 3+') });
  });
});

describe('scan2print prepare on a 300 × 90 × 70 mm box', () => {
  let model = '';
  beforeAll(() => {
    model = join(dir, 'bar.stl');
    writeFileSync(model, writeStlBinary(box([-150, -45, 0], [150, 45, 70], 3)));
  });

  it('writes one 3MF per part and the record; --json lists parts that fit, closed and manifold; same input → same bytes', async () => {
    const out1 = join(dir, 'bar1');
    const out2 = join(dir, 'bar2');
    const r1 = await runScan2print(['prepare', model, '--printer', '120x120x120', '--material', 'pla', '-o', out1, '--json', '-q']);
    expect(r1.stderr).toBe('');
    expect(r1.code).toBe(0);
    const j = JSON.parse(r1.stdout);
    expect(j.parts).toHaveLength(3);
    expect(j.printer.buildVolume_mm).toEqual([120, 120, 120]);
    expect(j.material).toBe('pla');
    expect(j.connectors.length).toBeGreaterThanOrEqual(4);
    for (const p of j.parts as PartJson[]) {
      expect(p).toMatchObject({ closed: true, manifold: true, fits: true });
      for (const s of p.size_mm) expect(s).toBeLessThanOrEqual(120);
      const mesh = read3mf(new Uint8Array(readFileSync(p.file)), p.file);
      const c = checkMesh(mesh);
      expect(c).toMatchObject({ closed: true, manifold: true, oriented: true });
      expect(c.volume_mm3).toBeCloseTo(p.volume_mm3, 0);
      // Written in the model's frame: every part lies within the bar (pegs stick out along x only).
      expect(c.bbox_mm.min[1]).toBeGreaterThanOrEqual(-45.001);
      expect(c.bbox_mm.max[2]).toBeLessThanOrEqual(70.001);
    }
    const record = JSON.parse(readFileSync(join(out1, 'bar_preparation.json'), 'utf8'));
    expect(record.record.method).toBe('prepare-print');
    // the plates' model XML deflated by native zlib, as convert's, and the record says so
    expect(record.deflate).toMatch(/^node:zlib .* level 4 window 512 B$/);
    expect(record.parts.map((p: PartJson) => p.file)).toEqual(j.parts.map((p: PartJson) => p.file));
    const r2 = await runScan2print(['prepare', model, '--printer', '120x120x120', '--material', 'pla', '-o', out2, '-q']);
    expect(r2.code).toBe(0);
    const names = readdirSync(out1).sort();
    expect(readdirSync(out2).sort()).toEqual(names);
    for (const n of names) {
      const a = readFileSync(join(out1, n), n.endsWith('.json') ? 'utf8' : null);
      const b = readFileSync(join(out2, n), n.endsWith('.json') ? 'utf8' : null);
      // The record names its output folder in each part's path: compare with the folder swapped.
      expect(typeof a === 'string' ? a.replaceAll(out1, out2) : a, n).toEqual(b);
    }
    expect(readdirSync(out1).some((f) => f.endsWith('.partial'))).toBe(false);
  });

  it('refuses bad input clearly and writes nothing', async () => {
    const out = join(dir, 'nothing');
    const missing = await runScan2print(['prepare', join(dir, 'nope.3mf'), '--printer', 'prusa-mk4', '-o', out]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('nope.3mf');
    expect(missing.stderr).toMatch(/no such file/);
    const printer = await runScan2print(['prepare', model, '--printer', 'my-printer', '-o', out]);
    expect(printer.code).toBe(2);
    expect(printer.stderr).toMatch(/my-printer: not a catalogue printer/);
    const open = join(dir, 'open.stl');
    const m = box([0, 0, 0], [10, 10, 10]);
    writeFileSync(open, writeStlBinary({ positions: m.positions, indices: m.indices.slice(0, m.indices.length - 3) } satisfies Mesh));
    const notClosed = await runScan2print(['prepare', open, '--printer', 'prusa-mk4', '-o', out]);
    expect(notClosed.code).toBe(3);
    expect(notClosed.stderr).toMatch(/open\.stl: the model is not a closed, oriented 2-manifold/);
    // A material the printer cannot use, as quote and the server refuse it.
    const resin = await runScan2print(['prepare', model, '--printer', 'prusa-mk4', '--material', 'formlabs-biomed-clear', '-o', out]);
    expect(resin.code).toBe(2);
    expect(resin.stderr).toMatch(/--material formlabs-biomed-clear: prusa-mk4 does not print formlabs-biomed-clear/);
    // NaN in a binary STL: refused at once, not a hang in the wall-thickness rays.
    const nan = join(dir, 'nan.stl');
    const b = box([0, 0, 0], [10, 10, 10]);
    b.positions[0] = NaN;
    writeFileSync(nan, writeStlBinary(b));
    const nanRun = await runScan2print(['prepare', nan, '--printer', 'prusa-mk4', '-o', out, '-q'], { timeout_ms: 60_000 });
    expect(nanRun.code).toBe(3);
    expect(nanRun.stderr).toMatch(/nan\.stl: binary STL facet \d+ has a vertex coordinate NaN that is not a finite number/);
    // A scaled build item: not 1:1 anatomy.
    const half = join(dir, 'half.3mf');
    writeFileSync(half, write3mf(box([0, 0, 0], [40, 30, 20]), { title: 'half', transforms: { 0: [0.5, 0, 0, 0, 0.5, 0, 0, 0, 0.5, 0, 0, 0] } }));
    const scaled = await runScan2print(['prepare', half, '--printer', '60x60x60', '-o', out, '-q']);
    expect(scaled.code).toBe(3);
    expect(scaled.stderr).toMatch(/half\.3mf: build item 1 \(object 2\): its transform scales the model by 0\.5 × 0\.5 × 0\.5/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses options that would be ignored (exit 2, naming both): connector sizes with --no-connectors, --plate-gap without --plates packed', async () => {
    const out = join(dir, 'ignored');
    const cases: [string[], RegExp][] = [
      [['--no-connectors', '--hole-diameter', '99', '--peg-length', '-5'], /--hole-diameter, --peg-length: connector sizes do not go with --no-connectors/],
      [['--no-connectors', '--hole-depth', '4'], /--hole-depth: connector sizes do not go with --no-connectors/],
      [['--plate-gap', '3'], /--plate-gap needs --plates packed/],
      [['--plates', 'each', '--plate-gap', '3'], /--plate-gap needs --plates packed/],
    ];
    for (const [extra, msg] of cases) {
      const r = await runScan2print(['prepare', model, '--printer', '120x120x120', '-o', out, '-q', ...extra]);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a folder holding part files of an earlier run of the same model, before any work; other models beside them are fine', async () => {
    const out = join(dir, 'stale');
    const first = await runScan2print(['prepare', model, '--printer', '120x120x120', '-o', out, '-q']);
    expect(first.code).toBe(0);
    const before = readdirSync(out).sort();
    expect(before).toEqual(['bar_part-1.3mf', 'bar_part-2.3mf', 'bar_part-3.3mf', 'bar_preparation.json']);
    const record = readFileSync(join(out, 'bar_preparation.json'));
    // Whole on a larger printer: one part, and bar_part-2/-3 would be left to print as extra pieces.
    for (const plates of ['each', 'packed']) {
      const again = await runScan2print(['prepare', model, '--printer', '400x400x400', '--plates', plates, '-o', out, '-q']);
      expect(again.code).toBe(3);
      expect(again.stderr).toContain(out);
      expect(again.stderr).toMatch(/already holds bar_part-1\.3mf, bar_part-2\.3mf, bar_part-3\.3mf from an earlier run/);
    }
    expect(readdirSync(out).sort()).toEqual(before);
    expect(readFileSync(join(out, 'bar_preparation.json'))).toEqual(record);
    const cube = join(dir, 'cube.stl');
    writeFileSync(cube, writeStlBinary(box([0, 0, 0], [20, 20, 20])));
    expect((await runScan2print(['prepare', cube, '--printer', '120x120x120', '-o', out, '-q'])).code).toBe(0);
  });

  it('warns when the size is implausible in mm (a skull exported in inches)', async () => {
    const inch = join(dir, 'inch.stl');
    writeFileSync(inch, writeStlBinary(box([0, 0, 0], [5.5, 5.3, 7.4])));
    const out = join(dir, 'inch');
    const r = await runScan2print(['prepare', inch, '--printer', 'prusa-mk4', '-o', out, '--json', '-q']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.findings).toContainEqual({ code: 'SIZE_IMPLAUSIBLE', severity: 'warn', message: expect.stringMatching(/largest side 7\.4 mm is under 10 mm: .*inches or metres/) });
    const text = await runScan2print(['prepare', inch, '--printer', 'prusa-mk4', '-o', join(dir, 'inch-text'), '-q']);
    expect(text.stdout).toMatch(/^warn: the model's largest side 7\.4 mm is under 10 mm/m);
  });
});

/** CPU seconds (user + system, every thread) process `pid` has used so far: /proc/<pid>/stat fields 14 and 15, counted after the ')' that ends the command name. */
function cpuSeconds(pid: number): number {
  const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return (Number(f[14 - 3]) + Number(f[15 - 3])) / 100; // USER_HZ is 100 on every Linux in use
}

describe('scan2print prepare interrupted', () => {
  let child: ChildProcess | undefined;
  // A run the test gave up on (vitest's timeout) is not left computing beside the next file.
  afterAll(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  // The CPU time of the child tells that it is past start-up and reading (~1 s of CPU) and inside
  // preparePrint, which takes ~30 s of CPU on this sphere and printer; /proc is Linux's.
  it.skipIf(!existsSync('/proc/self/stat'))('Ctrl-C while computing ends the run at once (killed by SIGINT, the shell\'s 130) and writes nothing', async () => {
    const model = join(dir, 'sphere.stl');
    writeFileSync(model, writeStlBinary(icosphere(80, 6))); // 82 k triangles, 160 mm across
    const out = join(dir, 'interrupted-computing');
    const c = (child = spawn(CLI_COMMAND, ['prepare', model, '--printer', '30x30x30', '-o', out, '-q'], { stdio: ['ignore', 'ignore', 'pipe'] }));
    let stderr = '';
    c.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => c.on('close', (code, signal) => resolve({ code, signal })));
    while (c.exitCode === null && c.signalCode === null && cpuSeconds(c.pid!) < 3) await new Promise((r) => setTimeout(r, 20));
    expect(c.exitCode, `ended before it could be interrupted: ${stderr}`).toBeNull();
    c.kill('SIGINT');
    // No wait of our own: a run that holds the signal until its computation ends (the old
    // behaviour) is still running here, and vitest's timeout below fails the test.
    expect(await exited).toEqual({ code: null, signal: 'SIGINT' });
    expect(existsSync(out)).toBe(false);
  }, 30_000);

  it('Ctrl-C while writing removes the temporaries (exit 130, the folder left empty)', async () => {
    const model = join(dir, 'bar-int.stl');
    writeFileSync(model, writeStlBinary(box([-150, -45, 0], [150, 45, 70], 3)));
    const out = join(dir, 'interrupted-writing');
    mkdirSync(out);
    // Three parts and the record: interrupted once all four temporaries exist.
    const { sent, code, stderr } = await interruptWhileWriting(['prepare', model, '--printer', '120x120x120', '-o', out, '-q'], out, 4);
    expect(sent, `finished before an interrupt could be sent: ${stderr}`).toBe(true);
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted \(SIGINT\)/);
    expect(readdirSync(out)).toEqual([]);
  });
});
