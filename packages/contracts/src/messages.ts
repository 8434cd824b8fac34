import { EXECUTION_STATUSES } from '@flowgate/core';
import { z } from 'zod';

/** Message schemas for every NATS message. Consumers parse with these; a failure is a poison message. */

const iso = z.iso.datetime({ offset: true });

export const triggerInputSchema = z.object({
  method: z.string(),
  path: z.string(),
  query: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
  headers: z.record(z.string(), z.string()),
  body: z.unknown(),
});

export const startCommandSchema = z.object({
  type: z.literal('start'),
  execution_id: z.string().min(1),
  workspace_id: z.string().min(1),
  workflow_id: z.string().min(1),
  workflow_version: z.number().int().min(0),
  trigger_input: triggerInputSchema,
  accepted_at: iso,
  /** Set when the execution replays an earlier one. */
  replay_of: z.string().nullable().default(null),
});
export type StartCommand = z.infer<typeof startCommandSchema>;

export const timerCommandSchema = z.object({
  type: z.literal('timer'),
  timer_id: z.string().min(1),
  kind: z.literal('duration_timeout'),
  workspace_id: z.string().min(1),
  execution_id: z.string().min(1),
  due_at: iso,
});
export type TimerCommand = z.infer<typeof timerCommandSchema>;

export const commandSchema = z.discriminatedUnion('type', [startCommandSchema, timerCommandSchema]);
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
});
export type ExecutionEvent = z.infer<typeof executionEventSchema>;

/** Message ids give JetStream de-duplication: derived from the business key. */
export const messageIds = {
  start: (executionId: string) => executionId,
  timer: (timerId: string, dueAt: string) => `${timerId}:${dueAt}`,
  executionEvent: (executionId: string, status: string) => `${executionId}:${status}`,
};
