/**
 * The segmentation's steps that run on a worker pool give the single-thread bytes: the default
 * convert segmentation (automatic threshold, table, faint components, marrow, components) of a
 * real series on shared memory, as the importer leaves it, with two real worker threads: the
 * threshold and the table's body cells (holes filled per slice) run there in slabs, the rest of
 * the table's body on one worker while the calling thread labels the bone. A resampled series
 * (float HU) has all of its table's body worked out on one worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPath } from '../../../../test/data.js';
import { seriesSources } from '../../../../test/series.js';
import { createNodePool } from '../../../cli/src/pool/node-pool.js';
import { countingPool } from '../../../../test/counting-pool.js';
import { importSeries } from '../dicom/import.js';
import type { Volume } from '../geometry/types.js';
import { createInlinePool, type WorkerPool } from '../parallel/pool.js';
import { convertSegmentationDefaults } from '../pipeline/defaults.js';
import type { StageRecord } from '../pipeline/record.js';
import { runSegmentation } from './pipeline.js';
import { THRESHOLD_TASK } from './threshold-kernel.js';
import { BODY_CELLS_FILLED_TASK, TABLE_BODY_TASK } from './table-body.js';

let pool: WorkerPool;
let volume: Volume;

beforeAll(async () => {
  pool = createNodePool(2); // runs the compiled dist: `npm run build` first
  volume = (await importSeries(seriesSources(dataPath('labelled/totalsegmentator/example_ct_dicom')))).output.volume;
});

afterAll(async () => {
  await pool?.close();
});

/** A record without its timing. */
const untimed = (r: StageRecord) => ({ ...r, wall_ms: undefined });

describe('segmentation on 2 worker threads == on one thread', () => {
  it('the default convert segmentation of labelled/totalsegmentator/example_ct_dicom', async () => {
    expect(volume.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    const inline = await runSegmentation(volume, convertSegmentationDefaults(), { pool: createInlinePool() });
    const ran = new Map<string, number>();
    const pooled = await runSegmentation(volume, convertSegmentationDefaults(), { pool: countingPool(pool, ran) });
    expect(ran.get(THRESHOLD_TASK)).toBeGreaterThanOrEqual(2);
    expect(ran.get(BODY_CELLS_FILLED_TASK)).toBeGreaterThanOrEqual(2);
    expect(ran.get(TABLE_BODY_TASK)).toBe(1);
    const [a, b] = [inline.output.labels[0]!.data, pooled.output.labels[0]!.data];
    expect(a.some((x) => x !== 0)).toBe(true);
    expect(Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(Buffer.from(a.buffer, a.byteOffset, a.byteLength))).toBe(true);
    expect(pooled.records.map(untimed)).toEqual(inline.records.map(untimed));
    // left on shared memory, the label map goes to the isosurface's workers without a copy
    expect(b.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('a resampled series (float HU: ct/ge-head-tilt-variable-spacing, gantry tilt, uneven slices): the table’s whole body on one worker', async () => {
    const ge = (await importSeries(seriesSources(dataPath('ct/ge-head-tilt-variable-spacing')))).output.volume;
    expect(ge.data).toBeInstanceOf(Float32Array);
    expect(ge.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    const inline = await runSegmentation(ge, convertSegmentationDefaults(), { pool: createInlinePool() });
    const ran = new Map<string, number>();
    const pooled = await runSegmentation(ge, convertSegmentationDefaults(), { pool: countingPool(pool, ran) });
    expect(ran.get(TABLE_BODY_TASK)).toBe(1);
    expect(ran.get(BODY_CELLS_FILLED_TASK)).toBeUndefined();
    const [a, b] = [inline.output.labels[0]!.data, pooled.output.labels[0]!.data];
    expect(a.some((x) => x !== 0)).toBe(true);
    expect(Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(Buffer.from(a.buffer, a.byteOffset, a.byteLength))).toBe(true);
    // the body decided something here: the scanner's table is removed, by the body the worker found
    const table = pooled.records.find((r) => r.method === 'remove-table')!;
    expect(table.figures?.componentsRemoved as number).toBeGreaterThan(0);
    expect(pooled.records.map(untimed)).toEqual(inline.records.map(untimed));
  });

  it('three thresholds: the body of table removal is computed once on the pool for the three label maps', async () => {
    const opts = { ...convertSegmentationDefaults(), method: { method: 'threshold', ranges: [[150, 3071], [226, 3071], [300, 3071]] } } as ReturnType<typeof convertSegmentationDefaults>;
    const inline = await runSegmentation(volume, opts, { pool: createInlinePool() });
    const ran = new Map<string, number>();
    const pooled = await runSegmentation(volume, opts, { pool: countingPool(pool, ran) });
    expect(ran.get(TABLE_BODY_TASK)).toBe(1);
    expect(inline.output.labels).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      const [a, b] = [inline.output.labels[i]!.data, pooled.output.labels[i]!.data];
      expect(Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(Buffer.from(a.buffer, a.byteOffset, a.byteLength))).toBe(true);
    }
    const removed = pooled.records.filter((r) => r.method === 'remove-table').map((r) => r.figures?.componentsRemoved);
    expect(removed).toHaveLength(3);
    expect(removed.every((n) => typeof n === 'number' && n > 0)).toBe(true);
    expect(pooled.records.map(untimed)).toEqual(inline.records.map(untimed));
  });
});
