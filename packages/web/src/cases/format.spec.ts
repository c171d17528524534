import { describe, expect, it } from 'vitest';
import { canCreateCases, dueInfo, formatBytes, isFinished, isoDay, percentOf, personName, statusOf, type StatusKind } from './format.js';
import type { LatestJob } from './types.js';

const job = (over: Partial<LatestJob>): LatestJob => ({ id: 'j', kind: 'convert', state: 'queued', progress: 0, stage: null, error: null, ...over });

describe('statusOf', () => {
  it('says queued, running with stage and percent, done, failed with the reason', () => {
    expect(statusOf({ status: 'open', files: 28, latestJob: job({}) })).toEqual({ kind: 'queued', label: 'queued' });
    expect(statusOf({ status: 'open', files: 28, latestJob: job({ state: 'running', progress: 0.456, stage: 'segment' }) })).toEqual({
      kind: 'running',
      label: 'running 46 %',
      percent: 46,
      detail: 'segment',
    });
    expect(statusOf({ status: 'open', files: 28, latestJob: job({ state: 'succeeded', progress: 1 }) }).kind).toBe('done');
    expect(statusOf({ status: 'open', files: 28, latestJob: job({ state: 'failed', error: 'NOT_HU: values are not HU' }) })).toEqual({
      kind: 'failed',
      label: 'failed',
      detail: 'NOT_HU: values are not HU',
    });
  });

  it('puts a running job before the review decision, and the decision before how the last job ended', () => {
    expect(statusOf({ status: 'approved', files: 1, latestJob: job({ state: 'running', progress: 0.1 }) }).kind).toBe('running');
    expect(statusOf({ status: 'approved', files: 1, latestJob: job({ state: 'succeeded' }) }).label).toBe('approved');
    expect(statusOf({ status: 'changes-requested', files: 1, latestJob: job({ state: 'succeeded' }) }).label).toBe('changes requested');
  });

  it('without a job tells no files from files waiting to be converted (and an older server without the counts)', () => {
    expect(statusOf({ status: 'open', files: 0, latestJob: null }).kind).toBe('no-files');
    expect(statusOf({ status: 'open', files: 140, latestJob: null })).toEqual({ kind: 'ready', label: '140 files, not converted' });
    expect(statusOf({ status: 'open' }).kind).toBe('ready');
  });
});

describe('statusOf: workflow states', () => {
  it('shows the states after approval as they are, a running job still first', () => {
    const done = { id: 'j', kind: 'convert', state: 'succeeded' as const, progress: 1, stage: null, error: null };
    expect(statusOf({ status: 'printing', files: 28, latestJob: done })).toEqual({ kind: 'printing', label: 'printing' });
    expect(statusOf({ status: 'qc-passed', latestJob: done }).label).toBe('QC passed');
    expect(statusOf({ status: 'cancelled', latestJob: done }).kind).toBe('case-cancelled');
    expect(statusOf({ status: 'in-review', latestJob: { ...done, state: 'running', progress: 0.5 } }).kind).toBe('running');
    // 'segmented' is what a finished job says already.
    expect(statusOf({ status: 'segmented', latestJob: done }).kind).toBe('done');
    expect(['delivered', 'approved', 'rejected', 'done', 'in-review'].map((k) => isFinished(k as StatusKind))).toEqual([true, true, true, false, false]);
  });
});

describe('dueInfo', () => {
  const now = new Date(2026, 10, 30, 23, 30); // local 30 Nov 2026, late evening
  it('counts calendar days in local time', () => {
    expect(isoDay(now)).toBe('2026-11-30');
    expect(dueInfo('2026-11-28', now)).toMatchObject({ urgency: 'overdue', days: -2, label: '2026-11-28 (2 days overdue)' });
    expect(dueInfo('2026-11-30', now)).toMatchObject({ urgency: 'today', days: 0 });
    expect(dueInfo('2026-12-01', now)).toMatchObject({ urgency: 'soon', days: 1, label: '2026-12-01 (in 1 day)' });
    expect(dueInfo('2026-12-03', now).urgency).toBe('soon');
    expect(dueInfo('2026-12-04', now).urgency).toBe('later');
    expect(dueInfo(null, now).urgency).toBe('none');
  });
  it('never calls a finished case overdue', () => {
    expect(dueInfo('2026-11-01', now, true).urgency).toBe('later');
  });
});

describe('small formatters', () => {
  it('clamps percent, names people, sizes bytes', () => {
    expect([percentOf(-1), percentOf(0.004), percentOf(1.2), percentOf(Number.NaN)]).toEqual([0, 0, 100, 0]);
    expect(personName({ id: 'u', email: 'a@b.org' })).toBe('a@b.org');
    expect(personName('c@d.org')).toBe('c@d.org');
    expect(personName(null)).toBe('—');
    expect([formatBytes(512), formatBytes(2048), formatBytes(73.7 * 1024 * 1024)]).toEqual(['512 B', '2.0 KiB', '74 MiB']);
  });
});

describe('canCreateCases', () => {
  it('the roles the server lets POST /api/cases, and no other', () => {
    for (const r of ['org-admin', 'requester', 'engineer']) expect(canCreateCases(r), r).toBe(true);
    for (const r of ['reviewer', 'technician', 'admin', '']) expect(canCreateCases(r), r).toBe(false);
  });
});
