import { z } from 'zod';
import { dateTime, executionId, nullableDateTime, workflowId } from '../http/schemas';

/** Response bodies of the webhook edge (hooks, sources, resume, approvals) and of parameter captures. */
export const received = z
  .union([z.object({ received: z.literal(true) }), z.object({ captured: z.literal(true) })])
  .meta({ id: 'Received' });

export const resuming = z
  .object({ execution_id: executionId, status: z.literal('resuming'), status_url: z.string() })
  .meta({ id: 'Resuming' });

export const fanOutAccepted = z
  .object({
    executions: z.array(z.object({ workflow_id: workflowId, execution_id: executionId, status_url: z.url() })),
    errors: z
      .array(z.object({ workflow_id: workflowId, code: z.string(), message: z.string() }))
      .optional()
      .describe('Subscribers that could not be started (e.g. quota_exceeded) while others were'),
  })
  .meta({ id: 'FanOutAccepted' });

export const pendingApproval = z.object({
  execution_id: executionId,
  workflow_id: z.string().nullable(),
  step_id: z.string(),
  message: z.string().nullable(),
  expires_at: dateTime,
  approve_url: z.string(),
  reject_url: z.string(),
});

export const parameterCapture = z
  .object({
    workflow_id: workflowId,
    status: z.enum(['listening', 'captured', 'expired']),
    started_at: dateTime,
    expires_at: dateTime,
    captured_at: nullableDateTime,
    request: z
      .object({
        method: z.string(),
        query: z.record(z.string(), z.unknown()),
        headers: z.record(z.string(), z.unknown()),
        body: z.unknown(),
      })
      .nullable()
      .describe('The captured request; credential-like headers and query values are left out'),
    parameters: z.record(z.string(), z.unknown()).nullable().describe('Inferred from the captured body (as POST /v1/parameters/infer)'),
  })
  .meta({ id: 'ParameterCapture' });
