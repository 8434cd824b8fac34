import { RETAINED_STATUSES, type RetentionOverride, type RetentionTarget, type RetentionWorkspace } from '@flowgate/core';
import type { Filter } from 'mongodb';
import type { ExecutionDoc } from './documents';
import { usesIdOnlyPushdown } from './executions';
import type { Collections } from './store';

/**
 * Retention (ADR 0020): the queries of the sweeper (services/scheduler retention-sweeper.ts). None
 * of them runs on the hot path. On MongoDB each is answered from an index (executions:
 * `workspace_created` / `workflow_status_created`, the `created_at < cutoff` bound narrowing the
 * range; children: their `execution` / `execution_seq` indexes; payload chunks by `_id`); on FerretDB,
 * which scans for any filter but `{_id}`, each batch costs a few collection scans, bounded by the
 * batch size and paid once per batch, once per sweep interval.
 */

/**
 * Executions per sweep batch when FLOWGATE_RETENTION_BATCH is not set. On MongoDB every query of a
 * batch runs on an index, so its cost grows with the batch: 500 keeps each command short. On FerretDB
 * each delete of a batch scans its whole collection whatever the batch size (a scan of 25 000
 * documents costs seconds, a `$in` of 2 000 ids about as much again), so fewer, larger batches remove
 * the same history with a fraction of the scans.
 */
export function defaultRetentionBatch(c: Collections): number {
  return usesIdOnlyPushdown(c.executions) ? 2_000 : 500;
}

/** What the sweeper needs to compute its targets: the workspaces that are not being deleted and every workflow override. */
export async function retentionSettings(c: Collections): Promise<{ workspaces: RetentionWorkspace[]; overrides: RetentionOverride[] }> {
  const workspaces = await c.workspaces
    .find({ status: { $nin: ['deleting', 'deleted'] } }, { projection: { _id: 1, retention_days: 1 } })
    .toArray();
  const overrides = await c.workflows
    .find({ retention_days: { $gte: 1 } }, { projection: { _id: 1, workspace_id: 1, retention_days: 1 } })
    .toArray();
  return {
    workspaces: workspaces.map((w) => ({ id: w._id, retentionDays: w.retention_days ?? null })),
    overrides: overrides.flatMap((w) =>
      typeof w.retention_days === 'number' ? [{ workspaceId: w.workspace_id, workflowId: w._id, retentionDays: w.retention_days }] : [],
    ),
  };
}

/** An ended execution the sweeper may remove: its id and where its trigger input is stored out of line (if it is). */
export interface ExpiredExecution {
  _id: string;
  trigger_input_ref: string | null;
}

/**
 * Up to `limit` executions a target makes due: ended (terminal status) before the cutoff. An
 * execution cannot have ended before it was created, so `created_at < cutoff` holds for every one
 * of them: the bound lets MongoDB walk only the old end of its `created_at` indexes. `skip`: ids
 * kept back earlier in this sweep (a delivery still pending).
 */
export async function expiredExecutions(
  c: Collections,
  target: RetentionTarget,
  limit: number,
  skip: readonly string[] = [],
): Promise<ExpiredExecution[]> {
  const and: Filter<ExecutionDoc>[] = [
    { workspace_id: target.workspaceId },
    { created_at: { $lt: target.cutoff } },
    { status: { $in: [...RETAINED_STATUSES] } },
    { finished_at: { $lt: target.cutoff } },
  ];
  if (target.workflowId !== null) and.push({ workflow_id: target.workflowId });
  else if (target.exceptWorkflowIds.length > 0) and.push({ workflow_id: { $nin: target.exceptWorkflowIds } });
  if (skip.length > 0) and.push({ _id: { $nin: [...skip] } });
  const docs = await c.executions
    .find({ $and: and }, { projection: { _id: 1, trigger_input_ref: 1 } })
    .limit(limit)
    .toArray();
  return docs.map((d) => ({ _id: d._id, trigger_input_ref: d.trigger_input_ref ?? null }));
}

/** Which of these executions have a callback delivery still pending (being attempted or waiting for a retry). */
export async function withPendingDeliveries(c: Collections, workspaceId: string, executionIds: readonly string[]): Promise<Set<string>> {
  if (executionIds.length === 0) return new Set();
  const docs = await c.deliveries
    .find({ execution_id: { $in: [...executionIds] }, workspace_id: workspaceId, status: 'pending' }, { projection: { execution_id: 1 } })
    .toArray();
  return new Set(docs.map((d) => d.execution_id));
}

/** Documents one removal deleted, by kind (the sweeper's metric); wait tokens and timers are leftovers, counted apart. */
export interface RemovedHistory {
  executions: number;
  steps: number;
  deliveries: number;
  payloads: number;
  leftovers: number;
}

export const NOTHING_REMOVED: RemovedHistory = { executions: 0, steps: 0, deliveries: 0, payloads: 0, leftovers: 0 };

/**
 * Deletes ended executions of one workspace with what is keyed by them: step records, callback
 * deliveries (none pending: the caller keeps those executions back), out-of-line trigger inputs,
 * wait tokens and legacy timers — children first, the executions last, so a crash in between leaves
 * executions the next sweep finds again (every step is idempotent). The executions' filter keeps the
 * terminal statuses: nothing live is ever deleted.
 */
export async function removeExecutionHistory(
  c: Collections,
  workspaceId: string,
  executions: readonly ExpiredExecution[],
): Promise<RemovedHistory> {
  if (executions.length === 0) return NOTHING_REMOVED;
  const ids = executions.map((e) => e._id);
  const ofThem = { execution_id: { $in: ids }, workspace_id: workspaceId };
  const steps = await c.stepExecutions.deleteMany(ofThem);
  const deliveries = await c.deliveries.deleteMany({ ...ofThem, status: { $ne: 'pending' } });
  const tokens = await c.waitTokens.deleteMany(ofThem);
  const timers = await c.timers.deleteMany(ofThem);
  let payloads = 0;
  for (const ref of executions.flatMap((e) => (e.trigger_input_ref ? [e.trigger_input_ref] : [])))
    if (await removePayload(c, workspaceId, ref)) payloads++;
  const removed = await c.executions.deleteMany({ _id: { $in: ids }, workspace_id: workspaceId, status: { $in: [...RETAINED_STATUSES] } });
  return {
    executions: removed.deletedCount,
    steps: steps.deletedCount,
    deliveries: deliveries.deletedCount,
    payloads,
    leftovers: tokens.deletedCount + timers.deletedCount,
  };
}

/**
 * Deletes one stored payload chunk by chunk, each by `_id` (`<id>:<seq>`, payloads.ts): chunks are
 * up to 2 MiB, and a filter on `payload_id` would make FerretDB read every chunk of the collection.
 * Whether any chunk was there.
 */
async function removePayload(c: Collections, workspaceId: string, payloadId: string): Promise<boolean> {
  const first = await c.payloads.findOne({ _id: `${payloadId}:0` }, { projection: { chunks: 1, workspace_id: 1 } });
  if (!first || first.workspace_id !== workspaceId) return false;
  for (let seq = first.chunks - 1; seq >= 0; seq--) await c.payloads.deleteOne({ _id: `${payloadId}:${seq}` });
  return true;
}
