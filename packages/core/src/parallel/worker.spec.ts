// A worker thread imports only parallel/worker.ts; every task that core registers anywhere
// must be registered by it, or the pool would answer "unknown worker task" mid-job.
import { describe, expect, it } from 'vitest';

describe('the worker module', () => {
  it('registers every task that all of core registers', async () => {
    const worker = await import('./worker.js');
    const light = worker.taskNames();
    expect(light).toContain('dicom.decodeIntoStack');
    expect(light).toContain('formats.deflate-chunk');
    await import('../index.js');
    const full = worker.taskNames();
    expect(full.length).toBeGreaterThan(20);
    expect(light).toEqual(full);
    expect(typeof worker.getTask('parallel.warm')).toBe('function');
    expect(worker.isScanError(new worker.ScanError('X', 'y', { kind: 'input' }))).toBe(true);
  });
});
