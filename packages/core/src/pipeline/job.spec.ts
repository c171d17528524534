import { describe, expect, it } from 'vitest';
import { syntheticHeadSeries } from '../synthetic/head.js';
import { writeCtSeries } from '../formats/dicom-ct-write.js';
import { readStl } from '../formats/stl.js';
import { checkMesh } from '../surface/topology.js';
import { isStageName } from './record.js';
import { modelFileName, plannedOutputs, runConvertJob, type ConvertJobRequest } from './job.js';

/** The host-independent convert job on a small synthetic head held in memory (no files, no pool). */
function request(outputs: ConvertJobRequest['outputs'], segmentation: ConvertJobRequest['segmentation'] = { method: { method: 'auto-threshold' } }): ConvertJobRequest {
  const { slices, options } = syntheticHeadSeries({ size: 64, slices: 32, spacing_mm: 3.5, sliceStep_mm: 3.5 });
  const files = writeCtSeries(slices, options);
  return {
    sources: files.map((b, k) => ({ name: `mem/${k}.dcm`, read: async () => b })),
    inputLabel: 'mem',
    segmentation,
    condition: { smooth: false, minShell_mm3: 1 },
    outputs,
    now: new Date(Date.UTC(2026, 0, 1)),
  };
}

describe('runConvertJob', () => {
  it('returns the report and every named output; progress is one rising percentage; stage names are the typed set', async () => {
    const seen: number[] = [];
    const r = await runConvertJob(request({ models: ['out/m.stl', 'out/m.3mf'], reportJson: 'out/r.json' }), { progress: (f) => seen.push(f) });
    expect([...r.files!.keys()]).toEqual(['out/m.stl', 'out/m.3mf', 'out/r.json']);
    expect(r.outputs.map((o) => o.name)).toEqual(['out/m.stl', 'out/m.3mf', 'out/r.json']);
    const mesh = readStl(r.files!.get('out/m.stl')!, 'm.stl');
    expect(checkMesh(mesh)).toMatchObject({ closed: true, manifold: true });
    const json = JSON.parse(new TextDecoder().decode(r.files!.get('out/r.json')!));
    expect(json.models[0].outputs.map((o: { file: string }) => o.file)).toEqual(['m.stl', 'm.3mf']);
    for (const s of r.report.stages) expect(isStageName(s.stage), s.stage).toBe(true);
    expect(r.report.records.filter((x) => x.stage === 'accuracy')).toHaveLength(1);
    expect(r.report.records.some((x) => x.stage === 'validate')).toBe(false);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]!);
    expect(seen.at(-1)).toBe(1);
    expect(r.series.notChosen).toEqual([]);
  });

  it('streams outputs to a sink instead of holding them, and plans the names of several models before the work', async () => {
    const seg = { method: { method: 'threshold' as const, ranges: [[200, 3071], [600, 3071]] as Array<[number, number]> } };
    const req = request({ models: ['m.stl'], labels: 'l.nii.gz' }, seg);
    const planned = plannedOutputs(req.outputs, [[200, 3071], [600, 3071]]);
    expect(planned).toEqual(['m_t200.stl', 'l_t200.nii.gz', 'm_t600.stl', 'l_t600.nii.gz']);
    const got: string[] = [];
    const r = await runConvertJob(req, { sink: (name) => void got.push(name) });
    expect(r.files).toBeUndefined();
    expect(got).toEqual(planned);
    expect(modelFileName('a/b.c/x.nii.gz', { range: [100, 500] }, true)).toBe('a/b.c/x_t100-500.nii.gz');
  });
});
