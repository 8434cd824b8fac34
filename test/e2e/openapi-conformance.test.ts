import { OpenApiChecker } from '../support/openapi-check';
import { request, Stack, type ApiResponse } from '../support/stack';

/**
 * The OpenAPI document served at /openapi.json against the real services: every response of the
 * exercised routes (happy paths and main errors) must be documented for its operation and match
 * the documented schema; then every documented operation is probed with placeholder ids, with and
 * without an API key, so a route added later without its responses documented fails here too.
 */
describe('OpenAPI conformance', () => {
  let stack: Stack;
  let checker: OpenApiChecker;
  const problems: string[] = [];

  beforeAll(async () => {
    stack = await Stack.start('openapi-conformance', { services: ['ingress', 'execution', 'scheduler'] });
    const served = await request(`${stack.ingressUrl}/openapi.json`);
    expect(served.status).toBe(200);
    expect(served.body.openapi).toMatch(/^3\.1\./);
    checker = new OpenApiChecker(served.body);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** Sends a request, checks its response against the document, returns it. */
  const call = async (
    method: string,
    path: string,
    opts: { body?: unknown; headers?: Record<string, string>; auth?: boolean } = {},
  ): Promise<ApiResponse> => {
    const headers: Record<string, string> = {
      ...(opts.auth === false ? {} : { authorization: `Bearer ${stack.apiKey}` }),
      ...opts.headers,
    };
    const init: RequestInit = { method, headers };
    if (opts.body !== undefined) {
      init.body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await request(`${stack.ingressUrl}${path}`, init);
    problems.push(...checker.check(method, path, res));
    return res;
  };

  const definition = (name: string) => ({
    name,
    trigger: { webhook: { sync_timeout_s: 20 } },
    steps: [{ id: 'echo', type: 'transform', expression: '{"got": trigger.body}' }],
  });

  it('documents every response of the main routes, happy paths and errors', async () => {
    // Workflows.
    const created = await call('POST', '/v1/workflows', { body: definition('conformance') });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    expect((await call('GET', '/v1/workflows')).status).toBe(200);
    expect((await call('GET', `/v1/workflows/${id}`)).status).toBe(200);
    expect((await call('PUT', `/v1/workflows/${id}`, { body: definition('conformance-2') })).status).toBe(200);
    expect((await call('POST', `/v1/workflows/${id}/publish`)).status).toBe(201);
    const urls = (await call('GET', `/v1/workflows/${id}`)).body.triggers.production as { async: string; sync: string };
    const hookPath = new URL(urls.async).pathname;
    const token = hookPath.split('/')[2] ?? '';

    // Webhooks.
    const accepted = await call('POST', hookPath, { body: { n: 1 }, auth: false });
    expect(accepted.status).toBe(202);
    const executionId = String(accepted.body.execution_id);
    expect((await call('POST', `${hookPath}/sync`, { body: { n: 2 }, auth: false })).status).toBe(200);
    await stack.waitForExecution(executionId);

    // Executions.
    expect((await call('GET', '/v1/executions')).status).toBe(200);
    expect((await call('GET', `/v1/executions?workflow_id=${id}&status=succeeded&limit=1`)).status).toBe(200);
    expect((await call('GET', `/v1/executions/${executionId}`)).status).toBe(200);
    expect((await call('POST', `/v1/executions/${executionId}/replay`)).status).toBe(202);
    expect([200, 409]).toContain((await call('POST', `/v1/executions/${executionId}/cancel`)).status);
    const events = await fetch(`${stack.ingressUrl}/v1/executions/${executionId}/events`, {
      headers: { authorization: `Bearer ${stack.apiKey}` },
      signal: AbortSignal.timeout(10_000),
    });
    expect(events.status).toBe(200);
    problems.push(
      ...checker.check('GET', `/v1/executions/${executionId}/events`, { status: events.status, headers: events.headers, text: '' }),
    );
    await events.body?.cancel();

    // Context, trigger, lookup.
    expect((await call('PATCH', `/v1/workflows/${id}/context`, { body: { region: 'eu' } })).status).toBe(200);
    expect((await call('GET', `/v1/workflows/${id}/context`)).status).toBe(200);
    expect((await call('GET', `/v1/triggers?token=${token}`)).status).toBe(200);
    expect((await call('PATCH', `/v1/workflows/${id}/trigger`, { body: { enabled: false } })).status).toBe(200);
    expect((await call('POST', hookPath, { body: {}, auth: false })).status).toBe(403);
    expect((await call('PATCH', `/v1/workflows/${id}/trigger`, { body: { enabled: true } })).status).toBe(200);
    // Environments, test runs, preflights (no cors config, OPTIONS not allowed: 405).
    expect((await call('PUT', `/v1/workflows/${id}/environments/staging`, { body: { version: 1 } })).status).toBe(200);
    expect((await call('PUT', `/v1/workflows/${id}/environments/staging`, { body: { version: 99 } })).status).toBe(400);
    expect((await call('POST', `/v1/workflows/${id}/test`, { body: { body: { a: 1 } } })).status).toBe(200);
    expect((await call('POST', `/v1/workflows/${id}/test`, { body: { nope: 1 } })).status).toBe(400);
    expect(
      (await call('OPTIONS', hookPath, { auth: false, headers: { origin: 'https://x.test', 'access-control-request-method': 'POST' } }))
        .status,
    ).toBe(405);

    // Workspace settings, deliveries, callback secrets, schedules, parameters.
    expect((await call('GET', '/v1/workspace/egress')).status).toBe(200);
    expect((await call('PUT', '/v1/workspace/egress', { body: { allow_cidrs: ['10.0.0.0/8'] } })).status).toBe(200);
    expect((await call('GET', '/v1/deliveries')).status).toBe(200);
    expect((await call('GET', '/v1/callback-secret')).status).toBe(200);
    await call('GET', `/v1/workflows/${id}/schedule`);
    await call('POST', '/v1/parameters/infer', { body: { sample: { order_id: 'A1', amount: 3.5 } } });
    await call('GET', `/v1/workflows/${id}/trigger/secrets`);

    // Main errors.
    expect((await call('GET', '/v1/workflows', { auth: false })).status).toBe(401);
    expect((await call('POST', '/v1/workflows', { body: '{"name": ' })).status).toBe(400);
    expect((await call('POST', '/v1/workflows', { body: { name: 'bad', steps: [] } })).status).toBe(422);
    expect((await call('POST', '/v1/workflows', { body: 'name: x', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect((await call('GET', '/v1/workflows/wf_doesnotexist0000')).status).toBe(404);
    expect((await call('GET', '/v1/executions/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await call('GET', '/v1/executions?status=bogus')).status).toBe(400);
    expect((await call('GET', '/v1/triggers?token=nothing')).status).toBe(400);
    expect((await call('POST', '/hooks/wh_unknowntoken000000000000', { body: {}, auth: false })).status).toBe(404);
    expect((await call('POST', hookPath, { body: '{"broken":', auth: false })).status).toBe(400);
    expect((await call('POST', `/resume/wt_${'x'.repeat(40)}`, { body: {}, auth: false })).status).toBe(404);
    expect((await call('GET', `/approvals/wt_${'x'.repeat(40)}`, { auth: false })).status).toBe(404);
    expect((await call('POST', `/approvals/wt_${'x'.repeat(40)}/approve`, { body: {}, auth: false })).status).toBe(404);

    expect(problems).toEqual([]);
  });

  it('answers every documented operation only with documented responses (placeholder ids, with and without a key)', async () => {
    problems.length = 0;
    for (const operation of checker.operations()) {
      const [method = 'GET', template = '/'] = operation.split(' ');
      const path = template.replace(/\{[^}]+\}/g, (p) => (p === '{decision}' ? 'approve' : p === '{action}' ? 'pause' : 'placeholder0000'));
      const body = ['POST', 'PUT', 'PATCH'].includes(method) ? {} : undefined;
      const res = await call(method, path, { body });
      expect(res.status).toBeLessThan(500);
      if (template.startsWith('/v1/')) expect((await call(method, path, { body, auth: false })).status).toBe(401);
    }
    expect(problems).toEqual([]);
  });

  it('has exercised every documented operation', () => {
    expect(checker.operations().filter((op) => !checker.seen.has(op))).toEqual([]);
  });
});
