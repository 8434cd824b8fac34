import { routeAppPerSuite } from '../support/route-app';

/**
 * Shared workflows in-process (ADR 0017): the owner shares a published workflow, the receiver
 * lists it with its own webhook URL, which starts executions of the receiver's workspace; a revoke
 * answers 404 at once. Starts reach the real JetStream and live executions (NATS KV).
 */
const definition = (name: string, webhook?: unknown) => ({
  name,
  ...(webhook ? { trigger: { webhook } } : {}),
  steps: [{ id: 'echo', type: 'transform', expression: '{"got": trigger.body}' }],
});

describe('shared workflows routes', () => {
  const app = routeAppPerSuite('share-routes');

  /** A new workspace (the operator's route) and an admin key of it. */
  const workspace = async (name: string): Promise<{ id: string; key: string }> => {
    const created = await app().call('POST', '/v1/workspaces', { key: app().operatorKey, body: { name } });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    return { id, key: await app().apiKey(['admin'], id) };
  };
  const publishedWorkflow = async (name: string, webhook?: unknown, key?: string): Promise<{ id: string; hook: string }> => {
    const created = await app().call('POST', '/v1/workflows?publish=true', { key, body: definition(name, webhook) });
    expect(created.status).toBe(201);
    return { id: String(created.body.id), hook: new URL(String(created.body.triggers.production.async)).pathname };
  };
  const path = (url: unknown) => new URL(String(url)).pathname;

  it('shares a published workflow; the receiver lists it with its own URL, whose runs belong to the receiver', async () => {
    const b = await workspace('receiver');
    const wf = await publishedWorkflow('shared');
    const shared = await app().call('POST', `/v1/workflows/${wf.id}/shares`, { body: { workspace_id: b.id } });
    expect(shared.status).toBe(201);
    expect(shared.body).toEqual({
      id: expect.stringMatching(/^shr_/),
      workflow_id: wf.id,
      workspace_id: b.id,
      created_at: expect.any(String),
      revoked_at: null,
    });
    const listed = await app().call('GET', `/v1/workflows/${wf.id}/shares`);
    expect(listed.body.data).toEqual([shared.body]);

    const received = await app().call('GET', '/v1/shared-workflows', { key: b.key });
    expect(received.status).toBe(200);
    expect(received.body.data).toEqual([
      {
        share_id: shared.body.id,
        workflow_id: wf.id,
        name: 'shared',
        owner_workspace_id: app().workspaceId,
        version: 1,
        webhook: {
          async: expect.stringMatching(/^http:\/\/ingress\.test\/hooks\/wh_/),
          sync: expect.stringMatching(/\/sync$/),
          enabled: true,
        },
        created_at: expect.any(String),
      },
    ]);
    const hookB = path(received.body.data[0].webhook.async);
    expect(hookB).not.toBe(wf.hook);
    // The owner receives nothing; the receiver cannot see the owner's workflow or its shares.
    expect((await app().call('GET', '/v1/shared-workflows')).body.data).toEqual([]);
    expect((await app().call('GET', `/v1/workflows/${wf.id}`, { key: b.key })).status).toBe(404);
    expect((await app().call('GET', `/v1/workflows/${wf.id}/shares`, { key: b.key })).body.error.code).toBe('workflow_not_found');
    expect((await app().call('GET', `/v1/triggers?token=${hookB.split('/')[2] ?? ''}`, { key: b.key })).status).toBe(404);

    const fired = await app().call('POST', hookB, { key: null, body: { n: 1 } });
    expect(fired.status).toBe(202);
    const executionId = String(fired.body.execution_id);
    const live = app().wiring.edge.live;
    const run = await live.get(b.id, executionId);
    expect(run?.doc).toMatchObject({ workspace_id: b.id, workflow_id: wf.id, workflow_version: 1, share_id: shared.body.id });
    expect(await live.get(app().workspaceId, executionId)).toBeNull();
    // The owner's own URL still runs in the owner's workspace, without a share.
    const own = await app().call('POST', wf.hook, { key: null, body: { n: 2 } });
    const ownRun = await live.get(app().workspaceId, String(own.body.execution_id));
    expect(ownRun?.doc.workspace_id).toBe(app().workspaceId);
    expect(ownRun?.doc.share_id).toBeUndefined();
  });

  it("keeps idempotency keys apart and counts the receiver's quota, not the owner's", async () => {
    const b = await workspace('idempotency receiver');
    const wf = await publishedWorkflow('quota');
    const shared = await app().call('POST', `/v1/workflows/${wf.id}/shares`, { body: { workspace_id: b.id } });
    const hookB = path((await app().call('GET', '/v1/shared-workflows', { key: b.key })).body.data[0].webhook.async);
    expect(shared.status).toBe(201);
    const key = { 'idempotency-key': 'same-key' };
    const ownFire = await app().call('POST', wf.hook, { key: null, body: {}, headers: key });
    const sharedFire = await app().call('POST', hookB, { key: null, body: {}, headers: key });
    expect(sharedFire.status).toBe(202);
    expect(sharedFire.body.execution_id).not.toBe(ownFire.body.execution_id);
    expect(sharedFire.headers['idempotent-replayed']).toBeUndefined();

    const c = await workspace('quota receiver');
    const quota = await app().call('PATCH', `/v1/workspaces/${c.id}`, {
      key: app().operatorKey,
      body: { quotas: { executions_per_day: 1 } },
    });
    expect(quota.status).toBe(200);
    expect((await app().call('POST', `/v1/workflows/${wf.id}/shares`, { body: { workspace_id: c.id } })).status).toBe(201);
    const hookC = path((await app().call('GET', '/v1/shared-workflows', { key: c.key })).body.data[0].webhook.async);
    expect((await app().call('POST', hookC, { key: null, body: {} })).status).toBe(202);
    const over = await app().call('POST', hookC, { key: null, body: {} });
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe('quota_exceeded');
    expect((await app().call('POST', wf.hook, { key: null, body: {} })).status).toBe(202);
  });

  it('revokes at once (idempotent): the URL answers 404 webhook_not_found and the share leaves the list', async () => {
    const b = await workspace('revoked');
    const wf = await publishedWorkflow('revoke me');
    const shared = await app().call('POST', `/v1/workflows/${wf.id}/shares`, { body: { workspace_id: b.id } });
    const hookB = path((await app().call('GET', '/v1/shared-workflows', { key: b.key })).body.data[0].webhook.async);
    expect((await app().call('POST', hookB, { key: null, body: {} })).status).toBe(202); // cached on this replica now
    // Only the owner revokes.
    expect((await app().call('DELETE', `/v1/workflows/${wf.id}/shares/${String(shared.body.id)}`, { key: b.key })).status).toBe(404);
    const revoked = await app().call('DELETE', `/v1/workflows/${wf.id}/shares/${String(shared.body.id)}`);
    expect(revoked.status).toBe(204);
    expect((await app().call('DELETE', `/v1/workflows/${wf.id}/shares/${String(shared.body.id)}`)).status).toBe(204);
    const gone = await app().call('POST', hookB, { key: null, body: {} });
    expect([gone.status, gone.body.error.code]).toEqual([404, 'webhook_not_found']);
    expect((await app().call('GET', '/v1/shared-workflows', { key: b.key })).body.data).toEqual([]);
    const listed = (await app().call('GET', `/v1/workflows/${wf.id}/shares`)).body.data;
    expect(listed).toEqual([{ ...shared.body, revoked_at: expect.any(String) }]);
    expect((await app().call('POST', wf.hook, { key: null, body: {} })).status).toBe(202);
    // Shared again: a new share with a new URL.
    const again = await app().call('POST', `/v1/workflows/${wf.id}/shares`, { body: { workspace_id: b.id } });
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(shared.body.id);
    const newHook = path((await app().call('GET', '/v1/shared-workflows', { key: b.key })).body.data[0].webhook.async);
    expect(newHook).not.toBe(hookB);
    expect((await app().call('POST', newHook, { key: null, body: {} })).status).toBe(202);
    expect((await app().call('POST', hookB, { key: null, body: {} })).status).toBe(404);
  });

  it("never authenticates the receiver's URL with the owner's webhook secrets", async () => {
    const b = await workspace('no secrets');
    const wf = await publishedWorkflow('guarded', { auth: { type: 'bearer' } });
    const added = await app().call('POST', `/v1/workflows/${wf.id}/trigger/secrets`, { body: { secret: 'owner-token-0123456789' } });
    expect(added.status).toBe(201);
    const bearer = { authorization: 'Bearer owner-token-0123456789' };
    expect((await app().call('POST', wf.hook, { key: null, headers: bearer, body: {} })).status).toBe(202);
    expect((await app().call('POST', `/v1/workflows/${wf.id}/shares`, { body: { workspace_id: b.id } })).status).toBe(201);
    const hookB = path((await app().call('GET', '/v1/shared-workflows', { key: b.key })).body.data[0].webhook.async);
    const refused = await app().call('POST', hookB, { key: null, headers: bearer, body: {} });
    expect([refused.status, refused.body.error.code]).toEqual([401, 'unauthorized']);
  });

  it("keeps the receiver's own context of a shared workflow, apart from the owner's", async () => {
    const b = await workspace('context receiver');
    const wf = await publishedWorkflow('with context');
    expect((await app().call('PATCH', `/v1/workflows/${wf.id}/context`, { body: { token: 'owner-only' } })).status).toBe(200);
    const shared = await app().call('POST', `/v1/workflows/${wf.id}/shares`, { body: { workspace_id: b.id } });
    const ctx = `/v1/shared-workflows/${String(shared.body.id)}/context`;
    expect((await app().call('GET', ctx, { key: b.key })).body).toEqual({});
    const set = await app().call('PATCH', ctx, { key: b.key, body: { token: 'receiver-own', gone: null } });
    expect([set.status, set.body]).toEqual([200, { token: 'receiver-own' }]);
    expect((await app().call('GET', `/v1/workflows/${wf.id}/context`)).body).toEqual({ token: 'owner-only' });
    // Only the receiver reaches it, only while the share is active; bodies as the owner's context route.
    expect((await app().call('GET', ctx)).body.error.code).toBe('share_not_found');
    const bad = await app().call('PATCH', ctx, { key: b.key, body: { token: 1 } });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_request']);
    expect((await app().call('GET', '/v1/shared-workflows/not-a-share/context', { key: b.key })).body.error.code).toBe('share_not_found');
    await app().call('DELETE', `/v1/workflows/${wf.id}/shares/${String(shared.body.id)}`);
    expect((await app().call('GET', ctx, { key: b.key })).status).toBe(404);
    expect((await app().call('PATCH', ctx, { key: b.key, body: { token: 'x' } })).status).toBe(404);
  });

  it('refuses what cannot be shared in the one error shape', async () => {
    const b = await workspace('refusals');
    const wf = await publishedWorkflow('refusals');
    const share = (id: string, body: unknown, key?: string) => app().call('POST', `/v1/workflows/${id}/shares`, { key, body });
    const self = await share(wf.id, { workspace_id: app().workspaceId });
    expect([self.status, self.body.error.code]).toEqual([400, 'invalid_request']);
    const unknown = await share(wf.id, { workspace_id: 'ws_000000000000000000000000' });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'workspace_not_found']);
    const deleted = await workspace('deleted');
    expect((await app().call('DELETE', `/v1/workspaces/${deleted.id}`, { key: app().operatorKey })).status).toBeLessThan(300);
    const toDeleted = await share(wf.id, { workspace_id: deleted.id });
    expect([toDeleted.status, toDeleted.body.error.code]).toEqual([404, 'workspace_not_found']);
    const draft = await app().call('POST', '/v1/workflows', { body: definition('draft only') });
    const unpublished = await share(String(draft.body.id), { workspace_id: b.id });
    expect([unpublished.status, unpublished.body.error.code]).toEqual([404, 'workflow_not_published']);
    // Another workspace's workflow is an unknown one.
    const theirs = await publishedWorkflow('theirs', undefined, b.key);
    expect((await share(theirs.id, { workspace_id: b.id })).body.error.code).toBe('workflow_not_found');
    const bad = await share(wf.id, { workspace_id: b.id, extra: 1 });
    expect(bad.body.error.details.issues).toContainEqual({ path: 'extra', message: 'unknown field', code: 'unrecognized_keys' });
    const first = await share(wf.id, { workspace_id: b.id });
    const twice = await share(wf.id, { workspace_id: b.id });
    expect([twice.status, twice.body.error.code, twice.body.error.details]).toEqual([409, 'conflict', { share_id: first.body.id }]);
    const notShare = await app().call('DELETE', `/v1/workflows/${wf.id}/shares/nope`);
    expect(notShare.body.error.code).toBe('share_not_found');
    const otherWorkflows = await app().call('DELETE', `/v1/workflows/${theirs.id}/shares/${String(first.body.id)}`, { key: b.key });
    expect(otherWorkflows.body.error.code).toBe('share_not_found');
  });

  it('needs workflows:write to share and workflows:read to list what was received', async () => {
    const wf = await publishedWorkflow('scopes');
    const reader = await app().apiKey(['workflows:read']);
    const executions = await app().apiKey(['executions:read']);
    const refused = await app().call('POST', `/v1/workflows/${wf.id}/shares`, { key: reader, body: { workspace_id: 'ws_x' } });
    expect([refused.status, refused.body.error.details]).toEqual([403, { required_scope: 'workflows:write' }]);
    expect((await app().call('GET', `/v1/workflows/${wf.id}/shares`, { key: reader })).status).toBe(200);
    expect((await app().call('GET', '/v1/shared-workflows', { key: reader })).status).toBe(200);
    const noRead = await app().call('GET', '/v1/shared-workflows', { key: executions });
    expect([noRead.status, noRead.body.error.details]).toEqual([403, { required_scope: 'workflows:read' }]);
  });
});
