import { randomUUID } from 'node:crypto';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { MongoClient, type Db } from 'mongodb';
import { adaptToServer } from '../src/executions';
import {
  decodeLive,
  encodeLive,
  liveExecutions,
  liveKey,
  LIVE_MARKER_TTL_MS,
  type LiveExecution,
  type LiveKv,
} from '../src/live-executions';
import { queuedExecution } from '../src/executions';
import type { ExecutionDoc, StepExecutionDoc } from '../src/documents';

/**
 * The live state (NATS KV) and its group commit into MongoDB, against the real servers of the jest
 * global setup (nats-server and FerretDB): compare-and-set transitions, durable and lazy snapshots,
 * coalescing, never going back to an older revision, retirement and the workspace count.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function execution(workspace = 'ws1'): ExecutionDoc {
  return queuedExecution({
    _id: randomUUID(),
    workspace_id: workspace,
    workflow_id: 'wf1',
    workflow_version: 1,
    trigger_input_json: '{"body":{"a.b":1,"$x":2}}',
    on_success_url: null,
    on_failure_url: null,
    replay_of: null,
    created_at: new Date('2026-01-02T03:04:05.678Z'),
  });
}

function step(doc: ExecutionDoc, seq: number, status: StepExecutionDoc['status']): StepExecutionDoc {
  return {
    _id: `${doc._id}:${seq}`,
    workspace_id: doc.workspace_id,
    execution_id: doc._id,
    seq,
    step_id: `s${seq}`,
    type: 'http',
    attempt: 1,
    status,
    input_json: '{}',
    output_json: status === 'succeeded' ? '{"ok":true}' : null,
    error: null,
    started_at: new Date(),
    finished_at: status === 'running' ? null : new Date(),
  };
}

describe('live executions and their group commit', () => {
  let nc: NatsConnection;
  let client: MongoClient;
  let db: Db;
  let kv: LiveKv;

  beforeAll(async () => {
    nc = await connect({ servers: process.env.FLOWGATE_TEST_NATS_URL });
    kv = await new Kvm(nc).create(`TEST_LIVE_${Date.now()}`, { history: 1, markerTTL: LIVE_MARKER_TTL_MS });
    client = await new MongoClient(process.env.FLOWGATE_TEST_MONGO_URL ?? '').connect();
    db = client.db(`store_live_${Date.now()}`);
    await adaptToServer(db, { executions: db.collection('executions'), stepExecutions: db.collection('step_executions') });
  });

  afterAll(async () => {
    await db?.dropDatabase().catch(() => undefined);
    await client?.close();
    await nc?.close();
  });

  const open = (lazyMs = 200) =>
    liveExecutions(
      kv,
      { executions: db.collection<ExecutionDoc>('executions'), stepExecutions: db.collection<StepExecutionDoc>('step_executions') },
      { lazyMs },
    );

  it('round-trips a document with dates, user JSON and step attempts', () => {
    const doc = { ...execution(), started_at: new Date(), waiting_expires_at: new Date(1_000) };
    const back = decodeLive(encodeLive(doc, [step(doc, 1, 'succeeded')]), 42);
    expect(back.doc).toEqual({ ...doc, revision: 42 });
    expect(back.steps[0]?.started_at).toBeInstanceOf(Date);
    expect(back.steps[0]?.finished_at).toBeInstanceOf(Date);
  });

  it('lets exactly one of two writers from the same revision win', async () => {
    const { live } = open();
    const doc = execution();
    expect(await live.create(doc)).toBe(true);
    expect(await live.create(doc)).toBe(false);
    const current = (await live.get(doc.workspace_id, doc._id)) as LiveExecution;
    expect(current.from).toBe('live');
    const a = await live.write(current, { ...current.doc, status: 'running' }, []);
    const b = await live.write(current, { ...current.doc, status: 'cancelled' }, []);
    expect(a?.doc.status).toBe('running');
    expect(b).toBeNull();
    expect((await live.get(doc.workspace_id, doc._id))?.doc.status).toBe('running');
    // Another workspace does not see it.
    expect(await live.get('other', doc._id)).toBeNull();
  });

  it('never brings back an execution an executor ran to its end before the ingress made it live', async () => {
    // The ingress makes a start live after JetStream's ack; an executor may have started it from the
    // command (nothing live yet), ended it and retired the key by then.
    const { live } = open();
    const doc = execution(`retired${Date.now()}`);
    const fromCommand: LiveExecution = { doc, steps: [], from: 'store' };
    const running = (await live.write(fromCommand, { ...doc, status: 'running' }, [step(doc, 1, 'running')])) as LiveExecution;
    await live.write(running, { ...running.doc, status: 'succeeded', step_seq: 1 }, [step(doc, 1, 'succeeded')], { durable: true });
    expect((await live.peek(doc.workspace_id, doc._id)).kind).toBe('retired');

    expect(await live.create(doc)).toBe(false);
    expect((await live.peek(doc.workspace_id, doc._id)).kind).toBe('retired');
    const now = await live.get(doc.workspace_id, doc._id);
    expect(now).toMatchObject({ from: 'store', doc: { status: 'succeeded' } });
    expect(await live.countLive(doc.workspace_id, 1_000)).toBe(0);
    // Nor does a second delivery of the same start that began from the command meanwhile.
    expect(await live.write(fromCommand, { ...doc, status: 'running' }, [step(doc, 1, 'running')])).toBeNull();
    expect((await live.peek(doc.workspace_id, doc._id)).kind).toBe('retired');
  });

  it('writes a durable end at once, as one insert of the execution and one per final step', async () => {
    const { live } = open(5_000);
    const doc = execution();
    await live.create(doc);
    let x = (await live.get(doc.workspace_id, doc._id)) as LiveExecution;
    x = (await live.write(x, { ...x.doc, status: 'running' }, [step(doc, 1, 'running')])) as LiveExecution;
    // Lazy: not in MongoDB yet (the lazy delay is 5 s here).
    expect(await db.collection('executions').findOne({ _id: doc._id as never })).toBeNull();
    x = (await live.write(x, { ...x.doc, status: 'succeeded', step_seq: 1 }, [step(doc, 1, 'succeeded')], {
      durable: true,
    })) as LiveExecution;
    const stored = await db.collection<ExecutionDoc>('executions').findOne({ _id: doc._id });
    expect(stored).toMatchObject({ status: 'succeeded', revision: x.doc.revision, trigger_input_json: doc.trigger_input_json });
    const steps = await db.collection<StepExecutionDoc>('step_executions').find({ execution_id: doc._id }).toArray();
    expect(steps.map((s) => s.status)).toEqual(['succeeded']);

    await live.retire(x);
    const after = await live.get(doc.workspace_id, doc._id);
    expect(after?.from).toBe('store');
    expect(after?.doc.status).toBe('succeeded');
    expect(after?.steps.map((s) => s._id)).toEqual([`${doc._id}:1`]);
  });

  it('ends of concurrent executions share one group commit, each retired once MongoDB has it', async () => {
    const inserts: number[] = [];
    const executions = db.collection<ExecutionDoc>('executions');
    // Counts the documents of each insertMany into executions (the group commits).
    const counted = new Proxy(executions, {
      get(target, prop, receiver) {
        if (prop !== 'insertMany') return Reflect.get(target, prop, receiver) as unknown;
        return (docs: ExecutionDoc[], options: object) => {
          inserts.push(docs.length);
          return target.insertMany(docs, options);
        };
      },
    });
    const { live } = liveExecutions(
      kv,
      { executions: counted, stepExecutions: db.collection<StepExecutionDoc>('step_executions') },
      { lazyMs: 5_000, soonMs: 100 },
    );
    const docs = Array.from({ length: 5 }, () => execution());
    for (const doc of docs) await live.create(doc);
    const ended = await Promise.all(
      docs.map(async (doc) => {
        const x = (await live.get(doc.workspace_id, doc._id)) as LiveExecution;
        return (await live.write(x, { ...x.doc, status: 'succeeded' }, [step(doc, 1, 'succeeded')])) as LiveExecution;
      }),
    );
    // Not flushed at the write (nobody waits for an end) …
    expect(await executions.countDocuments({ _id: { $in: docs.map((d) => d._id) } })).toBe(0);
    // … but within `soonMs`, all five in one insert, then retired.
    for (const x of ended) {
      const deadline = Date.now() + 5_000;
      while ((await kv.get(liveKey(x.doc.workspace_id, x.doc._id)))?.operation === 'PUT' && Date.now() < deadline) await sleep(20);
    }
    expect(inserts).toEqual([5]);
    expect(await executions.countDocuments({ _id: { $in: docs.map((d) => d._id) } })).toBe(5);
    for (const x of ended) expect((await kv.get(liveKey(x.doc.workspace_id, x.doc._id)))?.operation).toBe('PURGE');
  });

  it('flushes a lazy snapshot after the lazy delay, and a later one replaces it', async () => {
    const { live, projection } = open(100);
    const doc = execution();
    await live.create(doc);
    let x = (await live.get(doc.workspace_id, doc._id)) as LiveExecution;
    x = (await live.write(x, { ...x.doc, status: 'running' }, [])) as LiveExecution;
    await sleep(600);
    expect((await db.collection<ExecutionDoc>('executions').findOne({ _id: doc._id }))?.status).toBe('running');
    x = (await live.write(x, { ...x.doc, status: 'waiting' }, [step(doc, 1, 'succeeded')])) as LiveExecution;
    await projection.drain();
    const stored = await db.collection<ExecutionDoc>('executions').findOne({ _id: doc._id });
    expect(stored).toMatchObject({ status: 'waiting', revision: x.doc.revision });
    expect(await db.collection('step_executions').countDocuments({ execution_id: doc._id })).toBe(1);
  });

  it('never replaces a newer stored snapshot with an older one (two replicas writing one execution)', async () => {
    const a = open(0);
    const b = open(0);
    const doc = execution();
    await a.live.create(doc);
    const first = (await a.live.get(doc.workspace_id, doc._id)) as LiveExecution;
    const running = (await a.live.write(first, { ...first.doc, status: 'running' }, [], { durable: true })) as LiveExecution;
    const cancelled = (await b.live.write(running, { ...running.doc, status: 'cancelled' }, [], { durable: true })) as LiveExecution;
    // Replica a still holds the older state and projects it again (as a recovery would).
    await a.live.project(running);
    const stored = await db.collection<ExecutionDoc>('executions').findOne({ _id: doc._id });
    expect(stored).toMatchObject({ status: 'cancelled', revision: cancelled.doc.revision });
  });

  it('recovers an end left in the live state by an executor that died before its flush', async () => {
    const { live } = open();
    const doc = { ...execution(), status: 'succeeded' as const, step_seq: 1, updated_at: new Date(Date.now() - 60_000) };
    const fresh = { ...execution(), status: 'succeeded' as const, updated_at: new Date() };
    await kv.put(liveKey(doc.workspace_id, doc._id), encodeLive(doc, [step(doc, 1, 'succeeded')]), { previousSeq: 0 });
    await kv.put(liveKey(fresh.workspace_id, fresh._id), encodeLive(fresh, []), { previousSeq: 0 });
    expect(await live.recover(new Date(), 10_000)).toBe(1);
    expect((await db.collection<ExecutionDoc>('executions').findOne({ _id: doc._id }))?.status).toBe('succeeded');
    expect(await db.collection('step_executions').countDocuments({ execution_id: doc._id })).toBe(1);
    expect((await live.get(doc.workspace_id, doc._id))?.from).toBe('store');
    // One that just ended is its owner's to finish.
    expect((await live.get(fresh.workspace_id, fresh._id))?.from).toBe('live');
  });

  it('counts a workspace live executions, not those of others nor retired ones', async () => {
    const { live } = open();
    const ws = `count${Date.now()}`;
    const docs = [execution(ws), execution(ws), execution(ws), execution('elsewhere')];
    for (const d of docs) await live.create(d);
    expect(await live.countLive(ws)).toBe(3);
    expect(await live.countLive(ws, 2)).toBe(2);
    const x = (await live.get(ws, docs[0]?._id ?? '')) as LiveExecution;
    const ended = (await live.write(x, { ...x.doc, status: 'failed' }, [], { durable: true })) as LiveExecution;
    await live.retire(ended);
    expect(await live.countLive(ws)).toBe(2);
  });
});
