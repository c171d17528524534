import { describe, expect, it } from 'vitest';
import { latestDownloads } from './downloads.js';
import type { Artifact } from '../api/types.js';

const art = (jobId: string, name: string, kind: string): Artifact => ({ id: `${jobId}/${name}`, jobId, kind, name, mediaType: 'x', sha256: '0'.repeat(64), bytes: 1 });
const job = (id: string) => [
  art(id, 'bone.3mf', 'model'),
  art(id, 'bone.stl', 'model'),
  art(id, 'labels.nii.gz', 'labels'),
  art(id, 'volume.nii.gz', 'volume'),
  art(id, 'preview.stl', 'preview'),
  art(id, 'report.html', 'report-html'),
  art(id, 'report.json', 'report-json'),
];

describe('latestDownloads', () => {
  it('offers the newest model job\'s 3MF, STL, HTML report and label map (not the volume or the preview)', () => {
    const d = latestDownloads([...job('j1'), ...job('j2')])!;
    expect(d.jobId).toBe('j2');
    expect([d.model3mf?.id, d.modelStl?.id, d.reportHtml?.id, d.labels?.id]).toEqual(['j2/bone.3mf', 'j2/bone.stl', 'j2/report.html', 'j2/labels.nii.gz']);
  });
  it('follows the job order when given, and finds nothing without a model', () => {
    expect(latestDownloads([...job('j2'), ...job('j1')], ['j1', 'j2'])!.jobId).toBe('j2');
    expect(latestDownloads([art('j1', 'report.json', 'report-json')])).toBeNull();
  });
  it('offers the approved version while the model gate holds, even when a newer one exists', () => {
    const d = latestDownloads([...job('j1'), ...job('j2')], ['j1', 'j2'], 'j1')!;
    expect([d.jobId, d.approved, d.model3mf?.id]).toEqual(['j1', true, 'j1/bone.3mf']);
    expect(latestDownloads([...job('j1'), ...job('j2')], ['j1', 'j2'], null)).toMatchObject({ jobId: 'j2', approved: false });
    // An approved id with no model among the artifacts (not listed yet): the latest, not marked approved.
    expect(latestDownloads(job('j2'), ['j1', 'j2'], 'j1')).toMatchObject({ jobId: 'j2', approved: false });
  });
  it('finds the label map by name on a server that lists every .nii.gz as labels', () => {
    const old = [art('j', 'bone.3mf', 'model'), art('j', 'volume.nii.gz', 'labels'), art('j', 'labels.nii.gz', 'labels')];
    expect(latestDownloads(old)!.labels?.name).toBe('labels.nii.gz');
  });
});
