/**
 * `scan2print prepare` and `scan2print printers` through the built binary. A synthetic box
 * (fast): parts, record, --json shape, same input → same bytes, clear refusals that leave no
 * output. The real test: the phantom skull of ct/philips-head-phantom-1mm, made once here by
 * `scan2print convert` (the user's path), split for a 120 × 120 × 120 mm printer: every part
 * fits, is closed and manifold (our counts and manifold-3d), every peg sits in its hole axis on
 * axis, and the parts' volume is the skull's within the connectors' volume; PrusaSlicer, when
 * installed, loads every part without repairs (required in CI, skipped locally without it).
 * Runtime measured on the shared 2-core machine at load average ~19: the whole file 5 min 9 s
 * (convert + prepare in beforeAll ~3 min, read-back checks 27 s, per-connector checks 72 s).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPoint, checkAssembly, checkMesh, DEFAULT_CONNECTORS, manifold3dCheck, read3mf, read3mfContent, writeStlBinary, type Mesh, type PrepareOutput } from '@scan2print/core';
import { box } from '../../../core/src/testing/meshes.js';
import { dataPath } from '../../../../test/data.js';
import { runScan2print } from '../../../../test/cli.js';
import { runTool } from '../../../../test/run-tool.js';

interface PartJson {
  file: string;
  bbox_mm: { min: number[]; max: number[] };
  size_mm: number[];
  volume_mm3: number;
  closed: boolean;
  manifold: boolean;
  fits: boolean;
  printTransform: { rotation: number[]; translation: [number, number, number] };
}

let dir = '';
// Heavy synchronous WASM steps yield in between, so the test worker keeps answering the runner.
const breathe = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 's2p-prepare-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The parts as core's PrepareOutput needs them for checkAssembly: meshes in the print frame, transforms, connectors. */
function asOutput(parts: PartJson[], connectors: PrepareOutput['connectors']): PrepareOutput {
  return {
    parts: parts.map((p) => {
      const lps = read3mf(new Uint8Array(readFileSync(p.file)), p.file);
      const pos = new Float32Array(lps.positions.length);
      for (let v = 0; v < pos.length; v += 3) pos.set(applyPoint(p.printTransform, [lps.positions[v]!, lps.positions[v + 1]!, lps.positions[v + 2]!]), v);
      return { name: p.file.replace(/^.*_(part-\d+)\.3mf$/, '$1'), mesh: { positions: pos, indices: lps.indices }, transform: p.printTransform } as PrepareOutput['parts'][number];
    }),
    connectors,
  } as PrepareOutput;
}

describe('scan2print printers', () => {
  it('lists the catalogue; --json gives every value with its source', async () => {
    const r = await runScan2print(['printers']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/prusa-mk4\s+FDM\s+250 × 210 × 220/);
    const j = await runScan2print(['printers', '--json']);
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
    expect(existsSync(out)).toBe(false);
  });
});

describe('the phantom skull (ct/philips-head-phantom-1mm) for a 120 × 120 × 120 mm printer', () => {
  let j: { parts: PartJson[]; connectors: PrepareOutput['connectors']; fitsWhole: boolean; orientation: { up: string } };
  let skull = '';
  beforeAll(async () => {
    skull = join(dir, 'skull.3mf');
    const conv = await runScan2print(['convert', dataPath('ct/philips-head-phantom-1mm'), '-o', skull, '-q'], { timeout_ms: 600_000 });
    if (conv.code !== 0) throw new Error(`convert failed: ${conv.stderr}`);
    const r = await runScan2print(['prepare', skull, '--printer', '120x120x120', '-o', join(dir, 'skull-parts'), '--json', '-q'], { timeout_ms: 900_000 });
    if (r.code !== 0) throw new Error(`prepare failed (${r.code}): ${r.stderr}`);
    j = JSON.parse(r.stdout);
  }, 1_500_000);

  it('every part fits, and reads back closed and manifold (our counts and manifold-3d)', async () => {
    expect(j.fitsWhole).toBe(false);
    expect(j.parts.length).toBeGreaterThanOrEqual(8);
    for (const p of j.parts) {
      expect(p, p.file).toMatchObject({ closed: true, manifold: true, fits: true });
      for (const s of p.size_mm) expect(s).toBeLessThanOrEqual(120);
      await breathe();
      const mesh = read3mf(new Uint8Array(readFileSync(p.file)), p.file);
      expect(checkMesh(mesh), p.file).toMatchObject({ closed: true, manifold: true, oriented: true, openEdges: 0, nonManifoldEdges: 0 });
      await breathe();
      expect((await manifold3dCheck(mesh)).status, p.file).toBe('NoError');
      expect(read3mfContent(new Uint8Array(readFileSync(p.file)), p.file).unit).toBe('millimeter');
    }
  }, 600_000);

  it('every peg sits in its hole, axis on axis; the parts’ volume is the skull’s within the connectors’ volume', async () => {
    expect(j.connectors.length).toBeGreaterThan(0);
    const model = read3mf(new Uint8Array(readFileSync(skull)), skull);
    await breathe();
    // Per connector, in a small box (the union of whole parts against the skull is exact but took 6 min here).
    const check = await checkAssembly(model, asOutput(j.parts, j.connectors), { ...DEFAULT_CONNECTORS, breathe });
    expect(check.connectors).toHaveLength(j.connectors.length);
    for (const c of check.connectors) {
      expect(c, `connector ${c.id} (${c.pegPart} → ${c.holePart})`).toMatchObject({ pegs: 1 });
      expect(c.voids).toBeGreaterThanOrEqual(1);
      expect(c.pegVolume_mm3).toBeGreaterThan(20); // 2.8 mm 24-gon × 3.8 mm ≈ 23.1 mm³
      expect(c.pegOutsideVoid_mm3).toBeLessThan(0.01);
      expect(c.axisOffset_mm).toBeLessThan(0.01);
    }
    const perConnector = Math.PI * ((DEFAULT_CONNECTORS.pegDiameter_mm / 2) ** 2 * DEFAULT_CONNECTORS.pegLength_mm + (DEFAULT_CONNECTORS.holeDiameter_mm / 2) ** 2 * DEFAULT_CONNECTORS.holeDepth_mm);
    expect(Math.abs(check.partsVolume_mm3 - check.modelVolume_mm3)).toBeLessThanOrEqual(j.connectors.length * perConnector);
  }, 600_000);

  it('PrusaSlicer loads every part as manifold with no repairs (required in CI)', async (ctx) => {
    const which = await runTool('sh', ['-c', 'command -v prusa-slicer || true']);
    if (!which.stdout.trim()) {
      if (process.env.CI === 'true') throw new Error('prusa-slicer is not installed (scripts/install-test-deps.sh installs it); CI requires it');
      ctx.skip(true, 'prusa-slicer is not installed here: skipped locally (CI=true requires it)');
      return;
    }
    for (const p of j.parts) {
      const r = await runTool('prusa-slicer', ['--info', p.file]);
      const out = `${r.stdout}\n${r.stderr}`;
      expect(r.status, out).toBe(0);
      const manifoldLines = out.match(/^manifold = \w+$/gm) ?? [];
      expect(manifoldLines.length, out).toBeGreaterThan(0);
      expect(manifoldLines.every((l) => l === 'manifold = yes'), out).toBe(true);
      expect(out).not.toMatch(/^(facets_reversed|open_edges|degenerate_facets|edges_fixed|facets_removed|facets_added|backwards_edges|normals_fixed)\s*=/m);
    }
  }, 600_000);
});
