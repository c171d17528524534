/**
 * Anatomy on the command line (issue 14): `convert --anatomy` builds a model of the named
 * structures, `segment --json` lists the structures it identified, an unknown name is a usage
 * error listing the known ones. Head CTs (the tilted phantom, resampled to 2 mm to stay quick,
 * and the full 1 mm phantom) must come out as a head with a skull, without any head rule.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { read3mfContent, reportSchema } from '@scan2print/core';
import { runScan2printAsync } from '../../../../test/cli.js';
import { dataPath } from '../../../../test/data.js';

const work = mkdtempSync(join(tmpdir(), 's2p-anatomy-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('convert --anatomy', () => {
  it('an unknown structure is a usage error that lists the known names, before any work', async () => {
    const out = join(work, 'x.3mf');
    const r = await runScan2printAsync(['convert', dataPath('ct/philips-head-phantom-tilt'), '-o', out, '--anatomy', 'skull,femur_middle', '-q']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown structure "femur_middle"');
    expect(r.stderr).toContain('skull, mandible, cervical_spine');
    expect(existsSync(out)).toBe(false);
  });

  it('head phantom (tilted, 2 mm): identified as a head; the skull model is its own named object; a structure not in the scan is reported', async () => {
    const out = join(work, 'skull.3mf');
    const rep = join(work, 'r.json');
    const html = join(work, 'r.html');
    const r = await runScan2printAsync(['convert', dataPath('ct/philips-head-phantom-tilt'), '-o', out, '--anatomy', 'skull,femur_left', '--isotropic', '2', '--report', rep, '--html', html]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/anatomy \(graph [\d.-]+\): region head.*skull\*/);
    const report = reportSchema.parse(JSON.parse(readFileSync(rep, 'utf8')));
    const an = report.anatomy!;
    expect(an.region).toContain('head');
    expect(an.region).not.toContain('pelvis');
    const skull = an.structures.find((s) => s.name === 'skull')!;
    expect(skull.modelled).toBe(true);
    expect(skull.side).toBeNull();
    expect(skull.volume_mm3).toBeGreaterThan(100_000);
    expect(skull.confidence).toBeGreaterThan(0.5);
    // The skull is the largest structure found.
    expect(Math.max(...an.structures.map((s) => s.volume_mm3))).toBe(skull.volume_mm3);
    expect(report.findings.find((f) => f.code === 'ANATOMY_NOT_FOUND')?.message).toContain('femur_left');
    expect(report.models.map((m) => m.name)).toEqual(['skull']);
    expect(report.models[0]!.checks.closed).toBe(true);
    const content = read3mfContent(new Uint8Array(readFileSync(out)), out);
    expect(content.objects.length).toBe(1);
    // The object carries the structure's own name and its colour from the graph.
    expect(content.objects[0]!.name).toBe('skull');
    expect(content.objects[0]!.color).toMatch(/^#[0-9A-F]{6}/i);
    expect(readFileSync(html, 'utf8')).toContain('<h2>Anatomy</h2>');
  }, 300_000);
});

describe('segment --json', () => {
  it('lists the identified structures with volume, bounding box and confidence: the 1 mm head phantom is a head with a skull', async () => {
    const out = join(work, 'phantom.nii.gz');
    const r = await runScan2printAsync(['segment', dataPath('ct/philips-head-phantom-1mm'), '-o', out, '--threshold', 'auto', '--remove-table', '--fill-holes', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as {
      anatomy: { region: string[]; structures: Array<{ name: string; side: string | null; volume_mm3: number; bbox_mm: number[]; confidence: number; label: number }> };
      records: Array<{ method: string }>;
    };
    expect(j.anatomy.region).toEqual(['head']);
    const skull = j.anatomy.structures.find((s) => s.name === 'skull')!;
    expect(skull.volume_mm3).toBeGreaterThan(100_000);
    expect(skull.bbox_mm).toHaveLength(6);
    expect(skull.bbox_mm[3]! - skull.bbox_mm[0]!).toBeGreaterThan(100);
    expect(skull.confidence).toBeGreaterThan(0.5);
    // Only head and neck structures: nothing of the trunk or limbs is named in a head.
    expect(j.anatomy.structures.map((s) => s.name).filter((n) => !['skull', 'mandible', 'cervical_spine'].includes(n))).toEqual([]);
    expect(j.records.some((x) => x.method === 'anatomy-identification')).toBe(true);
  }, 300_000);
});
