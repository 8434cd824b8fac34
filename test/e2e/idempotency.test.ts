import { createHash, randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Receiver } from '../support/receiver';
import { request, Stack } from '../support/stack';

/**
 * Idempotency-Key (or a body path): the same execution for repeats, across ingress replicas and
 * concurrent duplicates. Keys are claimed in NATS KV (ADR 0012), never in MongoDB.
 */
describe('webhook idempotency', () => {
  let stack: Stack;
  let downstream: Receiver;

  beforeAll(async () => {
    downstream = await new Receiver(() => ({ status: 200, body: { ok: true } })).start();
    stack = await Stack.start('idempotency', { services: ['ingress', 'execution'] });
    await stack.startService('ingress', 2);
  });

  afterAll(async () => {
    await stack?.stop();
    await downstream?.stop();
  });

  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  /** The same webhook URL on the second ingress replica. */
  const onReplica2 = (url: string) => url.replace(stack.ingressUrl, stack.ingressReplicaUrl(2));

  it('repeats with the same Idempotency-Key get the same execution and start nothing new, on either replica, even concurrently', async () => {
    const wf = await stack.deploy({
      name: 'idem',
      max_concurrent_executions: 0,
      steps: [{ id: 'call', type: 'http', request: { method: 'POST', url: downstream.url('/idem/{{trigger.body.n}}') } }],
    });
    const other = onReplica2(wf.async);
    const burst = await Promise.all(
      Array.from({ length: 10 }, (_, i) => post(i % 2 === 0 ? wf.async : other, { n: 1 }, { 'idempotency-key': 'order-1' })),
    );
    expect(burst.map((r) => r.status)).toEqual(Array(10).fill(202));
    const ids = new Set(burst.map((r) => r.body.execution_id));
    expect(ids.size).toBe(1);
    expect(burst.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);
    const [id] = [...ids];
    expect((await stack.waitForExecution(id)).status).toBe('succeeded');
    const again = await post(other, { n: 1 }, { 'idempotency-key': 'order-1' });
    expect(again.body.execution_id).toBe(id);
    const fresh = await post(wf.async, { n: 2 }, { 'idempotency-key': 'order-2' });
    expect(fresh.body.execution_id).not.toBe(id);
    expect((await stack.waitForExecution(fresh.body.execution_id)).status).toBe('succeeded');
    expect(downstream.requests.filter((r) => r.path.startsWith('/idem/')).map((r) => r.path)).toEqual(['/idem/1', '/idem/2']);
    expect(await (await stack.settledDb()).collection('executions').countDocuments({ workflow_id: wf.id })).toBe(2);
  });

  it('a configured body path de-duplicates without the header; the sync URL answers the same execution', async () => {
    const wf = await stack.deploy({
      name: 'idem-body',
      max_concurrent_executions: 0,
      trigger: { webhook: { idempotency_key_path: '$.event.id' } },
      steps: [{ id: 'echo', type: 'transform', expression: 'trigger.body.event.id' }],
    });
    const first = await post(wf.sync, { event: { id: 'evt_42' } });
    expect(first.status).toBe(200);
    expect(first.body).toBe('evt_42');
    const second = await post(wf.async, { event: { id: 'evt_42' } });
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const list = await (await stack.settledDb()).collection('executions').find({ workflow_id: wf.id }).toArray();
    expect(list).toHaveLength(1);
    expect(second.body.execution_id).toBe(list[0]?._id);
  });

  it('a key claimed by a request whose start was never acknowledged publishes again under the same id, once', async () => {
    const wf = await stack.deploy({
      name: 'idem-lost',
      max_concurrent_executions: 0,
      steps: [{ id: 'call', type: 'http', request: { method: 'POST', url: downstream.url('/lost/{{trigger.body.n}}') } }],
    });
    // What a request leaves behind when it claimed the key and its publish then failed (or it died).
    const bucket = stack.subjects.idempotencyBucket;
    const kvKey = createHash('sha256').update(`${wf.id}:order-lost`).digest('hex');
    const claimedId = randomUUID();
    const nc = await connect({ servers: stack.natsUrl });
    try {
      await jetstream(nc).publish(`$KV.${bucket}.${kvKey}`, JSON.stringify({ execution_id: claimedId, state: 'claimed' }));
      const retried = await post(onReplica2(wf.async), { n: 7 }, { 'idempotency-key': 'order-lost' });
      expect(retried.status).toBe(202);
      expect(retried.body.execution_id).toBe(claimedId);
      expect(retried.headers.get('idempotent-replayed')).toBe('true');
      expect((await stack.waitForExecution(claimedId)).status).toBe('succeeded');
      const mark = await (await jetstreamManager(nc)).streams.getMessage(`KV_${bucket}`, { last_by_subj: `$KV.${bucket}.${kvKey}` });
      expect(mark?.json()).toEqual({ execution_id: claimedId, state: 'accepted' });
    } finally {
      await nc.close();
    }
    const again = await post(wf.async, { n: 7 }, { 'idempotency-key': 'order-lost' });
    expect(again.body.execution_id).toBe(claimedId);
    expect(downstream.requests.filter((r) => r.path === '/lost/7')).toHaveLength(1);
    const db = await stack.settledDb();
    expect(await db.collection('executions').countDocuments({ workflow_id: wf.id })).toBe(1);
    expect(await db.collection('idempotency_keys').countDocuments()).toBe(0);
  });

  it('a malformed key is a 400 and starts nothing', async () => {
    const wf = await stack.deploy({ name: 'idem-bad', steps: [{ id: 'a', type: 'transform', expression: '1' }] });
    const res = await post(wf.async, {}, { 'idempotency-key': 'has spaces in it' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(await (await stack.settledDb()).collection('executions').countDocuments({ workflow_id: wf.id })).toBe(0);
  });
});
