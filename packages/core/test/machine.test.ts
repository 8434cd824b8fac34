import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDefinitionText, validateDefinition, type WorkflowDefinition } from '../src/definition';
import { DomainError, TemplateError } from '../src/errors';
import type { TriggerInput } from '../src/execution';
import type { ExpressionLimits } from '../src/expression';
import {
  carriedSteps,
  completeStep,
  DEFAULT_MAX_STEPS_PER_EXECUTION,
  endRun,
  isParking,
  planStep,
  readsPersistedContext,
  resolveWait,
  retryDelayMs,
  runLocalStep,
  startRun,
  startRunAt,
  templateScope,
  type CompleteOptions,
  type LocalPlan,
  type RunState,
  type StepOutcome,
  type StepPlan,
  type Transition,
} from '../src/machine';

function define(input: Record<string, unknown>): WorkflowDefinition {
  const result = validateDefinition({ name: 'wf', ...input });
  if (!result.ok) throw new Error(`invalid fixture: ${JSON.stringify(result.issues)}`);
  return result.definition;
}

const NOW = new Date('2026-01-02T03:04:05.000Z');
const trigger: TriggerInput = {
  method: 'POST',
  path: '/hooks/tok',
  query: { page: '1' },
  headers: { 'content-type': 'application/json', 'x-tenant': 't1' },
  body: { order_id: 'ord-7', amount: 30, items: ['a', 'b'], flag: true },
};

const first: CompleteOptions = { attempt: 1, random: 0.5 };
const limits: ExpressionLimits = { timeoutMs: 50, maxDepth: 50, maxOutputBytes: 10_000 };

function expectContinue(t: Transition): RunState {
  if (t.kind !== 'continue') throw new Error(`expected continue, got ${JSON.stringify(t)}`);
  return t.state;
}
function expectFinished(t: Transition): RunState {
  if (t.kind !== 'finished') throw new Error(`expected finished, got ${JSON.stringify(t)}`);
  return t.state;
}
function expectRetry(t: Transition): Extract<Transition, { kind: 'retry' }> {
  if (t.kind !== 'retry') throw new Error(`expected retry, got ${JSON.stringify(t)}`);
  return t;
}
function localPlan(plan: StepPlan): LocalPlan {
  if (plan.type === 'http' || isParking(plan)) throw new Error('expected a local step');
  return plan;
}

/** Drives a workflow of local steps to the end, like the execution service does. */
async function drive(def: WorkflowDefinition, opts: Partial<CompleteOptions> = {}, input: TriggerInput = trigger): Promise<RunState> {
  let state = startRun(def);
  for (let i = 0; i < 10_000; i++) {
    const outcome = await runLocalStep(localPlan(planStep(def, state, input, NOW)), limits);
    const t = completeStep(def, state, outcome, { ...first, ...opts });
    if (t.kind === 'finished') return t.state;
    state = expectContinue(t);
  }
  throw new Error('did not finish');
}

const ok = (output: unknown): StepOutcome => ({ ok: true, output });
const httpError = { code: 'http_503', message: 'upstream returned 503', step_id: 'call' };

describe('startRun', () => {
  it('starts running at the first step with empty state', () => {
    const def = define({
      steps: [
        { id: 'one', type: 'transform', expression: '1' },
        { id: 'two', type: 'transform', expression: '2' },
      ],
    });
    expect(startRun(def)).toEqual({
      status: 'running',
      cursor: 'one',
      outputs: {},
      order: [],
      context: {},
      response: null,
      finalOutput: null,
      error: null,
    });
  });

  it('refuses a definition without steps', () => {
    const def: WorkflowDefinition = { ...define({ steps: [{ id: 'x', type: 'fail', message: 'm' }] }), steps: [] };
    expect(() => startRun(def)).toThrow(DomainError);
    expect(() => startRun(def)).toThrow(expect.objectContaining({ code: 'invalid_workflow_definition' }));
  });
});

describe('startRunAt (replay from a chosen step)', () => {
  const def = define({
    steps: [
      {
        id: 'a',
        type: 'http',
        request: { url: 'https://crm.example/a' },
        extract: { customer: '$.customer.id' },
        extract_to_context: { region: '$.region' },
      },
      { id: 'b', type: 'transform', expression: 'steps.a.output.total * 2' },
      { id: 'c', type: 'transform', expression: '{"b": steps.b.output, "customer": context.customer, "region": context.region}' },
    ],
  });
  const aOutput = { customer: { id: 'cus_1' }, region: 'eu', total: 21 };

  it('begins at the chosen step with the carried outputs, their extracts in context, and runs on from there', async () => {
    const state = startRunAt(def, 'b', [{ stepId: 'a', output: aOutput }], { kept: 'yes' });
    expect(state).toEqual({
      status: 'running',
      cursor: 'b',
      outputs: { a: aOutput },
      order: ['a'],
      context: { kept: 'yes', customer: 'cus_1', region: 'eu' },
      response: null,
      finalOutput: null,
      error: null,
    });
    const b = await runLocalStep(localPlan(planStep(def, state, trigger, NOW)), limits);
    expect(b).toEqual({ ok: true, output: 42 });
    const afterB = expectContinue(completeStep(def, state, b, first));
    expect(afterB.cursor).toBe('c');
    const c = await runLocalStep(localPlan(planStep(def, afterB, trigger, NOW)), limits);
    const done = expectFinished(completeStep(def, afterB, c, first));
    expect(done.status).toBe('succeeded');
    expect(done.finalOutput).toEqual({ b: 42, customer: 'cus_1', region: 'eu' });
    expect(done.order).toEqual(['a', 'b', 'c']);
  });

  it('begins at the first step with nothing carried like startRun, apart from the cursor', () => {
    expect(startRunAt(def, 'a', [])).toEqual(startRun(def));
    expect(startRunAt(def, 'c', []).cursor).toBe('c');
  });

  it('refuses a resume point or a carried step that is not in the workflow', () => {
    expect(() => startRunAt(def, 'ghost', [])).toThrow(expect.objectContaining({ code: 'unknown_step' }));
    expect(() => startRunAt(def, 'b', [{ stepId: 'gone', output: 1 }])).toThrow(expect.objectContaining({ code: 'unknown_step' }));
  });
});

describe('carriedSteps', () => {
  const attempt = (stepId: string, status: string, seq: number) => ({ stepId, status, seq });

  it('keeps the attempts that succeeded before the first attempt of the resume point, in the order they ran', () => {
    const attempts = [
      attempt('a', 'succeeded', 1),
      attempt('b', 'failed', 2),
      attempt('b', 'interrupted', 3),
      attempt('c', 'succeeded', 4),
      attempt('d', 'failed', 5),
      attempt('c', 'succeeded', 6),
    ];
    expect(carriedSteps(attempts, 'c')).toEqual({ ok: true, carried: [attempts[0]] });
    expect(carriedSteps(attempts, 'd')).toEqual({ ok: true, carried: [attempts[0], attempts[3]] });
    expect(carriedSteps(attempts, 'a')).toEqual({ ok: true, carried: [] });
  });

  it('is not_reached for a step the original never attempted', () => {
    expect(carriedSteps([attempt('a', 'failed', 1)], 'b')).toEqual({ ok: false, reason: 'not_reached' });
    expect(carriedSteps([], 'a')).toEqual({ ok: false, reason: 'not_reached' });
  });
});

describe('readsPersistedContext', () => {
  const reads = (steps: unknown[]) => readsPersistedContext(define({ steps }));
  it('is false when no step can see the context', () => {
    expect(reads([{ id: 't', type: 'transform', expression: '{"n": $string(trigger.body.n), "sum": $sum(steps.t.output.x)}' }])).toBe(
      false,
    );
    expect(reads([{ id: 'h', type: 'http', request: { method: 'POST', url: 'https://x.example/{{trigger.body.id}}' } }])).toBe(false);
    expect(reads([{ id: 'b', type: 'branch', when: 'trigger.body.n > 1', then: 'b' }])).toBe(false);
  });
  it('is true for a template, expression or extract that names the context', () => {
    expect(reads([{ id: 'r', type: 'respond', body: { last: '{{context.last_order}}' } }])).toBe(true);
    expect(reads([{ id: 'b', type: 'branch', when: 'context.customer != null', then: 'b' }])).toBe(true);
    expect(
      reads([{ id: 'h', type: 'http', request: { method: 'GET', url: 'https://x.example/' }, extract_to_context: { k: '$.body.id' } }]),
    ).toBe(true);
  });
  it('is true for expressions that can reach the whole scope: a root reference or a wildcard', () => {
    for (const expression of ['$', '$keys($)', '$.trigger', '$$', '**.last_order', '*.x', '$lookup($, "con" & "text")']) {
      expect(reads([{ id: 't', type: 'transform', expression }])).toBe(true);
    }
  });
});

describe('templateScope', () => {
  it('exposes trigger, context and steps.<id>.output', () => {
    const def = define({ steps: [{ id: 'a', type: 'transform', expression: '1' }] });
    const state: RunState = { ...startRun(def), outputs: { a: { x: 1 } }, context: { c: 2 } };
    expect(templateScope(trigger, state)).toEqual({ trigger, context: { c: 2 }, steps: { a: { output: { x: 1 } } } });
  });
});

describe('planStep', () => {
  const def = define({
    steps: [
      {
        id: 'call',
        type: 'http',
        request: {
          method: 'POST',
          url: 'https://crm.example/orders/{{trigger.body.order_id}}',
          headers: { 'X-Tenant': '{{trigger.headers.x-tenant}}', 'X-Amount': '{{trigger.body.amount}}' },
          query: { flag: '{{trigger.body.flag}}', page: '{{trigger.query.page}}' },
          body: { amount: '{{trigger.body.amount}}', items: '{{trigger.body.items}}', note: 'order {{trigger.body.order_id}}' },
        },
        timeout_s: 2.5,
        retry: { max_attempts: 4, backoff_s: 1 },
      },
      { id: 'shape', type: 'transform', expression: '{"id": trigger.body.order_id}' },
      { id: 'check', type: 'branch', when: 'context.ok', then: 'done' },
      {
        id: 'done',
        type: 'respond',
        status: 201,
        headers: { 'X-Order': '{{trigger.body.order_id}}' },
        body: { total: '{{trigger.body.amount}}' },
      },
      { id: 'bare', type: 'respond' },
      { id: 'reject', type: 'fail', message: 'order {{trigger.body.order_id}} rejected' },
      { id: 'reject_obj', type: 'fail', message: '{{trigger.body.items}}' },
      { id: 'bad_url', type: 'http', request: { url: 'https://x.test/{{trigger.body.customer.id}}' } },
      { id: 'bad_body', type: 'http', request: { url: 'https://x.test/', body: { a: ['{{context.ghost}}'] } } },
      { id: 'bad_headers', type: 'http', request: { url: 'https://x.test/', headers: { X: '{{steps.reject.output}}' } } },
      { id: 'whole_url', type: 'http', request: { url: '{{trigger.body.amount}}' } },
    ],
  });
  const at = (cursor: string): RunState => ({ ...startRun(def), cursor });

  it('renders an http request: url, headers and query as strings, body keeping types', () => {
    expect(planStep(def, at('call'), trigger, NOW)).toEqual({
      type: 'http',
      stepId: 'call',
      request: {
        method: 'POST',
        url: 'https://crm.example/orders/ord-7',
        headers: { 'X-Tenant': 't1', 'X-Amount': '30' },
        query: { flag: 'true', page: '1' },
        body: { amount: 30, items: ['a', 'b'], note: 'order ord-7' },
      },
      timeoutMs: 2500,
      maxAttempts: 4,
    });
  });

  it('defaults an http plan to no headers, no query, no body and one attempt', () => {
    const plan = planStep(def, at('whole_url'), trigger, NOW);
    expect(plan).toEqual({
      type: 'http',
      stepId: 'whole_url',
      request: { method: 'GET', url: '30', headers: {}, query: {}, body: undefined },
      timeoutMs: 30_000,
      maxAttempts: 1,
    });
  });

  it('passes transform and branch steps the template scope as input', () => {
    const state: RunState = { ...at('shape'), context: { ok: true }, outputs: { call: { status: 200 } } };
    const scope = { trigger, context: { ok: true }, steps: { call: { output: { status: 200 } } } };
    expect(planStep(def, state, trigger, NOW)).toEqual({
      type: 'transform',
      stepId: 'shape',
      expression: '{"id": trigger.body.order_id}',
      input: scope,
    });
    expect(planStep(def, { ...state, cursor: 'check' }, trigger, NOW)).toEqual({
      type: 'branch',
      stepId: 'check',
      when: 'context.ok',
      input: scope,
      then: 'done',
      else: null,
    });
  });

  it('renders a respond step', () => {
    expect(planStep(def, at('done'), trigger, NOW)).toEqual({
      type: 'respond',
      stepId: 'done',
      response: { status: 201, headers: { 'X-Order': 'ord-7' }, body: { total: 30 } },
    });
    expect(planStep(def, at('bare'), trigger, NOW)).toEqual({
      type: 'respond',
      stepId: 'bare',
      response: { status: 200, headers: {}, body: null },
    });
  });

  it('renders a fail message as text (objects as JSON)', () => {
    expect(planStep(def, at('reject'), trigger, NOW)).toEqual({ type: 'fail', stepId: 'reject', message: 'order ord-7 rejected' });
    expect(planStep(def, at('reject_obj'), trigger, NOW)).toEqual({ type: 'fail', stepId: 'reject_obj', message: '["a","b"]' });
  });

  it.each([
    ['bad_url', 'trigger.body.customer.id'],
    ['bad_body', 'context.ghost'],
    ['bad_headers', 'steps.reject.output'],
  ])('a missing template path in step %s throws a TemplateError naming the step and path %s', (stepId, path) => {
    let caught: unknown;
    try {
      planStep(def, at(stepId), trigger, NOW);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TemplateError);
    const err = caught as TemplateError;
    expect(err.code).toBe('template_path_missing');
    expect(err.details).toEqual({ path, step_id: stepId });
    expect(err.message).toBe(`step "${stepId}": template path "${path}" does not exist`);
  });

  it('throws when the run has no next step or the cursor is unknown', () => {
    const finished: RunState = { ...at('call'), cursor: null };
    expect(() => planStep(def, finished, trigger, NOW)).toThrow(expect.objectContaining({ code: 'execution_finished' }));
    expect(() => planStep(def, at('ghost'), trigger, NOW)).toThrow(expect.objectContaining({ code: 'unknown_step' }));
  });
});

describe('runLocalStep', () => {
  const input = { trigger, context: { n: 3 }, steps: {} };

  it('transform → ok with the expression value', async () => {
    await expect(runLocalStep({ type: 'transform', stepId: 't', expression: 'context.n * 2', input }, limits)).resolves.toEqual({
      ok: true,
      output: 6,
    });
  });

  it('transform that throws → non-retryable failure with expression_failed and the step id', async () => {
    const outcome = await runLocalStep({ type: 'transform', stepId: 't', expression: '$error("nope")', input }, limits);
    expect(outcome).toEqual({
      ok: false,
      error: { code: 'expression_failed', message: 'expression failed: D3137: nope', step_id: 't' },
      retryable: false,
    });
  });

  it('transform that runs away → stopped by the guard, not hung', async () => {
    const outcome = await runLocalStep(
      { type: 'transform', stepId: 'loop', expression: '($f := function($n){ $f($n + 1) }; $f(0))', input },
      { timeoutMs: 20, maxDepth: 10_000, maxOutputBytes: 1000 },
    );
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.code).toBe('expression_failed');
    expect(outcome.error.message).toContain('D1012');
  });

  it('branch → then when the condition holds, else otherwise, no jump without else', async () => {
    const branch = { type: 'branch' as const, stepId: 'b', input, then: 'yes', else: 'no' };
    await expect(runLocalStep({ ...branch, when: 'context.n > 2' }, limits)).resolves.toEqual({
      ok: true,
      output: { condition: true, next: 'yes' },
      next: 'yes',
    });
    await expect(runLocalStep({ ...branch, when: 'context.n > 5' }, limits)).resolves.toEqual({
      ok: true,
      output: { condition: false, next: 'no' },
      next: 'no',
    });
    await expect(runLocalStep({ ...branch, else: null, when: 'false' }, limits)).resolves.toEqual({
      ok: true,
      output: { condition: false },
    });
  });

  it('branch with a broken condition → failure', async () => {
    const outcome = await runLocalStep({ type: 'branch', stepId: 'b', input, when: 'context.n >', then: 'x', else: null }, limits);
    expect(outcome).toMatchObject({ ok: false, retryable: false, error: { code: 'expression_failed', step_id: 'b' } });
  });

  it('respond → its response as output', async () => {
    const response = { status: 201, headers: { a: 'b' }, body: { ok: true } };
    await expect(runLocalStep({ type: 'respond', stepId: 'r', response })).resolves.toEqual({ ok: true, output: response });
  });

  it('fail → non-retryable workflow_failed with the message', async () => {
    await expect(runLocalStep({ type: 'fail', stepId: 'f', message: 'bad order' })).resolves.toEqual({
      ok: false,
      error: { code: 'workflow_failed', message: 'bad order', step_id: 'f' },
      retryable: false,
    });
  });
});

describe('completeStep: success', () => {
  it('continues with the next step in list order, recording output and order', () => {
    const def = define({
      steps: [
        { id: 'a', type: 'transform', expression: '1' },
        { id: 'b', type: 'transform', expression: '2' },
      ],
    });
    const state = expectContinue(completeStep(def, startRun(def), ok({ v: 1 }), first));
    expect(state).toEqual({ ...startRun(def), cursor: 'b', outputs: { a: { v: 1 } }, order: ['a'] });
  });

  it('follows an explicit next instead of list order', () => {
    const def = define({
      steps: [
        { id: 'a', type: 'transform', expression: '1', next: 'c' },
        { id: 'b', type: 'transform', expression: '2' },
        { id: 'c', type: 'transform', expression: '3' },
      ],
    });
    expect(expectContinue(completeStep(def, startRun(def), ok(1), first)).cursor).toBe('c');
  });

  it('follows a branch outcome (then / else) over next and list order', async () => {
    const def = define({
      steps: [
        { id: 'check', type: 'branch', when: 'trigger.body.amount > 10', then: 'big', else: 'small', next: 'small' },
        { id: 'small', type: 'transform', expression: '"small"' },
        { id: 'big', type: 'transform', expression: '"big"' },
      ],
    });
    const start = startRun(def);
    const thenOutcome = await runLocalStep(localPlan(planStep(def, start, trigger, NOW)), limits);
    const afterThen = expectContinue(completeStep(def, start, thenOutcome, first));
    expect(afterThen.cursor).toBe('big');
    expect(afterThen.outputs).toEqual({ check: { condition: true, next: 'big' } });

    const small: TriggerInput = { ...trigger, body: { amount: 5 } };
    const elseOutcome = await runLocalStep(localPlan(planStep(def, start, small, NOW)), limits);
    expect(expectContinue(completeStep(def, start, elseOutcome, first)).cursor).toBe('small');
  });

  it('finishes after the last step with its output as the final output', () => {
    const def = define({
      steps: [
        { id: 'a', type: 'transform', expression: '1' },
        { id: 'b', type: 'transform', expression: '2' },
      ],
    });
    const mid = expectContinue(completeStep(def, startRun(def), ok('A'), first));
    const done = expectFinished(completeStep(def, mid, ok({ result: 'B' }), first));
    expect(done).toEqual({
      status: 'succeeded',
      cursor: null,
      outputs: { a: 'A', b: { result: 'B' } },
      order: ['a', 'b'],
      context: {},
      response: null,
      finalOutput: { result: 'B' },
      error: null,
    });
  });

  it('continues with the following step when a branch without else is not taken', async () => {
    const def = define({
      steps: [
        { id: 'check', type: 'branch', when: 'false', then: 'end' },
        { id: 'middle', type: 'transform', expression: '1' },
        { id: 'end', type: 'transform', expression: '2' },
      ],
    });
    const start = startRun(def);
    const outcome = await runLocalStep(localPlan(planStep(def, start, trigger, NOW)), limits);
    expect(expectContinue(completeStep(def, start, outcome, first)).cursor).toBe('middle');
  });

  it('a respond step without next sets the sync response and ends the run: the steps after it in the list do not run', () => {
    const def = define({
      steps: [
        { id: 'r', type: 'respond', status: 201 },
        { id: 'after', type: 'transform', expression: '1' },
      ],
    });
    const response = { status: 201, headers: { 'x-a': 'b' }, body: { ok: true } };
    const done = expectFinished(completeStep(def, startRun(def), ok(response), first));
    expect(done).toMatchObject({ status: 'succeeded', cursor: null, order: ['r'], response, finalOutput: response });
  });

  it('a respond step with next sets the sync response and the run goes on at next', () => {
    const def = define({
      steps: [
        { id: 'r', type: 'respond', status: 201, next: 'after' },
        { id: 'skipped', type: 'fail', message: 'not on the path' },
        { id: 'after', type: 'transform', expression: '1' },
      ],
    });
    const response = { status: 201, headers: { 'x-a': 'b' }, body: { ok: true } };
    const state = expectContinue(completeStep(def, startRun(def), ok(response), first));
    expect(state.response).toEqual(response);
    expect(state.cursor).toBe('after');
    const done = expectFinished(completeStep(def, state, ok(7), first));
    expect(done.response).toEqual(response);
    expect(done.finalOutput).toBe(7);
  });

  it('the first respond fixes the sync answer: a later respond (after a next) does not replace it', async () => {
    const def = define({
      steps: [
        { id: 'early', type: 'respond', status: 202, body: { accepted: true }, next: 'late' },
        { id: 'late', type: 'respond', status: 200, body: { accepted: false } },
      ],
    });
    const done = await drive(def);
    expect(done.order).toEqual(['early', 'late']);
    expect(done.response).toEqual({ status: 202, headers: {}, body: { accepted: true } });
    expect(done.outputs.late).toEqual({ status: 200, headers: {}, body: { accepted: false } });
  });

  it('non-respond steps do not set the response', () => {
    const def = define({ steps: [{ id: 'a', type: 'transform', expression: '1' }] });
    expect(expectFinished(completeStep(def, startRun(def), ok({ status: 200, headers: {}, body: 1 }), first)).response).toBeNull();
  });

  it('extracts JSONPath values from an http output into context; missing paths become null', () => {
    const def = define({
      steps: [
        {
          id: 'call',
          type: 'http',
          request: { url: 'https://x.test/' },
          extract: { customer: '$.body.customer_id', status: '$.status', missing: '$.body.nope', skus: '$.body.items[*].sku' },
        },
        { id: 'next', type: 'transform', expression: '1' },
      ],
    });
    const state: RunState = { ...startRun(def), context: { earlier: 1, customer: 'old' } };
    const output = { status: 200, headers: {}, body: { customer_id: 'cus_1', items: [{ sku: 'a' }, { sku: 'b' }] } };
    const next = expectContinue(completeStep(def, state, ok(output), first));
    expect(next.context).toEqual({ earlier: 1, customer: 'cus_1', status: 200, missing: null, skus: ['a', 'b'] });
    expect(next.outputs.call).toEqual(output);
  });

  it('extract on a null output sets null', () => {
    const def = define({ steps: [{ id: 'call', type: 'http', request: { url: 'https://x.test/' }, extract: { c: '$.body.c' } }] });
    expect(expectFinished(completeStep(def, startRun(def), ok(null), first)).context).toEqual({ c: null });
  });

  it('a JSONPath that fails to evaluate fails the run with extract_failed instead of throwing', () => {
    const def = define({ steps: [{ id: 'call', type: 'http', request: { url: 'https://x.test/' }, extract: { c: '$[?(@.a ==' } }] });
    const done = expectFinished(completeStep(def, startRun(def), ok({ status: 200, headers: {}, body: {} }), first));
    expect(done.status).toBe('failed');
    expect(done.cursor).toBeNull();
    expect(done.error).toMatchObject({ code: 'extract_failed', step_id: 'call' });
    expect(done.order).toEqual([]);
  });

  it('the latest run of a step wins in outputs; order keeps every run', () => {
    const def = define({ steps: [{ id: 'a', type: 'transform', expression: '1', next: 'a' }] });
    let state = expectContinue(completeStep(def, startRun(def), ok(1), first));
    state = expectContinue(completeStep(def, state, ok(2), first));
    expect(state.outputs).toEqual({ a: 2 });
    expect(state.order).toEqual(['a', 'a']);
    expect(state.cursor).toBe('a');
  });

  it('does not mutate the state it is given', () => {
    const def = define({
      steps: [
        { id: 'a', type: 'transform', expression: '1' },
        { id: 'b', type: 'transform', expression: '2' },
      ],
    });
    const start = startRun(def);
    const copy = structuredClone(start);
    completeStep(def, start, ok(1), first);
    expect(start).toEqual(copy);
  });
});

describe('completeStep: failure and retry', () => {
  const def = define({
    steps: [
      { id: 'call', type: 'http', request: { url: 'https://x.test/' }, retry: { max_attempts: 3, backoff_s: 2 } },
      { id: 'once', type: 'http', request: { url: 'https://x.test/' } },
      { id: 'shape', type: 'transform', expression: '1' },
    ],
  });
  const failure = (retryable: boolean, retryAfterMs?: number): StepOutcome =>
    retryAfterMs === undefined ? { ok: false, error: httpError, retryable } : { ok: false, error: httpError, retryable, retryAfterMs };

  it('retryable failure with attempts left → retry with exponential backoff inside [base/2, base]', () => {
    for (const [attempt, base] of [
      [1, 2000],
      [2, 4000],
    ] as const) {
      for (const random of [0, 0.25, 0.999999]) {
        const t = expectRetry(completeStep(def, startRun(def), failure(true), { attempt, random }));
        expect(t.error).toEqual(httpError);
        expect(t.delayMs).toBeGreaterThanOrEqual(base / 2);
        expect(t.delayMs).toBeLessThanOrEqual(base);
      }
      expect(expectRetry(completeStep(def, startRun(def), failure(true), { attempt, random: 0 })).delayMs).toBe(base / 2);
      expect(expectRetry(completeStep(def, startRun(def), failure(true), { attempt, random: 0.5 })).delayMs).toBe((base * 3) / 4);
    }
  });

  it('a retry honours a longer Retry-After', () => {
    expect(expectRetry(completeStep(def, startRun(def), failure(true, 60_000), first)).delayMs).toBe(60_000);
    expect(expectRetry(completeStep(def, startRun(def), failure(true, 10), { attempt: 1, random: 0 })).delayMs).toBe(1000);
  });

  it('retryable failure on the last attempt → failed with the step error', () => {
    const start = startRun(def);
    const done = expectFinished(completeStep(def, start, failure(true), { attempt: 3, random: 0.5 }));
    expect(done).toEqual({ ...start, status: 'failed', cursor: null, error: httpError });
  });

  it('retryable failure of a step without retry config → failed (one attempt)', () => {
    const state: RunState = { ...startRun(def), cursor: 'once' };
    expect(expectFinished(completeStep(def, state, failure(true), first)).status).toBe('failed');
  });

  it('non-retryable failure with attempts left → failed', () => {
    const done = expectFinished(completeStep(def, startRun(def), failure(false), first));
    expect(done.status).toBe('failed');
    expect(done.error).toEqual(httpError);
    expect(done.cursor).toBeNull();
  });

  it('a retryable failure of a local step is never retried', () => {
    const state: RunState = { ...startRun(def), cursor: 'shape' };
    expect(expectFinished(completeStep(def, state, failure(true), first)).status).toBe('failed');
  });

  it('a fail step fails the run with its message, keeping earlier outputs', async () => {
    const wf = define({
      steps: [
        { id: 'a', type: 'transform', expression: '"A"' },
        { id: 'stop', type: 'fail', message: 'order {{trigger.body.order_id}} refused' },
        { id: 'never', type: 'transform', expression: '1' },
      ],
    });
    const done = await drive(wf);
    expect(done).toMatchObject({
      status: 'failed',
      cursor: null,
      outputs: { a: 'A' },
      order: ['a'],
      error: { code: 'workflow_failed', message: 'order ord-7 refused', step_id: 'stop' },
    });
  });
});

describe('completeStep: max steps', () => {
  const loop = define({
    steps: [
      { id: 'tick', type: 'transform', expression: '1' },
      { id: 'again', type: 'branch', when: 'true', then: 'tick' },
    ],
  });

  it('fails a branch loop once the step limit is reached', async () => {
    const done = await drive(loop, { maxSteps: 7 });
    expect(done.status).toBe('failed');
    expect(done.cursor).toBeNull();
    expect(done.order).toHaveLength(7);
    expect(done.error).toEqual({ code: 'max_steps_exceeded', message: 'execution ran 7 steps, the limit is 7', step_id: 'tick' });
  });

  it('uses the default limit of 1000 steps', () => {
    expect(DEFAULT_MAX_STEPS_PER_EXECUTION).toBe(1000);
    const state: RunState = { ...startRun(loop), order: Array.from({ length: 999 }, () => 'tick'), cursor: 'tick' };
    const done = expectFinished(completeStep(loop, state, ok(1), first));
    expect(done.error?.code).toBe('max_steps_exceeded');
    const under: RunState = { ...state, order: state.order.slice(1) };
    expect(expectContinue(completeStep(loop, under, ok(1), first)).cursor).toBe('again');
  });

  it('a run that finishes on exactly the last allowed step succeeds', async () => {
    const three = define({
      steps: [
        { id: 'a', type: 'transform', expression: '1' },
        { id: 'b', type: 'transform', expression: '2' },
        { id: 'c', type: 'transform', expression: '3' },
      ],
    });
    const done = await drive(three, { maxSteps: 3 });
    expect(done.status).toBe('succeeded');
    expect(done.finalOutput).toBe(3);
    expect((await drive(three, { maxSteps: 2 })).error?.code).toBe('max_steps_exceeded');
  });
});

describe('completeStep: preconditions', () => {
  it('throws when called on a finished run', () => {
    const def = define({ steps: [{ id: 'a', type: 'transform', expression: '1' }] });
    const finished: RunState = { ...startRun(def), status: 'succeeded', cursor: null };
    expect(() => completeStep(def, finished, ok(1), first)).toThrow(expect.objectContaining({ code: 'execution_finished' }));
  });
});

describe('a whole workflow', () => {
  it('runs transform → branch → respond, with templates reading earlier outputs', async () => {
    const def = define({
      steps: [
        { id: 'shape', type: 'transform', expression: '{"total": trigger.body.amount * 2}' },
        { id: 'check', type: 'branch', when: 'steps.shape.output.total > 50', then: 'done', else: 'reject' },
        { id: 'reject', type: 'fail', message: 'too small' },
        { id: 'done', type: 'respond', status: 201, body: { total: '{{steps.shape.output.total}}', order: '{{trigger.body.order_id}}' } },
      ],
    });
    const done = await drive(def);
    expect(done.status).toBe('succeeded');
    expect(done.order).toEqual(['shape', 'check', 'done']);
    expect(done.response).toEqual({ status: 201, headers: {}, body: { total: 60, order: 'ord-7' } });
    expect(done.finalOutput).toEqual(done.response);
  });
});

describe('branches land where they point', () => {
  // The README's shape: a branch whose targets are respond steps listed one after the other.
  const def = define({
    steps: [
      { id: 'check', type: 'branch', when: 'trigger.body.amount > 100', then: 'big', else: 'small' },
      { id: 'big', type: 'respond', status: 200, body: { size: 'big', amount: '{{trigger.body.amount}}' } },
      { id: 'small', type: 'respond', status: 200, body: { size: 'small', amount: '{{trigger.body.amount}}' } },
    ],
  });
  const withAmount = (amount: number): TriggerInput => ({ ...trigger, body: { ...(trigger.body as object), amount } });

  it('then: the then target answers, and the run ends there (it does not fall into the else target listed after it)', async () => {
    const done = await drive(def, {}, withAmount(500));
    expect(done.status).toBe('succeeded');
    expect(done.order).toEqual(['check', 'big']);
    expect(done.response).toEqual({ status: 200, headers: {}, body: { size: 'big', amount: 500 } });
  });

  it('else: the else target answers', async () => {
    const done = await drive(def, {}, withAmount(5));
    expect(done.order).toEqual(['check', 'small']);
    expect(done.response).toEqual({ status: 200, headers: {}, body: { size: 'small', amount: 5 } });
  });

  it('a branch target that is not a respond goes on in list order, or at its next (to join the paths again)', async () => {
    const joined = define({
      steps: [
        { id: 'check', type: 'branch', when: 'trigger.body.amount > 100', then: 'big', else: 'small' },
        { id: 'big', type: 'transform', expression: '"big"', next: 'answer' },
        { id: 'small', type: 'transform', expression: '"small"' },
        { id: 'answer', type: 'respond', body: { big: '{{steps.check.output.condition}}' } },
      ],
    });
    const big = await drive(joined, {}, withAmount(500));
    expect(big.order).toEqual(['check', 'big', 'answer']);
    expect(big.response?.body).toEqual({ big: true });
    const small = await drive(joined, {}, withAmount(5));
    expect(small.order).toEqual(['check', 'small', 'answer']);
    expect(small.response?.body).toEqual({ big: false });
  });
});

describe("the README's workflow example", () => {
  const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Workflow definitions'));
  const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const parsed = parseDefinitionText(yaml, 'yaml');
  if (!parsed.ok) throw new Error(`README example invalid: ${JSON.stringify(parsed.issues)}`);
  const def = parsed.definition;

  /** Runs the example up to its first parking step or its end, the http step answering with `customer`. */
  async function runExample(customer: string | undefined): Promise<{ state: RunState; parkedAt: string | null }> {
    let state = startRun(def);
    for (;;) {
      const plan = planStep(def, state, trigger, NOW);
      if (isParking(plan)) return { state, parkedAt: plan.stepId };
      const outcome =
        plan.type === 'http'
          ? ok({ status: 200, headers: {}, body: { customer_id: customer, id: 'o1' } })
          : await runLocalStep(plan, limits);
      const t = completeStep(def, state, outcome, first);
      if (t.kind === 'finished') return { state: t.state, parkedAt: null };
      state = expectContinue(t);
    }
  }

  it('is a valid definition', () => {
    expect(def.steps.map((s) => s.id)).toEqual(['shape', 'notify', 'check', 'reject', 'done', 'cool_off', 'paid', 'review']);
  });

  it('with a customer: done answers 201, and the run goes on at its next (cool_off), not into reject', async () => {
    const { state, parkedAt } = await runExample('c-9');
    expect(parkedAt).toBe('cool_off');
    expect(state.order).toEqual(['shape', 'notify', 'check', 'done']);
    expect(state.response).toEqual({ status: 201, headers: {}, body: { customer: 'c-9' } });
  });

  it('without one: the branch lands on reject, which fails the run', async () => {
    const { state, parkedAt } = await runExample(undefined);
    expect(parkedAt).toBeNull();
    expect(state.status).toBe('failed');
    expect(state.order).toEqual(['shape', 'notify', 'check']);
    expect(state.error).toMatchObject({ code: 'workflow_failed', step_id: 'reject' });
  });
});

describe('retryDelayMs', () => {
  it('doubles the base per attempt and jitters within [base/2, base]', () => {
    expect(retryDelayMs(1, 1, 0)).toBe(500);
    expect(retryDelayMs(1, 1, 0.5)).toBe(750);
    expect(retryDelayMs(1, 1, 0.9999)).toBe(1000);
    expect(retryDelayMs(1, 2, 0)).toBe(1000);
    expect(retryDelayMs(1, 3, 0)).toBe(2000);
    expect(retryDelayMs(3, 4, 1)).toBe(24_000);
    expect(retryDelayMs(0, 5, 0.7)).toBe(0);
  });

  it('never goes below retryAfterMs', () => {
    expect(retryDelayMs(1, 1, 0, 5000)).toBe(5000);
    expect(retryDelayMs(1, 1, 0, 100)).toBe(500);
  });

  it('stays in range for many random draws', () => {
    for (let i = 0; i < 200; i++) {
      const random = i / 200;
      const d = retryDelayMs(2, 3, random);
      expect(d).toBeGreaterThanOrEqual(4000);
      expect(d).toBeLessThanOrEqual(8000);
    }
  });
});

describe('endRun', () => {
  const def = define({ steps: [{ id: 'a', type: 'transform', expression: '1' }] });
  const error = { code: 'max_duration_exceeded', message: 'ran longer than 1800 s' };

  it.each(['running', 'waiting', 'queued'] as const)('ends a %s run', (status) => {
    const state: RunState = { ...startRun(def), status, outputs: { x: 1 } };
    expect(endRun(state, 'timed_out', error)).toEqual({ ...state, status: 'timed_out', cursor: null, error });
    expect(endRun(state, 'cancelled', error)?.status).toBe('cancelled');
  });

  it.each(['succeeded', 'failed', 'cancelled', 'timed_out'] as const)('returns null for a run already %s', (status) => {
    const state: RunState = { ...startRun(def), status, cursor: null };
    expect(endRun(state, 'cancelled', error)).toBeNull();
  });
});

describe('persisted workflow context', () => {
  const def = define({
    steps: [
      {
        id: 'lookup',
        type: 'http',
        request: { url: 'https://crm.example/x' },
        extract: { run_only: '$.body.id' },
        extract_to_context: { last_id: '$.body.id', last_tags: '$.body.tags', missing: '$.body.nope' },
      },
      { id: 'use', type: 'transform', expression: 'context.last_id & "/" & context.seen' },
    ],
  });

  it('starts a run with the stored context as context.*', () => {
    expect(startRun(def, { seen: 'yes', last_id: 'old' }).context).toEqual({ seen: 'yes', last_id: 'old' });
    expect(startRun(def).context).toEqual({});
  });

  it('asks to persist extract_to_context values as text, skips what was not found, and shows them to later steps', async () => {
    const start = startRun(def, { seen: 'yes', last_id: 'old' });
    const t = completeStep(def, start, { ok: true, output: { status: 200, body: { id: 42, tags: ['a', 'b'] } } }, first);
    expect(t.kind).toBe('continue');
    if (t.kind !== 'continue') return;
    expect(t.persist).toEqual({ last_id: '42', last_tags: '["a","b"]' });
    expect(t.state.context).toEqual({ seen: 'yes', last_id: '42', last_tags: '["a","b"]', run_only: 42 });
    const outcome = await runLocalStep(localPlan(planStep(def, t.state, trigger, NOW)), limits);
    expect(outcome).toEqual({ ok: true, output: '42/yes' });
  });

  it('persists nothing for steps without extract_to_context or that failed', () => {
    const plain = define({ steps: [{ id: 'a', type: 'transform', expression: '1' }] });
    const done = completeStep(plain, startRun(plain), { ok: true, output: 1 }, first);
    expect('persist' in done).toBe(false);
    const failed = completeStep(def, startRun(def), { ok: false, error: { code: 'http_error', message: 'x' }, retryable: false }, first);
    expect('persist' in failed).toBe(false);
  });
});

describe('parking steps: delay, wait_for_webhook, approval', () => {
  const def = define({
    steps: [
      { id: 'pause', type: 'delay', duration_s: 90 },
      { id: 'until', type: 'delay', until: '{{trigger.body.send_at}}' },
      { id: 'hook', type: 'wait_for_webhook', expires_in_s: 60, on_timeout: 'late' },
      { id: 'strict_hook', type: 'wait_for_webhook' },
      { id: 'review', type: 'approval', message: 'Refund order {{trigger.body.order}}?', on_reject: 'rejected' },
      { id: 'strict_review', type: 'approval', expires_in_s: 30 },
      { id: 'done', type: 'transform', expression: '"done"' },
      { id: 'late', type: 'transform', expression: '"late"' },
      { id: 'rejected', type: 'transform', expression: '"rejected"' },
    ],
  });
  const body = (extra: Record<string, unknown>): TriggerInput => ({ ...trigger, body: { order: 'o-1', ...extra } });
  const at = (cursor: string, status: RunState['status'] = 'running'): RunState => ({ ...startRun(def), cursor, status });
  const later = new Date(NOW.getTime() + 5_000);

  it('plans each with its time from now', () => {
    expect(planStep(def, at('pause'), trigger, NOW)).toEqual({
      type: 'delay',
      stepId: 'pause',
      resumeAt: new Date(NOW.getTime() + 90_000),
    });
    expect(planStep(def, at('until'), body({ send_at: '2026-01-02T04:00:00Z' }), NOW)).toEqual({
      type: 'delay',
      stepId: 'until',
      resumeAt: new Date('2026-01-02T04:00:00Z'),
    });
    expect(planStep(def, at('hook'), trigger, NOW)).toEqual({
      type: 'wait_for_webhook',
      stepId: 'hook',
      expiresAt: new Date(NOW.getTime() + 60_000),
    });
    expect(planStep(def, at('strict_hook'), trigger, NOW)).toMatchObject({ expiresAt: new Date(NOW.getTime() + 3_600_000) });
    expect(planStep(def, at('review'), body({}), NOW)).toEqual({
      type: 'approval',
      stepId: 'review',
      expiresAt: new Date(NOW.getTime() + 86_400_000),
      message: 'Refund order o-1?',
    });
    expect(isParking(planStep(def, at('review'), body({}), NOW))).toBe(true);
    expect(isParking(planStep(def, at('done'), trigger, NOW))).toBe(false);
  });

  it('a delay until a past time resumes at once; a bad date is an error naming the step', () => {
    expect(planStep(def, at('until'), body({ send_at: '2000-01-01T00:00:00Z' }), NOW)).toMatchObject({ resumeAt: NOW });
    expect(() => planStep(def, at('until'), body({ send_at: 'tomorrow' }), NOW)).toThrow(
      expect.objectContaining({ code: 'invalid_step_input', message: expect.stringContaining('step "until"') }),
    );
  });

  it('a delay resumes with its resume time and goes on to the next step', () => {
    const outcome = resolveWait(def, at('pause', 'waiting'), { kind: 'delay_elapsed', at: later });
    expect(outcome).toEqual({ ok: true, output: { resumed_at: later.toISOString() } });
    const t = completeStep(def, { ...at('pause', 'waiting'), status: 'running' }, outcome, first);
    expect(expectContinue(t).cursor).toBe('until');
  });

  it('the second webhook body becomes the output', () => {
    expect(resolveWait(def, at('hook', 'waiting'), { kind: 'webhook', body: { paid: true }, at: later })).toEqual({
      ok: true,
      output: { paid: true },
    });
  });

  it('expiry follows on_timeout, or fails the step with wait_expired', () => {
    const followed = resolveWait(def, at('hook', 'waiting'), { kind: 'expired', at: later });
    expect(followed).toEqual({ ok: true, output: { expired: true, expired_at: later.toISOString() }, next: 'late' });
    expect(expectContinue(completeStep(def, at('hook'), followed, first)).cursor).toBe('late');
    const failed = resolveWait(def, at('strict_hook', 'waiting'), { kind: 'expired', at: later });
    expect(failed).toMatchObject({ ok: false, retryable: false, error: { code: 'wait_expired', step_id: 'strict_hook' } });
    expect(expectFinished(completeStep(def, at('strict_hook'), failed, first)).status).toBe('failed');
  });

  it('approval: approved goes on, rejected follows on_reject or fails with the comment', () => {
    const approved = resolveWait(def, at('review', 'waiting'), { kind: 'approval', decision: 'approved', comment: 'ok', at: later });
    expect(approved).toEqual({ ok: true, output: { decision: 'approved', comment: 'ok', decided_at: later.toISOString() } });
    expect(expectContinue(completeStep(def, at('review'), approved, first)).cursor).toBe('strict_review');
    const rejected = resolveWait(def, at('review', 'waiting'), { kind: 'approval', decision: 'rejected', comment: null, at: later });
    expect(rejected).toMatchObject({ ok: true, next: 'rejected', output: { decision: 'rejected' } });
    const strict = resolveWait(def, at('strict_review', 'waiting'), {
      kind: 'approval',
      decision: 'rejected',
      comment: 'too big',
      at: later,
    });
    expect(strict).toMatchObject({
      ok: false,
      error: { code: 'approval_rejected', message: 'step "strict_review" was rejected: too big' },
    });
  });

  it('refuses an event the step does not take, or a run that is not waiting', () => {
    const approve = { kind: 'approval', decision: 'approved', comment: null, at: later } as const;
    expect(() => resolveWait(def, at('hook', 'waiting'), approve)).toThrow(expect.objectContaining({ code: 'wait_mismatch' }));
    expect(() => resolveWait(def, at('pause', 'waiting'), { kind: 'expired', at: later })).toThrow(
      expect.objectContaining({ code: 'wait_mismatch' }),
    );
    expect(() => resolveWait(def, at('review', 'running'), approve)).toThrow(expect.objectContaining({ code: 'wait_mismatch' }));
    expect(() => resolveWait(def, at('done', 'waiting'), approve)).toThrow(expect.objectContaining({ code: 'wait_mismatch' }));
  });

  it('validates the definitions: one of duration_s / until, known on_timeout / on_reject, bounded expiry', () => {
    const bad = validateDefinition({
      name: 'wf',
      steps: [
        { id: 'a', type: 'delay' },
        { id: 'b', type: 'delay', duration_s: 1, until: '2026-01-01T00:00:00Z' },
        { id: 'c', type: 'wait_for_webhook', on_timeout: 'ghost' },
        { id: 'd', type: 'approval', on_reject: 'ghost', expires_in_s: 0 },
      ],
    });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.issues).toEqual(
      expect.arrayContaining([
        { path: 'steps[0]', message: 'set exactly one of duration_s and until', code: 'custom' },
        { path: 'steps[1]', message: 'set exactly one of duration_s and until', code: 'custom' },
        { path: 'steps[2].on_timeout', message: 'unknown step id "ghost"', code: 'unknown_step' },
        expect.objectContaining({ path: 'steps[3].expires_in_s' }),
      ]),
    );
  });
});
