import { request, sleep, Stack, type ApiResponse } from '../support/stack';

/**
 * The operator's workspace API with bad input and through a workspace's life: unknown ids, invalid
 * names, suspension (webhooks refused, nothing queued, reactivation), deletion (keys refused at
 * once, webhooks unknown, the progress shown until `deleted`), and the service staying up.
 */
describe('workspaces: bad input and life cycle', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start('workspaces', { services: ['ingress', 'execution', 'scheduler'] });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const as = (key: string, method: string, path: string, body?: unknown): Promise<ApiResponse> =>
    stack.api(method, path, body, { authorization: `Bearer ${key}` });
  const fire = (url: string) =>
    request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: 1 }) });
  const executionsOf = async (workflowId: string) =>
    (await stack.settledDb()).collection('executions').countDocuments({ workflow_id: workflowId });
  const allWorkspaces = async (): Promise<string[]> => {
    const res = await stack.api('GET', '/v1/workspaces?limit=100');
    expect(res.status).toBe(200);
    return (res.body.data as { id: string }[]).map((w) => w.id);
  };

  /** A new workspace with an admin key and a published workflow of it. */
  const workspaceWithWorkflow = async (name: string) => {
    const ws = await stack.api('POST', '/v1/workspaces', { name });
    expect(ws.status).toBe(201);
    expect(ws.body).toMatchObject({ id: expect.stringMatching(/^ws_/), name, status: 'active' });
    const minted = await stack.api('POST', `/v1/workspaces/${ws.body.id}/api-keys`, { name: 'admin', scopes: ['admin'] });
    expect(minted.status).toBe(201);
    const key = String(minted.body.key);
    const created = await as(key, 'POST', '/v1/workflows', {
      name: `${name}-flow`,
      max_concurrent_executions: 0,
      steps: [{ id: 'out', type: 'transform', expression: '"ok"' }],
    });
    expect(created.status).toBe(201);
    expect((await as(key, 'POST', `/v1/workflows/${created.body.id}/publish`)).status).toBe(201);
    return { id: String(ws.body.id), key, workflowId: String(created.body.id), hook: String(created.body.triggers.production.async) };
  };

  const expectError = (res: ApiResponse, status: number, code: string) => {
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
    expect(typeof res.body.error.message).toBe('string');
    expect(res.text).not.toMatch(/stack|at \w+ \(/);
  };

  it('answers 404 workspace_not_found for an unknown workspace id on every /v1/workspaces/{id} route', async () => {
    const unknown = 'ws_doesnotexist000000000000';
    const calls: [string, string, unknown?][] = [
      ['GET', `/v1/workspaces/${unknown}`],
      ['PATCH', `/v1/workspaces/${unknown}`, { name: 'renamed' }],
      ['DELETE', `/v1/workspaces/${unknown}`],
      ['POST', `/v1/workspaces/${unknown}/suspend`],
      ['POST', `/v1/workspaces/${unknown}/activate`],
      ['POST', `/v1/workspaces/${unknown}/api-keys`, { name: 'k', scopes: ['admin'] }],
    ];
    for (const [method, path, body] of calls) expectError(await stack.api(method, path, body), 404, 'workspace_not_found');
    // Not even a well-formed id: the same 404.
    expectError(await stack.api('GET', `/v1/workspaces/${encodeURIComponent('{"$gt":""}')}`), 404, 'workspace_not_found');
  });

  it('refuses a name of 101 characters or with a control character (400 invalid_request with issues) and creates nothing', async () => {
    const before = await allWorkspaces();
    for (const name of ['a'.repeat(101), 'a\u0007b', '', '   ']) {
      const res = await stack.api('POST', '/v1/workspaces', { name });
      expectError(res, 400, 'invalid_request');
      expect(res.body.error.details.issues.length).toBeGreaterThan(0);
      expect(res.body.error.details.issues[0].path).toBe('name');
    }
    expectError(await stack.api('POST', '/v1/workspaces', { name: 'ok', owner: 'me' }), 400, 'invalid_request');
    expect(await allWorkspaces()).toEqual(before);

    // A rename with a bad name changes nothing either.
    const ws = await stack.api('POST', '/v1/workspaces', { name: 'a'.repeat(100) });
    expect(ws.status).toBe(201);
    for (const name of ['b'.repeat(101), 'x\u0000y']) {
      const res = await stack.api('PATCH', `/v1/workspaces/${ws.body.id}`, { name });
      expectError(res, 400, 'invalid_request');
      expect(res.body.error.details.issues.length).toBeGreaterThan(0);
    }
    expect((await stack.api('GET', `/v1/workspaces/${ws.body.id}`)).body.name).toBe('a'.repeat(100));
  });

  it('suspended: its webhooks answer 403 workspace_suspended and queue nothing; reactivated, they are accepted again', async () => {
    const ws = await workspaceWithWorkflow('suspend-me');
    expect((await fire(ws.hook)).status).toBe(202);
    const suspended = await stack.api('POST', `/v1/workspaces/${ws.id}/suspend`);
    expect(suspended.status).toBe(200);
    expect(suspended.body).toMatchObject({ id: ws.id, status: 'suspended', suspended_at: expect.any(String) });
    const before = await executionsOf(ws.workflowId);
    for (let i = 0; i < 3; i++) expectError(await fire(ws.hook), 403, 'workspace_suspended');
    expect(await executionsOf(ws.workflowId)).toBe(before);
    // Its keys keep working (to read what it has) while it is suspended.
    expect((await as(ws.key, 'GET', '/v1/workspace')).body).toMatchObject({ id: ws.id, status: 'suspended' });

    const activated = await stack.api('POST', `/v1/workspaces/${ws.id}/activate`);
    expect(activated.status).toBe(200);
    expect(activated.body).toMatchObject({ status: 'active', suspended_at: null });
    const accepted = await fire(ws.hook);
    expect(accepted.status).toBe(202);
    const deadline = Date.now() + 30_000;
    let run = await as(ws.key, 'GET', `/v1/executions/${accepted.body.execution_id}`);
    while (run.body?.status !== 'succeeded' && Date.now() < deadline) {
      await sleep(100);
      run = await as(ws.key, 'GET', `/v1/executions/${accepted.body.execution_id}`);
    }
    expect(run.body.status).toBe('succeeded');
    expect(await executionsOf(ws.workflowId)).toBe(before + 1);
  });

  it('deleted: 202, its key is refused at once (401), its webhooks are unknown (404), the progress ends in deleted with counts', async () => {
    const ws = await workspaceWithWorkflow('delete-me');
    expect((await fire(ws.hook)).status).toBe(202);
    const unknownHook = await fire(`${stack.ingressUrl}/hooks/wh_${'x'.repeat(32)}`);
    expect(unknownHook.status).toBe(404);

    const removed = await stack.api('DELETE', `/v1/workspaces/${ws.id}`);
    expect(removed.status).toBe(202);
    expect(['deleting', 'deleted']).toContain(removed.body.status);
    expect(removed.body.deletion).toMatchObject({ requested_at: expect.any(String) });

    const refused = await as(ws.key, 'GET', '/v1/workflows');
    expectError(refused, 401, 'unauthorized');
    expect(Object.keys(refused.body)).toEqual(['error']);
    const hook = await fire(ws.hook);
    expect(hook.status).toBe(404);
    expect(hook.body.error.code).toBe(unknownHook.body.error.code);

    const deadline = Date.now() + 60_000;
    let shown = await stack.api('GET', `/v1/workspaces/${ws.id}`);
    while (shown.body.status !== 'deleted' && Date.now() < deadline) {
      await sleep(250);
      shown = await stack.api('GET', `/v1/workspaces/${ws.id}`);
    }
    expect(shown.status).toBe(200);
    expect(shown.body.status).toBe('deleted');
    expect(shown.body.deletion.finished_at).toEqual(expect.any(String));
    const counts = shown.body.deletion.removed as Record<string, number>;
    expect(counts.workflows).toBeGreaterThanOrEqual(1);
    expect(counts.apiKeys).toBeGreaterThanOrEqual(1);
    expect(counts.executions).toBeGreaterThanOrEqual(1);
    const db = await stack.settledDb();
    for (const collection of ['workflows', 'executions', 'api_keys'])
      expect(await db.collection(collection).countDocuments({ workspace_id: ws.id })).toBe(0);
    expect(Object.values(counts).every((n) => Number.isInteger(n) && n > 0)).toBe(true);

    // Deleting again changes nothing; a deleted workspace takes no new key; its webhooks stay unknown.
    expect((await stack.api('DELETE', `/v1/workspaces/${ws.id}`)).body.status).toBe('deleted');
    expectError(await stack.api('POST', `/v1/workspaces/${ws.id}/api-keys`, { name: 'k', scopes: ['admin'] }), 409, 'conflict');
    expect((await fire(ws.hook)).status).toBe(404);
    expectError(await as(ws.key, 'GET', '/v1/workspace'), 401, 'unauthorized');

    // The service stays up.
    expect((await request(`${stack.opsUrl('ingress')}/readyz`)).status).toBe(200);
    expect((await stack.api('GET', '/v1/workspaces')).status).toBe(200);
  });

  it("refuses to delete the operator's own workspace (409 operator_workspace)", async () => {
    const own = await stack.api('GET', '/v1/workspace');
    const res = await stack.api('DELETE', `/v1/workspaces/${own.body.id}`);
    expectError(res, 409, 'conflict');
    expect(res.body.error.details.reason).toBe('operator_workspace');
    expect((await stack.api('GET', '/v1/workspace')).status).toBe(200);
  });
});
