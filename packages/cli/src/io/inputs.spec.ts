import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isScanError } from '@scan2print/core';
import { dataPath } from '../../../../test/data.js';
import { collectInputs } from './inputs.js';

/** Zips inside zips (issue 13), on the real CT slices of hardcases/dcmqi-seg/ct-3slice. */

let tmp: string;
let slices: Record<string, Uint8Array>;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 's2p-inputs-'));
  const dir = dataPath('hardcases', 'dcmqi-seg', 'ct-3slice');
  slices = Object.fromEntries(readdirSync(dir).sort().map((n) => [n, new Uint8Array(readFileSync(join(dir, n)))]));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('collectInputs: a zip inside a zip', () => {
  it('lists the entries of two nested zips in order, and reads them right when read all at once (shared cache)', async () => {
    const a = zipSync(Object.fromEntries(Object.entries(slices).map(([n, b]) => [`a/${n}`, b])));
    const b = zipSync(Object.fromEntries(Object.entries(slices).map(([n, b]) => [`b/${n}`, b])), { level: 0 });
    const path = join(tmp, 'outer.zip');
    writeFileSync(path, zipSync({ 'x/b.ZIP': b, 'x/a.zip': a, 'top.dcm': slices['01.dcm']! }));
    const { sources } = await collectInputs([path]);
    const names = Object.keys(slices);
    // Sorted by entry name, as for a zip on disk; a nested zip's entries take its place.
    expect(sources.map((s) => s.name)).toEqual([
      `${path}!/top.dcm`,
      ...names.map((n) => `${path}!/x/a.zip!/a/${n}`),
      ...names.map((n) => `${path}!/x/b.ZIP!/b/${n}`),
    ]);
    // Reads of both nested zips all in flight, b then a twice in a row: none may get the other nested zip's bytes.
    const order = [4, 1, 2, 5, 6, 3, 0];
    const got = await Promise.all(order.map((i) => sources[i]!.read()));
    const want = ['01.dcm', ...names, ...names].map((n) => slices[n]!);
    order.forEach((i, k) => expect(Buffer.from(got[k]!).equals(Buffer.from(want[i]!)), sources[i]!.name).toBe(true));
  });

  it('a damaged nested zip is one source that fails naming it; the rest is read', async () => {
    const path = join(tmp, 'damaged.zip');
    const broken = zipSync({ 'in.dcm': slices['02.dcm']! }).slice(0, 40);
    writeFileSync(path, zipSync({ 'bad.zip': broken, 'good.dcm': slices['03.dcm']! }));
    const { sources } = await collectInputs([path]);
    expect(sources.map((s) => s.name)).toEqual([`${path}!/bad.zip`, `${path}!/good.dcm`]);
    const err = await sources[0]!.read().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isScanError(err) && err.code).toBe('ZIP_CORRUPT');
    expect((err as Error).message).toContain(`${path}!/bad.zip`);
    expect(Buffer.from(await sources[1]!.read()).equals(Buffer.from(slices['03.dcm']!))).toBe(true);
  });

  it('a 3MF beside the slices (a model written into the series folder) is one file, not an archive of its parts', async () => {
    const dir = join(tmp, 'with-model');
    mkdirSync(dir);
    for (const [n, b] of Object.entries(slices)) writeFileSync(join(dir, n), b);
    writeFileSync(join(dir, 'model.3mf'), zipSync({ '[Content_Types].xml': new Uint8Array(10), '3D/3dmodel.model': new Uint8Array(20), '_rels/.rels': new Uint8Array(5) }));
    const { sources } = await collectInputs([dir]);
    expect(sources.map((s) => s.name)).toEqual([...Object.keys(slices).map((n) => join(dir, n)), join(dir, 'model.3mf')]);
  });
});
