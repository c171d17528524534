// The wait for a shared run another test process is making (convert-cache.ts): it ends with
// the result, or with an error naming the run when that process is gone or the time is up.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resultOf } from './convert-cache.js';

let entry: string;
afterEach(() => rmSync(entry, { recursive: true, force: true }));
const paths = () => {
  entry = mkdtempSync(join(tmpdir(), 's2p-cache-wait-'));
  return { owner: join(entry, 'owner.pid'), result: join(entry, 'result.json') };
};

describe('waiting for a shared run', () => {
  it('returns once the running process writes its result', async () => {
    const { owner, result } = paths();
    writeFileSync(owner, String(process.pid));
    setTimeout(() => writeFileSync(result, '{}'), 500);
    await expect(resultOf(entry, owner, result, ['convert', 'x'], 30_000)).resolves.toBeUndefined();
  });

  it('fails, naming the run and the process, when that process ended without a result', async () => {
    const { owner, result } = paths();
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
    writeFileSync(owner, gone);
    await expect(resultOf(entry, owner, result, ['convert', 'x', '-o', 'm.3mf'], 30_000)).rejects.toThrow(
      `\`scan2print convert x -o m.3mf\` (${entry}): the test process running it (pid ${gone}) ended without a result`,
    );
  });

  it('fails after its time while the process is still running', async () => {
    const { owner, result } = paths();
    writeFileSync(owner, String(process.pid));
    await expect(resultOf(entry, owner, result, ['convert', 'y'], 600)).rejects.toThrow('`scan2print convert y`');
  });
});
