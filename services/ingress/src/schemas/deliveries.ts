import { z } from 'zod';
import { dateTime, deliveryId, nullableDateTime } from '../http/schemas';

/** Response bodies of `/v1/deliveries…`: the callback delivery log. */
export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export const DELIVERY_EVENTS = ['execution.succeeded', 'execution.failed', 'execution.approval_required'] as const;

export const deliveryAttempt = z
  .object({
    cycle: z.number().int(),
    attempt: z.number().int().nullable(),
    at: dateTime,
    status_code: z.number().int().nullable(),
    latency_ms: z.number().int(),
    error: z.string().nullable(),
    error_code: z.enum(['http_status', 'timeout', 'network', 'egress_forbidden', 'invalid_url', 'interrupted']).nullable(),
    response_body: z.string().nullable().describe('the first KiB of the answer'),
  })
  .meta({ id: 'DeliveryAttempt' });

const deliveryFields = {
  id: deliveryId.describe('also the webhook-id header, the same on every attempt and redelivery'),
  webhook_id: z.string(),
  execution_id: z.string(),
  workflow_id: z.string().nullable(),
  event: z.enum(DELIVERY_EVENTS),
  url: z.string(),
  status: z.enum(DELIVERY_STATUSES).describe('failed = given up on (dead letter); stays listed'),
  cycle: z.number().int().describe('1, +1 per redelivery'),
  attempt_count: z.number().int(),
  last_attempt: deliveryAttempt.nullable(),
  next_attempt_at: nullableDateTime,
  created_at: dateTime,
  updated_at: dateTime,
  status_url: z.string(),
};
export const delivery = z.object(deliveryFields).meta({ id: 'Delivery' });
export const deliveryWithAttempts = z
  .object({ ...deliveryFields, payload: z.unknown(), attempts: z.array(deliveryAttempt) })
  .meta({ id: 'DeliveryWithAttempts' });
export const redeliveryQueued = z.object({
  id: deliveryId,
  webhook_id: z.string(),
  status: z.literal('pending'),
  cycle: z.number().int(),
  status_url: z.string(),
});
