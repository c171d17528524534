import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkMesh, read3mfContent, readMesh, writeNifti, type Grid } from '@scan2print/core';
import { makePhantom, phantomLabels } from '../../../core/src/testing/phantoms.js';
import { runScan2print } from '../../../../test/cli.js';

describe('scan2print mesh (built binary)', () => {
  let dir: string;
  let labels: string;
  let field: string;
  let level: number;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 's2p-mesh-'));
    // A 10 mm sphere at 1 mm voxels, off-centre in LPS so a flip or shift would show.
    // (The phantom grid is built around the patient origin, then moved.)
    const ph = makePhantom({ kind: 'sphere', radius_mm: 10 }, { spacing_mm: [1, 1, 1], centre_mm: [0, 0, 0], blurSigma_mm: 0.5 });
    level = ph.level;
    const move = (g: Grid): Grid => ({ ...g, origin_mm: [g.origin_mm[0] + 12.3, g.origin_mm[1] - 40.1, g.origin_mm[2] + 700.2] });
    const lm = phantomLabels(ph);
    labels = join(dir, 'labels.nii.gz');
    field = join(dir, 'field.nii.gz');
    writeFileSync(labels, writeNifti({ ...lm, grid: move(lm.grid) }, { gzip: true }));
    writeFileSync(field, writeNifti({ ...ph.volume, grid: move(ph.volume.grid) }, { gzip: true }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes STL, 3MF, OBJ, PLY and a preview of a closed sphere at its place, with checks, accuracy and records in --json', async () => {
    const outs = ['s.stl', 's.3mf', 's.obj', 's.ply'].map((f) => join(dir, f));
    const r = await runScan2print(['mesh', labels, '--field', field, '--level', String(level), ...outs.flatMap((o) => ['-o', o]), '--preview', join(dir, 'p.stl'), '--color', '#E3DAC9', '--json'], { timeout_ms: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.checks).toMatchObject({ closed: true, manifold: true, oriented: true, shells: 1 });
    const ideal = (4 / 3) * Math.PI * 1000;
    // Extraction at 1 mm voxels loses ~1.4 % on a 10 mm sphere, default smoothing ~0.9 % more.
    expect(Math.abs(j.checks.volume_mm3 - ideal) / ideal).toBeLessThan(0.03);
    // In place (LPS mm), not mirrored: the sphere's box is centred on (12.3, −40.1, 700.2).
    const centre = [12.3, -40.1, 700.2];
    for (let a = 0; a < 3; a++) {
      expect(Math.abs((j.checks.bbox_mm.min[a] + j.checks.bbox_mm.max[a]) / 2 - centre[a]!)).toBeLessThan(0.2);
      expect(j.checks.bbox_mm.max[a] - j.checks.bbox_mm.min[a]).toBeGreaterThan(19.5);
    }
    expect(j.accuracy.mean_mm).toBeGreaterThanOrEqual(0);
    expect(j.accuracy.max_mm).toBeLessThan(1);
    const methods = j.records.map((x: { method: string }) => x.method);
    expect(methods).toEqual(expect.arrayContaining(['cleanup', 'smooth-windowed-sinc', 'fill-cavities', 'printability-gate', 'mesh-to-segmentation-boundary', 'mesh-files']));
    // the same stages as convert (core meshLabelMap): accuracy is stage "accuracy", scan-border caps held via the grid
    expect(j.records.find((x: { method: string }) => x.method === 'mesh-to-segmentation-boundary').stage).toBe('accuracy');
    expect(j.records.find((x: { method: string }) => x.method === 'smooth-windowed-sinc').params.holdScanBorderCaps).toBe(true);
    for (const o of outs) {
      const m = readMesh(new Uint8Array(readFileSync(o)), o);
      expect(checkMesh(m)).toMatchObject({ closed: true, manifold: true, oriented: true, triangles: j.checks.triangles });
    }
    const tmf = read3mfContent(new Uint8Array(readFileSync(outs[1]!)), outs[1]!);
    expect(tmf.unit).toBe('millimeter');
    expect(tmf.objects[0]!.color).toBe('#E3DAC9FF');
    expect(existsSync(join(dir, 'p.stl'))).toBe(true);
    expect(readdirSync(dir).some((f) => f.endsWith('.partial'))).toBe(false);
  });

  it('is deterministic: the same input gives byte-identical 3MF and STL', async () => {
    const a = join(dir, 'a.3mf');
    const b = join(dir, 'b.3mf');
    const env = { SOURCE_DATE_EPOCH: '1767225600' };
    for (const o of [a, b]) expect((await runScan2print(['mesh', labels, '-o', o, '-o', `${o}.stl`, '-q'], { timeout_ms: 120_000, env })).code).toBe(0);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    expect(readFileSync(`${a}.stl`).equals(readFileSync(`${b}.stl`))).toBe(true);
  });

  it('refuses an empty mesh with exit 3 and writes nothing, also with --allow-open (nothing to print is not an open mesh)', async () => {
    // Every shell under --min-shell is dropped: an empty mesh cannot be printed.
    // (--allow-open writing a non-empty open mesh, recorded as a warning, is gate-condition.spec's.)
    const out = join(dir, 'refused.stl');
    const r = await runScan2print(['mesh', labels, '-o', out, '--min-shell', '1e9'], { timeout_ms: 120_000 });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/mesh is not printable \(the mesh is empty/);
    expect(r.stderr).not.toMatch(/allow-open/);
    expect(existsSync(out)).toBe(false);
    const open = await runScan2print(['mesh', labels, '-o', out, '--min-shell', '1e9', '--allow-open'], { timeout_ms: 120_000 });
    expect(open.code).toBe(3);
    expect(open.stderr).toMatch(/the mesh is empty.*nothing was exported/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an output that is a folder before any work (exit 3, naming it), and flags that would be ignored (exit 2)', async () => {
    const folder = join(dir, 'taken.stl');
    mkdirSync(folder);
    const r = await runScan2print(['mesh', labels, '-o', join(dir, 'fine.stl'), '-o', folder]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(folder);
    expect(r.stderr).toMatch(/is a folder/);
    expect(existsSync(join(dir, 'fine.stl'))).toBe(false);
    const t = await runScan2print(['mesh', labels, '-o', join(dir, 'x.stl'), '--smooth-method', 'taubin', '--pass-band', '0.1']);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/--pass-band applies to windowed-sinc/);
    const n = await runScan2print(['mesh', labels, '-o', join(dir, 'x.stl'), '--smooth', 'none', '--pass-band', '0.1']);
    expect(n.code).toBe(2);
    const a = await runScan2print(['mesh', labels, '-o', join(dir, 'x.3mf'), '--ascii']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--ascii applies to STL output only/);
  });

  it('rejects an unknown output format as a usage error (exit 2)', async () => {
    const r = await runScan2print(['mesh', labels, '-o', join(dir, 'x.xyz')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/x\.xyz: unknown mesh format/);
  });
});
