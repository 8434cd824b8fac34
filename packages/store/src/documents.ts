import type { Environment, ExecutionErrorInfo, ExecutionStatus, WebhookAuth } from '@flowgate/core';

/**
 * Document shapes. Every document carries `workspace_id`. User JSON (definitions, bodies, outputs,
 * context) is stored as JSON text so keys containing `.` or `$` and any nesting round-trip exactly.
 */

/** active (absent on older documents) → suspended ⇄ active; any → deleting → deleted (a tombstone: the id is never reused). */
export type WorkspaceStatus = 'active' | 'suspended' | 'deleting' | 'deleted';

export interface WorkspaceDeletion {
  requested_at: Date;
  finished_at: Date | null;
  /** Documents removed so far, by collection. */
  removed: Record<string, number>;
  /** Executions cancelled because they had not ended. */
  cancelled: number;
}

export interface WorkspaceDoc {
  _id: string;
  name: string;
  created_at: Date;
  updated_at?: Date;
  status?: WorkspaceStatus;
  suspended_at?: Date | null;
  /** The workspace's webhook rate-limit bucket, set by the operator (null/absent: FLOWGATE_RATE_LIMIT_WORKSPACE_*; per_second 0: none). */
  rate_limit?: { per_second: number; burst: number | null } | null;
  /** Refusals of this workspace's webhooks answer like an unknown token (null/absent: FLOWGATE_WEBHOOK_ANTI_ENUMERATION). */
  anti_enumeration?: boolean | null;
  deletion?: WorkspaceDeletion | null;
  /** Non-public destinations (normalised CIDRs) this workspace's http steps may reach, beside FLOWGATE_EGRESS_ALLOW_CIDRS. */
  egress_allow_cidrs?: string[];
  egress_updated_at?: Date;
  /** Quota overrides; an absent or null entry means the deployment default (FLOWGATE_QUOTA_*). 0 = unlimited. */
  quotas?: { executions_per_day?: number | null; executions_per_month?: number | null; parallel_executions?: number | null };
  /** Days the history of ended executions is kept (ADR 0020); null / absent: FLOWGATE_RETENTION_DAYS. */
  retention_days?: number | null;
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
  /** What the key may do (see packages/core api-key-scopes.ts); absent on keys made before scopes: admin. */
  scopes?: string[];
  /** Updated at most once a minute. */
  last_used_at?: Date | null;
}

export interface WorkflowDoc {
  _id: string;
  workspace_id: string;
  name: string;
  draft_json: string;
  /** Latest published version number; null until the first publish. */
  published_version: number | null;
  /** The published version the staging webhook runs; absent / null = none pinned (staging answers 404). */
  staging_version?: number | null;
  /** The event source the latest published version subscribes to (`trigger.source.source_id`), for fan-out look-ups. */
  source_id?: string | null;
  /** `_id` of the production trigger (it holds every environment's secrets), read by `_id` on the hot path; absent on workflows made before ADR 0012. */
  production_trigger_id?: string;
  /** When DELETE /v1/workflows/{id} archived it (its webhooks answer 410, its schedule stops); absent / null = not archived. */
  archived_at?: Date | null;
  /**
   * Published versions retired from their version URLs (`/hooks/{token}/v{n}` answers 410, ADR
   * 0021), keyed `v<n>`, with when; absent / empty = none. On the workflow document so every ingress
   * replica has it with the workflow it already serves from memory.
   */
  retired_versions?: Record<string, Date>;
  /** Days the history of this workflow's ended executions (in its own workspace) is kept (ADR 0020); null / absent: the workspace's. */
  retention_days?: number | null;
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

/** An immutable snapshot of a draft that a development run or test run executes (id `<workflow id>:draft:<hash>`). */
export type WorkflowDraftDoc = WorkflowVersionDoc;

export interface TriggerDoc {
  /** SHA-256 of the webhook token: every webhook looks its trigger up by primary key. */
  _id: string;
  workspace_id: string;
  workflow_id: string;
  /** The token sealed with AES-256-GCM, so its URL can be shown again. */
  token_sealed: string;
  enabled: boolean;
  /** Which version the webhook runs (see WorkflowDoc); absent on triggers made before environments: production. */
  environment?: Environment;
  created_at: Date;
  /** Secrets of `trigger.webhook.auth` methods: at most two per method (rotation), newest last. */
  auth_secrets?: TriggerSecretEntry[];
  /** Optimistic-concurrency guard of secret changes. */
  auth_secrets_revision?: number;
  /** Set while a parameter capture listens on this workflow's webhooks (see ParameterCaptureDoc). */
  capture_until?: Date | null;
  /**
   * A receiver's webhook of a shared workflow (ShareDoc `_id`): `workspace_id` is the receiver's,
   * `workflow_id` the owner's workflow. Absent on a workspace's own triggers.
   */
  share_id?: string | null;
}

/**
 * A published workflow shared by its owner (`workspace_id`) with one other workspace, which runs it
 * through its own trigger (`trigger_id`, in the receiver's workspace) under its own quotas (ADR 0017).
 */
export interface ShareDoc {
  /** `shr_…` */
  _id: string;
  /** The owner: the workspace of the workflow. */
  workspace_id: string;
  workflow_id: string;
  /** The workspace it is shared with. */
  receiver_workspace_id: string;
  /** `_id` of the receiver's trigger (SHA-256 of its webhook token). */
  trigger_id: string;
  created_at: Date;
  /** Set once by the owner's revoke; the receiver's trigger is deleted with it. */
  revoked_at: Date | null;
}

/** One secret of a webhook auth method; its value is never returned by the API. */
export interface TriggerSecretEntry {
  /** `sec_…` */
  id: string;
  /** The auth method it belongs to (the method's `id`, else its type). */
  method: string;
  /** `hash`: SHA-256 hex of a bearer / header token; `sealed`: an HMAC / Standard Webhooks key sealed with AES-256-GCM. */
  storage: 'hash' | 'sealed';
  value: string;
  /** First 8 hex characters of the secret's SHA-256, to tell secrets apart in listings. */
  fingerprint: string;
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
  /** Set when the trigger input was too large to travel inline: `trigger_input_json` is then a stub (body null) and the full input is in `payloads` under this id. */
  trigger_input_ref?: string | null;
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
  on_approval_required_url?: string | null;
  /** The execution this one replays, if any. */
  replay_of: string | null;
  /** A replay from a chosen step: the step it began at (the steps before it are `carried_over` from `replay_of`). */
  replay_from_step?: string | null;
  /** The webhook environment it ran in (absent: production). */
  environment?: Environment;
  /** A run of the draft (environment development, version 0): the draft snapshot it runs (WorkflowDraftDoc id). */
  draft_id?: string | null;
  /** Started by `POST /v1/workflows/{id}/test`. */
  test_run?: boolean;
  /** Started through a share's webhook (ShareDoc id): `workspace_id` is the receiver's, `workflow_id` the owner's workflow. */
  share_id?: string | null;
  /** What started it (absent on documents written before sources were recorded: a webhook). */
  source?: 'webhook' | 'schedule';
  /** Queued behind `max_concurrent_executions` or a keyed `concurrency` limit, waiting for a slot (started in arrival order). */
  slot_wait: boolean;
  /** The key values of its keyed `concurrency` limits, in the definition's order (core `concurrencyKeysOf`). */
  concurrency_keys?: string[];
  /** Parked by a delay / wait_for_webhook / approval step (status `waiting`). */
  waiting_reason?: 'delay' | 'webhook' | 'approval' | null;
  /** Public URLs of the wait (resume_url, or review / approve / reject URLs) and the approval message. */
  waiting_payload?: Record<string, string> | null;
  waiting_expires_at?: Date | null;
  /** SHA-256 of the current wait token; a resume must carry it. */
  wait_token_hash?: string | null;
  /** What was left of max_workflow_duration_seconds when the execution parked (parked time is not counted). */
  duration_left_ms?: number | null;
  /** When the duration timer (a message schedule) fires; null while parked. */
  duration_due_at?: Date | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
}

/**
 * `interrupted`: the executor died during this attempt; the step ran again in a later attempt.
 * `carried_over`: not run; a replay from a later step kept this output of the original's attempt.
 */
export type StepRunStatus = 'running' | 'waiting' | 'succeeded' | 'failed' | 'interrupted' | 'carried_over';

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

/** What a bulk job did with one execution: `skipped` — nothing to do (already ended, already replayed by this job). */
export type BulkJobOutcome = 'succeeded' | 'skipped' | 'failed';

/** A bulk replay / cancel of the executions a filter matches (`POST /v1/executions/bulk`). */
export interface BulkJobDoc {
  /** `bulk_<32 hex>` */
  _id: string;
  workspace_id: string;
  action: 'replay' | 'cancel';
  filter: {
    workflow_id: string | null;
    /** Empty: any status. */
    statuses: ExecutionStatus[];
    created_after: Date | null;
    /** The request's `created_before`, at the latest the job's creation: executions the job starts are never in it. */
    created_before: Date;
  };
  /** `running` until every matching execution was acted on. */
  status: 'running' | 'succeeded';
  /** How many executions matched when the job was created. */
  total: number;
  processed: number;
  succeeded: number;
  skipped: number;
  failed: number;
  /** The last execution acted on (the walk is newest first): the job goes on after it. */
  cursor: { at: Date; id: string } | null;
  /** The first failures. */
  errors: { execution_id: string; code: string; message: string }[];
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

/** Only pending timers are stored: a fired or cancelled timer is deleted. */
export type TimerStatus = 'pending';

export interface TimerDoc {
  _id: string;
  workspace_id: string;
  execution_id: string;
  kind: 'duration_timeout' | 'delay' | 'wait_expiry';
  due_at: Date;
  status: TimerStatus;
  created_at: Date;
}

export interface DeliveryAttempt {
  at: Date;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  /** Machine-readable reason of a failed attempt: `http_status`, `timeout`, `network`, `egress_forbidden`, `interrupted`. */
  error_code?: string | null;
  /** The first KiB of the response body. */
  response_body: string | null;
  /** Attempt cycle (1 = the original delivery, +1 per redelivery) and attempt number within it. */
  cycle?: number;
  attempt?: number;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface DeliveryDoc {
  /** Also the `webhook-id` header: stable across retries and redeliveries. */
  _id: string;
  workspace_id: string;
  execution_id: string;
  workflow_id?: string;
  event: 'execution.succeeded' | 'execution.failed' | 'execution.approval_required';
  url: string;
  /** `failed` after the last attempt (or a non-retryable answer): the dead letter, kept visible. */
  status: DeliveryStatus;
  attempts: DeliveryAttempt[];
  /** The signed body (JSON text), fixed when the delivery is created: every attempt sends the same bytes. */
  payload_json?: string;
  /** 1, then +1 for each redelivery requested through the API. */
  cycle?: number;
  /** Stream sequence of the NATS message driving the current cycle: any other message leaves it alone. */
  driver_seq?: number;
  /** When the next attempt is due (while pending). */
  next_attempt_at?: Date | null;
  /** Set while an attempt is on the wire; a crash leaves it behind and the next attempt records it as interrupted. */
  attempt_started_at?: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** One entry of a workspace's callback signing secrets. */
export interface CallbackSecretEntry {
  /** `cbs_…`, or `default` for the deployment-wide FLOWGATE_CALLBACK_SIGNING_SECRET. */
  id: string;
  /** The `whsec_…` secret sealed with AES-256-GCM; null for `default`. */
  sealed: string | null;
  created_at: Date | null;
  /** null = the current secret; else valid (and signed with) until then. */
  expires_at: Date | null;
}

/** A workspace's callback signing secrets (none stored = the deployment-wide default secret). */
export interface CallbackSecretsDoc {
  /** The workspace id. */
  _id: string;
  workspace_id: string;
  /** Newest first. */
  secrets: CallbackSecretEntry[];
  /** Optimistic-concurrency guard of rotations. */
  revision: number;
  updated_at: Date;
}

/** A parked step's public token (the token itself is only in the URL and the execution's payload). */
export interface WaitTokenDoc {
  /** SHA-256 of the token. */
  _id: string;
  workspace_id: string;
  execution_id: string;
  kind: 'webhook' | 'approval';
  step_id: string;
  expires_at: Date;
  created_at: Date;
}

/** A published workflow's cron schedule (one per workflow); fired by the scheduler's leader. */
export interface ScheduleDoc {
  /** The workflow id. */
  _id: string;
  workspace_id: string;
  cron: string;
  timezone: string;
  overlap: 'skip' | 'allow' | 'queue';
  missed: 'skip' | 'run_once';
  paused: boolean;
  /** Null when the pattern has no future fire time. */
  next_fire_at: Date | null;
  last_fire_at: Date | null;
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

/**
 * A message a consumer gave up on (`_id`: `<consumer>:<stream sequence>`). `workspace_id` is the
 * message's (its body's `workspace_id`, else its subject's workspace token), or `_none`
 * (NO_WORKSPACE) when neither names one; absent on documents recorded before the field (read as `_none`).
 */
export interface DeadLetterDoc {
  _id: string;
  workspace_id?: string;
  consumer: string;
  subject: string;
  data: string;
  reason: string;
  delivery_count: number;
  created_at: Date;
  /** Set once `POST /v1/dead-letters/{id}/retry` re-published the message (by the API key `retried_by`). */
  retried_at?: Date | null;
  retried_by?: string | null;
}

/** A fan-out event source: `ANY /sources/{token}` starts every workflow subscribed to it. */
export interface SourceDoc {
  /** `src_…`: what definitions name in `trigger.source.source_id`. */
  _id: string;
  workspace_id: string;
  name: string;
  /** SHA-256 of the URL token (unique): the public URL looks the source up by it. */
  token_hash: string;
  /** The token sealed with AES-256-GCM, so its URL can be shown again. */
  token_sealed: string;
  /**
   * The auth methods every request to its URL must pass (the schema of `trigger.webhook.auth`);
   * null / absent = none, the URL token is the only credential (every source made before ADR 0009's amendment).
   */
  auth?: WebhookAuth | null;
  /** Secrets of `auth`'s methods, kept like a trigger's (at most two per method, newest last). */
  auth_secrets?: TriggerSecretEntry[];
  /** Optimistic-concurrency guard of secret changes. */
  auth_secrets_revision?: number;
  created_at: Date;
  updated_at: Date;
}

/** A parameter capture window of one workflow (`_id` = workflow id); the first request in it wins. */
export interface ParameterCaptureDoc {
  _id: string;
  workspace_id: string;
  started_at: Date;
  expires_at: Date;
  captured_at: Date | null;
  /** The captured request (method, query, headers, body; credentials stripped) as JSON text. */
  request_json: string | null;
}

/** One chunk (≤ 2 MiB) of a large trigger input stored out of line (see payloads.ts). */
export interface PayloadChunkDoc {
  /** `<payload id>:<seq>` */
  _id: string;
  payload_id: string;
  workspace_id: string;
  seq: number;
  /** Number of chunks of the whole payload, on every chunk. */
  chunks: number;
  /** Read back as BSON `Binary`. */
  data: Uint8Array;
  created_at: Date;
}
