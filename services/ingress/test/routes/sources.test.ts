import { createHmac, randomUUID } from 'node:crypto';
import { routeAppPerSuite, type RouteApp } from '../support/route-app';

/**
 * Event sources in-process: their own auth (the methods and the check of webhook triggers), their
 * secrets (add / rotate / revoke, shown once), the signed fan-out, and the subscriptions list.
 */
const subscriber = (name: string, sourceId: string, filter?: string) => ({
  name,
  trigger: { source: { source_id: sourceId, ...(filter ? { filter } : {}) } },
  steps: [{ id: 'echo', type: 'transform', expression: '{"got": trigger.body}' }],
});

const sign = (key: string, body: string) => createHmac('sha256', key).update(body).digest('hex');

async function authRejections(app: RouteApp): Promise<number> {
  const metric = await app.wiring.metrics.rejected.get();
  return metric.values.find((v) => v.labels.reason === 'auth')?.value ?? 0;
}

describe('source routes', () => {
  const app = routeAppPerSuite('source-routes');

  /** A new source; returns its id and its fan-out path. */
  const createSource = async (body: Record<string, unknown>) => {
    const created = await app().call('POST', '/v1/sources', { body });
    expect(created.status).toBe(201);
    return { id: String(created.body.id), path: new URL(String(created.body.url)).pathname, body: created.body };
  };

  const deploy = async (definition: unknown): Promise<string> => {
    const created = await app().call('POST', '/v1/workflows?publish=true', { body: definition });
    expect(created.status).toBe(201);
    return String(created.body.id);
  };

  const fanOut = (path: string, body: string, headers: Record<string, string> = {}) =>
    app().call('POST', path, { key: null, body, headers: { 'content-type': 'application/json', ...headers } });

  it('creates a source with auth (the webhook schema, defaults filled in) and refuses a bad one', async () => {
    const { id, body } = await createSource({ name: 'signed', auth: { type: 'hmac', prefix: 'sha256=' } });
    expect(body.auth).toEqual({ type: 'hmac', header: 'X-Webhook-Signature', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=' });
    expect((await app().call('GET', `/v1/sources/${id}`)).body.auth).toEqual(body.auth);
    expect((await createSource({ name: 'open' })).body.auth).toBeNull();
    expect((await createSource({ name: 'explicitly open', auth: null })).body.auth).toBeNull();

    const bad = [
      { name: 'x', auth: { type: 'magic' } },
      { name: 'x', auth: { type: 'hmac', secret: 'inline' } },
      { name: 'x', auth: [{ type: 'bearer' }, { type: 'bearer' }] },
      { name: 'x', auth: { type: 'header', header: 'Authorization' } },
    ];
    for (const b of bad) {
      const res = await app().call('POST', '/v1/sources', { body: b });
      expect([res.status, res.body.error.code]).toEqual([400, 'invalid_request']);
      expect(res.body.error.details.issues[0].path).toMatch(/^auth/);
    }
    const names = ((await app().call('GET', '/v1/sources')).body.data as { name: string }[]).map((s) => s.name);
    expect(names).not.toContain('x');
  });

  it('changes auth and name through PATCH; an empty or unknown-field body is 400', async () => {
    const { id } = await createSource({ name: 'patched' });
    const bearer = await app().call('PATCH', `/v1/sources/${id}`, { body: { auth: { type: 'bearer' } } });
    expect(bearer.body).toMatchObject({ name: 'patched', auth: { type: 'bearer' } });
    const renamed = await app().call('PATCH', `/v1/sources/${id}`, { body: { name: 'renamed' } });
    expect(renamed.body).toMatchObject({ name: 'renamed', auth: { type: 'bearer' } });
    expect((await app().call('PATCH', `/v1/sources/${id}`, { body: { auth: null } })).body.auth).toBeNull();
    for (const body of [{}, { name: 'x', token: 'so_mine' }]) {
      const res = await app().call('PATCH', `/v1/sources/${id}`, { body });
      expect([res.status, res.body.error.code]).toEqual([400, 'invalid_request']);
    }
  });

  it('fans out only a signed request; a missing or bad signature is 401 invalid_signature, counted, nothing started', async () => {
    const { id, path } = await createSource({ name: 'hmac', auth: { type: 'hmac' } });
    const workflowId = await deploy(subscriber('hmac-sub', id));
    const body = JSON.stringify({ type: 'order.created' });

    // Auth configured but no secret yet: nothing can pass.
    expect((await fanOut(path, body)).status).toBe(401);

    const added = await app().call('POST', `/v1/sources/${id}/secrets`);
    expect(added.status).toBe(201);
    const key = String(added.body.secret);
    expect(key).toMatch(/^whs_/);
    expect(added.body.secrets).toEqual([expect.objectContaining({ id: added.body.id, method: 'hmac', fingerprint: expect.any(String) })]);
    const stored = await app().store.sources.findOne({ _id: id });
    expect(JSON.stringify(stored)).not.toContain(key);

    const before = await authRejections(app());
    const missing = await fanOut(path, body);
    expect([missing.status, missing.body.error.code]).toEqual([401, 'invalid_signature']);
    const wrong = await fanOut(path, body, { 'x-webhook-signature': sign('not-the-key-0000000', body) });
    expect([wrong.status, wrong.body.error.code]).toEqual([401, 'invalid_signature']);
    // A signature over other bytes does not pass either.
    const tampered = await fanOut(path, JSON.stringify({ type: 'order.deleted' }), { 'x-webhook-signature': sign(key, body) });
    expect(tampered.status).toBe(401);
    expect(await authRejections(app())).toBe(before + 3);

    const signed = await fanOut(path, body, { 'x-webhook-signature': sign(key, body) });
    expect(signed.status).toBe(202);
    expect(signed.body.executions.map((e: { workflow_id: string }) => e.workflow_id)).toEqual([workflowId]);
  });

  it('rotates: the previous secret stays valid beside the new one, a revoked one is refused at once', async () => {
    const { id, path } = await createSource({ name: 'rotating', auth: { type: 'bearer', id: 'partner' } });
    await deploy(subscriber('rotating-sub', id));
    const body = '{"n":1}';
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    const first = await app().call('POST', `/v1/sources/${id}/secrets`, { body: { secret: 'first-token-0000000000' } });
    expect(first.status).toBe(201);
    expect(first.body.secret).toBeUndefined(); // given: never echoed
    expect((await fanOut(path, body, bearer('first-token-0000000000'))).status).toBe(202);
    const unauthorized = await fanOut(path, body, bearer('other-token-0000000000'));
    expect([unauthorized.status, unauthorized.body.error.code]).toEqual([401, 'unauthorized']);

    const second = await app().call('POST', `/v1/sources/${id}/secrets`, { body: { method: 'partner' } });
    const token = String(second.body.secret);
    expect(token).toMatch(/^wht_/);
    expect((await fanOut(path, body, bearer('first-token-0000000000'))).status).toBe(202);
    expect((await fanOut(path, body, bearer(token))).status).toBe(202);

    const listed = await app().call('GET', `/v1/sources/${id}/secrets`);
    expect(listed.body.secrets.map((s: { id: string }) => s.id)).toEqual([first.body.id, second.body.id]);
    expect(JSON.stringify(listed.body)).not.toContain(token);

    expect((await app().call('DELETE', `/v1/sources/${id}/secrets/${String(first.body.id)}`)).status).toBe(204);
    expect((await fanOut(path, body, bearer('first-token-0000000000'))).status).toBe(401);
    expect((await fanOut(path, body, bearer(token))).status).toBe(202);
    expect((await app().call('DELETE', `/v1/sources/${id}/secrets/${String(first.body.id)}`)).body.error.code).toBe('not_found');

    // A third secret drops the oldest: at most two per method.
    const third = await app().call('POST', `/v1/sources/${id}/secrets`);
    const fourth = await app().call('POST', `/v1/sources/${id}/secrets`);
    expect(fourth.body.secrets.map((s: { id: string }) => s.id)).toEqual([third.body.id, fourth.body.id]);
    expect((await fanOut(path, body, bearer(token))).status).toBe(401);

    const unknownMethod = await app().call('POST', `/v1/sources/${id}/secrets`, { body: { method: 'hmac' } });
    expect([unknownMethod.status, unknownMethod.body.error.code]).toEqual([400, 'invalid_request']);
    expect(unknownMethod.body.error.details).toEqual({ methods: ['partner'] });
  });

  it('keeps a token-only source working, and its cached auth current when auth changes', async () => {
    const { id, path } = await createSource({ name: 'switching' });
    await deploy(subscriber('switching-sub', id));
    expect((await fanOut(path, '{}')).status).toBe(202); // now held in memory
    const noAuth = await app().call('POST', `/v1/sources/${id}/secrets`);
    expect([noAuth.status, noAuth.body.error.code]).toEqual([400, 'invalid_request']);

    await app().call('PATCH', `/v1/sources/${id}`, { body: { auth: { type: 'header', header: 'X-Partner-Token' } } });
    expect((await fanOut(path, '{}')).status).toBe(401);
    await app().call('POST', `/v1/sources/${id}/secrets`, { body: { secret: 'partner-token-000000' } });
    expect((await fanOut(path, '{}', { 'x-partner-token': 'partner-token-000000' })).status).toBe(202);
    await app().call('PATCH', `/v1/sources/${id}`, { body: { auth: null } });
    expect((await fanOut(path, '{}')).status).toBe(202);

    // A source stored before sources had auth (no auth field at all) is token-only.
    const legacy = await createSource({ name: 'legacy' });
    await app().store.sources.updateOne({ _id: legacy.id }, { $unset: { auth: '' } });
    await app().call('PATCH', `/v1/sources/${legacy.id}`, { body: { name: 'legacy still' } }); // announces nothing: auth unchanged
    const stored = await app().store.sources.findOne({ _id: legacy.id });
    expect(stored && 'auth' in stored).toBe(false);
    expect((await fanOut(legacy.path, '{}')).body).toEqual({ executions: [] });
    expect((await app().call('GET', `/v1/sources/${legacy.id}`)).body.auth).toBeNull();
  });

  it('lists subscriptions: filter, version, production webhook state; paginated; drafts and other sources left out', async () => {
    const { id } = await createSource({ name: 'subscribed' });
    const other = await createSource({ name: 'elsewhere' });
    const plain = await deploy(subscriber('plain', id));
    const filtered = await deploy(subscriber('filtered', id, 'trigger.body.type = "a"'));
    const disabled = await deploy(subscriber('disabled', id));
    expect((await app().call('PATCH', `/v1/workflows/${disabled}/trigger`, { body: { enabled: false } })).status).toBe(200);
    expect((await app().call('POST', '/v1/workflows', { body: subscriber('draft', id) })).status).toBe(201);
    await deploy(subscriber('other source', other.id));
    // A second version: the list shows the latest published one and its filter.
    expect(
      (await app().call('PUT', `/v1/workflows/${filtered}`, { body: subscriber('filtered', id, 'trigger.body.type = "b"') })).status,
    ).toBe(200);
    expect((await app().call('POST', `/v1/workflows/${filtered}/publish`)).status).toBe(201);

    const all = await app().call('GET', `/v1/sources/${id}/subscriptions`);
    expect(all.status).toBe(200);
    expect(all.body).toEqual({
      data: [
        { id: disabled, name: 'disabled', filter: null, version: 1, enabled: false, created_at: expect.any(String) },
        { id: filtered, name: 'filtered', filter: 'trigger.body.type = "b"', version: 2, enabled: true, created_at: expect.any(String) },
        { id: plain, name: 'plain', filter: null, version: 1, enabled: true, created_at: expect.any(String) },
      ],
      next_cursor: null,
    });

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
      const page = await app().call('GET', `/v1/sources/${id}/subscriptions${query}`);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((s: { id: string }) => s.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([disabled, filtered, plain]);

    const badCursor = await app().call('GET', `/v1/sources/${id}/subscriptions?cursor=nope`);
    expect([badCursor.status, badCursor.body.error.details.issues[0].path]).toEqual([400, 'cursor']);
    expect((await app().call('GET', `/v1/sources/${id}/subscriptions?limit=0`)).status).toBe(400);
    expect((await app().call('GET', `/v1/sources/${other.id}/subscriptions`)).body.data).toHaveLength(1);
    expect((await app().call('GET', '/v1/sources/src_doesnotexist1/subscriptions')).body.error.code).toBe('source_not_found');
  });

  it("answers another workspace's source 404 on every route", async () => {
    const { id } = await createSource({ name: 'private', auth: { type: 'bearer' } });
    const secret = await app().call('POST', `/v1/sources/${id}/secrets`);
    const foreign = await app().apiKey(['admin'], `ws_other_${randomUUID().slice(0, 8)}`);
    const calls: [string, string, unknown][] = [
      ['GET', `/v1/sources/${id}/subscriptions`, undefined],
      ['GET', `/v1/sources/${id}/secrets`, undefined],
      ['POST', `/v1/sources/${id}/secrets`, {}],
      ['DELETE', `/v1/sources/${id}/secrets/${String(secret.body.id)}`, undefined],
      ['PATCH', `/v1/sources/${id}`, { auth: null }],
    ];
    for (const [method, path, body] of calls) {
      const res = await app().call(method, path, { key: foreign, body });
      expect([method, path, res.status, res.body.error.code]).toEqual([method, path, 404, 'source_not_found']);
    }
    expect((await app().call('GET', `/v1/sources/${id}/secrets`)).body.secrets).toHaveLength(1);
    expect((await app().call('GET', `/v1/sources/${id}`)).body.auth).toEqual({ type: 'bearer' });
  });
});
