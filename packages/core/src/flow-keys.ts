import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { TriggerInput } from './execution';
import { ExpressionError } from './errors';
import { evaluateExpression } from './expression';

/**
 * Keyed flow control (debounce, keyed concurrency, keyed rate limits): a JSONata expression over
 * `{trigger}` — the trigger input as branch conditions see it (method, path, query, headers, body,
 * params) — gives each event its key, e.g. `trigger.body.customer_id`. Events with equal keys share
 * one debounce window, one concurrency queue, one token bucket.
 *
 * A value that is null or missing, or an expression that fails on this input, gives the empty key:
 * such events share one window / queue / bucket (the limit still holds for them together).
 */
export const flowKeySchema = z.string().min(1).max(1_000).describe('JSONata over {trigger}, e.g. trigger.body.customer_id');

export interface FlowKey {
  /** The key's text: a string as is, other JSON values as JSON text, "" for null / missing / failed. */
  value: string;
  /** The evaluation error, when the expression failed on this input (the key is then ""). */
  error?: string;
}

/** Evaluates a key expression on a trigger input (compiled once per expression, expression.ts's cache). */
export async function flowKeyOf(expression: string, trigger: TriggerInput): Promise<FlowKey> {
  let result: unknown;
  try {
    result = await evaluateExpression(expression, { trigger });
  } catch (err) {
    if (err instanceof ExpressionError) return { value: '', error: err.message };
    throw err;
  }
  if (result === null || result === undefined) return { value: '' };
  return { value: typeof result === 'string' ? result : JSON.stringify(result) };
}

/**
 * A key's value as a NATS subject / KV key token: 22 characters of base64url SHA-256 (any text,
 * any length, maps to a fixed-size token; collisions are not a practical concern at 132 bits).
 */
export function flowKeyToken(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url').slice(0, 22);
}
