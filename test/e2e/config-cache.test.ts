import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNats, type LocalServer } from '../../scripts/local-servers';
import { request, sleep, Stack, type ApiResponse } from '../support/stack';

/**
 * Webhook configuration is served from memory in every ingress replica (ADR 0012). A write on one
 * replica — disable, secret rotation, publish — holds on another replica within 1 s (config events
 * over NATS); a write that bypasses the API (no event) is picked up within the cache's max age.
 */
const PROPAGATION_MS = 1_000;

describe('config served from memory, kept current across ingress replicas', () => {
  let stack: Stack;

  beforeAll(async () => {
    // A max age far beyond the test: only the config events can make a replica see a change in time.
    stack = await Stack.start('config-cache', {
      services: ['ingress', 'execution'],
      env: { ingress: { FLOWGATE_CONFIG_CACHE_MAX_AGE_MS: '600000' } },
    });
    await stack.startService('ingress', 2);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const onReplica2 = (url: string) => url.replace(stack.ingressUrl, stack.ingressReplicaUrl(2));
  const post = (url: string, headers: Record<string, string> = {}) =>
    request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });

  /** Polls `probe` until `done` holds; returns how long after `since` that was (throws past the budget). */
  const within = async (since: number, probe: () => Promise<ApiResponse>, done: (r: ApiResponse) => boolean): Promise<number> => {
    let last: ApiResponse | undefined;
    while (Date.now() - since <= PROPAGATION_MS) {
      last = await probe();
      if (done(last)) return Date.now() - since;
      await sleep(25);
    }
    throw new Error(`not seen within ${PROPAGATION_MS} ms: last answer ${last?.status} ${last?.text}`);
  };

  it('a disable on one replica answers 403 trigger_disabled on the other within 1 s, and an enable lets it through again', async () => {
    const wf = await stack.deploy({
      name: 'switch',
      max_concurrent_executions: 0,
      steps: [{ id: 'a', type: 'transform', expression: '1' }],
    });
    const other = onReplica2(wf.async);
    expect((await post(other)).status).toBe(202); // replica 2 has the trigger in memory now

    const off = await stack.api('PATCH', `/v1/workflows/${wf.id}/trigger`, { enabled: false });
    expect(off.status).toBe(200);
    const tookMs = await within(
      Date.now(),
      () => post(other),
      (r) => r.status === 403,
    );
    expect((await post(other)).body.error.code).toBe('trigger_disabled');
    console.info(`disable seen on replica 2 after ${tookMs} ms`);

    expect((await stack.api('PATCH', `/v1/workflows/${wf.id}/trigger`, { enabled: true })).status).toBe(200);
    await within(
      Date.now(),
      () => post(other),
      (r) => r.status === 202,
    );
  });

  it('a secret rotation on one replica holds on the other within 1 s: the new secret passes, the revoked one gets 401', async () => {
    const wf = await stack.deploy({
      name: 'rotated',
      max_concurrent_executions: 0,
      trigger: { webhook: { auth: { type: 'bearer' } } },
      steps: [{ id: 'a', type: 'transform', expression: '1' }],
    });
    const other = onReplica2(wf.async);
    const first = await stack.api('POST', `/v1/workflows/${wf.id}/trigger/secrets`, {});
    expect(first.status).toBe(201);
    const oldToken = first.body.secret as string;
    await within(
      Date.now(),
      () => post(other, { authorization: `Bearer ${oldToken}` }),
      (r) => r.status === 202,
    );

    const second = await stack.api('POST', `/v1/workflows/${wf.id}/trigger/secrets`, {});
    expect(second.status).toBe(201);
    const newToken = second.body.secret as string;
    const addedMs = await within(
      Date.now(),
      () => post(other, { authorization: `Bearer ${newToken}` }),
      (r) => r.status === 202,
    );
    expect((await post(other, { authorization: `Bearer ${oldToken}` })).status).toBe(202); // both valid during the rotation

    expect((await stack.api('DELETE', `/v1/workflows/${wf.id}/trigger/secrets/${first.body.id as string}`)).status).toBe(204);
    const revokedMs = await within(
      Date.now(),
      () => post(other, { authorization: `Bearer ${oldToken}` }),
      (r) => r.status === 401,
    );
    expect((await post(other, { authorization: `Bearer ${oldToken}` })).body.error.code).toBe('unauthorized');
    expect((await post(other, { authorization: `Bearer ${newToken}` })).status).toBe(202);
    console.info(`new secret seen on replica 2 after ${addedMs} ms, revocation after ${revokedMs} ms`);
  });

  it('a publish on one replica runs the new version on the other within 1 s', async () => {
    const definition = (out: string) => ({
      name: 'versions',
      max_concurrent_executions: 0,
      steps: [{ id: 'out', type: 'transform', expression: `"${out}"` }],
    });
    const wf = await stack.deploy(definition('v1'));
    const other = onReplica2(wf.sync);
    const v1 = await post(other);
    expect({ status: v1.status, body: v1.body }).toEqual({ status: 200, body: 'v1' });

    expect((await stack.api('PUT', `/v1/workflows/${wf.id}`, definition('v2'))).status).toBe(200);
    // The draft changed, production still runs version 1 on every replica.
    expect((await post(other)).body).toBe('v1');
    const published = await stack.api('POST', `/v1/workflows/${wf.id}/publish`);
    expect(published.status).toBe(201);
    const tookMs = await within(
      Date.now(),
      () => post(other),
      (r) => r.status === 200 && r.body === 'v2',
    );
    console.info(`publish seen on replica 2 after ${tookMs} ms`);
  });
  it('fan-out on the other replica follows a new subscriber within 1 s, and a deleted source answers 404 there within 1 s', async () => {
    const source = (await stack.api('POST', '/v1/sources', { name: 'followed' })).body;
    const url = onReplica2(source.url as string);
    const subscriber = (name: string) => ({
      name,
      max_concurrent_executions: 0,
      trigger: { source: { source_id: source.id } },
      steps: [{ id: 'a', type: 'transform', expression: '1' }],
    });
    const first = await stack.deploy(subscriber('first'));
    const one = await post(url);
    expect(one.status).toBe(202);
    expect(one.body.executions.map((e: { workflow_id: string }) => e.workflow_id)).toEqual([first.id]);

    const second = await stack.deploy(subscriber('second'));
    const both = (r: ApiResponse) => r.status === 202 && r.body.executions.length === 2;
    const subscribedMs = await within(Date.now(), () => post(url), both);
    expect((await post(url)).body.executions.map((e: { workflow_id: string }) => e.workflow_id)).toEqual([first.id, second.id]);

    expect((await stack.api('DELETE', `/v1/sources/${source.id as string}`)).status).toBe(204);
    const deletedMs = await within(
      Date.now(),
      () => post(url),
      (r) => r.status === 404,
    );
    console.info(`new subscriber seen on replica 2 after ${subscribedMs} ms, deleted source after ${deletedMs} ms`);
  });

  it("a source's auth and secret changes on one replica hold on the other within 1 s", async () => {
    const source = (await stack.api('POST', '/v1/sources', { name: 'guarded' })).body;
    const url = onReplica2(source.url as string);
    await stack.deploy({
      name: 'guarded-sub',
      max_concurrent_executions: 0,
      trigger: { source: { source_id: source.id } },
      steps: [{ id: 'a', type: 'transform', expression: '1' }],
    });
    expect((await post(url)).status).toBe(202); // replica 2 holds the token-only source now

    expect((await stack.api('PATCH', `/v1/sources/${source.id as string}`, { auth: { type: 'bearer' } })).status).toBe(200);
    const authMs = await within(
      Date.now(),
      () => post(url),
      (r) => r.status === 401,
    );
    const added = await stack.api('POST', `/v1/sources/${source.id as string}/secrets`, {});
    expect(added.status).toBe(201);
    const token = added.body.secret as string;
    const addedMs = await within(
      Date.now(),
      () => post(url, { authorization: `Bearer ${token}` }),
      (r) => r.status === 202,
    );
    expect((await stack.api('DELETE', `/v1/sources/${source.id as string}/secrets/${added.body.id as string}`)).status).toBe(204);
    const revokedMs = await within(
      Date.now(),
      () => post(url, { authorization: `Bearer ${token}` }),
      (r) => r.status === 401,
    );
    console.info(`source auth seen on replica 2 after ${authMs} ms, its secret after ${addedMs} ms, revocation after ${revokedMs} ms`);
  });
});

describe('config cache max age', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start('config-max-age', {
      services: ['ingress'],
      env: { ingress: { FLOWGATE_CONFIG_CACHE_MAX_AGE_MS: '1000' } },
    });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('a change that sent no event (written to the database directly) is served within the max age', async () => {
    const wf = await stack.deploy({
      name: 'direct',
      max_concurrent_executions: 0,
      steps: [{ id: 'a', type: 'transform', expression: '1' }],
    });
    const post = () => request(wf.async, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const db = await stack.db();
    expect((await post()).status).toBe(202);
    await db.collection('triggers').updateMany({ workflow_id: wf.id }, { $set: { enabled: false } });
    // Still served from memory right after the direct write …
    expect((await post()).status).toBe(202);
    const since = Date.now();
    let status = 0;
    while (Date.now() - since < 3_000 && status !== 403) {
      status = (await post()).status;
      await sleep(50);
    }
    // … and refused once the entry is older than the max age (1 s).
    expect(status).toBe(403);
  });
});

describe('config cache after a NATS reconnect', () => {
  let stack: Stack;
  let nats: LocalServer;
  let natsDir: string;

  beforeAll(async () => {
    natsDir = mkdtempSync(join(tmpdir(), 'flowgate-config-nats-'));
    nats = await startNats(natsDir);
    // A max age far beyond the test: only the reconnect can make the replica forget.
    stack = await Stack.start('config-reconnect', {
      services: ['ingress'],
      natsUrl: nats.url,
      env: { ingress: { FLOWGATE_CONFIG_CACHE_MAX_AGE_MS: '600000' } },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await nats?.stop();
  });

  it('drops the cache once NATS is back (events published meanwhile never arrive)', async () => {
    const wf = await stack.deploy({
      name: 'reconnect',
      max_concurrent_executions: 0,
      steps: [{ id: 'a', type: 'transform', expression: '1' }],
    });
    const post = () => request(wf.async, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const db = await stack.db();
    expect((await post()).status).toBe(202);
    // A change that sent no event (written to the database directly), like one lost while disconnected.
    await db.collection('triggers').updateMany({ workflow_id: wf.id }, { $set: { enabled: false } });
    expect((await post()).status).toBe(202); // still served from memory
    await nats.stop();
    await sleep(1_000);
    nats = await startNats(natsDir, { port: nats.port });
    const deadline = Date.now() + 30_000;
    let status = 0;
    while (Date.now() < deadline && status !== 403) {
      status = (await post()).status;
      await sleep(200);
    }
    expect(status).toBe(403);
  });
});
