import { Receiver } from '../support/receiver';
import { request, sleep, Stack, TERMINAL } from '../support/stack';

/**
 * SSRF guard for http steps: without an allow-list, a step whose URL is on loopback fails for good
 * with `egress_forbidden` and nothing reaches the receiver; PUT /v1/workspace/egress allow-lists it
 * for that workspace only (after the executor's workspace cache, set short here, expires).
 */
describe('egress guard', () => {
  const CACHE_MS = 500;
  let stack: Stack;
  let downstream: Receiver;

  beforeAll(async () => {
    downstream = await new Receiver(() => ({ status: 200, body: { ok: true } })).start();
    stack = await Stack.start('egress', {
      // No default loopback allow-list: this stack's executor refuses the local receiver.
      env: { execution: { FLOWGATE_EGRESS_ALLOW_CIDRS: '', FLOWGATE_WORKSPACE_CACHE_MS: String(CACHE_MS) } },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await downstream?.stop();
  });

  const definition = () => ({
    name: 'call-internal',
    steps: [
      {
        id: 'call',
        type: 'http',
        request: { method: 'POST', url: downstream.url('/internal'), body: { hello: 'world' } },
        retry: { max_attempts: 3, backoff_s: 1 },
      },
    ],
  });

  const asWorkspace = (key: string, method: string, path: string, body?: unknown) =>
    request(`${stack.ingressUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  /** Fires the async webhook and polls the execution (as `key`'s workspace) until it ends. */
  const fire = async (url: string, key = stack.apiKey): Promise<any> => {
    const accepted = await request(url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(accepted.status).toBe(202);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const res = await asWorkspace(key, 'GET', `/v1/executions/${accepted.body.execution_id}`);
      if (res.status === 200 && TERMINAL.includes(res.body.status)) return res.body;
      await sleep(100);
    }
    throw new Error(`execution ${accepted.body.execution_id} did not end`);
  };

  it('refuses a loopback destination with egress_forbidden, once, without contacting it; allow-listing it lets it through', async () => {
    const wf = await stack.deploy(definition());

    const refused = await fire(wf.async);
    expect(refused.status).toBe('failed');
    expect(refused.error).toMatchObject({ code: 'egress_forbidden', step_id: 'call' });
    expect(refused.error.message).toContain(`outbound request to 127.0.0.1 refused`);
    expect(refused.error.message).toContain('loopback');
    // not retryable: one attempt although the step allows three
    expect(refused.step_executions).toHaveLength(1);
    expect(refused.step_executions[0]).toMatchObject({ step_id: 'call', status: 'failed', error: { code: 'egress_forbidden' } });
    expect(downstream.requests).toHaveLength(0);

    expect((await stack.api('GET', '/v1/workspace/egress')).body).toEqual({ allow_cidrs: [] });
    const put = await stack.api('PUT', '/v1/workspace/egress', { allow_cidrs: ['127.0.0.0/8', '127.0.0.0/8'] });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ allow_cidrs: ['127.0.0.0/8'] });
    expect((await stack.api('GET', '/v1/workspace/egress')).body).toEqual({ allow_cidrs: ['127.0.0.0/8'] });

    await sleep(CACHE_MS + 300);
    const allowed = await fire(wf.async);
    expect(allowed.status).toBe('succeeded');
    expect(allowed.error).toBeNull();
    await downstream.waitFor(1);
    expect(downstream.requests[0]).toMatchObject({ method: 'POST', path: '/internal' });
  });

  it('keeps the allow-list per workspace: another workspace is still refused and sees its own (empty) list', async () => {
    const otherKey = await stack.apiKeyForWorkspace('other-egress');
    expect((await asWorkspace(otherKey, 'GET', '/v1/workspace/egress')).body).toEqual({ allow_cidrs: [] });
    const created = await asWorkspace(otherKey, 'POST', '/v1/workflows?publish=true', definition());
    expect(created.status).toBe(201);
    const before = downstream.requests.length;

    const refused = await fire(created.body.triggers.production.async, otherKey);
    expect(refused.status).toBe('failed');
    expect(refused.error.code).toBe('egress_forbidden');
    expect(downstream.requests).toHaveLength(before);
  });

  it('answers 400 naming every bad CIDR and changes nothing', async () => {
    const before = (await stack.api('GET', '/v1/workspace/egress')).body;
    const bad = await stack.api('PUT', '/v1/workspace/egress', { allow_cidrs: ['10.0.0.0/8', '10.0.0.1/8', 'not-a-cidr', '::1/129'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
    expect(bad.body.error.message).toContain('"10.0.0.1/8": host bits are set; did you mean 10.0.0.0/8?');
    expect(bad.body.error.message).toContain('"not-a-cidr"');
    expect(bad.body.error.details.issues).toEqual([
      { path: 'allow_cidrs[1]', message: expect.stringContaining('"10.0.0.1/8"'), code: 'custom' },
      { path: 'allow_cidrs[2]', message: expect.stringContaining('"not-a-cidr"'), code: 'custom' },
      { path: 'allow_cidrs[3]', message: expect.stringContaining('"::1/129"'), code: 'custom' },
    ]);

    const shape = await stack.api('PUT', '/v1/workspace/egress', { allow: '10.0.0.0/8' });
    expect(shape.status).toBe(400);
    expect(shape.body.error.code).toBe('invalid_request');

    expect((await stack.api('GET', '/v1/workspace/egress')).body).toEqual(before);
    expect((await request(`${stack.ingressUrl}/v1/workspace/egress`)).status).toBe(401);
  });

  it('is in the OpenAPI document', async () => {
    const doc = await request(`${stack.ingressUrl}/openapi.json`);
    expect(Object.keys(doc.body.paths['/v1/workspace/egress'])).toEqual(['get', 'put']);
  });
});
