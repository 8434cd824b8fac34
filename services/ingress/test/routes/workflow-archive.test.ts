import { routeAppPerSuite } from '../support/route-app';

/**
 * `DELETE /v1/workflows/{id}` in-process: archived, still readable with `archived_at`, listed only
 * with ?archived=true, idempotent; every webhook of it (each environment, a share's) answers 410
 * workflow_archived and queues nothing; every write or start through the API answers 409.
 */
const definition = (name: string) => ({ name, steps: [{ id: 'echo', type: 'transform', expression: '{"got": trigger.body}' }] });

describe('archiving a workflow', () => {
  const app = routeAppPerSuite('workflow-archive-routes');

  const workspace = async (name: string): Promise<{ id: string; key: string }> => {
    const created = await app().call('POST', '/v1/workspaces', { key: app().operatorKey, body: { name } });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    return { id, key: await app().apiKey(['admin'], id) };
  };
  const path = (url: unknown) => new URL(String(url)).pathname;
  const hook = (p: string) => app().call('POST', p, { key: null, body: { a: 1 } });

  it('archives: GET shows archived_at, lists show it only with ?archived=true, a second DELETE answers the same', async () => {
    const ws = await workspace('archive lists');
    const created = await app().call('POST', '/v1/workflows?publish=true', { key: ws.key, body: definition('to archive') });
    const kept = await app().call('POST', '/v1/workflows', { key: ws.key, body: definition('kept') });
    const id = String(created.body.id);
    expect(created.body.archived_at).toBeNull();

    const archived = await app().call('DELETE', `/v1/workflows/${id}`, { key: ws.key });
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({ id, name: 'to archive', published_version: 1, archived_at: expect.any(String) });
    const again = await app().call('DELETE', `/v1/workflows/${id}`, { key: ws.key });
    expect([again.status, again.body]).toEqual([200, archived.body]);
    expect((await app().call('GET', `/v1/workflows/${id}`, { key: ws.key })).body).toEqual(archived.body);

    const listed = await app().call('GET', '/v1/workflows', { key: ws.key });
    expect((listed.body.data as { id: string }[]).map((w) => w.id)).toEqual([kept.body.id]);
    const onlyArchived = await app().call('GET', '/v1/workflows?archived=true', { key: ws.key });
    // A list page shows the single answer without its `versions` (ADR 0021).
    expect(onlyArchived.body.data[0]).not.toHaveProperty('versions');
    expect(onlyArchived.body).toEqual({ data: [{ ...archived.body, versions: undefined }], next_cursor: null });
    expect((await app().call('GET', '/v1/workflows?archived=false', { key: ws.key })).body.data).toHaveLength(1);
    expect((await app().call('GET', '/v1/workflows?archived=yes', { key: ws.key })).status).toBe(400);
  });

  it("answers another workspace's id and an unknown id 404 workflow_not_found, and archives nothing", async () => {
    const a = await workspace('archive owner');
    const b = await workspace('archive stranger');
    const created = await app().call('POST', '/v1/workflows', { key: a.key, body: definition('mine') });
    for (const target of [`/v1/workflows/${created.body.id}`, '/v1/workflows/wf_0000000000000000']) {
      const refused = await app().call('DELETE', target, { key: b.key });
      expect([refused.status, refused.body.error.code]).toEqual([404, 'workflow_not_found']);
    }
    expect((await app().call('GET', `/v1/workflows/${created.body.id}`, { key: a.key })).body.archived_at).toBeNull();
    const reader = await app().apiKey(['workflows:read'], a.id);
    const forbidden = await app().call('DELETE', `/v1/workflows/${created.body.id}`, { key: reader });
    expect(forbidden.status).toBe(403);
  });

  it('every webhook of it answers 410 workflow_archived (each environment, a share), nothing queued', async () => {
    const owner = await workspace('archive hooks');
    const receiver = await workspace('archive receiver');
    const created = await app().call('POST', '/v1/workflows?publish=true', { key: owner.key, body: definition('hooks') });
    const id = String(created.body.id);
    expect((await app().call('PUT', `/v1/workflows/${id}/environments/staging`, { key: owner.key, body: { version: 1 } })).status).toBe(
      200,
    );
    const shared = await app().call('POST', `/v1/workflows/${id}/shares`, { key: owner.key, body: { workspace_id: receiver.id } });
    expect(shared.status).toBe(201);
    const received = await app().call('GET', '/v1/shared-workflows', { key: receiver.key });
    const triggers = created.body.triggers as Record<string, { async: string; sync: string }>;
    const hooks = [
      ...['production', 'staging', 'development'].flatMap((env) => [path(triggers[env]?.async), path(triggers[env]?.sync)]),
      path(received.body.data[0].webhook.async),
    ];
    // Every one runs before the archive (the replica holds them in memory).
    for (const p of hooks) expect([p, [200, 202].includes((await hook(p)).status)]).toEqual([p, true]);

    const disabled = await app().call('PATCH', `/v1/workflows/${id}/trigger`, {
      key: owner.key,
      body: { enabled: false, environment: 'development' },
    });
    expect(disabled.status).toBe(200);
    expect((await app().call('DELETE', `/v1/workflows/${id}`, { key: owner.key })).status).toBe(200);
    const before = await app().call('GET', `/v1/executions?workflow_id=${id}&limit=100`, { key: owner.key });
    for (const p of hooks) {
      const res = await hook(p);
      expect([p, res.status, res.body.error?.code]).toEqual([p, 410, 'workflow_archived']);
    }
    const after = await app().call('GET', `/v1/executions?workflow_id=${id}&limit=100`, { key: owner.key });
    expect(after.body.data).toHaveLength(before.body.data.length);
  });

  it("leaves an archived subscriber out of its source's fan-out, subscriptions and view", async () => {
    const ws = await workspace('archive fan-out');
    const source = await app().call('POST', '/v1/sources', { key: ws.key, body: { name: 'events' } });
    expect(source.status).toBe(201);
    const subscriber = (name: string) => ({
      name,
      trigger: { source: { source_id: source.body.id } },
      steps: [{ id: 'echo', type: 'transform', expression: '1' }],
    });
    const kept = await app().call('POST', '/v1/workflows?publish=true', { key: ws.key, body: subscriber('kept') });
    const gone = await app().call('POST', '/v1/workflows?publish=true', { key: ws.key, body: subscriber('gone') });
    const fanOut = () =>
      app().call('POST', path(source.body.url), { key: null, body: '{}', headers: { 'content-type': 'application/json' } });
    const startedBy = async () => ((await fanOut()).body.executions as { workflow_id: string }[]).map((e) => e.workflow_id).sort();
    expect(await startedBy()).toEqual([kept.body.id, gone.body.id].sort());

    expect((await app().call('DELETE', `/v1/workflows/${gone.body.id}`, { key: ws.key })).status).toBe(200);
    expect(await startedBy()).toEqual([kept.body.id]);
    const subscriptions = await app().call('GET', `/v1/sources/${source.body.id}/subscriptions`, { key: ws.key });
    expect((subscriptions.body.data as { id: string }[]).map((w) => w.id)).toEqual([kept.body.id]);
    const shown = await app().call('GET', `/v1/sources/${source.body.id}`, { key: ws.key });
    expect(shown.body.subscribed_workflow_ids).toEqual([kept.body.id]);
  });

  it('refuses every write and start through the API 409 conflict (details.reason = workflow_archived); reads still work', async () => {
    const owner = await workspace('archive writes');
    const receiver = await workspace('archive writes receiver');
    const created = await app().call('POST', '/v1/workflows?publish=true', { key: owner.key, body: definition('frozen') });
    const id = String(created.body.id);
    expect((await app().call('DELETE', `/v1/workflows/${id}`, { key: owner.key })).status).toBe(200);

    const writes: [string, string, unknown][] = [
      ['PUT', `/v1/workflows/${id}`, definition('changed')],
      ['POST', `/v1/workflows/${id}/publish`, undefined],
      ['PATCH', `/v1/workflows/${id}/trigger`, { enabled: true }],
      ['PATCH', `/v1/workflows/${id}/context`, { k: 'v' }],
      ['PUT', `/v1/workflows/${id}/environments/staging`, { version: 1 }],
      ['POST', `/v1/workflows/${id}/shares`, { workspace_id: receiver.id }],
      ['POST', `/v1/workflows/${id}/test`, { body: {} }],
      ['POST', `/v1/workflows/${id}/trigger/secrets`, { method: 'bearer' }],
      ['POST', `/v1/workflows/${id}/parameters/capture`, {}],
    ];
    for (const [method, target, body] of writes) {
      const res = await app().call(method, target, { key: owner.key, body });
      expect([method, target, res.status, res.body.error?.code, res.body.error?.details?.reason]).toEqual([
        method,
        target,
        409,
        'conflict',
        'workflow_archived',
      ]);
    }
    expect((await app().call('GET', `/v1/workflows/${id}`, { key: owner.key })).body.name).toBe('frozen');
    expect((await app().call('GET', `/v1/workflows/${id}/context`, { key: owner.key })).body).toEqual({});
    expect((await app().call('GET', `/v1/workflows/${id}/shares`, { key: owner.key })).body.data).toEqual([]);
  });
});
