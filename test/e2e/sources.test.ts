import { createHmac } from 'node:crypto';
import { request, Stack } from '../support/stack';

/**
 * Fan-out event sources: one URL starts every enabled, published, subscribed workflow whose filter
 * holds; a source with auth (the methods of webhook triggers) starts nothing for a request that fails it.
 */
describe('sources (fan-out)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start('sources', { services: ['ingress', 'execution'] });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const post = (url: string, body: unknown) =>
    request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  const subscriber = (name: string, sourceId: string, filter?: string) => ({
    name,
    max_concurrent_executions: 0,
    trigger: { source: { source_id: sourceId, ...(filter ? { filter } : {}) } },
    steps: [{ id: 'echo', type: 'transform', expression: `{"wf": "${name}", "type": trigger.body.type}` }],
  });

  it('manages sources: create, list, read, rename; invalid bodies are 400', async () => {
    const created = await stack.api('POST', '/v1/sources', { name: 'orders' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'orders', subscribed_workflow_ids: [] });
    expect(created.body.id).toMatch(/^src_[A-Za-z0-9]+$/);
    expect(created.body.url).toMatch(new RegExp(`^${stack.ingressUrl}/sources/so_[A-Za-z0-9_-]+$`));
    expect(created.body.curl).toContain(created.body.url);
    const token = String(created.body.url).split('/sources/')[1] ?? '';
    const stored = await (await stack.db()).collection('sources').findOne({ _id: created.body.id });
    expect(JSON.stringify(stored)).not.toContain(token);

    const listed = await stack.api('GET', '/v1/sources');
    expect(listed.body.data.map((s: { id: string }) => s.id)).toContain(created.body.id);
    const renamed = await stack.api('PATCH', `/v1/sources/${created.body.id}`, { name: 'orders v2' });
    expect(renamed.status).toBe(200);
    expect((await stack.api('GET', `/v1/sources/${created.body.id}`)).body).toMatchObject({ name: 'orders v2', url: created.body.url });

    for (const body of [{}, { name: '' }, { name: 'x', token: 'so_mine' }]) {
      const res = await stack.api('POST', '/v1/sources', body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
    expect((await stack.api('GET', '/v1/sources/src_doesnotexist1')).body.error.code).toBe('source_not_found');
    const bad = await stack.api('POST', '/v1/workflows', subscriber('bad', 'orders'));
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.issues[0].path).toBe('trigger.source.source_id');
  });

  it('starts every enabled, published subscriber whose filter holds, and lists every execution', async () => {
    const source = (await stack.api('POST', '/v1/sources', { name: 'events' })).body;
    const all = await stack.deploy(subscriber('all', source.id));
    const created = await stack.deploy(subscriber('created', source.id, 'trigger.body.type = "order.created"'));
    const other = await stack.deploy(subscriber('other', source.id, 'trigger.body.type = "order.deleted"'));
    const broken = await stack.deploy(subscriber('broken', source.id, '$number("x") + 1'));
    const disabled = await stack.deploy(subscriber('disabled', source.id));
    expect((await stack.api('PATCH', `/v1/workflows/${disabled.id}/trigger`, { enabled: false })).status).toBe(200);
    const draft = await stack.api('POST', '/v1/workflows', subscriber('draft', source.id));
    expect(draft.status).toBe(201);
    const unsubscribed = await stack.deploy({ name: 'plain', steps: [{ id: 'a', type: 'transform', expression: '1' }] });

    const res = await post(source.url, { type: 'order.created', id: 7 });
    expect(res.status).toBe(202);
    expect(res.body.errors).toBeUndefined();
    const started = res.body.executions as { workflow_id: string; execution_id: string; status_url: string }[];
    expect(started.map((e) => e.workflow_id).sort()).toEqual([all.id, created.id].sort());
    for (const e of started) {
      expect(e.status_url).toBe(`${stack.ingressUrl}/v1/executions/${e.execution_id}`);
      const done = await stack.waitForExecution(e.execution_id);
      expect(done.status).toBe('succeeded');
      expect(done.workflow_id).toBe(e.workflow_id);
      expect(done.trigger_input.body).toEqual({ type: 'order.created', id: 7 });
    }
    for (const id of [other.id, broken.id, disabled.id, draft.body.id, unsubscribed.id])
      expect(await (await stack.settledDb()).collection('executions').countDocuments({ workflow_id: id })).toBe(0);

    const detail = await stack.api('GET', `/v1/sources/${source.id}`);
    expect([...detail.body.subscribed_workflow_ids].sort()).toEqual([all.id, created.id, other.id, broken.id, disabled.id].sort());

    // Another event: the other filter matches now.
    const second = await post(source.url, { type: 'order.deleted' });
    expect(second.status).toBe(202);
    expect(second.body.executions.map((e: { workflow_id: string }) => e.workflow_id).sort()).toEqual([all.id, other.id].sort());
  });

  it('no subscriber matching → 202 with an empty list; unknown token → 404 and nothing started', async () => {
    const lonely = (await stack.api('POST', '/v1/sources', { name: 'lonely' })).body;
    const before = await (await stack.settledDb()).collection('executions').countDocuments();
    const none = await post(lonely.url, { hello: 1 });
    expect(none.status).toBe(202);
    expect(none.body).toEqual({ executions: [] });

    for (const url of [
      `${stack.ingressUrl}/sources/so_unknown0000000000000000`,
      `${stack.ingressUrl}/sources/${encodeURIComponent('{"$gt":""}')}`,
    ]) {
      const res = await post(url, {});
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('source_not_found');
    }
    expect(await (await stack.settledDb()).collection('executions').countDocuments()).toBe(before);
  });

  it('keeps workspaces apart and a deleted source URL answers 404', async () => {
    const source = (await stack.api('POST', '/v1/sources', { name: 'private' })).body;
    const other = await stack.apiKeyForWorkspace('other');
    const headers = { authorization: `Bearer ${other}`, 'content-type': 'application/json' };
    expect((await request(`${stack.ingressUrl}/v1/sources/${source.id}`, { headers })).status).toBe(404);
    expect((await request(`${stack.ingressUrl}/v1/sources/${source.id}`, { method: 'DELETE', headers })).status).toBe(404);
    expect((await request(`${stack.ingressUrl}/v1/sources`, { headers })).body.data).toEqual([]);
    // A workflow of another workspace naming this source is never started by it.
    const foreign = await request(`${stack.ingressUrl}/v1/workflows?publish=true`, {
      method: 'POST',
      headers,
      body: JSON.stringify(subscriber('foreign', source.id)),
    });
    expect(foreign.status).toBe(201);
    expect((await post(source.url, { type: 'x' })).body).toEqual({ executions: [] });

    expect((await stack.api('DELETE', `/v1/sources/${source.id}`)).status).toBe(204);
    expect((await post(source.url, {})).status).toBe(404);
    expect((await stack.api('GET', `/v1/sources/${source.id}`)).status).toBe(404);
  });

  const authRejections = async (): Promise<number> => {
    const metrics = await (await fetch(`${stack.opsUrl('ingress')}/metrics`)).text();
    return Number(/flowgate_webhooks_rejected_total\{[^}]*reason="auth"[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0);
  };
  const executionsOf = async (workflowId: string) =>
    (await stack.settledDb()).collection('executions').countDocuments({ workflow_id: workflowId });

  it('a signed source fans out a signed request; a missing or bad signature is 401, counted, nothing started', async () => {
    const source = (await stack.api('POST', '/v1/sources', { name: 'signed', auth: { type: 'hmac', prefix: 'sha256=' } })).body;
    expect(source.auth).toEqual({ type: 'hmac', header: 'X-Webhook-Signature', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=' });
    const wf = await stack.deploy(subscriber('signed-sub', source.id));
    const added = await stack.api('POST', `/v1/sources/${source.id}/secrets`, {});
    expect(added.status).toBe(201);
    const key = String(added.body.secret);
    const stored = await (await stack.db()).collection('sources').findOne({ _id: source.id });
    expect(JSON.stringify(stored)).not.toContain(key);

    const body = JSON.stringify({ type: 'order.created' });
    const send = (signature?: string) =>
      request(source.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(signature ? { 'x-webhook-signature': signature } : {}) },
        body,
      });
    const before = await authRejections();
    const missing = await send();
    expect([missing.status, missing.body.error.code]).toEqual([401, 'invalid_signature']);
    const bad = await send(`sha256=${createHmac('sha256', 'wrong-key-000000000').update(body).digest('hex')}`);
    expect([bad.status, bad.body.error.code]).toEqual([401, 'invalid_signature']);
    expect(await authRejections()).toBe(before + 2);
    expect(await executionsOf(wf.id)).toBe(0);

    const signed = await send(`sha256=${createHmac('sha256', key).update(body).digest('hex')}`);
    expect(signed.status).toBe(202);
    expect(signed.body.executions.map((e: { workflow_id: string }) => e.workflow_id)).toEqual([wf.id]);
    const done = await stack.waitForExecution(signed.body.executions[0].execution_id);
    expect(done.status).toBe('succeeded');
    expect(done.trigger_input.body).toEqual({ type: 'order.created' });
    expect(await executionsOf(wf.id)).toBe(1);
  });

  it('rotates a source secret: both valid during the rotation, the revoked one refused; the token is dropped from the input', async () => {
    const source = (await stack.api('POST', '/v1/sources', { name: 'rotating', auth: { type: 'header', header: 'X-Partner-Token' } })).body;
    const wf = await stack.deploy(subscriber('rotating-sub', source.id));
    const send = (token: string) =>
      request(source.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-partner-token': token, 'x-other': 'kept' },
        body: JSON.stringify({ type: 'tick' }),
      });
    const old = await stack.api('POST', `/v1/sources/${source.id}/secrets`, {});
    const fresh = await stack.api('POST', `/v1/sources/${source.id}/secrets`, {});
    expect([old.status, fresh.status]).toEqual([201, 201]);
    const accepted = await send(String(old.body.secret));
    expect(accepted.status).toBe(202);
    expect((await send(String(fresh.body.secret))).status).toBe(202);
    const listed = await stack.api('GET', `/v1/sources/${source.id}/secrets`);
    expect(listed.body.secrets.map((s: { id: string }) => s.id)).toEqual([old.body.id, fresh.body.id]);
    expect(listed.text).not.toContain(String(old.body.secret));

    expect((await stack.api('DELETE', `/v1/sources/${source.id}/secrets/${String(old.body.id)}`)).status).toBe(204);
    const revoked = await send(String(old.body.secret));
    expect([revoked.status, revoked.body.error.code]).toEqual([401, 'unauthorized']);
    expect((await send(String(fresh.body.secret))).status).toBe(202);
    expect(await executionsOf(wf.id)).toBe(3);

    const done = await stack.waitForExecution(accepted.body.executions[0].execution_id);
    expect(done.trigger_input.headers['x-partner-token']).toBeUndefined();
    expect(done.trigger_input.headers['x-other']).toBe('kept');
  });

  it('lists the subscriptions of a source: filter, version, production webhook state, paginated', async () => {
    const source = (await stack.api('POST', '/v1/sources', { name: 'listed' })).body;
    const plain = await stack.deploy(subscriber('plain', source.id));
    const filtered = await stack.deploy(subscriber('filtered', source.id, 'trigger.body.type = "a"'));
    expect((await stack.api('PATCH', `/v1/workflows/${plain.id}/trigger`, { enabled: false })).status).toBe(200);
    expect((await stack.api('POST', '/v1/workflows', subscriber('draft', source.id))).status).toBe(201);

    const first = await stack.api('GET', `/v1/sources/${source.id}/subscriptions?limit=1`);
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual([
      { id: filtered.id, name: 'filtered', filter: 'trigger.body.type = "a"', version: 1, enabled: true, created_at: expect.any(String) },
    ]);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await stack.api(
      'GET',
      `/v1/sources/${source.id}/subscriptions?limit=1&cursor=${encodeURIComponent(first.body.next_cursor)}`,
    );
    expect(second.body).toEqual({
      data: [{ id: plain.id, name: 'plain', filter: null, version: 1, enabled: false, created_at: expect.any(String) }],
      next_cursor: null,
    });
  });

  it("answers another workspace's source id 404 on its subscriptions, secrets and auth", async () => {
    const source = (await stack.api('POST', '/v1/sources', { name: 'mine', auth: { type: 'bearer' } })).body;
    const secret = (await stack.api('POST', `/v1/sources/${source.id}/secrets`, {})).body;
    const other = await stack.apiKeyForWorkspace('intruder');
    const headers = { authorization: `Bearer ${other}`, 'content-type': 'application/json' };
    const calls: [string, string, string | undefined][] = [
      ['GET', `/v1/sources/${source.id}/subscriptions`, undefined],
      ['GET', `/v1/sources/${source.id}/secrets`, undefined],
      ['POST', `/v1/sources/${source.id}/secrets`, '{}'],
      ['DELETE', `/v1/sources/${source.id}/secrets/${String(secret.id)}`, undefined],
      ['PATCH', `/v1/sources/${source.id}`, '{"auth": null}'],
    ];
    for (const [method, path, body] of calls) {
      const res = await request(`${stack.ingressUrl}${path}`, { method, headers, body });
      expect([method, path, res.status, res.body.error.code]).toEqual([method, path, 404, 'source_not_found']);
    }
    // Nothing changed: still signed, still one secret.
    expect((await stack.api('GET', `/v1/sources/${source.id}`)).body.auth).toEqual({ type: 'bearer' });
    expect((await stack.api('GET', `/v1/sources/${source.id}/secrets`)).body.secrets).toHaveLength(1);
    expect((await post(source.url, {})).status).toBe(401);
  });
});
