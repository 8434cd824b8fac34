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

  it.each([
    ['no Authorization header', {}],
    ['a wrong API key', { authorization: 'Bearer fgk_not_a_real_key_at_all_000000' }],
    ['a malformed Authorization header', { authorization: 'Basic abc' }],
  ])('answers 401 to %s', async (_name, headers) => {
    const res = await request(`${stack.ingressUrl}/v1/workflows`, { headers });
    expectError(res, 401, 'unauthorized');
  });

  it('answers malformed JSON with 400 invalid_json and creates no workflow', async () => {
    const before = await (await stack.db()).collection('workflows').countDocuments();
    const res = await stack.api('POST', '/v1/workflows', '{"name": "x", "steps": [', { 'content-type': 'application/json' });
    expectError(res, 400, 'invalid_json');
    expect(await (await stack.db()).collection('workflows').countDocuments()).toBe(before);
  });

  it('answers an unsupported content type with 415', async () => {
    const res = await stack.api('POST', '/v1/workflows', 'name: x', { 'content-type': 'text/plain' });
    expectError(res, 415, 'unsupported_media_type');
  });

  it('accepts YAML definitions and reports YAML syntax errors as 422', async () => {
    const ok = await stack.api('POST', '/v1/workflows', 'name: from-yaml\nsteps:\n  - id: a\n    type: transform\n    expression: "1"\n', {
      'content-type': 'application/yaml',
    });
    expect(ok.status).toBe(201);
    expect(ok.body.definition.steps[0].id).toBe('a');
    const bad = await stack.api('POST', '/v1/workflows', 'name: [unclosed', { 'content-type': 'application/yaml' });
    expectError(bad, 422, 'invalid_workflow_definition');
  });

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
