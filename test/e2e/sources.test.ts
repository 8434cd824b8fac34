import { request, Stack } from '../support/stack';

/** Fan-out event sources: one URL starts every enabled, published, subscribed workflow whose filter holds. */
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
});
