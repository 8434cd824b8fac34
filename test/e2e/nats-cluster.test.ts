import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { ROOT } from '../../scripts/local-servers';
import { startNatsCluster, type NatsCluster } from '../../scripts/nats-cluster';
import { Receiver } from '../support/receiver';
import { request, sleep, Stack, type ApiResponse } from '../support/stack';

/**
 * Flowgate on a three-node NATS cluster, every stream and bucket R3 (ADR 0024): nodes SIGKILLed for
 * real — the commands stream's leader under 1,000 webhooks, the KV buckets' leader with the active
 * scheduler, all three at once with executions waiting on approvals, two of three (no quorum) —
 * and what the services must do: nothing accepted is lost or run twice, a 503 accepts nothing,
 * intake comes back by itself. The failover timings seen are printed and written to
 * .test-results/nats-cluster-timings.json.
 */
describe('NATS cluster (three nodes, R3)', () => {
  let cluster: NatsCluster;
  let stack: Stack;
  let receiver: Receiver;
  const timings: Record<string, number | string> = {};
  const LEASE_MS = 3_000;

  beforeAll(async () => {
    cluster = await startNatsCluster(mkdtempSync(join(tmpdir(), 'flowgate-cluster-')), { nodes: 3 });
    receiver = await new Receiver(() => ({ status: 200, body: { ok: true } })).start();
    const r3 = { FLOWGATE_NATS_REPLICAS: '3' };
    stack = await Stack.start('nats-cluster', {
      natsUrl: cluster.url,
      env: {
        ingress: { ...r3, FLOWGATE_PUBLISH_TIMEOUT_MS: '10000', LOG_LEVEL: 'info' },
        execution: { ...r3, LOG_LEVEL: 'info' },
        // Callbacks to one receiver: more than the default 4 at a time to one host.
        callback: { ...r3, LOG_LEVEL: 'info', FLOWGATE_CALLBACK_MAX_PER_HOST: '8' },
        scheduler: { ...r3, FLOWGATE_SCHEDULER_LEASE_MS: String(LEASE_MS), LOG_LEVEL: 'info' },
      },
    });
    await stack.startService('scheduler', 2);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop().catch(() => undefined);
    await receiver?.stop();
    await cluster?.stop();
    mkdirSync(join(ROOT, '.test-results'), { recursive: true });
    writeFileSync(join(ROOT, '.test-results', 'nats-cluster-timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
    console.log(`NATS cluster failover timings (ms): ${JSON.stringify(timings)}`);
  });

  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const readyz = async (service: 'ingress' | 'execution' = 'ingress') =>
    (await request(`${stack.opsUrl(service)}/readyz`).catch(() => ({ status: 0 }) as Pick<ApiResponse, 'status'>)).status;
  const until = async (what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> => {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await sleep(100);
    }
    return Date.now() - started;
  };
  /** Executions of a workflow in MongoDB, with the `n` of their trigger body. */
  const executionsOf = async (workflowId: string) =>
    (await (await stack.db()).collection('executions').find({ workflow_id: workflowId }).toArray()).map((d) => ({
      id: String(d._id),
      status: String(d.status),
      body: (JSON.parse(String(d.trigger_input_json)) as { body: Record<string, unknown> }).body,
    }));
  const bringBack = async (indexes: number[]) => {
    await Promise.all(indexes.map((i) => cluster.restart(i)));
    await cluster.waitForJetStream(60_000);
    await until('ingress ready', async () => (await readyz()) === 200, 60_000);
  };

  it('1,000 webhooks while the commands stream leader is SIGKILLed and restarted: every 202 is one finished execution, every callback (of 200) arrives (a duplicate with the same webhook-id at most), a 503 started nothing', async () => {
    const N = 1_000;
    const WORKERS = 16;
    // Every fifth webhook goes to a workflow with on_success_url: 200 callbacks, as many as the
    // delivery log on the local FerretDB (SQLite, one writer) records in CI's time on 2 shared cores.
    const steps = [{ id: 'shape', type: 'transform', expression: '{"n": trigger.body.n}' }];
    const plain = await stack.deploy({ name: 'cluster-burst', max_concurrent_executions: 0, steps });
    const called = await stack.deploy({
      name: 'cluster-burst-cb',
      max_concurrent_executions: 0,
      on_success_url: receiver.url('/done'),
      steps,
    });
    const urlOf = (n: number) => (n % 5 === 0 ? called.async : plain.async);
    const burstExecutions = async () => [...(await executionsOf(plain.id)), ...(await executionsOf(called.id))];
    const leader = await cluster.leaderOf(stack.subjects.commandsStream);
    const statuses = new Map<number, number>();
    const executionOf = new Map<number, string>();
    let next = 0;
    let answered = 0;
    let killedAt = 0;
    let restarted: Promise<void> | undefined;
    let firstAcceptedAfterKill = 0;
    let slowest = 0;
    const killer = (async () => {
      await until('300 answers', () => Promise.resolve(answered >= 300), 120_000);
      await cluster.kill(leader);
      killedAt = Date.now();
    })();
    const worker = async () => {
      while (next < N) {
        const n = next++;
        const sent = Date.now();
        const res = await post(urlOf(n), { n });
        slowest = Math.max(slowest, Date.now() - sent);
        statuses.set(n, res.status);
        if (res.status === 202) {
          executionOf.set(n, String(res.body.execution_id));
          if (killedAt && !firstAcceptedAfterKill && sent > killedAt) firstAcceptedAfterKill = Date.now() - killedAt;
        } else expect(res.body.error.code).toBe('dependency_unavailable');
        answered++;
        if (answered >= 700 && killedAt && !restarted) restarted = cluster.restart(leader);
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: WORKERS }, worker));
    await killer;
    await (restarted ?? cluster.restart(leader));
    const newLeader = await cluster.leaderOf(stack.subjects.commandsStream);
    timings.burst_intake_ms = Date.now() - started;
    timings.burst_first_202_after_leader_kill_ms = firstAcceptedAfterKill;
    timings.burst_slowest_webhook_ms = slowest;
    const rejected = [...statuses].filter(([, s]) => s !== 202).map(([n]) => n);
    timings.burst_503s = rejected.length;
    expect([...statuses.values()].every((s) => s === 202 || s === 503)).toBe(true);
    expect(executionOf.size).toBeGreaterThan(N / 2);
    expect(newLeader).toBeGreaterThanOrEqual(0);

    // Every accepted webhook: exactly one execution, finished. Nothing else (a 503 started nothing).
    const drained = await until(
      'all accepted executions succeeded',
      async () => (await burstExecutions()).filter((e) => e.status === 'succeeded').length >= executionOf.size,
      180_000,
    );
    timings.burst_drain_after_intake_ms = drained;
    await sleep(2_000);
    const executions = await burstExecutions();
    expect(executions.map((e) => e.status).every((s) => s === 'succeeded')).toBe(true);
    expect(executions.map((e) => e.id).sort()).toEqual([...executionOf.values()].sort());
    expect(executions.map((e) => Number(e.body.n)).sort((a, b) => a - b)).toEqual([...executionOf.keys()].sort((a, b) => a - b));

    // Callbacks: every execution's arrives; a second one (a redelivery) carries the same webhook-id.
    const callbacksOf = () => {
      const byExecution = new Map<string, string[]>();
      for (const r of receiver.requests.filter((q) => q.path === '/done')) {
        const id = String((JSON.parse(r.body) as { data: { execution_id: string } }).data.execution_id);
        byExecution.set(id, [...(byExecution.get(id) ?? []), String(r.headers['webhook-id'])]);
      }
      return byExecution;
    };
    const withCallback = [...executionOf].filter(([n]) => n % 5 === 0).map(([, id]) => id);
    const delivering = await until('every callback delivered', () => Promise.resolve(callbacksOf().size >= withCallback.length), 240_000);
    timings.burst_callbacks_delivered_after_drain_ms = delivering;
    await sleep(3_000);
    const delivered = callbacksOf();
    expect([...delivered.keys()].sort()).toEqual(withCallback.sort());
    const duplicated = [...delivered.values()].filter((ids) => ids.length > 1);
    timings.burst_duplicate_callbacks = duplicated.length;
    for (const ids of delivered.values()) {
      expect(ids.length).toBeLessThanOrEqual(2);
      expect(new Set(ids).size).toBe(1);
    }
    console.log(
      `cluster burst: ${executionOf.size} accepted, ${rejected.length} answered 503, ${delivered.size} callbacks, ${duplicated.length} of them twice, ` +
        `first 202 ${firstAcceptedAfterKill} ms after the leader's SIGKILL (node ${cluster.nodes[leader]?.name} -> ${cluster.nodes[newLeader]?.name})`,
    );
  }, 420_000);

  it("the KV buckets' leader SIGKILLed with the active scheduler: the lease moves to the other scheduler, no cron slot fires twice, an Idempotency-Key keeps its first execution", async () => {
    const cron = await stack.deploy({
      name: 'cluster-cron',
      max_concurrent_executions: 0,
      trigger: { schedule: { cron: '* * * * * *', overlap: 'allow' } },
      steps: [{ id: 'hit', type: 'http', request: { method: 'POST', url: receiver.url('/cron/{{trigger.body.scheduled_at}}') } }],
    });
    const idem = await stack.deploy({
      name: 'cluster-idem',
      max_concurrent_executions: 0,
      steps: [{ id: 'x', type: 'transform', expression: '1' }],
    });
    const first = await post(idem.async, { n: 1 }, { 'idempotency-key': 'order-before-failover' });
    expect(first.status).toBe(202);
    const cronHits = () => receiver.requests.filter((r) => r.path.startsWith('/cron/')).map((r) => r.path);
    await until('cron fires', () => Promise.resolve(cronHits().length >= 2), 30_000);

    const metric = async (replica: number) => {
      const text = (await request(`${stack.opsUrl('scheduler', replica)}/metrics`).catch(() => ({ text: '' }))).text;
      const line = text.split('\n').find((l) => l.startsWith('flowgate_scheduler_leader'));
      return line ? Number(line.split(' ').at(-1)) : 0;
    };
    const active = (await metric(1)) === 1 ? 1 : 2;
    const standby = active === 1 ? 2 : 1;
    expect(await metric(active)).toBe(1);

    // One node leads the leases and the idempotency bucket (a stepdown towards it if need be), and it dies.
    const leasesStream = `KV_${stack.subjects.leasesBucket}`;
    const idemStream = `KV_${stack.subjects.idempotencyBucket}`;
    const victim = await cluster.leaderOf(leasesStream);
    const nc = await cluster.client();
    for (let i = 0; i < 10 && (await cluster.leaderOf(idemStream)) !== victim; i++) {
      await nc
        .request(
          `$JS.API.STREAM.LEADER.STEPDOWN.${idemStream}`,
          JSON.stringify({ placement: { preferred: cluster.nodes[victim]?.name } }),
          { timeout: 5_000 },
        )
        .catch(() => undefined);
      await sleep(500);
    }
    expect(await cluster.leaderOf(idemStream)).toBe(victim);
    await Promise.all([cluster.kill(victim), stack.stopService('scheduler', 'SIGKILL', active)]);
    const killedAt = Date.now();
    timings.kv_leases_new_leader_ms = await until(
      'leases bucket leader',
      async () => (await cluster.leaderOf(leasesStream, 30_000)) !== victim,
      30_000,
    );
    timings.scheduler_lease_takeover_ms = await until(
      'standby scheduler leads',
      async () => (await metric(standby)) === 1,
      2 * LEASE_MS + 20_000,
    );
    timings.scheduler_lease_takeover_ms = Date.now() - killedAt;

    // The key used before the failover still maps to its first execution (and starts nothing).
    let again = await post(idem.async, { n: 1 }, { 'idempotency-key': 'order-before-failover' });
    while (again.status === 503 && Date.now() - killedAt < 30_000) {
      await sleep(250);
      again = await post(idem.async, { n: 1 }, { 'idempotency-key': 'order-before-failover' });
    }
    timings.idempotency_answer_after_kv_kill_ms = Date.now() - killedAt;
    expect(again.status).toBe(202);
    expect(again.body.execution_id).toBe(first.body.execution_id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');

    const hitsAtTakeover = cronHits().length;
    await until('cron fires after the takeover', () => Promise.resolve(cronHits().length >= hitsAtTakeover + 3), 30_000);
    await cluster.restart(victim);
    // Back with its gRPC port (the ingress's schedule API talks to scheduler #1).
    await stack.startService('scheduler', active);
    expect((await stack.api('POST', `/v1/workflows/${cron.id}/schedule/pause`)).status).toBe(200);
    await sleep(3_000);
    const hits = cronHits();
    expect(new Set(hits).size).toBe(hits.length);
    const cronRuns = await executionsOf(cron.id);
    expect(new Set(cronRuns.map((e) => String(e.body.scheduled_at))).size).toBe(cronRuns.length);
    expect((await executionsOf(idem.id)).map((e) => e.id)).toEqual([first.body.execution_id]);
    console.log(`KV leader failover: ${hits.length} cron fires, none twice; lease moved in ${timings.scheduler_lease_takeover_ms} ms`);
  }, 180_000);

  it('the whole cluster SIGKILLed and restarted with executions waiting on approvals: each resumes on approval and finishes', async () => {
    const wf = await stack.deploy({
      name: 'cluster-approval',
      max_concurrent_executions: 0,
      steps: [
        { id: 'review', type: 'approval', message: 'ok {{trigger.body.n}}?' },
        { id: 'after', type: 'transform', expression: '{"n": trigger.body.n, "decision": steps.review.output.decision}' },
      ],
    });
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) {
      const res = await post(wf.async, { n });
      expect(res.status).toBe(202);
      ids.push(String(res.body.execution_id));
    }
    const parked = await Promise.all(ids.map((id) => stack.waitForExecution(id, (e) => e.status === 'waiting')));
    await Promise.all([0, 1, 2].map((i) => cluster.kill(i)));
    await sleep(1_000);
    const restartedAt = Date.now();
    await Promise.all([0, 1, 2].map((i) => cluster.restart(i)));
    await cluster.waitForJetStream(60_000);
    timings.full_restart_jetstream_ms = Date.now() - restartedAt;
    await until('ingress ready', async () => (await readyz()) === 200, 60_000);
    timings.full_restart_ingress_ready_ms = Date.now() - restartedAt;

    for (const execution of parked) {
      let res = await post(execution.waiting_payload.approve_url, { comment: 'after the restart' });
      const deadline = Date.now() + 30_000;
      while (res.status === 503 && Date.now() < deadline) {
        await sleep(250);
        res = await post(execution.waiting_payload.approve_url, { comment: 'after the restart' });
      }
      expect(res.status).toBe(202);
    }
    for (const id of ids) {
      const done = await stack.waitForExecution(id, undefined, 60_000);
      expect(done.status).toBe('succeeded');
      expect(done.step_executions[0].output).toMatchObject({ decision: 'approved', comment: 'after the restart' });
    }
    timings.full_restart_all_resumed_ms = Date.now() - restartedAt;
  }, 180_000);

  it('two of three nodes SIGKILLed (no quorum): /readyz 503 and the webhook 503 with nothing accepted; intake resumes by itself when they return', async () => {
    const wf = await stack.deploy({
      name: 'cluster-quorum',
      max_concurrent_executions: 0,
      steps: [{ id: 'x', type: 'transform', expression: 'trigger.body.n' }],
    });
    const before = await post(wf.async, { n: 1 });
    expect(before.status).toBe(202);
    await stack.waitForExecution(String(before.body.execution_id));
    // The commands stream's leader and one more: the survivor is a follower without a leader.
    const leader = await cluster.leaderOf(stack.subjects.commandsStream);
    const other = (leader + 1) % 3;
    await Promise.all([cluster.kill(leader), cluster.kill(other)]);
    const killedAt = Date.now();
    timings.quorum_loss_readyz_503_ms = await until('ingress not ready', async () => (await readyz()) === 503, 20_000);
    const ready = await request(`${stack.opsUrl('ingress')}/readyz`);
    expect(ready.body.checks.nats).toBe('unavailable');

    const refused = await Promise.all([2, 3, 4].map((n) => post(wf.async, { n })));
    timings.quorum_loss_webhook_503_ms = Date.now() - killedAt;
    for (const res of refused) {
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('dependency_unavailable');
    }

    const backAt = Date.now();
    await Promise.all([cluster.restart(leader), cluster.restart(other)]);
    timings.quorum_back_readyz_200_ms = await until('ingress ready again', async () => (await readyz()) === 200, 60_000);
    timings.quorum_back_readyz_200_ms = Date.now() - backAt;
    let after = await post(wf.async, { n: 5 });
    while (after.status === 503 && Date.now() - backAt < 60_000) {
      await sleep(250);
      after = await post(wf.async, { n: 5 });
    }
    timings.quorum_back_first_202_ms = Date.now() - backAt;
    expect(after.status).toBe(202);
    expect((await stack.waitForExecution(String(after.body.execution_id), undefined, 60_000)).status).toBe('succeeded');
    await sleep(3_000);
    // Nothing of the refused webhooks ever ran, not even once quorum came back.
    expect((await executionsOf(wf.id)).map((e) => Number(e.body.n)).sort()).toEqual([1, 5]);
  }, 180_000);

  it('an R1 deployment restarted with FLOWGATE_NATS_REPLICAS=3 ends with R3 streams and buckets; 5 replicas on three nodes is refused at start-up', async () => {
    await bringBack([0, 1, 2].filter((i) => !cluster.isRunning(i)));
    const r1 = await Stack.start('nats-cluster-r1', {
      natsUrl: cluster.url,
      env: {
        ingress: { FLOWGATE_NATS_REPLICAS: '1' },
        execution: { FLOWGATE_NATS_REPLICAS: '1' },
        callback: { FLOWGATE_NATS_REPLICAS: '1' },
        scheduler: { FLOWGATE_NATS_REPLICAS: '1' },
      },
    });
    try {
      const nc = await cluster.client();
      const jsm = await jetstreamManager(nc);
      const replicasOf = async () => {
        const out: Record<string, number> = {};
        for await (const info of jsm.streams.list())
          if (info.config.name.startsWith(r1.prefix.toUpperCase()) || info.config.name.startsWith(`KV_${r1.prefix.toUpperCase()}`))
            out[info.config.name] = info.config.num_replicas;
        return out;
      };
      const before = await replicasOf();
      expect(Object.keys(before).length).toBeGreaterThanOrEqual(6);
      expect(new Set(Object.values(before))).toEqual(new Set([1]));
      for (const s of ['ingress', 'execution', 'callback', 'scheduler'] as const) {
        await r1.stopService(s);
        r1.setEnv(s, { FLOWGATE_NATS_REPLICAS: '3' });
      }
      const upgradeStarted = Date.now();
      for (const s of ['ingress', 'execution', 'callback', 'scheduler'] as const) await r1.startService(s);
      timings.r1_to_r3_restart_ms = Date.now() - upgradeStarted;
      const after = await replicasOf();
      expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
      expect(new Set(Object.values(after))).toEqual(new Set([3]));

      r1.setEnv('ingress', { FLOWGATE_NATS_REPLICAS: '5' });
      await r1.stopService('ingress');
      const refused = await r1.startService('ingress').then(
        () => 'started',
        (err: Error) => err.message,
      );
      expect(refused).toContain('ingress exited with 1');
      expect(refused).toContain('FLOWGATE_NATS_REPLICAS=5 is more than the NATS cluster can place');
    } finally {
      await r1.stop();
    }
  }, 180_000);
});
