import { describe, expect, it } from 'vitest';
import type { Grid, Vec3 } from '../geometry/grid.js';
import type { LabelMap, Volume } from '../geometry/types.js';
import { fillMarrow } from './marrow-fill.js';
import { keepComponents } from './components.js';
import { runCleanup } from './pipeline-cleanup.js';
import { removeTable } from './table.js';

/** A long bone (cortex around a closed canal of fatty marrow) and a small chip beside it, 1 mm voxels. */
function scene(): { volume: Volume; labels: LabelMap } {
  const dims: Vec3 = [40, 40, 60];
  const data = new Int16Array(40 * 40 * 60);
  for (let k = 0, p = 0; k < 60; k++) {
    for (let j = 0; j < 40; j++) {
      for (let i = 0; i < 40; i++, p++) {
        const r = Math.hypot(i - 20, j - 20);
        data[p] = r > 8 ? 40 : r > 5 || k < 8 || k >= 52 ? (k < 4 || k >= 56 ? 40 : 900) : -50;
        if (i < 2 && j < 2 && k > 30 && k < 33) data[p] = 900; // a 2×2×2 chip: 8 mm³
        if (j >= 33) data[p] = j === 36 || j === 37 ? 900 : -1000; // a plate in the air beside the body: a table
      }
    }
  }
  const grid: Grid = { dims, spacing_mm: [1, 1, 1], origin_mm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
  return { volume: { grid, data }, labels: { grid, data: Uint8Array.from(data, (h) => (h >= 200 ? 1 : 0)) } };
}

describe('clean-up steps written in place', () => {
  it('fillMarrow and keepComponents in place give what they give on a copy, in the given buffer', () => {
    const { volume, labels } = scene();
    const copy = fillMarrow(labels, volume, {});
    const mine: LabelMap = { grid: labels.grid, data: labels.data.slice() };
    const inPlace = fillMarrow(mine, volume, {}, {}, true);
    expect(inPlace.output.data).toBe(mine.data);
    expect(inPlace.output.data).toEqual(copy.output.data);
    expect(inPlace.record.figures).toEqual(copy.record.figures);
    expect(copy.record.figures.filled_voxels).toBeGreaterThan(3000);

    const keepCopy = keepComponents(copy.output, volume, { minIsland_mm3: 10 });
    const keepIn = keepComponents(inPlace.output, volume, { minIsland_mm3: 10 }, {}, true);
    expect(keepIn.output.data).toBe(mine.data);
    expect(keepIn.output.data).toEqual(keepCopy.output.data);
    expect({ ...keepIn.record.figures }).toEqual({ ...keepCopy.record.figures });
    expect(keepCopy.record.figures.voxelsRemoved).toBe(8);
  });

  it('removeTable in place clears the table in the given buffer, as on a copy', () => {
    const { volume, labels } = scene();
    const copy = removeTable(labels, volume, {});
    const mine: LabelMap = { grid: labels.grid, data: labels.data.slice() };
    const inPlace = removeTable(mine, volume, {}, {}, undefined, true);
    expect(copy.record.figures.componentsRemoved).toBe(1);
    expect(inPlace.output.data).toBe(mine.data);
    expect(inPlace.output.data).toEqual(copy.output.data);
    expect(inPlace.record.figures).toEqual(copy.record.figures);
  });

  it('runCleanup writes into the label map it is given only when the caller gives it up', async () => {
    const { volume, labels } = scene();
    const before = labels.data.slice();
    const r = await runCleanup(labels, volume, { fillMarrow: true, minIsland_mm3: 10, flagMetal: true }, {});
    expect(labels.data).toEqual(before);
    expect(r.output.data).not.toBe(labels.data);
    const rt = await runCleanup(labels, volume, { removeTable: true, fillMarrow: true, minIsland_mm3: 10 }, {});
    expect(labels.data).toEqual(before);
    expect(rt.output.data).not.toEqual(r.output.data); // the table is gone
    const mine: LabelMap = { grid: labels.grid, data: labels.data.slice() };
    const faint = { threshold_HU: 200, noise_HU: 20 };
    const rf = await runCleanup(labels, volume, { removeTable: true, rejectFaint: faint, fillMarrow: true, minIsland_mm3: 10 }, {});
    expect(rf.output.data).toEqual(rt.output.data);
    expect(labels.data).toEqual(before);
    const given = await runCleanup(mine, volume, { removeTable: true, rejectFaint: faint, fillMarrow: true, minIsland_mm3: 10 }, {}, true);
    expect(given.output.data).toBe(mine.data);
    expect(given.output.data).toEqual(rt.output.data);
    expect(given.records.map((x) => x.figures)).toEqual(rf.records.map((x) => x.figures));
  });
});
