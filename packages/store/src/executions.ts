import { startCommand, type StartCommand } from '@flowgate/contracts';
import type { ExecutionStatus } from '@flowgate/core';
import type { Collection, Db, Filter } from 'mongodb';
import type { ExecutionDoc, StepExecutionDoc } from './documents';
import { insertIfAbsent } from './insert-if-absent';
import { findOwned } from './owned';
import { fromJsonText, toJsonText } from './json-text';

/** Execution state changes are atomic `findOneAndUpdate`s guarded by `revision`. */

export type NewExecution = Pick<
  ExecutionDoc,
  '_id' | 'workspace_id' | 'workflow_id' | 'workflow_version' | 'trigger_input_json' | 'on_success_url' | 'on_failure_url' | 'replay_of'
> & { created_at: Date; source?: ExecutionDoc['source']; trigger_input_ref?: string | null } & Partial<
    Pick<ExecutionDoc, 'environment' | 'draft_id' | 'test_run' | 'share_id' | 'replay_from_step' | 'concurrency_keys'>
  >;

/** The new execution a start command describes: what the ingress, the scheduler and the executor record. */
export function newExecutionOf(cmd: StartCommand): NewExecution {
  return {
    _id: cmd.execution_id,
    workspace_id: cmd.workspace_id,
    workflow_id: cmd.workflow_id,
    workflow_version: cmd.workflow_version,
    trigger_input_json: toJsonText(cmd.trigger_input),
    trigger_input_ref: cmd.trigger_input_ref ?? null,
    on_success_url: null,
    on_failure_url: null,
    replay_of: cmd.replay_of,
    source: cmd.source,
    environment: cmd.environment ?? 'production',
    draft_id: cmd.draft_id ?? null,
    test_run: cmd.test_run ?? false,
    ...(cmd.share_id ? { share_id: cmd.share_id } : {}),
    ...(cmd.replay_from_step ? { replay_from_step: cmd.replay_from_step } : {}),
    ...(cmd.concurrency_keys?.length ? { concurrency_keys: cmd.concurrency_keys } : {}),
    created_at: new Date(cmd.accepted_at),
  };
}

/** The start command of a recorded execution (newExecutionOf's inverse): what the executor sends again to one that got its slot. */
export function startCommandOf(doc: ExecutionDoc): StartCommand {
  return startCommand({
    execution_id: doc._id,
    workspace_id: doc.workspace_id,
    workflow_id: doc.workflow_id,
    workflow_version: doc.workflow_version,
    trigger_input: fromJsonText(doc.trigger_input_json) as StartCommand['trigger_input'],
    trigger_input_ref: doc.trigger_input_ref,
    accepted_at: doc.created_at,
    replay_of: doc.replay_of,
    source: doc.source,
    environment: doc.environment,
    draft_id: doc.draft_id,
    test_run: doc.test_run,
    share_id: doc.share_id ?? undefined,
    replay_from_step: doc.replay_from_step ?? undefined,
    concurrency_keys: doc.concurrency_keys ?? undefined,
  });
}

export function queuedExecution(input: NewExecution): ExecutionDoc {
  return {
    ...input,
    status: 'queued',
    revision: 0,
    slot_wait: false,
    cursor: null,
    attempt: 1,
    step_seq: 0,
    outputs_json: '{}',
    order: [],
    context_json: '{}',
    response_json: null,
    final_output_json: null,
    error: null,
    started_at: null,
    finished_at: null,
    updated_at: input.created_at,
  };
}

/** Records an accepted execution if it does not exist yet (ingress and execution both may). */
export async function recordExecution(executions: Collection<ExecutionDoc>, input: NewExecution): Promise<void> {
  await insertIfAbsent(executions, queuedExecution(input));
}

/**
 * Executions collections served by FerretDB 1.x. Its SQLite backend pushes only a filter that is
 * exactly `{_id: value}` down to SQL; `{_id, revision}` scans the whole collection (an update per
 * step becomes O(executions)), and its findAndModify is a query and a separate write anyway.
 */
const idOnlyPushdown = new WeakSet<Collection<ExecutionDoc> | Collection<StepExecutionDoc>>();

export async function adaptToServer(
  db: Db,
  c: { executions: Collection<ExecutionDoc>; stepExecutions: Collection<StepExecutionDoc> },
): Promise<void> {
  const info = await db.admin().command({ buildInfo: 1 });
  if ('ferretdbVersion' in info) {
    idOnlyPushdown.add(c.executions);
    idOnlyPushdown.add(c.stepExecutions);
  }
}

/** True on FerretDB: only `{_id: value}` filters are answered without a scan. */
export function usesIdOnlyPushdown(collection: Collection<ExecutionDoc> | Collection<StepExecutionDoc>): boolean {
  return idOnlyPushdown.has(collection);
}

/** One execution of a workspace, read by `_id` (the one filter every server answers without a scan). */
export function findExecution(executions: Collection<ExecutionDoc>, workspaceId: string, id: string): Promise<ExecutionDoc | null> {
  return findOwned(executions, workspaceId, id);
}

/** Where a workspace's execution keeps its offloaded trigger input (payloads.ts): its reference, or null (inline, or no such execution). */
export async function findTriggerInputRef(executions: Collection<ExecutionDoc>, workspaceId: string, id: string): Promise<string | null> {
  return (await findExecutionOrigin(executions, workspaceId, id)).triggerInputRef;
}

/** Where a workspace's recorded execution came from: its out-of-line trigger input and the share it ran through (ADR 0017), if any. */
export async function findExecutionOrigin(
  executions: Collection<ExecutionDoc>,
  workspaceId: string,
  id: string,
): Promise<{ triggerInputRef: string | null; shareId: string | null; draftId: string | null }> {
  const doc = await findOwned(executions, workspaceId, id, { projection: { trigger_input_ref: 1, share_id: 1, draft_id: 1 } });
  return { triggerInputRef: doc?.trigger_input_ref ?? null, shareId: doc?.share_id ?? null, draftId: doc?.draft_id ?? null };
}

/**
 * The step attempts of an execution in order: `<execution id>:<seq>` for seq 1 … step_seq, plus the
 * attempt in flight (step_seq + 1) if there is one. On FerretDB each is read by `_id` (any other
 * filter scans the whole collection, on every watch update); MongoDB uses the execution_id index.
 */
export async function findStepExecutions(
  stepExecutions: Collection<StepExecutionDoc>,
  execution: ExecutionDoc,
): Promise<StepExecutionDoc[]> {
  if (!idOnlyPushdown.has(stepExecutions)) return stepExecutions.find({ execution_id: execution._id }).sort({ seq: 1 }).toArray();
  const steps: StepExecutionDoc[] = [];
  const last = execution.step_seq + 1;
  for (let from = 1; from <= last; from += 32) {
    const seqs = Array.from({ length: Math.min(32, last - from + 1) }, (_, i) => from + i);
    const found = await Promise.all(seqs.map((seq) => stepExecutions.findOne({ _id: `${execution._id}:${seq}` })));
    for (const doc of found) if (doc) steps.push(doc);
  }
  return steps;
}

/** Applies `changes` if the execution is still at `revision`; returns the new document or null. */
export async function updateExecution(
  executions: Collection<ExecutionDoc>,
  id: string,
  revision: number,
  changes: Partial<Omit<ExecutionDoc, '_id' | 'revision'>>,
  now: Date,
): Promise<ExecutionDoc | null> {
  if (idOnlyPushdown.has(executions)) {
    // FerretDB: check the revision, then write by _id — the same guarantee it gives a compound
    // filter, in constant instead of linear time. MongoDB takes the atomic guarded update below.
    const current = await executions.findOne({ _id: id }, { projection: { revision: 1 } });
    if (current?.revision !== revision) return null;
    return executions.findOneAndUpdate(
      { _id: id },
      { $set: { ...changes, updated_at: now }, $inc: { revision: 1 } },
      { returnDocument: 'after' },
    );
  }
  return executions.findOneAndUpdate(
    { _id: id, revision },
    { $set: { ...changes, updated_at: now }, $inc: { revision: 1 } },
    { returnDocument: 'after' },
  );
}

export const ACTIVE_STATUSES: ExecutionStatus[] = ['queued', 'running', 'waiting'];

/** A page of a workspace's executions, newest first (`before`: the cursor, the last one of the previous page). */
export interface ExecutionListQuery {
  workspaceId: string;
  workflowId?: string;
  statuses?: ExecutionStatus[];
  createdAfter?: Date;
  createdBefore?: Date;
  before?: { at: Date; id: string };
}

export function listExecutions(executions: Collection<ExecutionDoc>, q: ExecutionListQuery, limit: number): Promise<ExecutionDoc[]> {
  return executions.find(executionFilter(q)).sort({ created_at: -1, _id: -1 }).limit(limit).toArray();
}

/** How many executions a query matches (a bulk job's dry run and total). */
export function countExecutions(executions: Collection<ExecutionDoc>, q: ExecutionListQuery): Promise<number> {
  return executions.countDocuments(executionFilter(q));
}

function executionFilter(q: ExecutionListQuery): Filter<ExecutionDoc> {
  const and: Filter<ExecutionDoc>[] = [{ workspace_id: q.workspaceId }];
  if (q.workflowId) and.push({ workflow_id: q.workflowId });
  if (q.statuses && q.statuses.length > 0) and.push({ status: { $in: q.statuses } });
  if (q.createdAfter) and.push({ created_at: { $gt: q.createdAfter } });
  if (q.createdBefore) and.push({ created_at: { $lt: q.createdBefore } });
  if (q.before) and.push({ $or: [{ created_at: { $lt: q.before.at } }, { created_at: q.before.at, _id: { $lt: q.before.id } }] });
  return { $and: and };
}

/** How many of a workspace's executions of a workflow have not ended (a receiver's runs of a shared workflow are its own, ADR 0017). */
export function countActiveExecutions(executions: Collection<ExecutionDoc>, workspaceId: string, workflowId: string): Promise<number> {
  return executions.countDocuments({ workflow_id: workflowId, workspace_id: workspaceId, status: { $in: ACTIVE_STATUSES } });
}

/** How many of a workspace's cron-started executions of a workflow are still queued. */
export function countQueuedScheduledExecutions(
  executions: Collection<ExecutionDoc>,
  workspaceId: string,
  workflowId: string,
): Promise<number> {
  return executions.countDocuments({ workflow_id: workflowId, workspace_id: workspaceId, status: 'queued', source: 'schedule' });
}

/** How many executions a workspace has started since `since` (the quota windows' usage when no counter runs). */
export function countExecutionsSince(executions: Collection<ExecutionDoc>, workspaceId: string, since: Date): Promise<number> {
  return executions.countDocuments({ workspace_id: workspaceId, created_at: { $gte: since } });
}
