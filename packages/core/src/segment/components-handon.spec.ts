/**
 * Table removal hands the components it leaves to the faint-component step (runCleanup), which
 * then does not label them again: on a real series (ct/ge-head-tilt-variable-spacing, full
 * grid, whose head holder the table removal takes out) the handed components are exactly what
 * componentRuns gives on the table step's output, and the faint step gives the same labels and
 * record with them as without.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { dataPath } from '../../../../test/data.js';
import { seriesSources } from '../../../../test/series.js';
import { importSeries } from '../dicom/import.js';
import type { LabelMap, Volume } from '../geometry/types.js';
import { componentRuns, withoutComponents } from './components.js';
import type { RunComponents } from './components-runs.js';
import { rejectFaintComponents } from './faint-components.js';
import { runCleanup } from './pipeline-cleanup.js';
import { removeTable } from './table.js';
import { thresholdVolume } from './threshold.js';

let volume: Volume;
let bone: LabelMap;

beforeAll(async () => {
  const dir = dataPath('ct/ge-head-tilt-variable-spacing');
  const sources = seriesSources(dir);
  volume = (await importSeries(sources)).output.volume;
  bone = thresholdVolume(volume, 150, 3071);
});

/** The runs' used parts, the ids and the sizes: what the clean-up steps read. */
function plain(cc: RunComponents) {
  const n = cc.runs.count;
  return { start: Array.from(cc.runs.start.subarray(0, n)), end: Array.from(cc.runs.end.subarray(0, n)), rowStart: Array.from(cc.runs.rowStart), comp: Array.from(cc.comp.subarray(0, n)), count: cc.count, sizes: Array.from(cc.sizes) };
}

describe('components handed on from table removal', () => {
  it('equal componentRuns of the table step output (components were removed)', () => {
    let kept: RunComponents | undefined;
    const table = removeTable(bone, volume, {}, {}, (k) => (kept = k));
    expect(table.record.figures.componentsRemoved).toBeGreaterThan(0);
    expect(kept).toBeDefined();
    const fresh = componentRuns(table.output.data, bone.grid.dims, 26);
    expect(kept!.count).toBe((table.record.figures.componentsFound as number) - (table.record.figures.componentsRemoved as number));
    expect(plain(kept!)).toEqual(plain(fresh));
  });

  it('withoutComponents of nothing dropped is the same components', () => {
    const cc = componentRuns(bone.data, bone.grid.dims, 26);
    expect(plain(withoutComponents(cc, new Int32Array(cc.count + 1)))).toEqual(plain(cc));
  });

  it('the faint step gives the same labels and record with the handed components', () => {
    let kept: RunComponents | undefined;
    const table = removeTable(bone, volume, {}, {}, (k) => (kept = k));
    const params = { threshold_HU: 150, noise_HU: 25 };
    const own = rejectFaintComponents(table.output, volume, params);
    const handed = rejectFaintComponents(table.output, volume, params, {}, kept);
    expect(own.record.figures.componentsRemoved).toBeGreaterThan(0);
    expect(Buffer.from(handed.output.data).equals(Buffer.from(own.output.data))).toBe(true);
    // the records differ only in their clock
    expect({ ...handed.record, wall_ms: 0 }).toEqual({ ...own.record, wall_ms: 0 });
  });

  it('runCleanup (table, faint) gives the labels of the steps run one by one', async () => {
    const params = { threshold_HU: 150, noise_HU: 25 };
    const r = await runCleanup(bone, volume, { removeTable: true, rejectFaint: params, stats: false }, {});
    const table = removeTable(bone, volume, {});
    const faint = rejectFaintComponents(table.output, volume, params);
    expect(Buffer.from(r.output.data).equals(Buffer.from(faint.output.data))).toBe(true);
    expect(r.records.map((x) => x.figures)).toEqual([expect.anything(), table.record.figures, faint.record.figures]);
  });
});
