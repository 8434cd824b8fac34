import jsonata from 'jsonata';
import { ExpressionError } from './errors';
import { jsonSize } from './json';

/**
 * JSONata evaluation, bounded by jsonata's own guardrails (evaluation timeout and stack depth)
 * and by an output size cap.
 */
export interface ExpressionLimits {
  timeoutMs: number;
  maxDepth: number;
  maxOutputBytes: number;
}

export const DEFAULT_EXPRESSION_LIMITS: ExpressionLimits = {
  timeoutMs: 1_000,
  maxDepth: 500,
  maxOutputBytes: 1024 * 1024,
};

function messageOf(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const { message, code } = err as { message?: unknown; code?: unknown };
    if (typeof message === 'string') return typeof code === 'string' ? `${code}: ${message}` : message;
  }
  return String(err);
}

export async function evaluateExpression(
  source: string,
  input: unknown,
  limits: ExpressionLimits = DEFAULT_EXPRESSION_LIMITS,
): Promise<unknown> {
  let expression: jsonata.Expression;
  try {
    expression = jsonata(source, { timeout: limits.timeoutMs, stack: limits.maxDepth });
  } catch (err) {
    throw new ExpressionError(`invalid expression: ${messageOf(err)}`);
  }
  let result: unknown;
  try {
    result = await expression.evaluate(input);
  } catch (err) {
    throw new ExpressionError(`expression failed: ${messageOf(err)}`);
  }
  const size = jsonSize(result);
  if (size > limits.maxOutputBytes)
    throw new ExpressionError(`expression output is ${size} bytes, above the ${limits.maxOutputBytes} byte limit`);
  // JSONata marks sequences with extra properties; a JSON round-trip gives plain values.
  return result === undefined ? null : (JSON.parse(JSON.stringify(result)) as unknown);
}

/** A branch condition: any JSONata expression, truthy per JSONata's `$boolean`. */
export async function evaluateCondition(
  source: string,
  input: unknown,
  limits: ExpressionLimits = DEFAULT_EXPRESSION_LIMITS,
): Promise<boolean> {
  return (await evaluateExpression(`$boolean(${source})`, input, limits)) === true;
}
