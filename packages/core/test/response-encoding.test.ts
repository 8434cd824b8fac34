import { validateDefinition, type WorkflowDefinition } from '../src/definition';
import { encodeSyncResponse, shapeSyncResponse, type ExecutionOutcomeView } from '../src/response';

function define(webhook: Record<string, unknown>): WorkflowDefinition {
  const result = validateDefinition({ name: 'wf', trigger: { webhook }, steps: [{ id: 'a', type: 'transform', expression: '1' }] });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.definition;
}

const view = (overrides: Partial<ExecutionOutcomeView> = {}): ExecutionOutcomeView => ({
  executionId: 'exe_1',
  status: 'succeeded',
  statusUrl: '/v1/executions/exe_1',
  outputs: { a: 'x,y\n1,2\n' },
  order: ['a'],
  response: null,
  finalOutput: 'x,y\n1,2\n',
  error: null,
  ...overrides,
});

describe('failure_status', () => {
  it('answers a failed execution with the configured 5xx, default 200', () => {
    const failed = view({ status: 'failed', error: { code: 'workflow_failed', message: 'boom' } });
    expect(shapeSyncResponse(define({}), failed).status).toBe(200);
    const res = shapeSyncResponse(define({ response: { failure_status: 502 } }), failed);
    expect(res).toMatchObject({ status: 502, body: { execution_id: 'exe_1', status: 'failed', message: 'boom' } });
  });
  it('accepts only 200 or 5xx', () => {
    for (const failure_status of [404, 302, 600])
      expect(
        validateDefinition({
          name: 'wf',
          trigger: { webhook: { response: { failure_status } } },
          steps: [{ id: 'a', type: 'transform', expression: '1' }],
        }).ok,
      ).toBe(false);
  });
});

describe('encodeSyncResponse', () => {
  it('a configured Content-Type (any case) replaces the JSON default and a string body goes out raw', () => {
    const shaped = shapeSyncResponse(define({ response: { headers: { 'Content-Type': 'text/csv' } } }), view());
    const wire = encodeSyncResponse(shaped);
    expect(wire.headers['content-type']).toBe('text/csv');
    expect(wire.text).toBe('x,y\n1,2\n');
  });
  it.each(['text/plain', 'text/xml', 'application/xml', 'text/csv; charset=utf-8'])('%s: string bodies raw', (type) => {
    expect(encodeSyncResponse({ status: 200, headers: { 'Content-Type': type }, body: '<a>1</a>' }).text).toBe('<a>1</a>');
  });
  it('JSON by default, also for string bodies; objects in text types become JSON text', () => {
    expect(encodeSyncResponse({ status: 201, headers: {}, body: 'hi' })).toMatchObject({
      status: 201,
      headers: { 'content-type': 'application/json' },
      text: '"hi"',
    });
    expect(encodeSyncResponse({ status: 200, headers: { 'content-type': 'text/plain' }, body: { a: 1 } }).text).toBe('{"a":1}');
    expect(encodeSyncResponse({ status: 200, headers: {}, body: undefined }).text).toBe('null');
  });
  it('sandboxes HTML unless the workflow sets its own policy; nosniff always', () => {
    const html = encodeSyncResponse({ status: 200, headers: { 'content-type': 'text/html' }, body: '<p>hi</p>' });
    expect(html.headers['content-security-policy']).toMatch(/^sandbox/);
    expect(html.headers['x-content-type-options']).toBe('nosniff');
    const own = encodeSyncResponse({
      status: 200,
      headers: { 'Content-Type': 'text/html', 'Content-Security-Policy': "default-src 'self'" },
      body: '',
    });
    expect(own.headers['content-security-policy']).toBe("default-src 'self'");
  });
  it('keeps a respond step response, with header names lower-cased', () => {
    const response = { status: 418, headers: { 'Content-Type': 'text/plain', 'X-Order': '7' }, body: 'tea' };
    expect(shapeSyncResponse(define({}), view({ response }))).toEqual({
      status: 418,
      headers: { 'content-type': 'text/plain', 'x-order': '7' },
      body: 'tea',
    });
  });
});
