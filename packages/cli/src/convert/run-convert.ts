/**
 * The CLI host of the core convert job (`runConvertJob`): it supplies the file sources, a
 * worker pool, a sink that writes each output to a temporary file (renamed all together at
 * the end, removed on failure or Ctrl-C), peak-memory sampling and the progress line.
 * Used by `convert` and `demo`.
 */
import {
  describeSeries,
  plannedOutputs,
  runConvertJob,
  type ConvertJobRequest,
  type ConvertModel,
  type Report,
  type SegmentationOptions,
  type SeriesChoice,
} from '@scan2print/core/job';
import { createNodePool } from '../pool/node-pool.js';
import { shippedForestModel } from './forest-model.js';
import { sha256Hex } from '../util/checksum.js';
import { nodeDeflater } from '../util/native-deflate.js';
import { createPeakMemorySampler } from '../util/memory.js';
import { collectGarbage } from '../util/collect-garbage.js';
import { holdForTests, OutputSet, preflightOutputs } from '../util/output-set.js';
import { overallProgress, type Progress } from '../util/progress.js';
import { libraryVersions } from '../util/versions.js';

export interface ConvertOutcome {
  report: Report;
  models: ConvertModel[];
  written: Array<{ file: string; bytes: number; sha256: string }>;
  series: SeriesChoice;
}

/** How many models the segmentation options make (one per threshold range), known before any work. */
export function plannedRanges(seg: SegmentationOptions): Array<ConvertModel['range']> {
  const m = seg.method as { method: string; ranges?: ConvertModel['range'][] };
  return m.method === 'threshold' && m.ranges && m.ranges.length ? m.ranges : [undefined];
}

/** Every file the job will write; checked before the work (exit 3 naming the path). */
export function preflightConvert(req: Pick<ConvertJobRequest, 'outputs' | 'segmentation'>): void {
  preflightOutputs(plannedOutputs(req.outputs, plannedRanges(req.segmentation)));
}

export async function runConvert(req: ConvertJobRequest, opts: { progress: Progress; announceSeries?: boolean }): Promise<ConvertOutcome> {
  preflightConvert(req);
  const memory = createPeakMemorySampler();
  // Started now, not on the first task: a convert always uses the pool (the import decodes on
  // it), and the workers load their modules while this thread reads and parses the input.
  const pool = createNodePool();
  const out = new OutputSet();
  try {
    const result = await runConvertJob(req, {
      pool,
      // Called at each stage's end: the stage's dropped arrays are freed before the next allocates.
      peakMemory: () => {
        const peak = memory.peakSinceLast();
        collectGarbage();
        return peak;
      },
      progress: overallProgress(opts.progress),
      sha256Hex,
      // The 3MF's model XML deflated by native zlib on libuv's threads (util/native-deflate.ts).
      deflateRaw: nodeDeflater,
      libraries: libraryVersions(),
      forestModel: shippedForestModel,
      sink: (name, bytes) => out.write(name, bytes),
      onSeriesChoice: (c) => {
        if (opts.announceSeries === false || c.notChosen.length === 0) return;
        // Said as soon as it is known, not after the run: the user may want to stop and pick another.
        opts.progress.done();
        process.stderr.write(
          `scan2print: building series ${describeSeries(c.chosen)} (${c.rule})\n` +
            c.notChosen.map((s) => `scan2print:   not used: ${describeSeries(s)}\n`).join('') +
            'scan2print:   --series UID|NUMBER picks another\n',
        );
      },
    });
    await holdForTests();
    out.commit();
    return {
      report: result.report,
      models: result.models,
      written: result.outputs.map((o) => ({ file: o.name, bytes: o.bytes, sha256: o.sha256 })),
      series: result.series!, // a convert from DICOM (no fromLabels) always chooses a series
    };
  } catch (e) {
    out.abort();
    throw e;
  } finally {
    opts.progress.done();
    memory.stop();
    await pool.close();
  }
}
