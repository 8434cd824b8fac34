import { findWorkspace } from '@flowgate/store';
import { RouteApp } from '../support/route-app';

/**
 * The operator's workspaces API in-process (`/v1/workspaces…`, operator scope) and a workspace's
 * own `/v1/workspace` (admin scope); suspension and anti-enumeration on the webhook edge. The
 * execution service is a fake here; deletion end to end is in test/e2e/workspaces.test.ts.
 */
const definition = (name: string, webhook?: unknown) => ({
  name,
  ...(webhook ? { trigger: { webhook } } : {}),
  steps: [{ id: 'echo', type: 'transform', expression: '1' }],
});

describe('workspaces API', () => {
  let routes: RouteApp;
  let guarded: RouteApp;
  beforeAll(async () => {
    routes = await RouteApp.start('workspaces');
    guarded = await RouteApp.start('workspaces-guarded', { FLOWGATE_WEBHOOK_ANTI_ENUMERATION: 'on' });
  });
  afterAll(async () => {
    await routes?.stop();
    await guarded?.stop();
  });
  afterEach(() => {
    expect([...routes.problems.splice(0), ...guarded.problems.splice(0)]).toEqual([]);
  });

  const operator = () => ({ key: routes.operatorKey });
  const create = async (name: string, extra: Record<string, unknown> = {}) => {
    const res = await routes.call('POST', '/v1/workspaces', { ...operator(), body: { name, ...extra } });
    expect(res.status).toBe(201);
    return res.body as { id: string; name: string };
  };
  /** A published workflow's production webhook path in a workspace, made with that workspace's admin key. */
  const deploy = async (app: RouteApp, key: string, name: string, webhook?: unknown): Promise<string> => {
    const created = await app.call('POST', '/v1/workflows?publish=true', { key, body: definition(name, webhook) });
    expect(created.status).toBe(201);
    return new URL(String(created.body.triggers.production.async)).pathname;
  };
  const mintAdmin = async (app: RouteApp, workspaceId: string): Promise<string> => {
    const minted = await app.call('POST', `/v1/workspaces/${workspaceId}/api-keys`, {
      key: app.operatorKey,
      body: { name: 'first admin', scopes: ['admin'] },
    });
    expect(minted.status).toBe(201);
    return String(minted.body.key);
  };

  it('creates, reads, lists with a cursor, renames and sets the limits of workspaces', async () => {
    const a = await create('Team A', { quotas: { executions_per_day: 5 }, egress_allow_cidrs: ['10.0.0.1/32', '10.0.0.1/32'] });
    expect(a).toMatchObject({
      id: expect.stringMatching(/^ws_[0-9a-f]{24}$/),
      status: 'active',
      anti_enumeration: null,
      quotas: { executions_per_day: 5, executions_per_month: null, parallel_executions: null },
      egress_allow_cidrs: ['10.0.0.1/32'],
      deletion: null,
    });
    const b = await create('Team B');
    expect((await routes.call('GET', `/v1/workspaces/${a.id}`, operator())).body.name).toBe('Team A');

    const first = await routes.call('GET', '/v1/workspaces?limit=1', operator());
    expect(first.body.data.map((w: { id: string }) => w.id)).toEqual([b.id]);
    const second = await routes.call('GET', `/v1/workspaces?limit=1&cursor=${String(first.body.next_cursor)}`, operator());
    expect(second.body.data.map((w: { id: string }) => w.id)).toEqual([a.id]);
    expect((await routes.call('GET', '/v1/workspaces?cursor=nonsense', operator())).body.error.code).toBe('invalid_request');

    const renamed = await routes.call('PATCH', `/v1/workspaces/${a.id}`, {
      ...operator(),
      body: { name: 'Team A2', anti_enumeration: true, quotas: { parallel_executions: 2 } },
    });
    expect(renamed.body).toMatchObject({
      name: 'Team A2',
      anti_enumeration: true,
      // A quotas object replaces the overrides as a whole, like PUT /v1/workspace/quotas.
      quotas: { executions_per_day: null, parallel_executions: 2 },
      egress_allow_cidrs: ['10.0.0.1/32'],
    });
    // The workspace's own admin reads the limits the operator set.
    const adminOfA = await mintAdmin(routes, a.id);
    const quotas = await routes.call('GET', '/v1/workspace/quotas', { key: adminOfA });
    expect(quotas.body.parallel_executions).toMatchObject({ limit: 2, source: 'workspace' });
    expect((await routes.call('GET', '/v1/workspace', { key: adminOfA })).body).toMatchObject({ id: a.id, name: 'Team A2' });
  });

  it('refuses bad names, unknown fields, unknown ids and a workspace key, creating nothing', async () => {
    const before = (await routes.call('GET', '/v1/workspaces?limit=100', operator())).body.data.length;
    for (const name of ['x'.repeat(101), 'a\u0007b', '   ', 'bad\u200Bname']) {
      const bad = await routes.call('POST', '/v1/workspaces', { ...operator(), body: { name } });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details.issues[0]).toMatchObject({ path: 'name' });
    }
    const unknownField = await routes.call('POST', '/v1/workspaces', { ...operator(), body: { name: 'ok', plan: 'gold' } });
    expect(unknownField.body.error.details.issues).toContainEqual({ path: 'plan', message: 'unknown field', code: 'unrecognized_keys' });
    const badCidr = await routes.call('POST', '/v1/workspaces', {
      ...operator(),
      body: { name: 'ok', egress_allow_cidrs: ['10.0.0.1/8'] },
    });
    expect(badCidr.body.error.details.issues[0]).toMatchObject({ path: 'egress_allow_cidrs[0]' });
    expect((await routes.call('GET', '/v1/workspaces?limit=100', operator())).body.data.length).toBe(before);

    for (const [method, path] of [
      ['GET', '/v1/workspaces/ws_000000000000000000000000'],
      ['PATCH', '/v1/workspaces/ws_000000000000000000000000'],
      ['DELETE', '/v1/workspaces/ws_000000000000000000000000'],
      ['POST', '/v1/workspaces/ws_000000000000000000000000/suspend'],
      ['GET', `/v1/workspaces/${encodeURIComponent('{"$gt":""}')}`],
    ] as const) {
      const res = await routes.call(method, path, { ...operator(), body: method === 'PATCH' ? { name: 'x' } : undefined });
      expect([method, path, res.status, res.body.error.code]).toEqual([method, path, 404, 'workspace_not_found']);
    }
    // A workspace's admin key is no operator: 403 naming the scope, whatever the id.
    const denied = await routes.call('GET', '/v1/workspaces');
    expect(denied.status).toBe(403);
    expect(denied.body.error.details).toEqual({ required_scope: 'operator' });
    // And no key made through the API can carry the operator scope.
    const escalate = await routes.call('POST', '/v1/api-keys', { body: { name: 'root', scopes: ['operator'] } });
    expect(escalate.status).toBe(400);
    expect(escalate.body.error.details.issues[0]).toMatchObject({ path: 'scopes[0]' });
  });

  it('suspends a workspace: its webhooks 403 workspace_suspended and start nothing, its keys keep working; activate undoes it', async () => {
    const ws = await create('Suspendable');
    const key = await mintAdmin(routes, ws.id);
    const hook = await deploy(routes, key, 'suspendable');
    expect((await routes.call('POST', hook, { key: null, body: {} })).status).toBe(202);

    const suspended = await routes.call('POST', `/v1/workspaces/${ws.id}/suspend`, operator());
    expect(suspended.body).toMatchObject({ status: 'suspended', suspended_at: expect.any(String) });
    const refused = await routes.call('POST', hook, { key: null, body: {} });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('workspace_suspended');
    expect((await routes.call('GET', '/v1/workflows', { key })).status).toBe(200);
    const id = String((await routes.call('GET', '/v1/workflows', { key })).body.data[0].id);
    // Test runs start nothing either.
    const test = await routes.call('POST', `/v1/workflows/${id}/test`, { key, body: { body: {} } });
    expect([test.status, test.body.error?.code]).toEqual([403, 'workspace_suspended']);

    expect((await routes.call('POST', `/v1/workspaces/${ws.id}/activate`, operator())).body.status).toBe('active');
    expect((await routes.call('POST', hook, { key: null, body: {} })).status).toBe(202);
  });

  it("limits a workspace's webhooks by its own bucket when the operator sets one", async () => {
    const ws = await create('Limited', { rate_limit: { per_second: 0.01, burst: 2 } });
    expect(ws).toMatchObject({ rate_limit: { per_second: 0.01, burst: 2 } });
    const key = await mintAdmin(routes, ws.id);
    const hook = await deploy(routes, key, 'limited');
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push((await routes.call('POST', hook, { key: null, body: {} })).status);
    expect(answers).toEqual([202, 202, 429]);
    // Back to the deployment's bucket (25/s here): the same bucket, refilled at the deployment's rate.
    const reset = await routes.call('PATCH', `/v1/workspaces/${ws.id}`, { ...operator(), body: { rate_limit: null } });
    expect(reset.body.rate_limit).toBeNull();
    const after = await routes.call('POST', hook, { key: null, body: {} });
    expect(after.headers['ratelimit-policy']).toContain('"workspace";q=25;w=1');
    const bad = await routes.call('PATCH', `/v1/workspaces/${ws.id}`, { ...operator(), body: { rate_limit: { per_second: -1 } } });
    expect(bad.body.error.details.issues[0]).toMatchObject({ path: 'rate_limit.per_second', code: 'too_small' });
  });

  it("masks a workspace's refusals as unknown tokens under its anti-enumeration, by the deployment's answer", async () => {
    const ws = await guarded.call('POST', '/v1/workspaces', { key: guarded.operatorKey, body: { name: 'Masked' } });
    const key = await mintAdmin(guarded, String(ws.body.id));
    const hook = await deploy(guarded, key, 'masked', { auth: { type: 'bearer' } });
    // The deployment switch is on: an unknown token answers 200 {"received": true}; a bad credential still its 401.
    expect((await guarded.call('POST', `/hooks/wh_${'u'.repeat(24)}`, { key: null, body: {} })).body).toEqual({ received: true });
    expect((await guarded.call('POST', hook, { key: null, body: {} })).status).toBe(401);
    // The workspace's own switch makes its refusals answer like the unknown token.
    expect((await guarded.call('PATCH', '/v1/workspace', { key, body: { anti_enumeration: true } })).body.anti_enumeration).toBe(true);
    expect((await guarded.call('POST', hook, { key: null, body: {} })).body).toEqual({ received: true });
    await guarded.call('POST', `/v1/workspaces/${String(ws.body.id)}/suspend`, { key: guarded.operatorKey });
    expect((await guarded.call('POST', hook, { key: null, body: {} })).body).toEqual({ received: true });
    // Switched off again, its refusals answer as they are.
    expect((await guarded.call('PATCH', '/v1/workspace', { key, body: { anti_enumeration: false } })).body.anti_enumeration).toBe(false);
    expect((await guarded.call('POST', hook, { key: null, body: {} })).body.error.code).toBe('workspace_suspended');

    // With the deployment switch off, a masking workspace's refusals answer 404 like an unknown token.
    const own = await routes.call('PATCH', '/v1/workspace', { body: { anti_enumeration: true } });
    expect(own.body).toMatchObject({ id: routes.workspaceId, anti_enumeration: true });
    const plain = await deploy(routes, routes.adminKey, 'plain', { auth: { type: 'bearer' } });
    const masked = await routes.call('POST', plain, { key: null, body: {} });
    expect([masked.status, masked.body.error.code]).toEqual([404, 'webhook_not_found']);
    await routes.call('PATCH', '/v1/workspace', { body: { anti_enumeration: null } });
    expect((await routes.call('POST', plain, { key: null, body: {} })).status).toBe(401);
  });

  it('marks a workspace for deletion (idempotent, 202): its keys stop at once, its webhooks are unknown; the own workspace stays', async () => {
    const ws = await create('Doomed');
    const key = await mintAdmin(routes, ws.id);
    const hook = await deploy(routes, key, 'doomed');
    const first = await routes.call('DELETE', `/v1/workspaces/${ws.id}`, operator());
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({
      status: expect.stringMatching(/^(deleting|deleted)$/),
      deletion: { requested_at: expect.any(String) },
    });
    const again = await routes.call('DELETE', `/v1/workspaces/${ws.id}`, operator());
    expect(again.status).toBe(202);
    expect(again.body.deletion.requested_at).toBe(first.body.deletion.requested_at);

    const refused = await routes.call('GET', '/v1/workflows', { key });
    expect([refused.status, refused.body.error.code]).toEqual([401, 'unauthorized']);
    expect((await routes.call('POST', hook, { key: null, body: {} })).body.error.code).toBe('webhook_not_found');
    const changed = await routes.call('PATCH', `/v1/workspaces/${ws.id}`, { ...operator(), body: { name: 'back' } });
    expect([changed.status, changed.body.error.details.status]).toEqual([409, expect.stringMatching(/^(deleting|deleted)$/)]);

    // Nothing is live: the next pass of the lease holder removes the documents and leaves a tombstone.
    const deadline = Date.now() + 15_000;
    let doc = await findWorkspace(routes.store.workspaces, ws.id);
    while (doc?.status !== 'deleted' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      doc = await findWorkspace(routes.store.workspaces, ws.id);
    }
    expect(doc?.status).toBe('deleted');
    const shown = await routes.call('GET', `/v1/workspaces/${ws.id}`, operator());
    expect(shown.body.deletion).toMatchObject({ finished_at: expect.any(String), removed: { apiKeys: 1, workflows: 1 } });

    // The operator key's own workspace (PATCH /v1/workspace gives it a document if it had none).
    await routes.call('PATCH', '/v1/workspace', { body: { name: 'route tests' } });
    const self = await routes.call('DELETE', `/v1/workspaces/${routes.workspaceId}`, operator());
    expect([self.status, self.body.error.details]).toEqual([409, { reason: 'operator_workspace' }]);
  });
});
