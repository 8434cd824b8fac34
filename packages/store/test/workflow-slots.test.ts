import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@flowgate/kit';
import { WorkflowSlots } from '../src/workflow-slots';

/** Slot queues in a real NATS KV bucket (the jest global setup's nats-server): workflow and keyed queues. */
describe('workflow slot queues', () => {
  let nc: NatsConnection;
  let kv: KV;

  beforeAll(async () => {
    nc = await connect({ servers: process.env.FLOWGATE_TEST_NATS_URL });
    kv = await new Kvm(nc).create(`TEST_SLOTS_${Date.now()}`, { history: 1 });
  });

  afterAll(async () => {
    await nc?.close();
  });

  it('keeps a keyed queue beside the workflow queue, and deletes the keyed one once it is empty', async () => {
    const slots = new WorkflowSlots(kv);
    const keyed = { queue: 'k0.abc', max: 1 };
    const workflow = { queue: '', max: 2 };
    expect(await slots.arrive('ws1', 'wf1', keyed, 'a')).toEqual({ runs: true, promoted: [] });
    expect(await slots.arrive('ws1', 'wf1', keyed, 'b')).toEqual({ runs: false, promoted: [] });
    expect(await slots.arrive('ws1', 'wf1', workflow, 'a')).toEqual({ runs: true, promoted: [] });
    const all = (await slots.all()).map((q) => [q.workspaceId, q.workflowId, q.gate, q.queue]);
    expect(all).toEqual(
      expect.arrayContaining([
        ['ws1', 'wf1', 'k0.abc', { running: ['a'], waiting: ['b'] }],
        ['ws1', 'wf1', '', { running: ['a'], waiting: [] }],
      ]),
    );
    expect(await slots.leave('ws1', 'wf1', workflow, 'a')).toEqual([]);
    expect(await slots.leave('ws1', 'wf1', keyed, 'a')).toEqual(['b']);
    expect(await slots.leave('ws1', 'wf1', keyed, 'b')).toEqual([]);
    // The empty keyed queue is gone; the workflow's stays (empty).
    expect((await slots.all()).map((q) => [q.gate, q.queue])).toEqual([['', { running: [], waiting: [] }]]);
    // A deleted queue takes arrivals again.
    expect(await slots.arrive('ws1', 'wf1', keyed, 'c')).toEqual({ runs: true, promoted: [] });
    expect((await slots.all()).find((q) => q.gate === 'k0.abc')?.queue).toEqual({ running: ['c'], waiting: [] });
  });

  it('two instances racing on one keyed queue never hand out its one place twice', async () => {
    const one = new WorkflowSlots(kv);
    const two = new WorkflowSlots(kv);
    const gate = { queue: 'k0.race', max: 1 };
    const ids = Array.from({ length: 20 }, (_, i) => `x${i}`);
    const results = await Promise.all(ids.map((id, i) => (i % 2 ? one : two).arrive('ws2', 'wf2', gate, id)));
    expect(results.filter((r) => r.runs)).toHaveLength(1);
    const queue = (await one.all()).find((q) => q.workspaceId === 'ws2')?.queue;
    expect(queue?.running).toHaveLength(1);
    expect(queue?.waiting).toHaveLength(19);
  });
});
