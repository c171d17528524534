/**
 * `convert --method forest` (issue 14): the CLI loads the bone forest shipped in
 * packages/core/models, the job segments with it, the report says so (the method's record and
 * the model's SHA-256), and `--anatomy` names structures with the forest's groups as evidence.
 *
 * Input: example_ct_dicom (TotalSegmentator's labelled DICOM slab: thorax, 512×512×20), the
 * DICOM one of the two labelled scans — convert reads DICOM, not example_ct.nii.gz. It is one
 * of the scans the shipped model was trained on, so this checks the wiring, not how the forest
 * generalises (core/segment/forest/forest-dice.spec.ts). Cropped in z only (slices 4..15): the
 * forest's position features are normalised to the body's box in x and y, so an x/y crop
 * would change what it sees (tried: a 256×256 crop named the spine "hip_right").
 * Measured when written (load ≈ 11 on 2 cores): 25 s wall, 13 s CPU; thoracic_spine,
 * ribs_left/right and both humeri named with confidence ≥ 0.99.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { read3mfContent, reportSchema } from '@scan2print/core';
import { runScan2print } from '../../../../test/cli.js';
import { dataPath, ROOT } from '../../../../test/data.js';

const SLAB = dataPath('labelled/totalsegmentator', 'example_ct_dicom');
const CROP = '0,0,4,512,512,16';
const work = mkdtempSync(join(tmpdir(), 's2p-convert-forest-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('convert --method forest', () => {
  it('segments with the shipped forest: a closed, manifold model; the report names the method and the model; --anatomy names the thorax', async () => {
    const out = join(work, 'thorax.3mf');
    const rep = join(work, 'r.json');
    const r = await runScan2print(['convert', SLAB, '--crop', CROP, '--method', 'forest', '--anatomy', 'thoracic_spine,ribs_left,ribs_right', '-o', out, '--report', rep]);
    expect(r.code, r.stderr).toBe(0);
    const report = reportSchema.parse(JSON.parse(readFileSync(rep, 'utf8')));
    const model = report.models[0]!;
    expect(model.checks).toMatchObject({ closed: true, manifold: true });
    // The surface followed the forest's P(bone) at 0.5, as a soft threshold's field.
    const surface = report.reconstruction.find((x) => x.stage === 'surface' && x.method === 'manifold-marching-cubes')!;
    expect(surface.params).toMatchObject({ field: 'given', level: 0.5 });
    // The method ran is the forest, with the shipped model: same bytes as the file in the package.
    const seg = report.segmentation;
    expect(seg.find((x) => x.method === 'forest')?.params.model).toBe('bone-forest.bin');
    const shipped = createHash('sha256').update(readFileSync(resolve(ROOT, 'packages/core/models/bone-forest.bin'))).digest('hex');
    expect(seg.find((x) => x.method === 'forest-model')?.figures.sha256).toBe(shipped);
    const request = report.records.find((x) => x.stage === 'request')!;
    expect((request.params.segmentation as { method: unknown }).method).toEqual({ method: 'forest' });
    expect(seg.some((x) => x.method === 'auto-threshold' || x.method === 'threshold')).toBe(false);
    // Structures named from the anatomy graph, left at +x (LPS), each its own named 3MF object.
    const an = report.anatomy!;
    expect(an.region).toContain('thorax');
    const s = (n: string) => an.structures.find((x) => x.name === n);
    for (const n of ['thoracic_spine', 'ribs_left', 'ribs_right']) {
      expect(s(n)?.modelled, n).toBe(true);
      expect(s(n)!.confidence).toBeGreaterThan(0.5);
    }
    const cx = (n: string) => (s(n)!.bbox_mm[0] + s(n)!.bbox_mm[3]) / 2;
    expect(cx('ribs_left')).toBeGreaterThan(cx('thoracic_spine'));
    expect(cx('ribs_right')).toBeLessThan(cx('thoracic_spine'));
    const names = read3mfContent(new Uint8Array(readFileSync(out)), out).objects.map((o) => o.name);
    expect(names.sort()).toEqual(['ribs_left', 'ribs_right', 'thoracic_spine']);
  }, 300_000);

  it('refuses an unknown method listing the known ones, and a method with a threshold, before any work (exit 2)', async () => {
    const out = join(work, 'x.stl');
    const bad = await runScan2print(['convert', SLAB, '--method', 'nope', '-o', out]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown segmentation method "nope".*forest, threshold-forest/);
    const both = await runScan2print(['convert', SLAB, '--method', 'forest', '--threshold', '300', '-o', out]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--method replaces');
    expect(existsSync(out)).toBe(false);
  });
});
