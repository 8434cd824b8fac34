import { environmentSchema, EXECUTION_STATUSES } from '@flowgate/core';
import { z } from 'zod';

/** Message schemas for every NATS message. Consumers parse with these; a failure is a poison message. */

const iso = z.iso.datetime({ offset: true });

export const triggerInputSchema = z.object({
  method: z.string(),
  path: z.string(),
  query: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
  headers: z.record(z.string(), z.string()),
  body: z.unknown(),
  params: z.record(z.string(), z.unknown()).optional(),
  /** The body exactly as received (UTF-8 text, or base64 for multipart and binary bodies). */
  raw: z.string().optional(),
});

/**
 * Trigger inputs whose JSON text is larger than this travel by reference: a NATS message is bounded
 * by the server's `max_payload` (1 MiB by default) and the command carries more than the input.
 */
export const INLINE_TRIGGER_INPUT_MAX_BYTES = 256 * 1024;

/** What the command and the execution document hold in place of an offloaded trigger input. */
export function triggerInputStub(input: z.infer<typeof triggerInputSchema>): z.infer<typeof triggerInputSchema> {
  return { method: input.method, path: input.path, query: input.query, headers: input.headers, body: null };
}

export const startCommandSchema = z.object({
  type: z.literal('start'),
  execution_id: z.string().min(1),
  workspace_id: z.string().min(1),
  workflow_id: z.string().min(1),
  workflow_version: z.number().int().min(0),
  trigger_input: triggerInputSchema,
  /**
   * Set when the trigger input is stored out of line (MongoDB `payloads`, see the store's
   * payloads.ts): `trigger_input` is then its stub (`body: null`, no `params`).
   */
  trigger_input_ref: z.string().min(1).nullish(),
  accepted_at: iso,
  /** Set when the execution replays an earlier one. */
  replay_of: z.string().nullable().default(null),
  /**
   * A replay from a chosen step (with `replay_of`): the run begins at this step, on the original's
   * workflow version; the executor reads the original's step attempts once, when it begins the run,
   * and carries the outputs of those that succeeded before it (they are not copied into the command).
   */
  replay_from_step: z.string().min(1).nullish(),
  /** What started it: a webhook (or replay) or the workflow's cron schedule. */
  source: z.enum(['webhook', 'schedule']).default('webhook'),
  /** The webhook environment (absent: production); development runs the draft snapshot `draft_id` (workflow_version 0). */
  environment: environmentSchema.optional(),
  draft_id: z.string().min(1).nullable().optional(),
  /** Started by `POST /v1/workflows/{id}/test`. */
  test_run: z.boolean().optional(),
  /**
   * Started through a share's webhook (ADR 0017): `workspace_id` is the receiver's (its quotas,
   * egress, callbacks, executions), `workflow_id` the owner's workflow; absent on every other start.
   */
  share_id: z.string().min(1).optional(),
  /** The key values of the workflow's keyed `concurrency` limits (core `concurrencyKeysOf`), when it has any. */
  concurrency_keys: z.array(z.string()).max(8).optional(),
});
export type StartCommand = z.infer<typeof startCommandSchema>;

/** What a start command is built from: its fields without `type`; the acceptance time as a Date; defaulted fields optional. */
export type StartCommandFields = Omit<z.input<typeof startCommandSchema>, 'type' | 'accepted_at'> & { accepted_at: Date };

/**
 * The one way a start command is written (the ingress, the scheduler and the executor's re-sends):
 * every optional field takes its default, so two commands for the same execution say the same.
 */
export function startCommand(fields: StartCommandFields): StartCommand {
  return {
    type: 'start',
    execution_id: fields.execution_id,
    workspace_id: fields.workspace_id,
    workflow_id: fields.workflow_id,
    workflow_version: fields.workflow_version,
    trigger_input: fields.trigger_input,
    trigger_input_ref: fields.trigger_input_ref ?? null,
    accepted_at: fields.accepted_at.toISOString(),
    replay_of: fields.replay_of ?? null,
    source: fields.source ?? 'webhook',
    environment: fields.environment ?? 'production',
    draft_id: fields.draft_id ?? null,
    test_run: fields.test_run ?? false,
    ...(fields.share_id ? { share_id: fields.share_id } : {}),
    ...(fields.replay_from_step ? { replay_from_step: fields.replay_from_step } : {}),
    ...(fields.concurrency_keys?.length ? { concurrency_keys: fields.concurrency_keys } : {}),
  };
}

export const TIMER_KINDS = ['duration_timeout', 'delay', 'wait_expiry'] as const;
export type TimerKind = (typeof TIMER_KINDS)[number];

export const timerCommandSchema = z.object({
  type: z.literal('timer'),
  timer_id: z.string().min(1),
  kind: z.enum(TIMER_KINDS),
  workspace_id: z.string().min(1),
  execution_id: z.string().min(1),
  due_at: iso,
});
export type TimerCommand = z.infer<typeof timerCommandSchema>;

/** Published by a public resume / approval URL: resumes the parked step that owns the wait token. */
export const resumeCommandSchema = z.object({
  type: z.literal('resume'),
  workspace_id: z.string().min(1),
  execution_id: z.string().min(1),
  /** SHA-256 of the wait token: must still be the execution's current one. */
  token_hash: z.string().min(1),
  event: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('webhook'), body_json: z.string() }),
    z.object({ kind: z.literal('approval'), decision: z.enum(['approved', 'rejected']), comment: z.string().max(2_000).nullable() }),
  ]),
  at: iso,
});
export type ResumeCommand = z.infer<typeof resumeCommandSchema>;

/**
 * A debounce window's schedule, due (ADR 0022): published by the server from the schedule subject
 * `debounceSchedule(workspace, workflow, key_token)` to `command('debounce', workspace)`. It names the
 * window only; the window itself (NATS KV, store debounce-windows.ts) says whether and what to start.
 */
export const debounceCommandSchema = z.object({
  type: z.literal('debounce'),
  workspace_id: z.string().min(1),
  workflow_id: z.string().min(1),
  /** flowKeyToken of the window's key (with its environment). */
  key_token: z.string().min(1),
  due_at: iso,
});
export type DebounceCommand = z.infer<typeof debounceCommandSchema>;

export const commandSchema = z.discriminatedUnion('type', [
  startCommandSchema,
  timerCommandSchema,
  resumeCommandSchema,
  debounceCommandSchema,
]);
export type Command = z.infer<typeof commandSchema>;

const errorSchema = z.object({ code: z.string(), message: z.string(), step_id: z.string().optional() });

export const executionEventSchema = z.object({
  event_id: z.string().min(1),
  execution_id: z.string().min(1),
  workspace_id: z.string().min(1),
  workflow_id: z.string().min(1),
  workflow_version: z.number().int().min(0),
  status: z.enum(EXECUTION_STATUSES),
  /** JSON text of the final output (user JSON travels encoded). */
  final_output_json: z.string().nullable(),
  error: errorSchema.nullable(),
  created_at: iso,
  started_at: iso.nullable(),
  finished_at: iso.nullable(),
  on_success_url: z.string().nullable(),
  on_failure_url: z.string().nullable(),
  /** Set on `waiting` events. */
  waiting_reason: z.enum(['delay', 'webhook', 'approval']).nullable().default(null),
  waiting_payload: z.record(z.string(), z.string()).nullable().default(null),
  waiting_expires_at: iso.nullable().default(null),
  on_approval_required_url: z.string().nullable().default(null),
  /** Step runs so far: tells apart the events of successive waits. */
  step_seq: z.number().int().min(0).default(0),
});
export type ExecutionEvent = z.infer<typeof executionEventSchema>;

/**
 * Published by `POST /v1/deliveries/{id}/redeliver`: the callback service starts a fresh attempt
 * cycle for the delivery (same `webhook-id`) if it is still at `after_cycle` and not pending.
 */
export const redeliverRequestSchema = z.object({
  type: z.literal('redeliver'),
  workspace_id: z.string().min(1),
  delivery_id: z.string().min(1),
  after_cycle: z.number().int().min(1),
  requested_at: iso,
});
export type RedeliverRequest = z.infer<typeof redeliverRequestSchema>;

/**
 * Configuration changes that ingress replicas serve from memory (ADR 0012). Subject
 * `<prefix>.evt.config.<kind>` (`Subjects.configEvent(CONFIG_WORKFLOW | CONFIG_SOURCE)`); every
 * replica drops what it cached and reloads on next use.
 * - `workflow_changed`: a workflow's document, versions or triggers changed (enable / disable,
 *   secrets, capture window, environment pin, publish); the replica drops the workflow, its
 *   triggers, `trigger_ids` (token hashes it may hold as "not found") and the fan-out subscriber
 *   lists of the workspace.
 * - `source_changed`: an event source was created or deleted (`token_hash`: its URL's).
 * - `workspace_changed`: a workspace was renamed, suspended, reactivated, marked for deletion or
 *   had its settings changed; the replica drops what it holds of the workspace's state.
 * - `share_changed`: a shared workflow's share was created or revoked (ADR 0017); the replica drops
 *   the share and `trigger_ids` (the receiver's webhook).
 * - `jobs_changed`: background work was requested (a bulk job); the replica holding that work's
 *   lease starts a pass (nothing is cached).
 */
export const CONFIG_WORKFLOW = 'workflow';
export const CONFIG_SOURCE = 'source';
export const CONFIG_WORKSPACE = 'workspace';
export const CONFIG_SHARE = 'share';
export const CONFIG_JOBS = 'jobs';
const configChangeBase = {
  workspace_id: z.string().min(1),
  /** The replica that made the change (it dropped its own cache already). */
  origin: z.string().default(''),
  changed_at: iso,
};
export const configChangedSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('workflow_changed'),
    ...configChangeBase,
    workflow_id: z.string().min(1),
    trigger_ids: z.array(z.string().min(1)).default([]),
  }),
  z.object({
    type: z.literal('source_changed'),
    ...configChangeBase,
    source_id: z.string().min(1),
    token_hash: z.string().min(1),
  }),
  z.object({ type: z.literal('workspace_changed'), ...configChangeBase }),
  /** A share was created or revoked (ADR 0017): replicas drop it and the receiver's trigger. */
  z.object({
    type: z.literal('share_changed'),
    ...configChangeBase,
    share_id: z.string().min(1),
    trigger_ids: z.array(z.string().min(1)).default([]),
  }),
  z.object({ type: z.literal('jobs_changed'), ...configChangeBase }),
]);
export type ConfigChanged = z.infer<typeof configChangedSchema>;

/** Message ids give JetStream de-duplication: derived from the business key. */
export const messageIds = {
  start: (executionId: string) => executionId,
  timer: (timerId: string, dueAt: string) => `${timerId}:${dueAt}`,
  /** One final event per execution; a non-final status can recur (waits), so its id carries the step sequence. */
  executionEvent: (executionId: string, status: string, stepSeq = 0) =>
    ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(status) ? `${executionId}:${status}` : `${executionId}:${status}:${stepSeq}`,
  resume: (tokenHash: string) => `resume:${tokenHash}`,
  redeliver: (deliveryId: string, afterCycle: number) => `redeliver:${deliveryId}:${afterCycle}`,
};
