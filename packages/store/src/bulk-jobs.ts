import type { Collection } from 'mongodb';
import type { BulkJobDoc, BulkJobOutcome } from './documents';
import type { ExecutionListQuery } from './executions';
import { findOwned } from './owned';

/**
 * Bulk replay / cancel jobs (`POST /v1/executions/bulk`): one document per job, its progress
 * written after every execution it acted on (an update by `_id`), so a job taken over after a
 * crash goes on from the execution after the last one recorded.
 */

/** Errors kept on a job (the first ones; `failed` counts them all). */
export const BULK_JOB_MAX_ERRORS = 20;

export async function createBulkJob(jobs: Collection<BulkJobDoc>, doc: BulkJobDoc): Promise<void> {
  await jobs.insertOne(doc);
}

export function findOwnedBulkJob(jobs: Collection<BulkJobDoc>, workspaceId: string, id: string): Promise<BulkJobDoc | null> {
  return findOwned(jobs, workspaceId, id);
}

/** Jobs not finished yet (a scan, once per pass of the one replica that holds the lease). */
export function runningBulkJobs(jobs: Collection<BulkJobDoc>, limit = 100): Promise<BulkJobDoc[]> {
  return jobs.find({ status: 'running' }).sort({ created_at: 1 }).limit(limit).toArray();
}

/** The executions a job acts on: newest first, after its cursor (as the list route pages). */
export function bulkJobQuery(job: BulkJobDoc): ExecutionListQuery {
  return {
    workspaceId: job.workspace_id,
    ...(job.filter.workflow_id ? { workflowId: job.filter.workflow_id } : {}),
    statuses: job.filter.statuses,
    ...(job.filter.created_after ? { createdAfter: job.filter.created_after } : {}),
    createdBefore: job.filter.created_before,
    ...(job.cursor ? { before: job.cursor } : {}),
  };
}

/** Records one execution acted on: the cursor moves past it and its outcome is counted. */
export async function recordBulkJobStep(
  jobs: Collection<BulkJobDoc>,
  id: string,
  step: { executionId: string; createdAt: Date; outcome: BulkJobOutcome; error?: { code: string; message: string } },
  now: Date,
): Promise<void> {
  await jobs.updateOne(
    { _id: id },
    {
      $set: { cursor: { at: step.createdAt, id: step.executionId }, updated_at: now },
      $inc: { processed: 1, [step.outcome]: 1 },
      ...(step.error
        ? { $push: { errors: { $each: [{ execution_id: step.executionId, ...step.error }], $slice: BULK_JOB_MAX_ERRORS } } }
        : {}),
    },
  );
}

export async function finishBulkJob(jobs: Collection<BulkJobDoc>, id: string, now: Date): Promise<void> {
  await jobs.updateOne({ _id: id, status: 'running' }, { $set: { status: 'succeeded', finished_at: now, updated_at: now } });
}
