import { z } from 'zod';
import type { TriggerInput } from './execution';
import { flowKeyOf, flowKeySchema, flowKeyToken } from './flow-keys';

/**
 * Keyed flow control of a workflow: concurrency limits per key (`concurrency`) and token buckets per
 * key (`trigger.webhook.rate_limit` with a `key`), each evaluated on the trigger input (flow-keys.ts).
 * Several may stack (a list): an execution runs only when it holds a place in every one of its
 * concurrency queues, and a webhook is accepted only when every bucket gives it a token.
 */

/** How many concurrency limits / rate limits one workflow may stack. */
export const MAX_STACKED_LIMITS = 4;
/** Keys are compared on their first characters (what an execution records and shows). */
export const MAX_FLOW_KEY_CHARS = 256;

export const concurrencyLimitSchema = z
  .object({
    /** Executions with the same key share `limit` places; the others wait in arrival order per key. */
    key: flowKeySchema,
    limit: z.number().int().min(1).max(100_000),
  })
  .strict();

/** One limit or a list of up to four that stack (each must grant a place). */
export const concurrencySchema = z.union([concurrencyLimitSchema, z.array(concurrencyLimitSchema).min(1).max(MAX_STACKED_LIMITS)]);

export const webhookRateLimitSchema = z
  .object({
    per_second: z.number().positive().max(100_000),
    burst: z.number().int().min(1).max(1_000_000).optional(),
    /** A bucket per key value (JSONata over `{trigger}`); without it one bucket for the webhook. */
    key: flowKeySchema.optional(),
  })
  .strict();

/** One bucket or a list of up to four that stack (each must give a token). */
export const webhookRateLimitsSchema = z.union([webhookRateLimitSchema, z.array(webhookRateLimitSchema).min(1).max(MAX_STACKED_LIMITS)]);

export type ConcurrencyLimit = z.infer<typeof concurrencyLimitSchema>;
export type WebhookRateLimit = z.infer<typeof webhookRateLimitSchema>;

/** A setting written as one object or a list, as a list. */
export function listOf<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The key values of an execution's concurrency limits, in the definition's order (cut to MAX_FLOW_KEY_CHARS). */
export async function concurrencyKeysOf(
  concurrency: ConcurrencyLimit | ConcurrencyLimit[] | undefined,
  trigger: TriggerInput,
): Promise<string[]> {
  const out: string[] = [];
  for (const limit of listOf(concurrency)) out.push((await flowKeyOf(limit.key, trigger)).value.slice(0, MAX_FLOW_KEY_CHARS));
  return out;
}

/**
 * A concurrency queue an execution must hold a place in: `queue` names it within the workflow (""
 * for `max_concurrent_executions`, `k<i>.<key token>` for the i-th keyed limit), `max` its places.
 */
export interface SlotGate {
  queue: string;
  max: number;
}

/** The queue of the workflow's `max_concurrent_executions`. */
export const WORKFLOW_QUEUE = '';

interface GateSettings {
  max_concurrent_executions: number;
  concurrency?: ConcurrencyLimit | ConcurrencyLimit[];
}

/**
 * The queues an execution takes its places in, in the order it takes them: its keyed queues first
 * (most specific: a busy key then waits without holding one of the workflow's places, so other keys
 * go on), then the workflow's (when `max_concurrent_executions` > 0). Every execution takes them in
 * the same order, so two never wait on each other's places. `keys`: concurrencyKeysOf's values.
 */
export function slotGatesOf(def: GateSettings, keys: readonly string[]): SlotGate[] {
  const gates = listOf(def.concurrency).map((limit, i) => ({ queue: `k${i}.${flowKeyToken(keys[i] ?? '')}`, max: limit.limit }));
  if (def.max_concurrent_executions > 0) gates.push({ queue: WORKFLOW_QUEUE, max: def.max_concurrent_executions });
  return gates;
}

/** The gate a queue name stands for under a definition (the sweep's view); null when the definition no longer has it. */
export function gateOfQueue(def: GateSettings, queue: string): SlotGate | null {
  if (queue === WORKFLOW_QUEUE) return def.max_concurrent_executions > 0 ? { queue, max: def.max_concurrent_executions } : null;
  const match = /^k(\d+)\./.exec(queue);
  const limit = match ? listOf(def.concurrency)[Number(match[1])] : undefined;
  return limit ? { queue, max: limit.limit } : null;
}
