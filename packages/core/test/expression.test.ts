import { ExpressionError } from '../src/errors';
import { DEFAULT_EXPRESSION_LIMITS, evaluateCondition, evaluateExpression, type ExpressionLimits } from '../src/expression';

/** Small limits keep the runaway cases fast. */
const tight: ExpressionLimits = { timeoutMs: 50, maxDepth: 40, maxOutputBytes: 200 };

async function expressionError(promise: Promise<unknown>): Promise<ExpressionError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ExpressionError);
    return err as ExpressionError;
  }
  throw new Error('expected an ExpressionError');
}

const input = {
  trigger: {
    body: {
      order_id: 'ord-1',
      items: [
        { sku: 'a', qty: 2, price: 3 },
        { sku: 'b', qty: 1, price: 10 },
      ],
    },
  },
  context: { customer: 'cus_1' },
  steps: {},
};

describe('evaluateExpression', () => {
  it('evaluates JSONata against the input and returns plain JSON values', async () => {
    await expect(evaluateExpression('{"order": trigger.body.order_id, "who": context.customer}', input)).resolves.toEqual({
      order: 'ord-1',
      who: 'cus_1',
    });
    await expect(evaluateExpression('$sum(trigger.body.items.(qty * price))', input)).resolves.toBe(16);
    await expect(evaluateExpression('trigger.body.items.sku', input)).resolves.toEqual(['a', 'b']);
  });

  it('returns sequences as plain arrays without JSONata markers', async () => {
    const result = await evaluateExpression('trigger.body.items[qty > 0].sku', input);
    expect(Array.isArray(result)).toBe(true);
    expect(Object.keys(result as object)).toEqual(['0', '1']);
    expect(result).toEqual(['a', 'b']);
  });

  it('returns null when the expression yields nothing', async () => {
    await expect(evaluateExpression('trigger.body.missing', input)).resolves.toBeNull();
  });

  it('uses the default limits when none are given', () => {
    expect(DEFAULT_EXPRESSION_LIMITS).toEqual({ timeoutMs: 1000, maxDepth: 500, maxOutputBytes: 1024 * 1024 });
  });

  it('rejects invalid syntax with expression_failed', async () => {
    const err = await expressionError(evaluateExpression('"a" & ', input, tight));
    expect(err.code).toBe('expression_failed');
    expect(err.message).toMatch(/^invalid expression: S0\d{3}: /);
  });

  it('rejects a runtime error with expression_failed', async () => {
    const err = await expressionError(evaluateExpression('$error("boom")', input, tight));
    expect(err.code).toBe('expression_failed');
    expect(err.message).toBe('expression failed: D3137: boom');
    const typeErr = await expressionError(evaluateExpression('"a" + 1', input, tight));
    expect(typeErr.message).toMatch(/^expression failed: T2001: /);
  });

  it('stops a runaway non-tail recursion with the stack-depth guard', async () => {
    const started = Date.now();
    const err = await expressionError(evaluateExpression('($f := function($n){ $n + $f($n + 1) }; $f(0))', input, tight));
    expect(err.code).toBe('expression_failed');
    expect(err.message).toMatch(/^expression failed: D1011: Stack overflow/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('stops a runaway tail-recursive loop with the timeout guard', async () => {
    const started = Date.now();
    const err = await expressionError(
      evaluateExpression('($f := function($n){ $f($n + 1) }; $f(0))', input, { ...tight, timeoutMs: 30, maxDepth: 10_000 }),
    );
    const elapsed = Date.now() - started;
    expect(err.code).toBe('expression_failed');
    expect(err.message).toMatch(/^expression failed: D1012: Evaluation timeout after 30 milliseconds/);
    expect(elapsed).toBeGreaterThanOrEqual(25);
    expect(elapsed).toBeLessThan(1000);
  });

  it('allows recursion that stays within the depth limit', async () => {
    const factorial = '($f := function($n){ $n <= 1 ? 1 : $n * $f($n - 1) }; $f(5))';
    await expect(evaluateExpression(factorial, input, { ...tight, maxDepth: 200 })).resolves.toBe(120);
  });

  it('caps the output size', async () => {
    // 200 bytes is the limit: a 20-number array fits, a 100-number one does not.
    await expect(evaluateExpression('[1..20]', input, tight)).resolves.toHaveLength(20);
    const err = await expressionError(evaluateExpression('[1..100]', input, tight));
    expect(err.code).toBe('expression_failed');
    expect(err.message).toBe('expression output is 293 bytes, above the 200 byte limit');
  });

  it('counts output bytes in UTF-8', async () => {
    // "é" is 2 bytes: 100 of them plus quotes is 202 bytes, 99 is 200.
    await expect(evaluateExpression('$pad("", 99, "é")', input, tight)).resolves.toBe('é'.repeat(99));
    const err = await expressionError(evaluateExpression('$pad("", 100, "é")', input, tight));
    expect(err.message).toBe('expression output is 202 bytes, above the 200 byte limit');
  });

  it('rejects an output that has no JSON form (a function) with expression_failed', async () => {
    const err = await expressionError(evaluateExpression('function($x){ $x }', input, tight));
    expect(err.code).toBe('expression_failed');
    expect(err.message).toMatch(/^expression output is not JSON: /);
  });
});

describe('evaluateCondition', () => {
  it.each<[string, boolean]>([
    ['context.customer != null', true],
    ['context.customer = "cus_1"', true],
    ['context.customer = "other"', false],
    ['context.missing', false],
    ['context.missing != null', false],
    ['$count(trigger.body.items) > 1', true],
    ['0', false],
    ['""', false],
    ['"x"', true],
    ['[]', false],
    ['trigger.body.items', true],
  ])('%s → %s', async (when, expected) => {
    await expect(evaluateCondition(when, input, tight)).resolves.toBe(expected);
  });

  it('reports a bad condition as expression_failed', async () => {
    const err = await expressionError(evaluateCondition('context.customer = ', input, tight));
    expect(err.code).toBe('expression_failed');
  });
});

describe('compiled expressions are reused', () => {
  it('evaluates one expression concurrently over different inputs, each getting its own result', async () => {
    const source = '$sum(trigger.body.items.(qty * price)) & "-" & trigger.body.order_id';
    const inputs = Array.from({ length: 50 }, (_, i) => ({
      trigger: { body: { order_id: `o${i}`, items: [{ qty: i, price: 2 }] } },
    }));
    const results = await Promise.all(inputs.map((x) => evaluateExpression(source, x)));
    expect(results).toEqual(inputs.map((_, i) => `${i * 2}-o${i}`));
  });

  it('keeps each limit set apart and still refuses an invalid expression every time', async () => {
    const deep = '($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100))';
    expect(await evaluateExpression(deep, {})).toBe(100);
    expect((await expressionError(evaluateExpression(deep, {}, tight))).message).toMatch(/expression failed/);
    for (let i = 0; i < 2; i++) expect((await expressionError(evaluateExpression('{', {}))).message).toMatch(/invalid expression/);
  });
});
