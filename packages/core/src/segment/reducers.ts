/**
 * Reducers: several methods' outputs on one grid → one label map. Majority vote is the
 * simplest (and the baseline a STAPLE-like weighted vote is measured against); its
 * probability field is the vote fraction, so the surface stage can use it like a soft
 * threshold's.
 */
import { z } from 'zod';
import { cloneGrid, sameGrid } from '../geometry/grid.js';
import type { StageResult } from '../pipeline/record.js';
import { round, timedAsync } from '../pipeline/record.js';
import { inputError } from '../errors.js';
import { registerReducer, segmentRecord, type Reducer, type SegmentationOutput } from './method.js';
import { labelFigures } from './threshold.js';

export const majorityVoteParamsSchema = z.object({
  /** Votes needed for a voxel to be labelled (default: more than half of the inputs). */
  minVotes: z.number().int().positive().optional(),
});
export type MajorityVoteParams = z.output<typeof majorityVoteParamsSchema>;

export const majorityVoteReducer: Reducer<MajorityVoteParams> = {
  name: 'majority-vote',
  description: 'label 1 where at least minVotes inputs (default more than half) are non-zero; p = vote fraction',
  paramsSchema: majorityVoteParamsSchema,
  run(inputs, params) {
    return timedAsync(async (): Promise<StageResult<SegmentationOutput>> => {
      if (inputs.length === 0) throw inputError('REDUCE_NOTHING', 'majority vote needs at least one input label map');
      const grid = inputs[0]!.labels.grid;
      for (const x of inputs) if (!sameGrid(x.labels.grid, grid)) throw inputError('GRID_MISMATCH', 'majority vote needs all label maps on one grid');
      const m = inputs.length;
      const need = params.minVotes ?? Math.floor(m / 2) + 1;
      const n = inputs[0]!.labels.data.length;
      const votes = new Uint16Array(n);
      for (const x of inputs) {
        const d = x.labels.data;
        for (let v = 0; v < n; v++) if (d[v] !== 0) votes[v]!++;
      }
      const labels = new Uint8Array(n);
      const prob = new Float32Array(n);
      let unanimous = 0;
      let any = 0;
      for (let v = 0; v < n; v++) {
        const c = votes[v]!;
        labels[v] = c >= need ? 1 : 0;
        prob[v] = c / m;
        if (c > 0) any++;
        if (c === m) unanimous++;
      }
      const output: SegmentationOutput = { labels: { grid: cloneGrid(grid), data: labels }, probability: { grid: cloneGrid(grid), data: prob } };
      const record = segmentRecord('majority-vote', { inputs: m, minVotes: need });
      record.figures = { ...labelFigures(output.labels), voxelsAnyVote: any, voxelsUnanimous: unanimous, agreement: round(any ? unanimous / any : 1, 4) };
      return { output, record };
    });
  },
};

registerReducer(majorityVoteReducer);
