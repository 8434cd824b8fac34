import { createHash } from 'node:crypto';
import { ApiError } from '@flowgate/contracts';
import { BackgroundPasses, type Logger } from '@flowgate/kit';
import {
  bulkJobQuery,
  findExecution,
  finishBulkJob,
  listExecutions,
  recordBulkJobStep,
  runningBulkJobs,
  type BulkJobDoc,
  type BulkJobOutcome,
  type Collections,
} from '@flowgate/store';
import type { ExecutionClient } from './execution-client';
import { replayExecution, type ReplayDeps } from './replay';

/**
 * Bulk replay / cancel jobs (`POST /v1/executions/bulk`), in the background: one replica at a time
 * (a lease) walks each running job's executions newest first, in batches, from the job's cursor,
 * and records every execution it acted on (cursor and counts, one update by `_id`) before the next.
 * Idempotent per execution: a cancel of an ended execution is `skipped`; a replay's id is derived
 * from the job and the original, so a job taken over after a crash never replays one twice.
 */
export interface BulkJobDeps extends ReplayDeps {
  store: Collections;
  executions: Pick<ExecutionClient, 'get' | 'cancel'>;
  logger: Logger;
  /** Whether this replica may run jobs now (the lease); absent: always. */
  leading?: () => boolean;
  batch: number;
  intervalMs: number;
  /** How often an idle replica looks for jobs it was not told of (kicks come from config events). */
  idleMs?: number;
  now?: () => Date;
}

/** How often an idle replica looks for a job it was not told of. */
const IDLE_MS = 60_000;

/** The replay a job starts for an original: a UUID derived from both (the same after a take-over). */
export function bulkReplayId(jobId: string, originalId: string): string {
  const h = createHash('sha256').update(`${jobId}:${originalId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

export class BulkJobs extends BackgroundPasses {
  private readonly now: () => Date;

  constructor(private readonly deps: BulkJobDeps) {
    super({
      leading: deps.leading,
      intervalMs: deps.intervalMs,
      idleMs: deps.idleMs ?? IDLE_MS,
      onError: (err) => deps.logger.warn({ err }, 'bulk job pass failed; retried on the next one'),
    });
    this.now = deps.now ?? (() => new Date());
  }

  protected async look(): Promise<boolean> {
    const jobs = await runningBulkJobs(this.deps.store.bulkJobs);
    for (const job of jobs) await this.runJob(job);
    return jobs.length > 0;
  }

  /** Runs a job to its end (or until the lease is lost: the next holder goes on from the cursor). */
  private async runJob(job: BulkJobDoc): Promise<void> {
    let cursor = job.cursor;
    for (;;) {
      if (this.deps.leading && !this.deps.leading()) return;
      const batch = await listExecutions(this.deps.store.executions, bulkJobQuery({ ...job, cursor }), this.deps.batch);
      for (const execution of batch) {
        const { outcome, error } = await this.act(job, execution._id);
        await recordBulkJobStep(
          this.deps.store.bulkJobs,
          job._id,
          { executionId: execution._id, createdAt: execution.created_at, outcome, ...(error ? { error } : {}) },
          this.now(),
        );
        cursor = { at: execution.created_at, id: execution._id };
      }
      if (batch.length < this.deps.batch) break;
    }
    await finishBulkJob(this.deps.store.bulkJobs, job._id, this.now());
    this.deps.logger.info({ job_id: job._id, workspace_id: job.workspace_id, action: job.action }, 'bulk job finished');
  }

  private async act(job: BulkJobDoc, executionId: string): Promise<{ outcome: BulkJobOutcome; error?: { code: string; message: string } }> {
    try {
      if (job.action === 'cancel') {
        await this.deps.executions.cancel(job.workspace_id, executionId);
        return { outcome: 'succeeded' };
      }
      const replayId = bulkReplayId(job._id, executionId);
      if (await findExecution(this.deps.store.executions, job.workspace_id, replayId)) return { outcome: 'skipped' };
      await replayExecution(this.deps, job.workspace_id, executionId, { executionId: replayId });
      return { outcome: 'succeeded' };
    } catch (err) {
      // Not recorded: the execution is acted on again in a later pass (MongoDB, NATS or the execution service away).
      if (!(err instanceof ApiError) || err.code === 'dependency_unavailable' || err.code === 'internal') throw err;
      // Ended already (or gone since): nothing to cancel.
      if (job.action === 'cancel' && err instanceof ApiError && (err.code === 'conflict' || err.code === 'execution_not_found'))
        return { outcome: 'skipped' };
      return { outcome: 'failed', error: { code: err.code, message: err.message } };
    }
  }
}
