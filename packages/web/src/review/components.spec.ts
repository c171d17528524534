import { describe, expect, it } from 'vitest';
import { labelComponents, readNiftiLabels } from '@scan2print/core';
import { componentAt, islandToRemove, othersToRemove } from './components.js';
import type { Vec3 } from './brush.js';
import { readData, TOTALSEG } from './spec-data.js';

// TotalSegmentator's real label map (vertebrae, ribs, hips, femurs, organs: many islands).
const map = readNiftiLabels(await readData(...TOTALSEG, 'example_seg_fast_force_split.nii.gz'), 'seg');
const labels = map.data as Uint8Array;
const dims = map.grid.dims as Vec3;

describe('click on an island (26-connected, any label)', () => {
  it('finds the same component as core\'s labelComponents, for seeds in several components', () => {
    const cc = labelComponents(labels, dims, 26);
    expect(cc.count).toBeGreaterThan(3);
    // The first voxel of each of the first components (memory order, as core numbers them).
    const seeds: number[] = [];
    for (let i = 0; i < labels.length && seeds.length < 5; i++) if (cc.labels[i]! > seeds.length) seeds.push(i);
    for (const seed of seeds) {
      const id = cc.labels[seed]!;
      const mine = componentAt(labels, dims, seed);
      expect(mine.length).toBe(cc.sizes[id]);
      expect(Array.from(mine.subarray(0, 50)).every((i) => cc.labels[i] === id)).toBe(true);
      expect(mine.every((i) => cc.labels[i] === id)).toBe(true);
    }
    const bg = labels.indexOf(0);
    expect(componentAt(labels, dims, bg)).toHaveLength(0);
  });

  it('remove island clears that component only; keep clears every other labelled voxel', () => {
    const cc = labelComponents(labels, dims, 26);
    let seed = 0;
    while (cc.labels[seed] === 0) seed++;
    const island = islandToRemove(labels, dims, seed);
    const others = othersToRemove(labels, dims, seed);
    const labelled = labels.reduce((s, v) => s + (v !== 0 ? 1 : 0), 0);
    expect(island.length + others.length).toBe(labelled);
    const set = new Set(island);
    expect(Array.from(others).some((i) => set.has(i))).toBe(false);
    expect(othersToRemove(labels, dims, labels.indexOf(0))).toHaveLength(0);
  });
});
