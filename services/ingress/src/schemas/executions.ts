import { EXECUTION_STATUSES } from '@flowgate/core';
import { z } from 'zod';
import { environment, executionId, nullableDateTime } from '../http/schemas';

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

export const accepted = z.object({ execution_id: executionId, status: z.string(), status_url: z.string() }).meta({ id: 'Accepted' });
export const replayAccepted = z.object({
  execution_id: executionId,
  status: z.literal('queued'),
  status_url: z.string(),
  replay_of: executionId,
});
