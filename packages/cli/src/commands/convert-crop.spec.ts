import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScan2print } from '../../../../test/cli.js';
import { dataPath, ROOT } from '../../../../test/data.js';
import { runTool } from '../../../../test/run-tool.js';
import { linkedSubset, phantomFirstSlices } from '../../../../test/series-subset.js';

/**
 * Reported: `convert philips-head-phantom-1mm --crop 380,370,10,480,470,60 --preset bone
 * --keep all` ended in "internal error: Unexpected end of input" (exit 4). That box holds
 * only the head holder (mean ≈ 387 HU, no body around it), so table removal rightly takes
 * 100 % of the mask; the empty model then met the gate's "not printable … --allow-open",
 * and a worker that could not load half-written dist files (a build running alongside)
 * surfaced as V8's bare "Unexpected end of input". Both now say what happened.
 */

const crop = ['--crop', '380,370,10,480,470,60', '--preset', 'bone'];
const work = mkdtempSync(join(tmpdir(), 's2p-convert-crop-'));
// The phantom's first 60 of 140 slices: the box's z range [10, 60) lies in them, so the box holds
// the whole series' voxels on the same grid (the model's bytes are the same), at 60/140 of the import.
const series = linkedSubset(work, 'phantom-0-59', dataPath('ct', 'philips-head-phantom-1mm'), phantomFirstSlices(60));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('convert --crop on the Philips head phantom', () => {
  it('a box holding only the head holder: exit 3 naming the box, the table removal and --keep-table, also with --allow-open; nothing written', async () => {
    const out = join(work, 'holder.3mf');
    // --allow-open lets an open mesh through, never an empty one: the same refusal with it
    for (const extra of [[], ['--allow-open']]) {
      const r = await runScan2print(['convert', series, ...crop, '--keep', 'all', ...extra, '-o', out]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/bone: nothing to model/);
      expect(r.stderr).toContain('crop box [380,370,10)..[480,470,60)');
      expect(r.stderr).toMatch(/table removal removed all of it \(2 component\(s\) lying outside the body; no body/);
      expect(r.stderr).toMatch(/--keep-table/);
      expect(r.stderr).not.toMatch(/internal error|allow-open/);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('the same box with --keep-table: a closed model of what is in it', async () => {
    const out = join(work, 'kept.stl');
    const report = join(work, 'kept.json');
    const r = await runScan2print(['convert', series, ...crop, '--keep-table', '--smooth', 'none', '-o', out, '--report', report]);
    expect(r.code, r.stderr).toBe(0);
    const model = (JSON.parse(readFileSync(report, 'utf8')) as { models: Array<{ checks: { closed: boolean; triangles: number; volume_mm3: number } }> }).models[0]!;
    expect(model.checks.closed).toBe(true);
    expect(model.checks.triangles).toBeGreaterThan(1000);
    // the holder in the box (table removal measured 6.97 cm³ of mask there)
    expect(model.checks.volume_mm3).toBeGreaterThan(5000);
    expect(model.checks.volume_mm3).toBeLessThan(10000);
  });

  it.skipIf(availableParallelism() < 2)('a worker that cannot load its modules: exit 4 saying so and what to do, not a bare V8 message', async () => {
    // A copy of the CLI whose worker script is cut short, as a build rewriting dist/ leaves it.
    const cli = join(work, 'cli');
    // dereference: a dist/ that is a link (a worktree sharing another's build) must be copied, not linked, or the cut lands in the real build.
    cpSync(join(ROOT, 'packages/cli/dist'), join(cli, 'dist'), { recursive: true, dereference: true });
    cpSync(join(ROOT, 'packages/cli/package.json'), join(cli, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(cli, 'node_modules'));
    const entry = join(cli, 'dist/pool/worker-entry.js');
    writeFileSync(entry, readFileSync(entry, 'utf8').slice(0, 200));
    const r = await runTool(process.execPath, [join(cli, 'dist/main.js'), 'convert', series, ...crop, '--keep-table', '-o', join(work, 'w.stl')], { timeout_ms: 240_000 });
    expect(r.status, r.stderr).toBe(4);
    expect(r.stderr).toContain(`a worker thread could not load ${entry}`);
    // V8's own words depend on where the cut falls ("Unexpected end of input", "Invalid or unexpected token")
    expect(r.stderr).toMatch(/\(SyntaxError: [^)]+\): the compiled files are incomplete/);
    expect(r.stderr).toMatch(/run the command again/);
    expect(existsSync(join(work, 'w.stl'))).toBe(false);
  });
});
