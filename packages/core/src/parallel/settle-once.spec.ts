import { describe, expect, it } from 'vitest';
import { settleOnce } from './settle-once.js';

describe('settleOnce', () => {
  it('the first event settles and stops the thread once; later ones are ignored', async () => {
    let stops = 0;
    let run!: ReturnType<typeof settleOnce<number>>;
    const p = new Promise<number>((resolve, reject) => (run = settleOnce(() => stops++, resolve, reject)));
    expect(run.settled).toBe(false);
    run.done(7);
    run.fail(new Error('exit after the answer'));
    run.done(8);
    expect(run.settled).toBe(true);
    expect(stops).toBe(1);
    await expect(p).resolves.toBe(7);
  });

  it('an error first rejects, and an answer after it is ignored', async () => {
    let stops = 0;
    let run!: ReturnType<typeof settleOnce<string>>;
    const p = new Promise<string>((resolve, reject) => (run = settleOnce(() => stops++, resolve, reject)));
    run.fail(new Error('the thread stopped (exit code 1)'));
    run.done('late');
    expect(stops).toBe(1);
    await expect(p).rejects.toThrow('exit code 1');
  });
});
