import { HttpBalancer, TcpBalancer } from '../support/balancer';
import { requestsFor } from '../support/callbacks';
import { Receiver } from '../support/receiver';
import { sleep, Stack, type ServiceName } from '../support/stack';

/**
 * Graceful moves: two replicas of every service on one NATS and FerretDB, a steady client load
 * (async webhooks, some through a delay step so timers are in flight, and sync webhooks waiting for
 * their answer) through a balancer that routes only to ingress replicas whose /readyz answers 200,
 * and the ingress's gRPC calls to execution and scheduler through a TCP balancer doing the same (a
 * ClusterIP Service). Then a rolling restart of each service in turn, one replica at a time, as a
 * Deployment with maxSurge 0 / maxUnavailable 1 does it: SIGTERM a replica and start its
 * replacement at once, wait until the replacement is ready and the old process has exited (code 0),
 * then the other replica.
 *
 * Nothing may show: no client gets a 5xx or a connection error (the balancer retries nothing), every
 * 202 becomes exactly one succeeded execution, every sync caller gets an answer (200 with the
 * result, or the 202 with the execution id when its ingress had to stop before the end), and every execution's callback arrives, more than once only with the same webhook-id.
 */
describe('rolling restart of every service under load, two replicas each', () => {
  const SERVICES: ServiceName[] = ['ingress', 'execution', 'scheduler', 'callback'];
  /** Webhooks started per second: async, async through a 1 s delay, sync. */
  const RATE = { async: 2, delayed: 0.5, sync: 0.5 };
  /** A loaded CI machine starts a process slowly. */
  const READY_TIMEOUT_MS = 90_000;
  /** FerretDB on SQLite (SQLITE_BUSY under load) can leave MongoDB's executions minutes behind the live state. */
  const SETTLE_TIMEOUT_MS = 300_000;
  const log = (line: string) => process.stderr.write(`[rolling-restart] ${line}\n`);

  let stack: Stack;
  let receiver: Receiver;
  let http: HttpBalancer;
  let executionGrpc: TcpBalancer;
  let schedulerGrpc: TcpBalancer;
  /** Replica numbers running per service. */
  const replicas = new Map<ServiceName, number[]>();
  let nextReplica = 3;

  type Kind = keyof typeof RATE;
  interface Call {
    kind: Kind;
    status?: number;
    error?: string;
    executionId?: string;
    body?: unknown;
  }
  const calls: Call[] = [];
  const workflows = {} as Record<Kind, { id: string; path: string }>;

  /** Registers a replica with the balancer(s) in front of it. */
  const register = async (service: ServiceName, replica: number) => {
    const name = `${service}#${replica}`;
    const readyz = `${stack.opsUrl(service, replica)}/readyz`;
    if (service === 'ingress') await http.add(name, stack.listenAddress('ingress', replica), readyz);
    if (service === 'execution') await executionGrpc.add(name, stack.listenAddress('execution', replica), readyz);
    if (service === 'scheduler') await schedulerGrpc.add(name, stack.listenAddress('scheduler', replica), readyz);
  };
  const unregister = (service: ServiceName, replica: number) => {
    for (const balancer of [http, executionGrpc, schedulerGrpc]) balancer.remove(`${service}#${replica}`);
  };

  beforeAll(async () => {
    receiver = await new Receiver(() => ({ status: 200, body: { ok: true } })).start();
    http = await new HttpBalancer(200).start();
    executionGrpc = await new TcpBalancer(200).start();
    schedulerGrpc = await new TcpBalancer(200).start();
    // Longer than the balancers need to take a replica out (3 failed probes 200 ms apart); 20 s for the drain as a whole.
    const drain = { FLOWGATE_SHUTDOWN_DRAIN_MS: '2000', FLOWGATE_SHUTDOWN_TIMEOUT_MS: '20000' };
    stack = await Stack.start('rolling-restart', {
      env: {
        ingress: { ...drain, FLOWGATE_EXECUTION_GRPC_URL: executionGrpc.hostPort, FLOWGATE_SCHEDULER_GRPC_URL: schedulerGrpc.hostPort },
        execution: drain,
        scheduler: drain,
        callback: drain,
      },
    });
    for (const service of SERVICES) {
      await stack.startService(service, 2, READY_TIMEOUT_MS);
      replicas.set(service, [1, 2]);
      await register(service, 1);
      await register(service, 2);
    }
    const deploy = async (kind: Kind, definition: Record<string, unknown>) => {
      const wf = await stack.deploy({
        name: `rolling-${kind}`,
        max_concurrent_executions: 0,
        on_success_url: receiver.url(`/cb/${kind}`),
        ...definition,
      });
      workflows[kind] = { id: wf.id, path: new URL(kind === 'sync' ? wf.sync : wf.async).pathname };
    };
    await deploy('async', { steps: [{ id: 'answer', type: 'transform', expression: '{"n": trigger.body.n}' }] });
    await deploy('delayed', {
      steps: [
        { id: 'pause', type: 'delay', duration_s: 1 },
        { id: 'answer', type: 'transform', expression: '{"n": trigger.body.n}' },
      ],
    });
    await deploy('sync', {
      trigger: { webhook: { sync_timeout_s: 30, response: { mode: 'minimal' } } },
      steps: [{ id: 'answer', type: 'transform', expression: '{"n": trigger.body.n}' }],
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([http?.stop(), executionGrpc?.stop(), schedulerGrpc?.stop(), receiver?.stop()]);
  }, 120_000);

  /** One webhook through the balancer, recorded as the client saw it. */
  const fire = async (kind: Kind, n: number) => {
    const call: Call = { kind };
    calls.push(call);
    try {
      const res = await fetch(`${http.url}${workflows[kind].path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ n }),
        signal: AbortSignal.timeout(60_000),
      });
      call.status = res.status;
      const text = await res.text();
      call.body = text ? (JSON.parse(text) as unknown) : null;
      // 202: the accepted execution; sync (response mode minimal): 200 with the execution's id and final status.
      const id = (call.body as { execution_id?: unknown } | null)?.execution_id;
      if (typeof id === 'string') call.executionId = id;
    } catch (err) {
      call.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
  };

  /** Fires webhooks at RATE until stopped; resolves once every call is answered. */
  const load = () => {
    let stopped = false;
    let n = 0;
    const inFlight = new Set<Promise<void>>();
    const loops = (Object.keys(RATE) as Kind[]).map(async (kind) => {
      const every = 1000 / RATE[kind];
      for (let at = Date.now(); !stopped; at += every) {
        const p = fire(kind, ++n);
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
        await sleep(Math.max(0, at + every - Date.now()));
      }
    });
    return {
      stop: async () => {
        stopped = true;
        await Promise.all(loops);
        await Promise.all([...inFlight]);
      },
    };
  };

  /** Replaces each replica of a service in turn: SIGTERM it, start its replacement, both done, next. */
  const roll = async (service: ServiceName) => {
    for (const old of [...(replicas.get(service) ?? [])]) {
      const fresh = nextReplica++;
      const t0 = Date.now();
      const exited = stack.stopService(service, 'SIGTERM', old);
      await stack.startService(service, fresh, READY_TIMEOUT_MS);
      await register(service, fresh);
      const code = await exited;
      unregister(service, old);
      replicas.set(service, [...(replicas.get(service) ?? []).filter((r) => r !== old), fresh]);
      log(
        `${service}#${old} -> ${service}#${fresh}: exit ${code}, ${Date.now() - t0} ms; ingress backends ready: ${http.readyNames().join(', ')}`,
      );
      expect(code).toBe(0);
    }
  };

  it(
    'loses nothing and answers no client with a 5xx while every service rolls',
    async () => {
      const running = load();
      await sleep(2_000);
      for (const service of SERVICES) {
        await roll(service);
        await sleep(1_000);
      }
      await sleep(1_000);
      await running.stop();

      const byKind = (kind: Kind) => calls.filter((c) => c.kind === kind);
      log(
        `${calls.length} webhooks: ${(Object.keys(RATE) as Kind[])
          .map((k) => `${k} ${byKind(k).length}`)
          .join(
            ', ',
          )}; balancer failures: ${http.failures.length}; grpc balancer failures: ${[...executionGrpc.failures, ...schedulerGrpc.failures].join('; ') || 'none'}`,
      );
      log(`ingress endpoints:\n  ${http.transitions.join('\n  ')}`);
      // No client saw an error: no 5xx, no connection error, nothing the balancer had to make up.
      expect(calls.filter((c) => c.error !== undefined || (c.status ?? 0) >= 500)).toEqual([]);
      expect(http.failures).toEqual([]);
      // Async webhooks were accepted; every sync caller got an answer: the result, or (its ingress
      // shutting down before the execution ended) the 202 with the execution id.
      expect(calls.filter((c) => c.kind !== 'sync' && c.status !== 202)).toEqual([]);
      const answered = (c: Call) =>
        (c.status === 200 && (c.body as { status?: string } | null)?.status === 'succeeded') || c.status === 202;
      expect(byKind('sync').filter((c) => !answered(c))).toEqual([]);
      log(
        `sync: ${byKind('sync').filter((c) => c.status === 200).length} answered with the result, ${byKind('sync').filter((c) => c.status === 202).length} with 202`,
      );
      expect(calls.every((c) => typeof c.executionId === 'string' && c.executionId.length > 0)).toBe(true);
      expect(byKind('delayed').length).toBeGreaterThan(0);

      // Every accepted webhook became exactly one execution, and it succeeded.
      const ids = calls.map((c) => c.executionId ?? '');
      expect(new Set(ids).size).toBe(ids.length);
      const executions = (await stack.db()).collection('executions');
      const workflowIds = Object.values(workflows).map((w) => w.id);
      const deadline = Date.now() + SETTLE_TIMEOUT_MS;
      let succeeded = 0;
      while (Date.now() < deadline) {
        succeeded = await executions.countDocuments({ workflow_id: { $in: workflowIds }, status: 'succeeded' });
        if (succeeded >= ids.length) break;
        await sleep(1_000);
      }
      const db = await stack.settledDb();
      const stored = await db
        .collection('executions')
        .find({ workflow_id: { $in: workflowIds } }, { projection: { _id: 1, status: 1 } })
        .toArray();
      expect(stored.filter((d) => d.status !== 'succeeded')).toEqual([]);
      expect(stored.map((d) => String(d._id)).sort()).toEqual([...ids].sort());

      // Every execution's callback arrived; a repeat (a redelivered attempt) carries the same webhook-id.
      const callbackDeadline = Date.now() + 60_000;
      const missing = () => ids.filter((id) => requestsFor(receiver.requests, id).length === 0);
      while (missing().length > 0 && Date.now() < callbackDeadline) await sleep(500);
      expect(missing()).toEqual([]);
      const repeated = ids.map((id) => requestsFor(receiver.requests, id)).filter((got) => got.length > 1);
      for (const got of repeated) expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1);
      log(
        `${stored.length} executions succeeded, ${receiver.requests.length} callbacks (${repeated.length} executions called back more than once)`,
      );
    },
    15 * 60_000,
  );
});
