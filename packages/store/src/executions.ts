import type { ExecutionStatus } from '@flowgate/core';
import type { Collection, Db } from 'mongodb';
import type { ExecutionDoc } from './documents';
import { insertIfAbsent } from './insert-if-absent';

/** Execution state changes are atomic `findOneAndUpdate`s guarded by `revision`. */

export type NewExecution = Pick<
  ExecutionDoc,
  '_id' | 'workspace_id' | 'workflow_id' | 'workflow_version' | 'trigger_input_json' | 'on_success_url' | 'on_failure_url' | 'replay_of'
> & { created_at: Date; source?: ExecutionDoc['source']; trigger_input_ref?: string | null } & Partial<
    Pick<ExecutionDoc, 'environment' | 'draft_id' | 'test_run'>
  >;

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
const idOnlyPushdown = new WeakSet<Collection<ExecutionDoc>>();

export async function adaptToServer(db: Db, c: { executions: Collection<ExecutionDoc> }): Promise<void> {
  const info = await db.admin().command({ buildInfo: 1 });
  if ('ferretdbVersion' in info) idOnlyPushdown.add(c.executions);
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
