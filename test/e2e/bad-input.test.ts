import { request, Stack } from '../support/stack';

/**
 * Every endpoint answers bad input with the documented error shape and status, creates nothing and
 * keeps serving.
 */
describe('bad input', () => {
  let stack: Stack;
  let hook: { id: string; async: string; sync: string };

  beforeAll(async () => {
    stack = await Stack.start('bad-input', { services: ['ingress', 'execution'], env: { ingress: { FLOWGATE_MAX_BODY_BYTES: '4096' } } });
    hook = await stack.deploy({ name: 'target', steps: [{ id: 't', type: 'transform', expression: 'trigger.body' }] });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const executionCount = async () => (await stack.settledDb()).collection('executions').countDocuments();

  const expectError = (res: { status: number; body: any; text: string }, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
    expect(res.text).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+/);
  };

  // API-key, scope and body validation of each /v1 route: services/ingress/test/routes (in-process).
  it.each([
    ['GET', '/v1/workflows/wf_doesnotexist000', 'workflow_not_found'],
    ['GET', '/v1/workflows/%7B%22%24gt%22%3A%22%22%7D', 'workflow_not_found'],
    ['POST', '/v1/workflows/..%2F..%2Fetc/publish', 'workflow_not_found'],
    ['GET', '/v1/executions/00000000-0000-4000-8000-000000000000', 'execution_not_found'],
    ['GET', '/v1/executions/%7B%22%24ne%22%3Anull%7D', 'execution_not_found'],
    ['GET', '/v1/nothing-here', 'not_found'],
  ])('answers %s %s with 404 %s', async (method, path, code) => {
    const res = await stack.api(method, path);
    expectError(res, 404, code);
  });

  it('answers webhook problems with the documented status and queues nothing', async () => {
    const before = await executionCount();
    const cases: [string, RequestInit, number, string][] = [
      [`${stack.ingressUrl}/hooks/wh_unknowntoken00000000000`, { method: 'POST' }, 404, 'webhook_not_found'],
      [`${stack.ingressUrl}/hooks/{"$gt":""}`, { method: 'POST' }, 404, 'webhook_not_found'],
      [hook.async, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"broken":' }, 400, 'invalid_json'],
      [
        hook.async,
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ big: 'x'.repeat(10_000) }) },
        413,
        'payload_too_large',
      ],
      [hook.sync, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[[[' }, 400, 'invalid_json'],
    ];
    for (const [url, init, status, code] of cases) expectError(await request(url, init), status, code);
    expect(await executionCount()).toBe(before);
    const still = await request(hook.async, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"fine":true}' });
    expect(still.status).toBe(202);
  });

  it('keeps the request body of non-JSON webhooks: text, form fields and binary as base64', async () => {
    const text = await request(hook.sync, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(text.body).toBe('hello');
    const form = await request(hook.sync, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1&b=2&b=3',
    });
    expect(form.body).toEqual({ a: '1', b: ['2', '3'] });
    const binary = await request(hook.sync, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array([0, 255, 1]),
    });
    expect(binary.body).toEqual({ content_type: 'application/octet-stream', base64: Buffer.from([0, 255, 1]).toString('base64') });
  });
});
