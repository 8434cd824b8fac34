import jsonata from 'jsonata';
import { ExpressionError } from './errors';

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
  let text: string | undefined;
  try {
    text = JSON.stringify(result);
  } catch (err) {
    // e.g. a function value: its closure is circular and has no JSON form.
    throw new ExpressionError(`expression output is not JSON: ${messageOf(err)}`);
  }
  const size = text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
  if (size > limits.maxOutputBytes)
    throw new ExpressionError(`expression output is ${size} bytes, above the ${limits.maxOutputBytes} byte limit`);
  // JSONata marks sequences with extra properties; a JSON round-trip gives plain values.
  return text === undefined ? null : (JSON.parse(text) as unknown);
}

/** A branch condition: any JSONata expression, truthy per JSONata's `$boolean`. */
export async function evaluateCondition(
  source: string,
  input: unknown,
  limits: ExpressionLimits = DEFAULT_EXPRESSION_LIMITS,
): Promise<boolean> {
  return (await evaluateExpression(`$boolean(${source})`, input, limits)) === true;
}
