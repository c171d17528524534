/**
 * The CLI side of the import stage: expand the paths, run `importSeries` with a worker
 * pool that starts only if resampling needs it, and close the pool.
 */
import { importSeries, type ImportOutput, type StageResult, type WorkerPool } from '@scan2print/core/job';
import { createNodePool, defaultPoolSize } from '../pool/node-pool.js';
import { createProgress } from '../util/progress.js';
import { collectInputs } from './inputs.js';

/** A pool whose worker threads start on the first task (most imports need none). */
export function lazyNodePool(size = defaultPoolSize()): WorkerPool {
  let pool: WorkerPool | undefined;
  return {
    size,
    run<R>(task: string, payload: unknown): Promise<R> {
      pool ??= createNodePool(size);
      return pool.run<R>(task, payload);
    },
    async close() {
      if (pool) await pool.close();
    },
  };
}

export async function importFromPaths(paths: string[], opts: { series?: string; quiet?: boolean; json?: boolean }): Promise<StageResult<ImportOutput>> {
  const inputs = await collectInputs(paths, { sharedBlocks: true });
  const pool = lazyNodePool();
  const progress = createProgress({ quiet: opts.quiet, json: opts.json });
  progress.stage('import');
  try {
    return await importSeries(
      inputs.sources,
      { ...(opts.series !== undefined ? { series: opts.series } : {}), inputLabel: inputs.label },
      { pool, progress: (f, m) => progress.update(f, m) },
    );
  } finally {
    progress.done();
    await pool.close();
  }
}
