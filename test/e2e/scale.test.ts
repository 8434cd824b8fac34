import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Receiver } from '../support/receiver';
import { request, sleep, Stack } from '../support/stack';

/**
 * Two execution replicas on one command stream: 1 000 async webhooks become 1 000 executions, each
 * finished exactly once (one succeeded document, one count in flowgate_executions_finished_total,
 * one terminal event), both replicas take part, and the downstream sees every n, a repeat (a
 * redelivered, interrupted attempt) always with the same Idempotency-Key: at-least-once towards
 * downstreams, as documented. The hot path only inserts into MongoDB (ADR 0014), so on local
 * FerretDB this takes seconds; the timeout stays generous for a loaded machine.
 */
describe('scale: 1 000 webhooks, two execution replicas', () => {
  const N = 1_000;
  const PARALLEL = 20;
  /** Generous: a loaded 2-core machine. */
  const DRAIN_TIMEOUT_MS = 20 * 60_000;
  let stack: Stack;
  let downstream: Receiver;
  let wf: { id: string; async: string };
  const ids: string[] = [];
  const log = (line: string) => process.stderr.write(`[scale] ${line}\n`);

  beforeAll(async () => {
    downstream = await new Receiver(() => ({ status: 200, body: { ok: true } })).start();
    stack = await Stack.start('scale', { services: ['ingress', 'execution'] });
    await stack.startService('execution', 2);
    wf = await stack.deploy({
      name: 'scale',
      max_concurrent_executions: 0,
      steps: [{ id: 'call', type: 'http', request: { method: 'POST', url: downstream.url('/n/{{trigger.body.n}}') } }],
    });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await downstream?.stop();
  }, 60_000);

  /** A counter of the workspace (the default one: this stack runs only this workflow) on one replica, summed over its other labels. */
  const counterOn = async (replica: number, name: string) => {
    const text = (await request(`${stack.opsUrl('execution', replica)}/metrics`)).text;
    const lines = text.split('\n').filter((l) => l.startsWith(`${name}{`) && l.includes('workspace_id="default"'));
    return lines.reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  };

  it(
    'accepts 1 000 webhooks and runs 1 000 executions to succeeded',
    async () => {
      const t0 = Date.now();
      let next = 1;
      const statuses: number[] = [];
      await Promise.all(
        Array.from({ length: PARALLEL }, async () => {
          for (let n = next++; n <= N; n = next++) {
            const res = await request(wf.async, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ n }),
            });
            statuses.push(res.status);
            if (res.status === 202) ids.push(res.body.execution_id);
          }
        }),
      );
      log(`${N} webhooks answered in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      expect(statuses.filter((s) => s !== 202)).toEqual([]);
      expect(new Set(ids).size).toBe(N);

      const executions = (await stack.db()).collection('executions');
      let succeeded = 0;
      const deadline = Date.now() + DRAIN_TIMEOUT_MS;
      let nextLog = Date.now() + 30_000;
      while (Date.now() < deadline) {
        succeeded = await executions.countDocuments({ workflow_id: wf.id, status: 'succeeded' });
        if (succeeded >= N) break;
        if (Date.now() >= nextLog) {
          log(`${succeeded} succeeded after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
          nextLog = Date.now() + 30_000;
        }
        await sleep(3_000);
      }
      log(`${succeeded} succeeded after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      expect(succeeded).toBe(N);
      const stored = await executions.find({ workflow_id: wf.id }, { projection: { _id: 1 } }).toArray();
      expect(stored.map((d) => String(d._id)).sort()).toEqual([...ids].sort());
    },
    DRAIN_TIMEOUT_MS + 6 * 60_000,
  );

  it('called the downstream for every n, any repeat carrying the same Idempotency-Key', () => {
    const byPath = new Map<string, Set<string>>();
    const calls = new Map<string, number>();
    for (const r of downstream.requests) {
      calls.set(r.path, (calls.get(r.path) ?? 0) + 1);
      byPath.set(r.path, (byPath.get(r.path) ?? new Set()).add(String(r.headers['idempotency-key'])));
    }
    const repeated = [...calls.entries()].filter(([, c]) => c > 1);
    log(`downstream: ${downstream.requests.length} calls for ${calls.size} paths; ${repeated.length} paths called more than once`);
    for (let n = 1; n <= N; n++) expect(calls.get(`/n/${n}`)).toBeGreaterThanOrEqual(1);
    expect(calls.size).toBe(N);
    // One key per execution, and repeats carry it: a downstream honouring the key applies each n once.
    expect([...byPath.values()].filter((keys) => keys.size !== 1)).toEqual([]);
    const keys = new Set([...byPath.values()].map((k) => [...k][0]));
    expect(keys).toEqual(new Set(ids.map((id) => `${id}:call`)));
  });

  it('counted each execution started and finished exactly once, on both replicas', async () => {
    const started = [await counterOn(1, 'flowgate_executions_started_total'), await counterOn(2, 'flowgate_executions_started_total')];
    const finished = [await counterOn(1, 'flowgate_executions_finished_total'), await counterOn(2, 'flowgate_executions_finished_total')];
    log(`started per replica: ${started.join(' + ')}; finished per replica: ${finished.join(' + ')}`);
    expect(finished.reduce((a, b) => a + b, 0)).toBe(N);
    expect(started.reduce((a, b) => a + b, 0)).toBe(N);
    for (const count of finished) expect(count).toBeGreaterThanOrEqual(N / 10);
  });

  it('published exactly one terminal event per execution', async () => {
    const nc = await connect({ servers: stack.natsUrl });
    try {
      const js = jetstream(nc);
      const consumer = await js.consumers.get(stack.subjects.eventsStream, {
        filter_subjects: [`${stack.prefix}.evt.execution.*.*`],
      });
      const terminal = new Map<string, number>();
      let seen = 0;
      const pending = (await consumer.info()).num_pending;
      const messages = await consumer.consume();
      for await (const msg of messages) {
        seen++;
        const event = msg.json<{ execution_id: string; workflow_id: string; status: string }>();
        if (event.workflow_id === wf.id && ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(event.status))
          terminal.set(event.execution_id, (terminal.get(event.execution_id) ?? 0) + 1);
        if (seen >= pending) break;
      }
      expect(terminal.size).toBe(N);
      expect([...terminal.values()].filter((c) => c !== 1)).toEqual([]);
    } finally {
      await nc.close();
    }
  }, 60_000);
});
