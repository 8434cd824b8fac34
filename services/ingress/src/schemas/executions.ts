import { EXECUTION_STATUSES } from '@flowgate/core';
import { z } from 'zod';
import { dateTime as dateTimeString, environment, executionId, nullableDateTime } from '../http/schemas';

/** Response bodies of `/v1/executions…` and of webhook starts. */
const errorView = z.object({ code: z.string(), message: z.string(), step_id: z.string().optional() }).nullable();

export const stepExecution = z.object({
  step_id: z.string(),
  type: z.string(),
  attempt: z.number().int(),
  status: z.string(),
  input: z.unknown(),
  output: z.unknown(),
  error: errorView,
  started_at: nullableDateTime,
  finished_at: nullableDateTime,
});

const executionFields = {
  id: executionId,
  workflow_id: z.string(),
  workflow_version: z.number().int(),
  status: z.enum(EXECUTION_STATUSES),
  status_url: z.string(),
  trigger_input: z
    .record(z.string(), z.unknown())
    .describe('method, path, query, headers, body (null, with no raw, when the input is stored out of line: see trigger_input_ref)'),
  trigger_input_ref: z
    .string()
    .nullable()
    .describe(
      'Set when the trigger input was too large to travel inline (over 256 KiB) and is stored out of line: trigger_input.body is then ' +
        'null; trigger_input_url serves it. null: trigger_input is whole',
    ),
  trigger_input_url: z.string().describe('GET: the trigger body exactly as received, with its content type (executions:read)'),
  final_output: z.unknown(),
  error: errorView,
  replay_of: z.string().nullable(),
  replay_from_step: z
    .string()
    .nullable()
    .describe('A replay from a chosen step: the step it began at (the steps before it are carried_over)'),
  concurrency_keys: z
    .array(z.string())
    .describe("The key values of the workflow's keyed concurrency limits for this run, in the definition's order (empty without any)"),
  environment: environment,
  test_run: z.boolean().describe('Started by POST /v1/workflows/{id}/test'),
  waiting_reason: z.enum(['delay', 'webhook', 'approval']).nullable(),
  waiting_payload: z.record(z.string(), z.string()).nullable(),
  waiting_expires_at: nullableDateTime,
  created_at: nullableDateTime,
  started_at: nullableDateTime,
  finished_at: nullableDateTime,
};

export const execution = z.object({ ...executionFields, step_executions: z.array(stepExecution) }).meta({ id: 'Execution' });
export const executionSummary = z.object(executionFields).meta({ id: 'ExecutionSummary' });

export const accepted = z
  .object({
    execution_id: executionId,
    status: z
      .string()
      .describe(
        '`queued`; on the sync URL the status of an execution still running; `debounced`: the event joined its key’s debounce window ' +
          '(trigger.webhook.debounce) — execution_id is the window’s execution, which starts with the window’s last event when it ' +
          'fires (GET on status_url answers 404 until then), on either URL',
      ),
    status_url: z.string(),
  })
  .meta({ id: 'Accepted' });
export const replayAccepted = z.object({
  execution_id: executionId,
  status: z.literal('queued'),
  status_url: z.string(),
  replay_of: executionId,
  from_step: z.string().nullable().describe('The step the replay begins at (null: from the first step)'),
});

export const bulkJobId = z.string().regex(/^bulk_[0-9a-f]{32}$/, 'must be a bulk job id (bulk_…)');

export const bulkDryRun = z.object({ dry_run: z.literal(true), action: z.enum(['replay', 'cancel']), matched: z.number().int() });

export const bulkJob = z
  .object({
    id: bulkJobId,
    action: z.enum(['replay', 'cancel']),
    filter: z.object({
      workflow_id: z.string().nullable(),
      status: z.array(z.enum(EXECUTION_STATUSES)).describe('empty: any status'),
      created_after: nullableDateTime,
      created_before: dateTimeString.describe("the request's created_before, at the latest the job's creation"),
    }),
    status: z.enum(['running', 'succeeded']),
    status_url: z.string(),
    total: z.number().int().describe('executions the filter matched when the job was created'),
    processed: z.number().int(),
    succeeded: z.number().int(),
    skipped: z.number().int().describe('nothing to do: a cancel of an execution that had ended, a replay this job had started already'),
    failed: z.number().int(),
    errors: z.array(z.object({ execution_id: z.string(), code: z.string(), message: z.string() })).describe('the first 20 failures'),
    created_at: dateTimeString,
    updated_at: dateTimeString,
    finished_at: nullableDateTime,
  })
  .meta({ id: 'BulkJob' });
