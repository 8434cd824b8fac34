import { request, Stack } from '../support/stack';

/** CORS preflights (trigger config or an OPTIONS branch), failure status, response content types. */
const APP = 'https://app.example.com';

describe('CORS and sync responses', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start('cors-responses', { services: ['ingress', 'execution'] });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const executionCount = async () => (await stack.settledDb()).collection('executions').countDocuments();

  describe('trigger cors config', () => {
    let wf: { id: string; async: string; sync: string };
    beforeAll(async () => {
      wf = await stack.deploy({
        name: 'browser',
        trigger: { webhook: { methods: ['POST', 'PUT'], cors: { allow_origins: [APP], max_age_s: 120 } } },
        steps: [{ id: 'a', type: 'transform', expression: '"ok"' }],
      });
    });

    it('answers an allowed preflight itself with 204 and Access-Control headers, queueing nothing', async () => {
      const before = await executionCount();
      for (const url of [wf.async, wf.sync]) {
        const res = await request(url, {
          method: 'OPTIONS',
          headers: { origin: APP, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type, x-request-id' },
        });
        expect(res.status).toBe(204);
        expect(res.headers.get('access-control-allow-origin')).toBe(APP);
        expect(res.headers.get('access-control-allow-methods')).toBe('POST, PUT');
        expect(res.headers.get('access-control-allow-headers')).toBe('content-type, x-request-id');
        expect(res.headers.get('access-control-max-age')).toBe('120');
        expect(res.text).toBe('');
      }
      expect(await executionCount()).toBe(before);
    });

    it('gives a foreign origin or a method not allowed no Access-Control headers', async () => {
      for (const headers of [
        { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' },
        { origin: APP, 'access-control-request-method': 'DELETE' },
      ]) {
        const res = await request(wf.async, { method: 'OPTIONS', headers });
        expect(res.status).toBe(204);
        expect(res.headers.get('access-control-allow-origin')).toBeNull();
        expect(res.headers.get('access-control-allow-methods')).toBeNull();
      }
    });

    it('marks real answers (and errors) readable by the allowed origin only', async () => {
      const ok = await request(wf.sync, { method: 'POST', headers: { origin: APP } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('access-control-allow-origin')).toBe(APP);
      expect(ok.headers.get('vary')).toContain('Origin');
      const notAllowed = await request(wf.async, { method: 'DELETE', headers: { origin: APP } });
      expect(notAllowed.status).toBe(405);
      expect(notAllowed.headers.get('access-control-allow-origin')).toBe(APP);
      const foreign = await request(wf.async, { method: 'POST', headers: { origin: 'https://evil.example.com' } });
      expect(foreign.status).toBe(202);
      expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('rejects an invalid cors config with 422 naming the field', async () => {
      const res = await stack.api('POST', '/v1/workflows', {
        name: 'bad-cors',
        trigger: { webhook: { cors: { allow_origins: ['not a url'] } } },
        steps: [{ id: 'a', type: 'transform', expression: '1' }],
      });
      expect(res.status).toBe(422);
      expect(JSON.stringify(res.body.error.details)).toContain('trigger.webhook.cors.allow_origins');
    });
  });

  it('without a cors config, an OPTIONS the workflow allows runs it and its respond step answers', async () => {
    const wf = await stack.deploy({
      name: 'options-branch',
      trigger: { webhook: { methods: ['POST', 'OPTIONS'] } },
      steps: [
        { id: 'route', type: 'branch', when: "trigger.method = 'OPTIONS'", then: 'preflight', else: 'work' },
        {
          id: 'preflight',
          type: 'respond',
          status: 204,
          headers: { 'Access-Control-Allow-Origin': '{{trigger.headers.origin}}', 'Access-Control-Allow-Methods': 'POST' },
        },
        { id: 'work', type: 'transform', expression: '"worked"' },
      ],
    });
    const pre = await request(wf.async, { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(APP);
    expect(pre.headers.get('access-control-allow-methods')).toBe('POST');
    const real = await request(wf.sync, { method: 'POST' });
    expect(real.body).toBe('worked');
    const refused = await stack.deploy({ name: 'no-options', steps: [{ id: 'a', type: 'transform', expression: '1' }] });
    expect(
      (await request(refused.async, { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'POST' } })).status,
    ).toBe(405);
  });

  describe('failure responses', () => {
    const failing = (response?: Record<string, unknown>) => ({
      name: 'failing',
      ...(response ? { trigger: { webhook: { response } } } : {}),
      steps: [{ id: 'boom', type: 'fail', message: 'no stock for {{trigger.body.sku}}' }],
    });

    it('answers 200 {execution_id, status: failed, message} by default', async () => {
      const wf = await stack.deploy(failing());
      const res = await request(wf.sync, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sku":"A1"}' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ execution_id: expect.any(String), status: 'failed', message: 'no stock for A1' });
    });

    it('answers the configured 5xx', async () => {
      const wf = await stack.deploy(failing({ mode: 'last_step', failure_status: 502 }));
      const res = await request(wf.sync, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sku":"B2"}' });
      expect(res.status).toBe(502);
      expect(res.body).toEqual({ execution_id: expect.any(String), status: 'failed', message: 'no stock for B2' });
      const stored = await stack.waitForExecution(res.body.execution_id);
      expect(stored.status).toBe('failed');
      const bad = await stack.api('POST', '/v1/workflows', failing({ failure_status: 404 }));
      expect(bad.status).toBe(422);
    });
  });

  describe('response content types', () => {
    const respondWith = (contentType: string, body: unknown) =>
      stack.deploy({
        name: `respond-${contentType}`,
        steps: [{ id: 'answer', type: 'respond', status: 201, headers: { 'Content-Type': contentType }, body }],
      });

    it.each([
      ['text/plain', 'plain words'],
      ['text/csv', 'sku,qty\nA1,2\n'],
      ['text/xml', '<order><sku>A1</sku></order>'],
      ['text/html', '<p>thanks</p>'],
    ])('%s: the string body goes out as is', async (type, body) => {
      const wf = await respondWith(type, body);
      const res = await request(wf.sync, { method: 'POST' });
      expect(res.status).toBe(201);
      expect(res.headers.get('content-type')).toMatch(new RegExp(`^${type}`));
      expect(res.text).toBe(body);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      if (type === 'text/html') expect(res.headers.get('content-security-policy')).toMatch(/^sandbox/);
    });

    it('application/json: the body as JSON', async () => {
      const wf = await respondWith('application/json', { ok: true, items: [1, 2] });
      const res = await request(wf.sync, { method: 'POST' });
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body).toEqual({ ok: true, items: [1, 2] });
    });

    it('the trigger response config sets the type for a step output', async () => {
      const wf = await stack.deploy({
        name: 'csv-output',
        trigger: { webhook: { response: { mode: 'last_step', headers: { 'Content-Type': 'text/csv' } } } },
        steps: [{ id: 'rows', type: 'transform', expression: '"a,b\\n1,2\\n"' }],
      });
      const res = await request(wf.sync, { method: 'POST' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(res.text).toBe('a,b\n1,2\n');
    });
  });
});
