import { Receiver } from '../support/receiver';
import { request, Stack } from '../support/stack';

/** Workspace quotas: executions per day / month and parallel executions, across ingress replicas. */
describe('workspace quotas', () => {
  let stack: Stack;
  const slow = new Receiver(() => ({ status: 200, body: { ok: true }, delayMs: 2_500 }));

  beforeAll(async () => {
    await slow.start();
    stack = await Stack.start('quotas', { services: ['ingress', 'execution'] });
    await stack.startService('ingress', 2);
  });

  afterAll(async () => {
    await stack?.stop();
    await slow.stop();
  });

  const fire = (url: string) => request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' });

  /** Creates and publishes a workflow with another workspace's key. */
  const deployIn = async (key: string, definition: unknown) => {
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const created = await request(`${stack.ingressUrl}/v1/workflows?publish=true`, {
      method: 'POST',
      headers,
      body: JSON.stringify(definition),
    });
    if (created.status !== 201) throw new Error(`create failed: ${created.status} ${created.text}`);
    return { id: created.body.id as string, async: created.body.triggers.production.async as string };
  };

  const quick = { name: 'quick', max_concurrent_executions: 0, steps: [{ id: 'a', type: 'transform', expression: '1' }] };

  it('shows the defaults (unlimited) with usage, and validates overrides', async () => {
    const res = await stack.api('GET', '/v1/workspace/quotas');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      executions_per_day: { limit: 0, used: 0, source: 'default' },
      executions_per_month: { limit: 0, used: 0, source: 'default' },
      parallel_executions: { limit: 0, used: 0, source: 'default' },
    });
    for (const body of [{ executions_per_day: -1 }, { executions_per_day: 1.5 }, { executions_per_day: '3' }, { other: 1 }]) {
      const bad = await stack.api('PUT', '/v1/workspace/quotas', body);
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('invalid_request');
    }
  });

  it('day quota used up: 429 quota_exceeded with Retry-After until UTC midnight, nothing queued', async () => {
    const put = await stack.api('PUT', '/v1/workspace/quotas', { executions_per_day: 3 });
    expect(put.status).toBe(200);
    expect(put.body.executions_per_day).toMatchObject({ limit: 3, used: 0, source: 'workspace' });
    const wf = await stack.deploy(quick);
    for (let i = 0; i < 3; i++) expect((await fire(wf.async)).status).toBe(202);

    const refused = await fire(wf.async);
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'quota_exceeded', details: { quota: 'executions_per_day', limit: 3 } });
    const now = new Date();
    const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(Math.abs(retryAfter - (midnight - now.getTime()) / 1000)).toBeLessThan(5);
    // The sync URL is refused alike.
    expect((await fire(wf.sync)).status).toBe(429);
    expect(await (await stack.settledDb()).collection('executions').countDocuments({ workflow_id: wf.id })).toBe(3);
    const metrics = (await (await fetch(`${stack.opsUrl('ingress')}/metrics`)).text()).split('\n');
    const quotaRejections = metrics.find((l) => l.startsWith('flowgate_webhooks_rejected_total{') && l.includes('reason="quota"'));
    expect(Number(quotaRejections?.split(' ').at(-1))).toBe(2);

    const usage = await stack.api('GET', '/v1/workspace/quotas');
    expect(usage.body.executions_per_day).toMatchObject({ limit: 3, used: 3 });
    expect(Date.parse(usage.body.executions_per_day.resets_at)).toBe(midnight);

    // Back to the default (unlimited): accepted again.
    expect((await stack.api('PUT', '/v1/workspace/quotas', {})).body.executions_per_day).toMatchObject({ limit: 0, source: 'default' });
    expect((await fire(wf.async)).status).toBe(202);
    expect(await (await stack.settledDb()).collection('executions').countDocuments({ workflow_id: wf.id })).toBe(4);
  });

  it('a quota set mid-month counts what the month already started', async () => {
    const put = await stack.api('PUT', '/v1/workspace/quotas', { executions_per_month: 4 });
    // 4 executions of the previous test were started this month (this test run's database is fresh).
    expect(put.body.executions_per_month).toMatchObject({ limit: 4, used: 4 });
    const wf = await stack.deploy(quick);
    const refused = await fire(wf.async);
    expect(refused.status).toBe(429);
    expect(refused.body.error.details.quota).toBe('executions_per_month');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await (await stack.settledDb()).collection('executions').countDocuments({ workflow_id: wf.id })).toBe(0);
    await stack.api('PUT', '/v1/workspace/quotas', {});
  });

  it('holds across two ingress replicas under concurrent requests', async () => {
    const key = await stack.apiKeyForWorkspace('replicas');
    // The operator sets a workspace's limits.
    const put = await stack.api('PATCH', '/v1/workspaces/replicas', { quotas: { executions_per_day: 5 } });
    expect(put.status).toBe(200);
    const wf = await deployIn(key, quick);
    const urls = [wf.async, wf.async.replace(stack.ingressUrl, stack.ingressReplicaUrl(2))];
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => fire(urls[i % 2] ?? '')));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(11);
    expect(await (await stack.settledDb()).collection('executions').countDocuments({ workflow_id: wf.id })).toBe(5);
  });

  it('parallel quota: refused while the slow runs have not ended, accepted once they have', async () => {
    const key = await stack.apiKeyForWorkspace('parallel');
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    // The operator sets a workspace's limits.
    const put = await stack.api('PATCH', '/v1/workspaces/parallel', { quotas: { parallel_executions: 2 } });
    expect(put.status).toBe(200);
    const wf = await deployIn(key, {
      name: 'slow',
      max_concurrent_executions: 0,
      steps: [{ id: 'call', type: 'http', request: { method: 'POST', url: slow.url('/slow') } }],
    });
    const first = await Promise.all([fire(wf.async), fire(wf.async)]);
    expect(first.map((r) => r.status)).toEqual([202, 202]);

    const refused = await fire(wf.async);
    expect(refused.status).toBe(429);
    expect(refused.body.error.details).toMatchObject({ quota: 'parallel_executions', limit: 2 });
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await (await stack.settledDb()).collection('executions').countDocuments({ workflow_id: wf.id })).toBe(2);
    const usage = await request(`${stack.ingressUrl}/v1/workspace/quotas`, { headers });
    expect(usage.body.parallel_executions).toMatchObject({ limit: 2, used: 2 });

    const deadline = Date.now() + 30_000;
    while ((await (await stack.settledDb()).collection('executions').countDocuments({ workflow_id: wf.id, status: 'succeeded' })) < 2) {
      if (Date.now() > deadline) throw new Error('slow executions did not finish');
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await fire(wf.async)).status).toBe(202);
    expect(slow.requests.length).toBeGreaterThanOrEqual(2);
  });
});
