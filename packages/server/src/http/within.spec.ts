import { describe, expect, it } from 'vitest';
import { within } from './within.js';

/** Timers this process holds now (Node lists each as a 'Timeout' resource). */
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
const never = new Promise<string>(() => {});

describe('within', () => {
  it('gives what the promise gives when it settles first, and leaves no timer behind', async () => {
    const before = timers();
    expect(await within(Promise.resolve('answered'), 60_000)).toBe('answered');
    await expect(within(Promise.reject(new Error('refused')), 60_000)).rejects.toThrow('refused');
    // A 60 s timer left running would hold a server's close (or a health check's process) that long.
    expect(timers()).toBe(before);
  });

  it('gives undefined, or what onLate gives or throws, when the promise is late', async () => {
    expect(await within(never, 5)).toBeUndefined();
    expect(await within(never, 5, () => 'late')).toBe('late');
    await expect(
      within(never, 5, () => {
        throw new Error('timeout');
      }),
    ).rejects.toThrow('timeout');
  });
});
