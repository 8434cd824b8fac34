import type { ExecutionErrorInfo, ExecutionStatus } from '@flowgate/core';

/**
 * Document shapes. Every document carries `workspace_id`. User JSON (definitions, bodies, outputs,
 * context) is stored as JSON text so keys containing `.` or `$` and any nesting round-trip exactly.
 */

export interface WorkspaceDoc {
  _id: string;
  name: string;
  created_at: Date;
}

export interface ApiKeyDoc {
  _id: string;
  workspace_id: string;
  name: string;
  /** SHA-256 of the key; the key itself is never stored. */
  key_hash: string;
  /** First characters of the key, to recognise it in listings. */
  key_prefix: string;
  created_at: Date;
  revoked_at: Date | null;
}

export interface WorkflowDoc {
  _id: string;
  workspace_id: string;
  name: string;
  draft_json: string;
  /** Latest published version number; null until the first publish. */
  published_version: number | null;
  created_at: Date;
  updated_at: Date;
}

export interface WorkflowVersionDoc {
  _id: string;
  workspace_id: string;
  workflow_id: string;
  version: number;
  definition_json: string;
  published_at: Date;
}

export interface TriggerDoc {
  /** SHA-256 of the webhook token: every webhook looks its trigger up by primary key. */
  _id: string;
  workspace_id: string;
  workflow_id: string;
  /** The token sealed with AES-256-GCM, so its URL can be shown again. */
  token_sealed: string;
  enabled: boolean;
  created_at: Date;
}

export interface ExecutionDoc {
  _id: string;
  workspace_id: string;
  workflow_id: string;
  workflow_version: number;
  status: ExecutionStatus;
  /** Optimistic-concurrency guard, incremented by every state change. */
  revision: number;
  trigger_input_json: string;
  cursor: string | null;
  /** Attempt number of the step at `cursor`. */
  attempt: number;
  /** Number of step runs so far (sequence of step_executions). */
  step_seq: number;
  outputs_json: string;
  order: string[];
  context_json: string;
  response_json: string | null;
  final_output_json: string | null;
  error: ExecutionErrorInfo | null;
  on_success_url: string | null;
  on_failure_url: string | null;
  /** The execution this one replays, if any. */
  replay_of: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
}

/** `interrupted`: the executor died during this attempt; the step ran again in a later attempt. */
export type StepRunStatus = 'running' | 'succeeded' | 'failed' | 'interrupted';

export interface StepExecutionDoc {
  /** `<execution id>:<seq>`: one document per step attempt. */
  _id: string;
  workspace_id: string;
  execution_id: string;
  seq: number;
  step_id: string;
  type: string;
  attempt: number;
  status: StepRunStatus;
  input_json: string | null;
  output_json: string | null;
  error: ExecutionErrorInfo | null;
  started_at: Date;
  finished_at: Date | null;
}

/** Only pending timers are stored: a fired or cancelled timer is deleted. */
export type TimerStatus = 'pending';

export interface TimerDoc {
  _id: string;
  workspace_id: string;
  execution_id: string;
  kind: 'duration_timeout';
  due_at: Date;
  status: TimerStatus;
  created_at: Date;
}

export interface DeliveryAttempt {
  at: Date;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  response_body: string | null;
}

export interface DeliveryDoc {
  /** Also the `webhook-id` header: stable across retries. */
  _id: string;
  workspace_id: string;
  execution_id: string;
  event: 'execution.succeeded' | 'execution.failed';
  url: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: DeliveryAttempt[];
  created_at: Date;
  updated_at: Date;
}

/** One key of a workflow's persisted context. */
export interface WorkflowContextDoc {
  /** `<workflow id>:<key>` */
  _id: string;
  workspace_id: string;
  workflow_id: string;
  key: string;
  value: string;
  updated_at: Date;
}

export interface DeadLetterDoc {
  _id: string;
  consumer: string;
  subject: string;
  data: string;
  reason: string;
  delivery_count: number;
  created_at: Date;
}
