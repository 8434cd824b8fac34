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

/**
 * Compiled expressions, by limits and source: a workflow's expressions are parsed once, not on every
 * step run (parsing was most of a transform step's cost). A compiled jsonata expression can be
 * evaluated concurrently: each evaluation gets its own frame. Bounded; the least recently used
 * entry goes first.
 */
const COMPILED_MAX = 2_000;
const compiled = new Map<string, jsonata.Expression>();

function compile(source: string, limits: ExpressionLimits): jsonata.Expression {
  const key = `${limits.timeoutMs}:${limits.maxDepth}:${source}`;
  const hit = compiled.get(key);
  if (hit) {
    compiled.delete(key);
    compiled.set(key, hit);
    return hit;
  }
  let expression: jsonata.Expression;
  try {
    expression = jsonata(source, { timeout: limits.timeoutMs, stack: limits.maxDepth });
  } catch (err) {
    throw new ExpressionError(`invalid expression: ${messageOf(err)}`);
  }
  compiled.set(key, expression);
  if (compiled.size > COMPILED_MAX) {
    const oldest = compiled.keys().next().value;
    if (oldest !== undefined) compiled.delete(oldest);
  }
  return expression;
}

/**
 * Why `source` does not compile, or null when it does: for definition validation (create, update),
 * not the hot path. It compiles outside the cache (a definition being checked must not evict the
 * expressions of running workflows); `condition` checks the form branch conditions and filters run
 * as (`$boolean(source)`), so what passes here compiles at run time too.
 */
export function expressionProblem(source: string, opts: { condition?: boolean } = {}): string | null {
  for (const text of opts.condition ? [source, `$boolean(${source})`] : [source]) {
    try {
      jsonata(text);
    } catch (err) {
      return messageOf(err);
    }
  }
  return null;
}

/** The parsed form of an expression that compiles (its syntax tree), for reference checks; null otherwise. */
export function expressionAst(source: string): unknown {
  try {
    return jsonata(source).ast();
  } catch {
    return null;
  }
}

export async function evaluateExpression(
  source: string,
  input: unknown,
  limits: ExpressionLimits = DEFAULT_EXPRESSION_LIMITS,
): Promise<unknown> {
  const expression = compile(source, limits);
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
