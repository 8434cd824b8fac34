import { validateDefinition, type WorkflowDefinition } from '../src/definition';
import type { ExecutionStatus } from '../src/execution';
import { acceptedResponse, shapeSyncResponse, type ExecutionOutcomeView } from '../src/response';

function define(response: Record<string, unknown> | undefined): WorkflowDefinition {
  const result = validateDefinition({
    name: 'wf',
    ...(response === undefined ? {} : { trigger: { webhook: { response } } }),
    steps: [
      { id: 'enrich', type: 'transform', name: 'Enrich order', expression: '1' },
      { id: 'shape', type: 'transform', expression: '2' },
      { id: 'spare', type: 'transform', expression: '3' },
    ],
  });
  if (!result.ok) throw new Error(`invalid fixture: ${JSON.stringify(result.issues)}`);
  return result.definition;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

function view(overrides: Partial<ExecutionOutcomeView> = {}): ExecutionOutcomeView {
  return {
    executionId: 'exe_1',
    status: 'succeeded',
    statusUrl: 'https://fg.test/v1/executions/exe_1',
    outputs: { enrich: { customer: 'cus_1' }, shape: { total: 60 } },
    order: ['enrich', 'shape'],
    response: null,
    finalOutput: { total: 60 },
    error: null,
    ...overrides,
  };
}

describe('acceptedResponse', () => {
  it('is a 202 with execution id, status and status URL', () => {
    expect(acceptedResponse('exe_9', '/v1/executions/exe_9')).toEqual({
      status: 202,
      headers: JSON_HEADERS,
      body: { execution_id: 'exe_9', status: 'queued', status_url: '/v1/executions/exe_9' },
    });
    expect(acceptedResponse('exe_9', '/s', 'running').body).toEqual({ execution_id: 'exe_9', status: 'running', status_url: '/s' });
  });
});

describe('shapeSyncResponse: succeeded executions by mode', () => {
  it('last_step (the default) returns the final output with status 200', () => {
    expect(shapeSyncResponse(define(undefined), view())).toEqual({ status: 200, headers: JSON_HEADERS, body: { total: 60 } });
  });

  it('last_step returns a null final output as null', () => {
    expect(shapeSyncResponse(define({ mode: 'last_step' }), view({ finalOutput: null })).body).toBeNull();
  });

  it('minimal returns only the execution id and status', () => {
    expect(shapeSyncResponse(define({ mode: 'minimal' }), view())).toEqual({
      status: 200,
      headers: JSON_HEADERS,
      body: { execution_id: 'exe_1', status: 'succeeded' },
    });
  });

  it('step returns the chosen step output', () => {
    expect(shapeSyncResponse(define({ mode: 'step', step: 'enrich' }), view()).body).toEqual({ customer: 'cus_1' });
  });

  it('step returns null when the chosen step did not run', () => {
    expect(shapeSyncResponse(define({ mode: 'step', step: 'spare' }), view()).body).toBeNull();
  });

  it('all_steps returns each step that ran, in order, with its name (or id) and output', () => {
    const res = shapeSyncResponse(define({ mode: 'all_steps' }), view());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      enrich: { name: 'Enrich order', output: { customer: 'cus_1' } },
      shape: { name: 'shape', output: { total: 60 } },
    });
    expect(Object.keys(res.body as object)).toEqual(['enrich', 'shape']);
  });

  it('applies the configured status and headers on top of the JSON content type', () => {
    const def = define({ mode: 'minimal', status: 201, headers: { 'X-Source': 'flowgate' } });
    expect(shapeSyncResponse(def, view())).toEqual({
      status: 201,
      headers: { 'content-type': 'application/json', 'x-source': 'flowgate' },
      body: { execution_id: 'exe_1', status: 'succeeded' },
    });
  });

  it('lets a configured header override the content type', () => {
    const def = define({ mode: 'last_step', headers: { 'content-type': 'text/plain' } });
    expect(shapeSyncResponse(def, view()).headers).toEqual({ 'content-type': 'text/plain' });
  });
});

describe('shapeSyncResponse: respond step override', () => {
  it('returns the response set by a respond step whatever the mode', () => {
    const response = { status: 201, headers: { 'x-order': 'ord-7' }, body: { ok: true } };
    for (const config of [undefined, { mode: 'minimal' }, { mode: 'all_steps' }, { mode: 'step', step: 'enrich', status: 299 }]) {
      expect(shapeSyncResponse(define(config), view({ response }))).toEqual(response);
    }
  });
});

describe('shapeSyncResponse: failures and unfinished executions', () => {
  it.each<[ExecutionStatus, string]>([
    ['failed', 'upstream returned 503'],
    ['timed_out', 'ran longer than 1800 s'],
    ['cancelled', 'cancelled by user'],
  ])('%s → 200 with the error message', (status, message) => {
    const res = shapeSyncResponse(define({ mode: 'all_steps', status: 201 }), view({ status, error: { code: 'x', message } }));
    expect(res).toEqual({ status: 200, headers: JSON_HEADERS, body: { execution_id: 'exe_1', status, message } });
  });

  it('a failure without error info gets a generic message', () => {
    expect(shapeSyncResponse(define(undefined), view({ status: 'timed_out', error: null })).body).toEqual({
      execution_id: 'exe_1',
      status: 'timed_out',
      message: 'execution timed_out',
    });
  });

  it('the first respond fixes the answer: a failure after it does not replace it', () => {
    const res = shapeSyncResponse(
      define({ mode: 'last_step', failure_status: 502 }),
      view({
        status: 'failed',
        response: { status: 201, headers: { 'X-Done': 'yes' }, body: 'early' },
        error: { code: 'workflow_failed', message: 'stop' },
      }),
    );
    expect(res).toEqual({ status: 201, headers: { 'x-done': 'yes' }, body: 'early' });
  });

  it.each<ExecutionStatus>(['running', 'waiting'])('%s after a respond (it had a next) → the respond answers', (status) => {
    expect(shapeSyncResponse(define({ mode: 'last_step' }), view({ status, response: { status: 201, headers: {}, body: 1 } }))).toEqual({
      status: 201,
      headers: {},
      body: 1,
    });
  });

  it.each<ExecutionStatus>(['queued', 'running', 'waiting'])('%s, no respond yet → 202 with status URL', (status) => {
    expect(shapeSyncResponse(define({ mode: 'last_step' }), view({ status }))).toEqual({
      status: 202,
      headers: JSON_HEADERS,
      body: { execution_id: 'exe_1', status, status_url: 'https://fg.test/v1/executions/exe_1' },
    });
  });
});
