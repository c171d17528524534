/**
 * A worker loop: claim a job, run it with a heartbeat, settle it. Runs inside the embedded
 * server and in each `scan2print worker` process; several loops share one queue safely.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { isScanError } from '@scan2print/core';
import type { Job } from '../db/schema.js';
import type { Services } from '../context.js';
import { claim, heartbeat, settle } from './queue.js';
import { attemptPrefix, JobStopped, runConvert } from './convert-job.js';
import { runMesh } from './mesh-job.js';
import { convertSucceeded } from '../workflow/auto.js';
import { isUnavailable, errorForLog } from '../http/errors.js';
import { appendAudit } from '../audit/index.js';
import { settleAudited } from '../audit/jobs.js';

/** Outage put-backs before a job fails (about an hour at the longest pause). */
const MAX_DEFERRALS = 240;

export interface Runner {
  /** Wakes an idle loop now (a job was just queued by this process). */
  poke(): void;
  stop(): Promise<void>;
}

export function startRunner(s: Services, log: FastifyBaseLogger, opts: { concurrency: number; pollMs?: number }): Runner {
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  let stopping = false;
  let wake: (() => void) | undefined;
  const loops: Promise<void>[] = [];
  const pollMs = opts.pollMs ?? 1000;

  const idle = () =>
    new Promise<void>((r) => {
      const t = setTimeout(r, pollMs);
      wake = () => {
        clearTimeout(t);
        r();
      };
    });

  async function loop(): Promise<void> {
    while (!stopping) {
      let job: Job | undefined;
      try {
        job = await claim(s.db, owner, s.config.leaseSeconds);
      } catch (e) {
        if (!isUnavailable(e)) log.error({ err: errorForLog(e) }, 'claiming a job failed');
      }
      if (!job) {
        await idle();
        continue;
      }
      await execute(job);
    }
  }

  async function execute(job: Job): Promise<void> {
    log.info({ job: job.id, attempt: job.attempts }, 'job started');
    let fraction = 0;
    let stage: string | null = null;
    let stop: JobStopped | undefined;
    const beatMs = Math.max(200, Math.min(2000, (s.config.leaseSeconds * 1000) / 4));
    const timer = setInterval(() => {
      heartbeat(s.db, job.id, owner, s.config.leaseSeconds, fraction, stage).then(
        (r) => {
          if (r !== 'continue') stop ??= new JobStopped(r);
        },
        () => {},
      );
    }, beatMs);
    // This attempt's objects, dropped whenever it ends without its artifacts being listed.
    const dropOutputs = () => s.store.deletePrefix(attemptPrefix(job)).catch(() => {});
    let settling = false;
    try {
      const run = job.kind === 'convert' ? runConvert : job.kind === 'mesh' ? runMesh : undefined;
      if (!run) throw new Error(`unknown job kind ${job.kind}`);
      await appendAudit(s, s.db, { action: 'job-started', actor: null, orgId: job.org_id, caseId: job.case_id, details: { jobId: job.id, kind: job.kind, attempt: job.attempts } });
      const { artifacts, summary } = await run(s, job, (f, m) => {
        // Progress is the one place the core job calls back often: stop here when asked.
        if (stop) throw stop;
        fraction = f;
        stage = m.slice(0, 200);
      });
      if (stop) throw stop;
      // From here the outcome may be committed even if the call fails (connection lost on
      // commit): never drop this attempt's objects after this point.
      settling = true;
      const ok = await s.db.transaction().execute(async (tx) => {
        const done = await settle(tx, job.id, owner, 'succeeded', { summary });
        if (!done) return false;
        for (const a of artifacts) {
          await tx
            .insertInto('artifacts')
            .values({ id: randomUUID(), org_id: job.org_id, case_id: job.case_id, job_id: job.id, kind: a.kind, name: a.name, object_key: a.objectKey, media_type: a.mediaType, sha256: a.sha256, bytes: a.bytes })
            .execute();
        }
        const made = artifacts.map((a) => ({ name: a.name, sha256: a.sha256, bytes: a.bytes }));
        await appendAudit(s, tx, { action: 'job-succeeded', actor: null, orgId: job.org_id, caseId: job.case_id, details: { jobId: job.id, kind: job.kind, artifacts: made } });
        return true;
      });
      // Not settled: a cancel asked for at the end (it wins: the caller was told cancelRequested),
      // or the lease lost (another attempt owns the job and writes under its own prefix).
      if (!ok && (await heartbeat(s.db, job.id, owner, s.config.leaseSeconds, fraction, stage)) === 'cancel') {
        settling = false;
        throw new JobStopped('cancel');
      }
      if (!ok) await dropOutputs();
      else await convertSucceeded(s, job, log); // workflow: uploaded → segmented (never throws)
      log.info({ job: job.id, ok }, ok ? 'job succeeded' : 'job finished after its lease was lost; result dropped');
    } catch (e) {
      if (!settling) await dropOutputs();
      if (e instanceof JobStopped) {
        if (e.why === 'cancel') await settleAudited(s, job, owner, 'cancelled').catch(() => {});
        log.info({ job: job.id, why: e.why }, 'job stopped');
      } else if (isScanError(e) && e.kind !== 'internal') {
        // The input or the parameters: retrying cannot help. The message names the file.
        await settleAudited(s, job, owner, 'failed', { error: e.message }).catch(() => {});
        log.info({ job: job.id, code: e.code }, 'job failed on its input');
      } else if (isUnavailable(e)) {
        await putBack(job, e);
      } else {
        log.error({ job: job.id, err: errorForLog(e) }, 'job failed');
        const last = job.attempts - job.deferrals >= job.max_attempts;
        await settleAudited(s, job, owner, last ? 'failed' : 'queued', { error: `internal error: ${(e as Error).message}` }).catch(() => {});
      }
    } finally {
      clearInterval(timer);
    }
  }

  /**
   * The database or the file store stopped answering mid-job: the job goes back to the queue
   * after a pause, not charged an attempt, and fails with a clear error only after a long
   * outage. If the database itself is down this settle fails too; the lease then runs out
   * and the job is claimed again once it answers.
   */
  async function putBack(job: Job, e: unknown): Promise<void> {
    const what = (e as Error)?.message ?? String(e);
    if (job.deferrals + 1 >= MAX_DEFERRALS) {
      const error = `the database or the file store did not answer during ${job.deferrals + 1} tries of this job (last: ${what}); not retried again`;
      await settleAudited(s, job, owner, 'failed', { error }).catch(() => {});
      log.error({ job: job.id }, 'job failed: storage or database unavailable too long');
      return;
    }
    const deferSeconds = Math.min(15, Math.max(1, s.config.leaseSeconds / 2));
    log.warn({ job: job.id, deferSeconds }, 'database or storage unavailable during the job; it goes back to the queue');
    await settle(s.db, job.id, owner, 'queued', { deferSeconds, error: `waiting for the database or the file store: ${what}` }).catch(() => {});
  }

  for (let i = 0; i < opts.concurrency; i++) loops.push(loop());
  return {
    poke: () => wake?.(),
    async stop() {
      stopping = true;
      wake?.();
      await Promise.all(loops);
    },
  };
}
