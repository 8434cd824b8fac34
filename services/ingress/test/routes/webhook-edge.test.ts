import { RouteApp } from '../support/route-app';

/**
 * The public webhook edge in-process: `/hooks`, `/sources/{token}`, `/resume`, `/approvals` — no
 * API key, each trigger's own auth, its limits, the one error shape. Starts reach the real JetStream.
 */
const definition = (name: string, webhook?: unknown) => ({
  name,
  ...(webhook ? { trigger: { webhook } } : {}),
  steps: [{ id: 'echo', type: 'transform', expression: '{"got": trigger.body}' }],
});
const WAIT = `wt_${'x'.repeat(40)}`;

describe('webhook edge', () => {
  let routes: RouteApp;
  let guarded: RouteApp;
  beforeAll(async () => {
    routes = await RouteApp.start('webhook-edge');
    guarded = await RouteApp.start('webhook-edge-guarded', { FLOWGATE_WEBHOOK_ANTI_ENUMERATION: 'on', FLOWGATE_MAX_BODY_BYTES: '1024' });
  });
  afterAll(async () => {
    await routes?.stop();
    await guarded?.stop();
  });
  afterEach(() => {
    expect([...routes.problems.splice(0), ...guarded.problems.splice(0)]).toEqual([]);
  });

  /** A published workflow's production webhook path. */
  const deploy = async (app: RouteApp, name: string, webhook?: unknown): Promise<string> => {
    const created = await app.call('POST', '/v1/workflows?publish=true', { body: definition(name, webhook) });
    expect(created.status).toBe(201);
    return new URL(String(created.body.triggers.production.async)).pathname;
  };

  it('accepts a webhook without an API key: 202 once JetStream acknowledged the start', async () => {
    const hook = await deploy(routes, 'accepts');
    const accepted = await routes.call('POST', hook, { key: null, body: { n: 1 } });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({
      status: 'queued',
      status_url: expect.stringMatching(/^http:\/\/ingress\.test\/v1\/executions\//),
    });
    // Sync: the (faked) execution service reports nothing in time, so the caller gets the execution to poll.
    const sync = await routes.call('POST', `${hook}/sync`, { key: null, body: { n: 2 } });
    expect(sync.status).toBe(202);
    const replayed = await routes.call('POST', hook, { key: null, body: { n: 3 }, headers: { 'idempotency-key': 'k1' } });
    const again = await routes.call('POST', hook, { key: null, body: { n: 3 }, headers: { 'idempotency-key': 'k1' } });
    expect(again.body.execution_id).toBe(replayed.body.execution_id);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('refuses by the trigger: unknown 404, disabled 403, method 405, credentials 401, bad JSON 400', async () => {
    expect((await routes.call('POST', `/hooks/wh_${'u'.repeat(24)}`, { key: null, body: {} })).body.error.code).toBe('webhook_not_found');
    expect((await routes.call('POST', '/hooks/short', { key: null, body: {} })).body.error.code).toBe('webhook_not_found');
    const hook = await deploy(routes, 'refuses');
    const id = String((await routes.call('GET', `/v1/triggers?token=${hook.split('/')[2] ?? ''}`)).body.workflow_id);
    // The document shows POST of the any-method URL; GET is routed to the same handler.
    const method = await routes.call('GET', hook, { key: null, undocumented: true });
    expect(method.status).toBe(405);
    expect(method.headers.allow).toBe('POST');
    const broken = await routes.call('POST', hook, { key: null, body: '{"n":', headers: { 'content-type': 'application/json' } });
    expect(broken.body.error.code).toBe('invalid_json');
    await routes.call('PATCH', `/v1/workflows/${id}/trigger`, { body: { enabled: false } });
    expect((await routes.call('POST', hook, { key: null, body: {} })).body.error.code).toBe('trigger_disabled');

    const bearer = await deploy(routes, 'bearer', { auth: { type: 'bearer' } });
    const refused = await routes.call('POST', bearer, { key: null, body: {} });
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('unauthorized');
    // An API key is no webhook credential.
    expect((await routes.call('POST', bearer, { body: {} })).status).toBe(401);
  });

  it('answers unknown tokens 200 {"received": true} under anti-enumeration, and bodies over the limit 413', async () => {
    const unknown = await guarded.call('POST', `/hooks/wh_${'u'.repeat(24)}`, { key: null, body: {} });
    expect([unknown.status, unknown.body]).toEqual([200, { received: true }]);
    const hook = await deploy(guarded, 'limits');
    const large = await guarded.call('POST', hook, { key: null, body: { blob: 'x'.repeat(2_000) } });
    expect(large.status).toBe(413);
    expect(large.body.error.code).toBe('payload_too_large');
  });

  it('fans out through a source URL and answers an unknown one 404', async () => {
    const source = await routes.call('POST', '/v1/sources', { body: { name: 'events' } });
    const path = new URL(String(source.body.url)).pathname;
    expect((await routes.call('PUT', path, { key: null, body: { a: 1 } })).body).toEqual({ executions: [] });
    expect((await routes.call('POST', `/sources/so_${'u'.repeat(24)}`, { key: null, body: {} })).body.error.code).toBe('source_not_found');
  });

  it('answers resume and approval URLs of no wait 404, a wrong decision 404 and a bad comment 400', async () => {
    expect((await routes.call('POST', `/resume/${WAIT}`, { key: null, body: { ok: true } })).body.error.code).toBe('wait_not_found');
    expect((await routes.call('POST', '/resume/nope', { key: null, body: {} })).body.error.code).toBe('wait_not_found');
    expect((await routes.call('GET', `/approvals/${WAIT}`, { key: null })).body.error.code).toBe('wait_not_found');
    const decision = await routes.call('POST', `/approvals/${WAIT}/maybe`, { key: null, body: {}, undocumented: true });
    expect(decision.body.error).toEqual({ code: 'not_found', message: 'Use /approve or /reject' });
    const comment = await routes.call('POST', `/approvals/${WAIT}/approve`, { key: null, body: { comment: 5 } });
    expect(comment.status).toBe(400);
    expect(comment.body.error.details.issues).toEqual([{ path: 'comment', message: expect.any(String), code: 'invalid_type' }]);
    expect((await routes.call('POST', `/approvals/${WAIT}/reject`, { key: null })).body.error.code).toBe('wait_not_found');
    const large = await routes.call('POST', `/approvals/${WAIT}/approve`, { key: null, body: { comment: 'x'.repeat(20_000) } });
    expect(large.status).toBe(413);
  });
});
