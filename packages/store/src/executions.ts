import type { ExecutionStatus } from '@flowgate/core';
import type { Collection } from 'mongodb';
import type { ExecutionDoc } from './documents';
import { insertIfAbsent } from './insert-if-absent';

/** Execution state changes are atomic `findOneAndUpdate`s guarded by `revision`. */

export type NewExecution = Pick<
  ExecutionDoc,
  '_id' | 'workspace_id' | 'workflow_id' | 'workflow_version' | 'trigger_input_json' | 'on_success_url' | 'on_failure_url' | 'replay_of'
> & { created_at: Date };

export function queuedExecution(input: NewExecution): ExecutionDoc {
  return {
    ...input,
    status: 'queued',
    revision: 0,
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

/** Applies `changes` if the execution is still at `revision`; returns the new document or null. */
export async function updateExecution(
  executions: Collection<ExecutionDoc>,
  id: string,
  revision: number,
  changes: Partial<Omit<ExecutionDoc, '_id' | 'revision'>>,
  now: Date,
): Promise<ExecutionDoc | null> {
  return executions.findOneAndUpdate(
    { _id: id, revision },
    { $set: { ...changes, updated_at: now }, $inc: { revision: 1 } },
    { returnDocument: 'after' },
  );
}

export const ACTIVE_STATUSES: ExecutionStatus[] = ['queued', 'running', 'waiting'];
