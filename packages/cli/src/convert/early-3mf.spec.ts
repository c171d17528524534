/**
 * The convert job writes a model's 3MF on a pool worker beside the gate (job.ts, early model
 * files). With the CLI's pool, whose workers deflate with node:zlib as the main thread does
 * (worker-entry.ts), the file must be the one the main thread would write: the same bytes as
 * write3mfAsync of the model's mesh here with nodeDeflater, and recorded as node:zlib. Checked
 * on real data: the 40 lowest slices of the phantom head through the default settings, and the
 * task alone on a mesh with labelled, named and coloured parts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertJobSettings, runConvertJob, THREEMF_FILE_TASK, threeMfDeflateMethod, write3mfAsync, write3mfOnPool, type Mesh, type WorkerPool } from '@scan2print/core';
import { dataPath } from '../../../../test/data.js';
import { phantomFirstSlices } from '../../../../test/series-subset.js';
import { createNodePool } from '../pool/node-pool.js';
import { nodeDeflater } from '../util/native-deflate.js';

/** The CLI's pool, with the names of the tasks it was given. */
function recording(pool: WorkerPool): WorkerPool & { tasks: string[] } {
  const tasks: string[] = [];
  return {
    tasks,
    size: pool.size,
    run: (task, payload) => {
      tasks.push(task);
      return pool.run(task, payload);
    },
    close: () => pool.close(),
  };
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('a model 3MF written on a pool worker beside the gate', () => {
  let pool: ReturnType<typeof recording>;
  /** The first case's model (the second writes it in parts). */
  let skull: Mesh | undefined;
  beforeAll(() => {
    pool = recording(createNodePool(2));
  });
  afterAll(async () => {
    await pool.close();
  });

  it('is the file the main thread would write (node:zlib on the worker too), for a default convert of real slices', async () => {
    const series = dataPath('ct/philips-head-phantom-1mm');
    const settings = convertJobSettings({});
    const now = new Date(Date.UTC(2026, 11, 1));
    const r = await runConvertJob(
      {
        sources: phantomFirstSlices(40).map((f) => ({ name: join(series, f), read: async () => new Uint8Array(readFileSync(join(series, f))) })),
        inputLabel: series,
        segmentation: settings.segmentation,
        condition: settings.condition,
        tissue: settings.tissue,
        outputs: { models: ['skull.3mf', 'skull.stl'] },
        now,
      },
      { pool, deflateRaw: nodeDeflater },
    );
    expect(pool.tasks.filter((t) => t === THREEMF_FILE_TASK)).toHaveLength(1);
    const model = r.models[0]!;
    skull = model.mesh;
    expect(model.mesh.indices.length / 3).toBeGreaterThan(50_000);
    const opts = { title: `${model.name} (scan2print)`, creationDate: '2026-12-01' };
    const here = await write3mfAsync(model.mesh, opts, undefined, nodeDeflater);
    expect(same(r.files!.get('skull.3mf')!, here)).toBe(true);
    const exported = model.records.filter((x) => x.stage === 'export');
    expect(exported.map((x) => x.params.deflate)).toEqual([threeMfDeflateMethod(nodeDeflater), undefined]);
    expect(exported[0]!.figures.bytes).toBe(here.length);
  });

  it('gives the same bytes as the main thread for a mesh in labelled parts with names and colours', async () => {
    expect(skull).toBeDefined();
    const mesh: Mesh = skull!;
    // two labels: the triangles below and above the mean z of the first vertices
    const nTri = mesh.indices.length / 3;
    const groups = new Uint32Array(nTri);
    let zSum = 0;
    for (let t = 0; t < nTri; t++) zSum += mesh.positions[3 * mesh.indices[3 * t]! + 2]!;
    for (let t = 0; t < nTri; t++) groups[t] = mesh.positions[3 * mesh.indices[3 * t]! + 2]! < zSum / nTri ? 3 : 7;
    const parts = { 3: { name: 'lower', color: '#e0d0b0' }, 7: { name: 'upper & "top"', color: '#80a0ff80' } };
    const opts = { title: 'parts', creationDate: '2026-12-01', parts };
    const onPool = await write3mfOnPool({ ...mesh, groups }, opts, pool);
    expect(onPool.deflate).toBe(threeMfDeflateMethod(nodeDeflater));
    expect(same(onPool.bytes, await write3mfAsync({ ...mesh, groups }, opts, undefined, nodeDeflater))).toBe(true);
    expect(same(onPool.bytes, await write3mfAsync(mesh, opts, undefined, nodeDeflater))).toBe(false);
  });
});
