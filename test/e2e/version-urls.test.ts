import { request, sleep, Stack, type ApiResponse } from '../support/stack';

/**
 * Version URLs (ADR 0021) over HTTP against the running services: every published version n has
 * its own URL `/hooks/{production token}/v{n}` (and `…/v{n}/sync`) that runs exactly version n
 * with its own webhook settings and the production webhook's secrets; a version no environment
 * runs can be retired (410 version_retired, nothing queued, on every ingress replica within 1 s)
 * and restored; the single-workflow answer and GET /v1/workflows/{id}/versions list the URLs.
 */
const PROPAGATION_MS = 1_000;
const json = { 'content-type': 'application/json' };
const post = (url: string, headers: Record<string, string> = {}, body: unknown = { n: 1 }) =>
  request(url, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify(body) });

/** v1: a bearer-authenticated webhook answering "v1"; v2: no auth, CORS for one origin, answering "v2". */
const v1 = {
  name: 'versioned',
  max_concurrent_executions: 0,
  trigger: { webhook: { auth: { type: 'bearer' } } },
  steps: [{ id: 'out', type: 'transform', expression: '"v1"' }],
};
const ORIGIN = 'https://app.example';
const v2 = {
  name: 'versioned',
  max_concurrent_executions: 0,
  trigger: { webhook: { cors: { allow_origins: [ORIGIN] } } },
  steps: [{ id: 'out', type: 'transform', expression: '"v2"' }],
};
const preflight = (url: string) =>
  request(url, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });

describe('version URLs', () => {
  let stack: Stack;
  let id: string;
  let production: { async: string; sync: string };
  let staging: { async: string };
  let bearer: Record<string, string>;

  beforeAll(async () => {
    // A cache max age far beyond the test: only the config events can make replica 2 see a retirement in time.
    stack = await Stack.start('version-urls', {
      services: ['ingress', 'execution', 'scheduler'],
      env: { ingress: { FLOWGATE_CONFIG_CACHE_MAX_AGE_MS: '600000' } },
    });
    await stack.startService('ingress', 2);

    const created = await stack.api('POST', '/v1/workflows', v1);
    expect(created.status).toBe(201);
    id = String(created.body.id);
    production = created.body.triggers.production;
    staging = created.body.triggers.staging;
    const secret = await stack.api('POST', `/v1/workflows/${id}/trigger/secrets`, { method: 'bearer' });
    expect(secret.status).toBe(201);
    bearer = { authorization: `Bearer ${String(secret.body.secret)}` };
    expect((await stack.api('POST', `/v1/workflows/${id}/publish`)).status).toBe(201);
    expect((await stack.api('PUT', `/v1/workflows/${id}`, v2)).status).toBe(200);
    expect((await stack.api('POST', `/v1/workflows/${id}/publish`)).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const executions = async () => (await stack.settledDb()).collection('executions').countDocuments({ workflow_id: id });
  const retire = (version: number | string, key?: string) =>
    stack.api('POST', `/v1/workflows/${id}/versions/${version}/retire`, undefined, key ? { authorization: `Bearer ${key}` } : {});
  const restore = (version: number) => stack.api('POST', `/v1/workflows/${id}/versions/${version}/restore`);
  const errorOf = (res: ApiResponse) => [res.status, res.body?.error?.code];

  it('/v{n} runs exactly version n with its own settings, whatever production runs', async () => {
    // Production moved on to v2 (no auth); v1's URL runs v1, with v1's bearer auth and production's secret.
    expect((await post(production.sync)).body).toBe('v2');
    expect((await post(`${production.async}/v2/sync`)).body).toBe('v2');
    const one = await post(`${production.async}/v1/sync`, bearer);
    expect([one.status, one.body]).toEqual([200, 'v1']);
    expect(errorOf(await post(`${production.async}/v1/sync`))).toEqual([401, 'unauthorized']);
    expect(errorOf(await post(`${production.async}/v1/sync`, { authorization: 'Bearer nope' }))).toEqual([401, 'unauthorized']);

    // The async URL: accepted, and the execution records the version it ran, in production.
    const accepted = await post(`${production.async}/v1`, bearer);
    expect(accepted.status).toBe(202);
    const run = await stack.waitForExecution(String(accepted.body.execution_id));
    expect(run).toMatchObject({ status: 'succeeded', workflow_version: 1, environment: 'production', final_output: 'v1' });

    // CORS comes from the version run: v2's preflight is answered 204 for its origin (before auth), on both URLs.
    for (const url of [`${production.async}/v2`, `${production.async}/v2/sync`]) {
      const answered = await preflight(url);
      expect([url, answered.status, answered.headers.get('access-control-allow-origin')]).toEqual([url, 204, ORIGIN]);
    }
  });

  it('a version never published, the draft, or another token than production’s names nothing: 404, nothing queued', async () => {
    const before = await executions();
    for (const path of ['/v9', '/v9/sync', '/v0', '/v01', '/vx', '/v3']) {
      const res = await post(`${production.async}${path}`, bearer);
      expect([path, ...errorOf(res)]).toEqual([path, 404, 'version_not_found']);
    }
    // Only the production token has version URLs.
    expect(errorOf(await post(`${staging.async}/v1`, bearer))).toEqual([404, 'version_not_found']);
    // An unknown token stays an unknown webhook.
    expect(errorOf(await post(`${stack.ingressUrl}/hooks/wh_${'x'.repeat(40)}/v1`))).toEqual([404, 'webhook_not_found']);
    expect(await executions()).toBe(before);
  });

  it('idempotency keys of a version URL are its own: never answered with a production run, nor another version’s', async () => {
    const key = { 'idempotency-key': `same-${Date.now()}` };
    const prod = await post(production.async, key);
    const one = await post(`${production.async}/v1`, { ...bearer, ...key });
    const two = await post(`${production.async}/v2`, key);
    expect([prod.status, one.status, two.status]).toEqual([202, 202, 202]);
    const ids = [prod, one, two].map((r) => String(r.body.execution_id));
    expect(new Set(ids).size).toBe(3);
    const again = await post(`${production.async}/v1`, { ...bearer, ...key });
    expect([again.body.execution_id, again.headers.get('idempotent-replayed')]).toEqual([ids[1], 'true']);
  });

  it('lists every version with its URLs in the workflow answer and GET …/versions; list pages stay small', async () => {
    const one = await stack.api('GET', `/v1/workflows/${id}`);
    expect(one.body.versions).toEqual([
      {
        version: 2,
        url: `${production.async}/v2`,
        sync_url: `${production.async}/v2/sync`,
        retired_at: null,
        environments: ['production'],
      },
      { version: 1, url: `${production.async}/v1`, sync_url: `${production.async}/v1/sync`, retired_at: null, environments: [] },
    ]);
    // Production and staging URLs are as they were.
    expect(one.body.triggers.production).toMatchObject({ async: production.async, sync: production.sync, version: 2 });
    const listed = await stack.api('GET', '/v1/workflows?limit=100');
    const mine = (listed.body.data as { id: string }[]).find((w) => w.id === id);
    expect(mine).toBeDefined();
    expect(mine).not.toHaveProperty('versions');

    const first = await stack.api('GET', `/v1/workflows/${id}/versions?limit=1`);
    expect([first.status, first.body.data.map((v: { version: number }) => v.version), first.body.next_cursor]).toEqual([200, [2], '2']);
    const second = await stack.api('GET', `/v1/workflows/${id}/versions?limit=1&cursor=2`);
    expect([second.body.data, second.body.next_cursor]).toEqual([[one.body.versions[1]], null]);
    expect(errorOf(await stack.api('GET', `/v1/workflows/${id}/versions?cursor=nope`))).toEqual([400, 'invalid_request']);
  });

  it('the version production or staging runs cannot be retired (409 version_in_use); an unpublished one is 404', async () => {
    const prod = await retire(2);
    expect([...errorOf(prod), prod.body.error.details]).toEqual([409, 'version_in_use', { environments: ['production'] }]);
    expect((await stack.api('PUT', `/v1/workflows/${id}/environments/staging`, { version: 1 })).status).toBe(200);
    const staged = await retire(1);
    expect([...errorOf(staged), staged.body.error.details]).toEqual([409, 'version_in_use', { environments: ['staging'] }]);
    expect((await stack.api('PUT', `/v1/workflows/${id}/environments/staging`, { version: null })).status).toBe(200);
    expect(errorOf(await retire(3))).toEqual([404, 'version_not_found']);
    expect(errorOf(await retire(0))).toEqual([404, 'version_not_found']);
    expect(errorOf(await restore(7))).toEqual([404, 'version_not_found']);
    // Still running.
    expect((await post(`${production.async}/v1/sync`, bearer)).body).toBe('v1');
  });

  it('a retired version answers 410 version_retired on every replica within 1 s and queues nothing; restore brings it back', async () => {
    const other = `${production.async.replace(stack.ingressUrl, stack.ingressReplicaUrl(2))}/v1`;
    expect((await post(`${other}/sync`, bearer)).body).toBe('v1'); // replica 2 holds the workflow in memory now

    const since = Date.now();
    const retired = await retire(1);
    expect(retired.status).toBe(200);
    expect(retired.body).toMatchObject({ version: 1, url: `${production.async}/v1`, retired_at: expect.any(String), environments: [] });
    let last: ApiResponse | undefined;
    while (Date.now() - since <= PROPAGATION_MS) {
      last = await post(other, bearer);
      if (last.status === 410) break;
      await sleep(25);
    }
    expect(last && errorOf(last)).toEqual([410, 'version_retired']);

    const before = await executions();
    for (const url of [`${production.async}/v1`, `${production.async}/v1/sync`, other, `${other}/sync`]) {
      const res = await post(url, bearer);
      expect([url, ...errorOf(res)]).toEqual([url, 410, 'version_retired']);
    }
    // A CORS preflight of it answers as its other refusals do; production and v2 run on.
    expect(errorOf(await preflight(`${production.async}/v1`))).toEqual([410, 'version_retired']);
    expect((await preflight(`${production.async}/v2`)).status).toBe(204);
    expect((await post(production.sync)).body).toBe('v2');
    expect((await post(`${production.async}/v2/sync`)).body).toBe('v2');
    expect(await executions()).toBe(before + 2);

    // Retiring again keeps the first retired_at; the workflow answer shows it; staging cannot be pinned to it.
    const again = await retire(1);
    expect([again.status, again.body.retired_at]).toEqual([200, retired.body.retired_at]);
    const view = await stack.api('GET', `/v1/workflows/${id}`);
    expect(view.body.versions[1]).toMatchObject({ version: 1, retired_at: retired.body.retired_at });
    const pin = await stack.api('PUT', `/v1/workflows/${id}/environments/staging`, { version: 1 });
    expect([...errorOf(pin), pin.body.error.details.reason]).toEqual([409, 'conflict', 'version_retired']);

    // Restored: both replicas run v1 again (the event drops replica 2's copy).
    const restored = await restore(1);
    expect([restored.status, restored.body.retired_at]).toEqual([200, null]);
    const back = Date.now();
    let answer: ApiResponse | undefined;
    while (Date.now() - back <= PROPAGATION_MS) {
      answer = await post(`${other}/sync`, bearer);
      if (answer.status === 200) break;
      await sleep(25);
    }
    expect([answer?.status, answer?.body]).toEqual([200, 'v1']);
    expect((await post(`${production.async}/v1/sync`, bearer)).body).toBe('v1');
    expect((await restore(1)).body.retired_at).toBeNull();
  });

  it("another workspace's key cannot retire or list a version: 404 exactly like an unknown workflow", async () => {
    const other = await stack.newWorkspace('version-urls-other');
    const as = (method: string, path: string) => stack.api(method, path, undefined, { authorization: `Bearer ${other.key}` });
    const unknown = `wf_${'0'.repeat(32)}`;
    for (const [method, suffix] of [
      ['POST', '/versions/1/retire'],
      ['POST', '/versions/1/restore'],
      ['GET', '/versions'],
    ] as const) {
      const foreign = await as(method, `/v1/workflows/${id}${suffix}`);
      const none = await as(method, `/v1/workflows/${unknown}${suffix}`);
      expect([foreign.status, foreign.text.replace(id, unknown)]).toEqual([404, none.text]);
    }
    // Nothing changed: v1 still runs.
    expect((await post(`${production.async}/v1/sync`, bearer)).body).toBe('v1');
  });
});
