/** The file store: atomic puts, prefix deletes, and the sweep of a killed writer's temporaries. */
import { mkdtempSync, readdirSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFsStore, removePartials } from './fs-store.js';

const root = mkdtempSync(join(tmpdir(), 's2p-fs-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('fs store', () => {
  it('puts whole objects, refuses keys that leave the root, deletes by prefix', async () => {
    const s = createFsStore(root);
    await s.put('jobs/a/1/bone.stl', new Uint8Array([1, 2, 3]));
    expect(Array.from(await s.get('jobs/a/1/bone.stl'))).toEqual([1, 2, 3]);
    await expect(s.put('../escape', new Uint8Array(1))).rejects.toThrow(/invalid object key/);
    await s.deletePrefix('jobs/a/');
    expect(await s.exists('jobs/a/1/bone.stl')).toBe(false);
  });

  it('sweeps .partial temporaries and nothing else', async () => {
    const s = createFsStore(root);
    await s.put('cases/c/files/x.dcm', new Uint8Array([7]));
    mkdirSync(join(root, 'cases/c/files'), { recursive: true });
    writeFileSync(join(root, 'cases/c/files/y.dcm.1234.partial'), 'half');
    expect(await removePartials(root)).toBe(1);
    expect(readdirSync(join(root, 'cases/c/files'))).toEqual(['x.dcm']);
    expect(await removePartials(join(root, 'missing'))).toBe(0);
  });
});
