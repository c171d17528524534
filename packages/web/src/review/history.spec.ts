import { describe, expect, it } from 'vitest';
import { readNifti, thresholdVolume } from '@scan2print/core';
import { brushOffsets, stamp, type StrokeBefore, type Vec3 } from './brush.js';
import { componentAt } from './components.js';
import { clearPatch, countLabelled, diffPatch, EditHistory, strokePatch } from './history.js';
import { firstDifference, readData, TOTALSEG } from './spec-data.js';

const ct = readNifti(await readData(...TOTALSEG, 'example_ct.nii.gz'), 'ct').volume;
const dims = ct.grid.dims as Vec3;

describe('undo/redo of label edits', () => {
  it('undoes and redoes a stroke, an island removal and a new threshold, in order, with the voxel counts', () => {
    const labels = thresholdVolume(ct, 200, 3071).data as Uint8Array;
    const h = new EditHistory();
    const states = [labels.slice()];
    const counts = [countLabelled(labels)];
    let count = counts[0]!;

    const before: StrokeBefore = new Map();
    for (const x of [40, 41, 42, 43]) stamp(labels, dims, [x, 50, 56], brushOffsets(6, ct.grid.spacing_mm as Vec3, 0), 1, before);
    const stroke = strokePatch('paint', labels, before);
    h.push(stroke);
    count += stroke.delta;
    states.push(labels.slice());
    counts.push(count);
    expect(count).toBe(countLabelled(labels));
    expect(stroke.delta).toBeGreaterThan(0);

    const seed = labels.indexOf(1);
    const island = clearPatch('remove island', labels, componentAt(labels, dims, seed));
    h.push(island);
    count += island.delta;
    states.push(labels.slice());
    counts.push(count);
    expect(island.delta).toBeLessThan(0);

    const t = thresholdVolume(ct, 400, 3071).data as Uint8Array;
    const full = diffPatch('threshold 400 HU', labels, t);
    labels.set(t);
    h.push(full);
    count += full.delta;
    states.push(labels.slice());
    counts.push(count);
    expect(count).toBe(countLabelled(labels));
    expect(h.next).toEqual({ undo: 'threshold 400 HU', redo: null });

    for (let s = states.length - 2; s >= 0; s--) {
      count += h.undo(labels)!;
      expect(firstDifference(labels, states[s]!)).toBe(-1);
      expect(count).toBe(counts[s]);
    }
    expect(h.undo(labels)).toBeNull();
    expect(h.next).toEqual({ undo: null, redo: 'paint' });
    for (let s = 1; s < states.length; s++) {
      count += h.redo(labels)!;
      expect(firstDifference(labels, states[s]!)).toBe(-1);
      expect(count).toBe(counts[s]);
    }
    expect(h.canRedo).toBe(false);
    // A new edit after an undo drops the redo side.
    h.undo(labels);
    h.push(diffPatch('erase', labels, labels));
    expect(h.canRedo).toBe(false);
  });

  it('keeps whole copies only for large changes and drops the oldest patches past the byte cap', () => {
    const a = thresholdVolume(ct, 200, 3071).data as Uint8Array;
    const b = thresholdVolume(ct, -500, 3071).data as Uint8Array;
    expect(diffPatch('big', a, b).kind).toBe('full');
    expect(diffPatch('small', a, a).kind).toBe('sparse');
    const h = new EditHistory(a.length * 3);
    h.push(diffPatch('1', a, b));
    h.push(diffPatch('2', b, a));
    const labels = a.slice();
    expect(h.undo(labels)).not.toBeNull();
    expect(h.undo(labels)).toBeNull(); // the first patch was dropped to stay under the cap
  });
});
