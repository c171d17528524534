import { describe, expect, it } from 'vitest';
import { approvedVersions, reviewStepsOf } from './approved.js';
import type { ModelVersion } from '../cases/types.js';
import type { WorkflowView } from './types.js';

const v = (version: number, jobId: string, extra: Record<string, unknown> = {}): ModelVersion =>
  ({ version, jobId, kind: 'convert', createdAt: '', createdBy: 'u', state: 'succeeded', artifacts: [], ...extra }) as ModelVersion;

describe('approved versions', () => {
  it('takes the model gate, listed codes and approving reviews, in version order', () => {
    const wf: WorkflowView = { state: 'approved', gates: { model: { signed: true, modelVersionId: 'j2' } }, next: [], history: [] };
    const versions = [v(1, 'j1'), v(2, 'j2'), v(3, 'j3', { code: 'ABCD2345' }), v(4, 'j4')];
    expect(approvedVersions(versions, [{ id: 'r', decision: 'approve', jobId: 'j1', by: 'x', at: '' }], wf)).toEqual([
      { jobId: 'j1', version: 1, code: null },
      { jobId: 'j2', version: 2, code: null },
      { jobId: 'j3', version: 3, code: 'ABCD2345' },
    ]);
  });
  it('is empty without an approval', () => {
    expect(approvedVersions([v(1, 'j1')], [{ id: 'r', decision: 'request-changes', jobId: 'j1', by: 'x', at: '' }], null)).toEqual([]);
    expect(approvedVersions(null, null, null)).toEqual([]);
  });
});

describe('code from the label', () => {
  it('reads the code from the label SVG title', async () => {
    const { codeFromLabelSvg } = await import('./LabelSection.js');
    expect(codeFromLabelSvg('<svg><title>scan2print model 7KQ2M9XZ</title><text>x</text></svg>')).toBe('7KQ2M9XZ');
    expect(codeFromLabelSvg('<svg><title>something else</title></svg>')).toBeNull();
  });
});

describe('review steps', () => {
  it('takes approve and request-changes from the workflow, with the reason when not allowed', () => {
    const wf: WorkflowView = {
      state: 'in-review',
      gates: {},
      next: [
        { to: 'approved', label: 'Approve', roles: ['reviewer'], allowed: false, missing: ['the segmentation gate'] },
        { to: 'changes-requested', label: 'Request changes', roles: ['reviewer'], allowed: true, missing: [] },
      ],
      history: [],
    };
    expect(reviewStepsOf(wf)).toEqual({ approve: { allowed: false, why: 'missing: the segmentation gate' }, requestChanges: { allowed: true, why: '' } });
    expect(reviewStepsOf({ ...wf, state: 'delivered', next: [] }).approve).toEqual({ allowed: false, why: "not a step from the case's state (Delivered)" });
    const forOthers = { ...wf, next: [{ to: 'changes-requested', label: 'Request changes', roles: ['reviewer', 'technician'], allowed: false, missing: [] }] };
    expect(reviewStepsOf(forOthers).requestChanges).toEqual({ allowed: false, why: 'in this state only a reviewer or technician may' });
  });
});
