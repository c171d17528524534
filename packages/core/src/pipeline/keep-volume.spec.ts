/**
 * The convert job lets the CT volume go once the models are placed when no output shows it
 * (convertVolume keepVolume: false, job-import's takeVolume), and keeps it for the outputs that
 * do (volume, report pictures). Either way the model is the same.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { dataPath } from '../../../../test/data.js';
import { readNifti } from '../formats/nifti.js';
import { convertJobSettings } from './convert-params.js';
import { runConvertJob, type ConvertJobRequest } from './job.js';

function request(outputs: ConvertJobRequest['outputs']): ConvertJobRequest {
  const dir = dataPath('ct/ge-head-tilt-variable-spacing');
  const files = readdirSync(dir).sort();
  const settings = convertJobSettings({});
  return {
    sources: files.map((f) => ({ name: f, read: async () => new Uint8Array(readFileSync(join(dir, f))) })),
    inputLabel: 'ge-head-tilt-variable-spacing',
    ...settings,
    // 2 mm voxels: a model of ~0.3 M triangles, and the kept CT is resampled again for the volume output
    segmentation: { ...settings.segmentation, preprocess: { isotropic_mm: 2 } },
    outputs,
    now: new Date(Date.UTC(2026, 0, 1)),
  };
}

describe('the CT volume during a convert job', () => {
  it('is let go without an output that shows it, kept for the volume and the report pictures; the model is the same', async () => {
    const bare = await runConvertJob(request({ models: ['m.3mf'] }));
    const full = await runConvertJob(request({ models: ['m.3mf'], volume: 'ct.nii.gz', reportHtml: 'r.html' }));
    const sha = (b: Uint8Array | undefined) => createHash('sha256').update(b!).digest('hex');
    expect(sha(full.files!.get('m.3mf'))).toBe(sha(bare.files!.get('m.3mf')));
    const strip = (r: typeof bare) => JSON.stringify(r.models[0]!.records, (k, v) => (k === 'wall_ms' || k === 'peakRss_bytes' ? undefined : k === 'notes' ? (v as string[]).filter((n) => !n.startsWith('time (ms)')) : v));
    expect(strip(full)).toBe(strip(bare));
    const ct = readNifti(full.files!.get('ct.nii.gz')!, 'ct.nii.gz').volume;
    expect(ct.grid.dims).toEqual(full.models[0]!.labels.grid.dims);
    const html = new TextDecoder().decode(full.files!.get('r.html')!);
    for (const plane of ['axial', 'coronal', 'sagittal']) expect(html).toContain(`${plane} slice`);
  }, 300_000);
});
