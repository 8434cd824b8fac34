import { verifyFlowgate, waitForRequests, webhookHeaders } from '../support/callbacks';
import { Receiver } from '../support/receiver';
import { request, sleep, Stack, type ApiResponse } from '../support/stack';

/**
 * Shared workflows (ADR 0017), end to end: workspace A shares a published workflow with B; B's own
 * URL runs A's latest version as an execution of B (B's executions list, B's quota, B's own
 * persisted context, never A's); A's revoke makes B's URL answer 404 at once.
 */
describe('shared workflows', () => {
  let stack: Stack;
  let crm: Receiver;
  const a = { id: '', key: '' };
  const b = { id: '', key: '' };

  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  const api = (who: { key: string }, method: string, path: string, body?: unknown) => stack.api(method, path, body, as(who.key));
  const post = (url: string, n: number): Promise<ApiResponse> =>
    request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) });

  beforeAll(async () => {
    crm = await new Receiver((req) => ({ status: 200, body: { id: `order-${req.path.split('/').pop()}` } })).start();
    stack = await Stack.start('shared-workflows', { services: ['ingress', 'execution', 'callback'] });
    // The stack's bootstrap key is the operator: it makes both workspaces and an admin key of each.
    for (const [ws, name] of [
      [a, 'owner'],
      [b, 'receiver'],
    ] as const) {
      Object.assign(ws, await stack.newWorkspace(name));
    }
  });

  afterAll(async () => {
    await stack?.stop();
    await crm?.stop();
  });

  it("runs as B's execution under B's quota and context, and stops at once when A revokes", async () => {
    const created = await api(a, 'POST', '/v1/workflows?publish=true', {
      name: 'shared orders',
      on_success_url: crm.url('/callback'),
      steps: [
        { id: 'before', type: 'transform', expression: '$exists(context.last) ? context.last : "none"' },
        { id: 'secret', type: 'transform', expression: '$exists(context.api_secret) ? context.api_secret : "none"' },
        {
          id: 'fetch',
          type: 'http',
          request: { method: 'GET', url: crm.url('/orders/{{trigger.body.n}}') },
          extract_to_context: { last: '$.body.id' },
        },
        {
          id: 'after',
          type: 'transform',
          expression: '{"before": steps.before.output, "secret": steps.secret.output, "now": context.last}',
        },
      ],
    });
    expect(created.status).toBe(201);
    const wf = { id: String(created.body.id), sync: String(created.body.triggers.production.sync) };
    expect((await api(a, 'PATCH', `/v1/workflows/${wf.id}/context`, { api_secret: 'a-only', last: 'a-last' })).status).toBe(200);

    const shared = await api(a, 'POST', `/v1/workflows/${wf.id}/shares`, { workspace_id: b.id });
    expect(shared.status).toBe(201);
    const received = await api(b, 'GET', '/v1/shared-workflows');
    expect(received.body.data).toMatchObject([{ share_id: shared.body.id, workflow_id: wf.id, owner_workspace_id: a.id, version: 1 }]);
    const hookB = received.body.data[0].webhook as { async: string; sync: string };
    const quota = await stack.api('PATCH', `/v1/workspaces/${b.id}`, { quotas: { executions_per_day: 1 } });
    expect(quota.status).toBe(200);

    // B signs its callbacks with its own secret (the deployment default no longer).
    const rotated = await api(b, 'POST', '/v1/callback-secret/rotate', { previous_secret_expires_in_s: 0 });
    expect(rotated.status).toBe(201);
    const bSecret = String(rotated.body.secret);

    // B's run reads B's own context of the workflow, never A's (A's secret included), and its writes stay B's.
    const bContextUrl = `/v1/shared-workflows/${String(shared.body.id)}/context`;
    expect((await api(b, 'PATCH', bContextUrl, { api_secret: 'b-own' })).body).toEqual({ api_secret: 'b-own' });
    const run = await post(hookB.sync, 2);
    expect(run.status).toBe(200);
    expect(run.body).toEqual({ before: 'none', secret: 'b-own', now: 'order-2' });
    expect((await api(b, 'GET', bContextUrl)).body).toEqual({ api_secret: 'b-own', last: 'order-2' });
    expect((await api(a, 'GET', bContextUrl)).status).toBe(404);
    const over = await post(hookB.sync, 3);
    expect([over.status, over.body.error.code]).toEqual([429, 'quota_exceeded']);
    // A's own URL is A's quota and A's context.
    const own = await post(wf.sync, 1);
    expect(own.body).toEqual({ before: 'a-last', secret: 'a-only', now: 'order-1' });
    expect((await api(a, 'GET', `/v1/workflows/${wf.id}/context`)).body).toEqual({ api_secret: 'a-only', last: 'order-1' });
    expect((await api(b, 'GET', `/v1/workflows/${wf.id}/context`)).status).toBe(404);

    // The execution is B's: in B's list, not in A's.
    const listB = await api(b, 'GET', '/v1/executions');
    const bRuns = (listB.body.data as { id: string; workflow_id: string }[]).filter((e) => e.workflow_id === wf.id);
    expect(bRuns).toHaveLength(1);
    const bRun = bRuns[0]?.id ?? '';
    expect((await api(b, 'GET', `/v1/executions/${bRun}`)).body).toMatchObject({ status: 'succeeded', workflow_id: wf.id });
    expect((await api(a, 'GET', `/v1/executions/${bRun}`)).status).toBe(404);
    const aRuns = ((await api(a, 'GET', '/v1/executions')).body.data as { id: string }[]).map((e) => e.id);
    expect(aRuns).not.toContain(bRun);
    expect(aRuns).toHaveLength(1);

    // Its callback (to the URL of A's definition) is signed with B's secret and logged in B's deliveries.
    const [callback] = await waitForRequests(crm.requests, bRun, 1);
    if (!callback) throw new Error('no callback');
    expect(verifyFlowgate(bSecret, webhookHeaders(callback), callback.body)).toMatchObject({ type: 'execution.succeeded' });
    expect(() => verifyFlowgate(stack.signingSecret, webhookHeaders(callback), callback.body)).toThrow('bad signature');
    const deliveriesOf = async (who: { key: string }) =>
      ((await api(who, 'GET', '/v1/deliveries')).body.data as { execution_id: string }[]).map((d) => d.execution_id);
    expect(await deliveriesOf(b)).toEqual([bRun]);
    expect(await deliveriesOf(a)).not.toContain(bRun);

    const db = await stack.settledDb();
    const execution = await db.collection('executions').findOne({ _id: bRun as never });
    expect(execution).toMatchObject({ workspace_id: b.id, workflow_id: wf.id, share_id: shared.body.id });
    const bContext = await db.collection('workflow_context').find({ workspace_id: b.id }).toArray();
    expect(bContext.map((d) => [d.workflow_id, d.key, d.value]).sort()).toEqual([
      [`${wf.id}@${b.id}`, 'api_secret', 'b-own'],
      [`${wf.id}@${b.id}`, 'last', 'order-2'],
    ]);

    // B replays its run through the share: B's quota again (spent), never A's workflow directly.
    const replay = await api(b, 'POST', `/v1/executions/${bRun}/replay`);
    expect([replay.status, replay.body.error?.code]).toEqual([429, 'quota_exceeded']);

    // Revoked: B's URLs answer 404 at once, A's goes on.
    expect((await api(a, 'DELETE', `/v1/workflows/${wf.id}/shares/${String(shared.body.id)}`)).status).toBe(204);
    for (const url of [hookB.async, hookB.sync]) {
      const gone = await post(url, 4);
      expect([gone.status, gone.body.error.code]).toEqual([404, 'webhook_not_found']);
    }
    expect((await api(b, 'GET', '/v1/shared-workflows')).body.data).toEqual([]);
    expect((await post(wf.sync, 5)).status).toBe(200);
    const replayRevoked = await api(b, 'POST', `/v1/executions/${bRun}/replay`);
    expect([replayRevoked.status, replayRevoked.body.error.code]).toEqual([404, 'workflow_not_found']);
  });

  it("a second ingress replica drops a revoked share on the config event (it cached B's URL)", async () => {
    await stack.startService('ingress', 2);
    try {
      const created = await api(a, 'POST', '/v1/workflows?publish=true', {
        name: 'replicas',
        steps: [{ id: 'ok', type: 'transform', expression: '1' }],
      });
      const shared = await api(a, 'POST', `/v1/workflows/${String(created.body.id)}/shares`, { workspace_id: b.id });
      const listed = (await api(b, 'GET', '/v1/shared-workflows')).body.data as { share_id: string; webhook: { async: string } }[];
      const url = new URL(listed.find((s) => s.share_id === shared.body.id)?.webhook.async ?? '');
      const onReplica2 = `${stack.ingressReplicaUrl(2)}${url.pathname}`;
      // Resolved (and cached) on replica 2: accepted, or 429 once B's quota of the day is spent (the test above).
      expect([202, 429]).toContain((await post(onReplica2, 1)).status);
      expect((await api(a, 'DELETE', `/v1/workflows/${String(created.body.id)}/shares/${String(shared.body.id)}`)).status).toBe(204);
      let status = 0;
      for (let i = 0; i < 20 && status !== 404; i++) {
        status = (await post(onReplica2, 1)).status;
        if (status !== 404) await sleep(50);
      }
      expect(status).toBe(404);
    } finally {
      await stack.stopService('ingress', 'SIGTERM', 2);
    }
  });
});
