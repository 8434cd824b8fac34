import { routeAppPerSuite, type RouteApp } from '../support/route-app';

/**
 * The webhook edge's per-tenant counters in-process: accepted, rejected and quota refusals carry a
 * bounded `workspace_id` (FLOWGATE_METRICS_MAX_WORKSPACES = 1 here, so the second workspace seen
 * counts as `_other`; a request for an unknown token as `_none`).
 */
const definition = (name: string) => ({ name, steps: [{ id: 'echo', type: 'transform', expression: '{"got": trigger.body}' }] });

describe('workspace_id on the webhook metrics', () => {
  const app = routeAppPerSuite('workspace-metrics', { FLOWGATE_METRICS_MAX_WORKSPACES: '1', FLOWGATE_QUOTA_EXECUTIONS_PER_DAY: '1' });

  const deploy = async (routes: RouteApp, name: string, key?: string): Promise<string> => {
    const created = await routes.call('POST', '/v1/workflows?publish=true', { body: definition(name), ...(key ? { key } : {}) });
    expect(created.status).toBe(201);
    return new URL(String(created.body.triggers.production.async)).pathname;
  };
  const values = async (metric: { get(): Promise<{ values: { labels: object; value: number }[] }> }) =>
    (await metric.get()).values.map(({ labels, value }) => ({ labels, value }));

  it('labels the first workspace by its id, a later one _other and an unknown token _none', async () => {
    const routes = app();
    const first = routes.workspaceId;
    const second = `${first}_b`;
    const hookA = await deploy(routes, 'tenant-a');
    const hookB = await deploy(routes, 'tenant-b', await routes.apiKey(['admin'], second));

    expect((await routes.call('POST', hookA, { key: null, body: { n: 1 } })).status).toBe(202);
    // The day quota (1) of the first workspace is used up.
    expect((await routes.call('POST', hookA, { key: null, body: { n: 2 } })).status).toBe(429);
    expect((await routes.call('POST', hookB, { key: null, body: { n: 1 } })).status).toBe(202);
    expect((await routes.call('POST', `/hooks/wh_${'u'.repeat(24)}`, { key: null, body: {} })).status).toBe(404);

    const { metrics } = routes.wiring;
    expect(await values(metrics.accepted)).toEqual(
      expect.arrayContaining([
        { labels: { mode: 'async', workspace_id: first }, value: 1 },
        { labels: { mode: 'async', workspace_id: '_other' }, value: 1 },
      ]),
    );
    expect(await values(metrics.accepted)).toHaveLength(2);
    expect(await values(metrics.rejected)).toEqual([
      { labels: { reason: 'quota', workspace_id: first }, value: 1 },
      { labels: { reason: 'unknown_token', workspace_id: '_none' }, value: 1 },
    ]);
    expect(await values(metrics.quotaRefusals)).toEqual([{ labels: { quota: 'executions_per_day', workspace_id: first }, value: 1 }]);
    // No label value names the second workspace: it came after the bound.
    const exported = await routes.wiring.metrics.accepted.get();
    expect(JSON.stringify(exported)).not.toContain(second);
  });
});
