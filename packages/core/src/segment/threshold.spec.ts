import { beforeAll, describe, expect, it } from 'vitest';
import {
  createInlinePool,
  getMethod,
  getReducer,
  majorityVoteReducer,
  getPreset,
  getTask,
  methodNames,
  presetNames,
  runMethod,
  softThreshold,
  thresholdMany,
  thresholdVolume,
  THRESHOLD_PRESETS,
  type Volume,
  type WorkerPool,
} from '@scan2print/core';
import { loadExampleCt } from '../../../../test/ct-volumes.js';

/** A pool of "3 workers" that runs tasks by name on this thread, slab by slab, out of order. */
function slabPool(size = 3): WorkerPool {
  return {
    size,
    async run<R>(task: string, payload: unknown) {
      await new Promise((r) => setTimeout(r, Math.random() * 3));
      return (await getTask(task)(payload)) as R;
    },
    async close() {},
  };
}

let ct: Volume;
beforeAll(() => {
  ct = loadExampleCt();
});

describe('presets', () => {
  it('have the InVesalius/Mimics ranges and a source', () => {
    expect(getPreset('bone')).toMatchObject({ lo_HU: 226, hi_HU: 3071 });
    expect(getPreset('compact-bone-adult')).toMatchObject({ lo_HU: 662, hi_HU: 1988 });
    expect(getPreset('compact-bone-child')).toMatchObject({ lo_HU: 586, hi_HU: 2198 });
    expect(getPreset('spongial-bone-adult')).toMatchObject({ lo_HU: 148, hi_HU: 661 });
    expect(getPreset('enamel-adult')).toMatchObject({ lo_HU: 1553, hi_HU: 2850 });
    expect(getPreset('soft-tissue')).toMatchObject({ lo_HU: -700, hi_HU: 225 });
    for (const p of THRESHOLD_PRESETS) expect(p.source).toMatch(/InVesalius/);
    expect(presetNames()).toContain('bone');
    expect(() => getPreset('unobtainium')).toThrow(/unknown threshold preset "unobtainium"/);
  });
});

describe('threshold', () => {
  it('labels exactly lo ≤ HU ≤ hi on real CT', () => {
    const l = thresholdVolume(ct, 226, 3071);
    let bad = 0;
    let n = 0;
    for (let v = 0; v < ct.data.length; v++) {
      const inside = ct.data[v]! >= 226 && ct.data[v]! <= 3071;
      if (inside) n++;
      if (inside !== (l.data[v] === 1)) bad++;
    }
    expect(bad).toBe(0);
    expect(n).toBeGreaterThan(20000);
  });

  it('the threshold method via its schema: preset, record, outward-bias note', async () => {
    expect(methodNames()).toEqual(expect.arrayContaining(['threshold', 'auto-threshold', 'soft-threshold']));
    const r = await runMethod(getMethod('threshold'), ct, { preset: 'bone' }, {});
    expect(r.record).toMatchObject({ stage: 'segment', method: 'threshold', params: { lo_HU: 226, hi_HU: 3071, preset: 'bone' } });
    expect(r.record.notes?.join(' ')).toMatch(/outward/);
    expect(r.record.figures.voxels_selected).toBeGreaterThan(0);
    const compact = await runMethod(getMethod('threshold'), ct, { preset: 'compact-bone-adult' }, {});
    expect(compact.record.notes).toBeUndefined();
    await expect(runMethod(getMethod('threshold'), ct, { preset: 'nope' }, {})).rejects.toThrow(/unknown preset/);
    await expect(runMethod(getMethod('threshold'), ct, {}, {})).rejects.toThrow(/lo_HU or a preset/);
    expect(() => getMethod('magic')).toThrow(/unknown segmentation method/);
  });

  it('several thresholds at once equal the sequential results, inline and on a multi-slab pool', async () => {
    const ranges: Array<[number, number]> = [[200, 3071], [300, 3071], [400, 3071], [-700, 225]];
    const seq = ranges.map(([lo, hi]) => thresholdVolume(ct, lo, hi));
    const inline = await thresholdMany(ct, ranges, { pool: createInlinePool() });
    const pooled = await thresholdMany(ct, ranges, { pool: slabPool(3) });
    for (let r = 0; r < ranges.length; r++) {
      expect(Buffer.from(inline[r]!.data).equals(Buffer.from(seq[r]!.data))).toBe(true);
      expect(Buffer.from(pooled[r]!.data).equals(Buffer.from(seq[r]!.data))).toBe(true);
    }
    // Higher thresholds select fewer voxels.
    const counts = seq.slice(0, 3).map((l) => Array.from(l.data).reduce((a, b) => a + b, 0));
    expect(counts[0]!).toBeGreaterThan(counts[1]!);
    expect(counts[1]!).toBeGreaterThan(counts[2]!);
    await expect(thresholdMany(ct, [[300, 200]])).rejects.toThrow(/not a range/);
  });
});

describe('soft threshold', () => {
  it('p is the logistic of HU, labels are exactly HU ≥ centre, same on a multi-slab pool', async () => {
    const a = await softThreshold(ct, 150, 20, {});
    const b = await softThreshold(ct, 150, 20, { pool: slabPool(4) });
    const p = a.probability!.data as Float32Array;
    expect(a.probability!.grid.dims).toEqual(ct.grid.dims);
    expect(Buffer.from(p.buffer, p.byteOffset, p.byteLength).equals(Buffer.from(b.probability!.data.buffer as ArrayBuffer))).toBe(true);
    let bad = 0;
    for (let v = 0; v < ct.data.length; v++) {
      const x = ct.data[v]!;
      const want = 1 / (1 + Math.exp(-(x - 150) / 20));
      if (Math.abs(p[v]! - want) > 1e-6) bad++;
      if ((x >= 150) !== (a.labels.data[v] === 1)) bad++;
      if ((p[v]! >= 0.5) !== (a.labels.data[v] === 1) && x !== 150) bad++;
    }
    expect(bad).toBe(0);
    const r = await runMethod(getMethod('soft-threshold'), ct, { centre_HU: 150, width_HU: 20 }, {});
    expect(r.record.figures.voxels_uncertain_p0_1to0_9 as number).toBeGreaterThan(0);
    await expect(runMethod(getMethod('soft-threshold'), ct, { centre_HU: 150, width_HU: 0 }, {})).rejects.toThrow(/width_HU/);
  });
});

describe('reducer', () => {
  it('majority vote of three thresholds is the middle threshold; p is the vote fraction', async () => {
    const outs = [200, 300, 400].map((t) => ({ labels: thresholdVolume(ct, t, 3071) }));
    const r = await getReducer('majority-vote').run(outs, majorityVoteReducer.paramsSchema.parse({}), {});
    expect(Buffer.from(r.output.labels.data).equals(Buffer.from(outs[1]!.labels.data))).toBe(true);
    const p = r.output.probability!.data;
    for (let v = 0; v < p.length; v += 97) {
      const x = ct.data[v]!;
      const want = x > 3071 ? 0 : ((x >= 200 ? 1 : 0) + (x >= 300 ? 1 : 0) + (x >= 400 ? 1 : 0)) / 3;
      expect(p[v]).toBeCloseTo(want, 6);
    }
    expect(r.record).toMatchObject({ method: 'majority-vote', params: { inputs: 3, minVotes: 2 } });
    const any = await majorityVoteReducer.run(outs, { minVotes: 1 }, {});
    expect(Buffer.from(any.output.labels.data).equals(Buffer.from(outs[0]!.labels.data))).toBe(true);
  });
});
