import type { Db } from 'mongodb';
import type { LocalServer } from '../../scripts/local-servers';
import { request, sleep, type ServiceName, type Stack } from '../support/stack';
import { closedLoop, httpStepsWorkflow, pipelineFigures, processCpuSeconds, TerminalEvents, type PipelineFigures } from './e2e';
import { round } from './load';
import { pidCpuSeconds } from './process-cpu';

/**
 * Scale-out (issue "Beyond one machine"): the 1-step http e2e workload (closed loop, the same
 * downstream, the same webhooks in flight) on one ingress + one execution replica, then on two of
 * each against the same nats-server and FerretDB, the webhooks spread over both ingress replicas in
 * turn. Each run on a fresh Flowgate (own database and prefix). Figures: executions/s, p50 / p99
 * accept → finished, and the CPU time of every process (each replica from its /metrics, nats-server
 * and FerretDB from /proc) per finished execution, so what coordinating two replicas costs is
 * visible. On a machine with fewer cores than processes the ratio of two replicas to one is expected
 * ≤ 1: the replicas share the same cores with the servers and the load generator.
 */
export interface ProcessCpu {
  /** ingress-1, ingress-2, execution-1, …, nats-server, ferretdb. */
  process: string;
  cpu_s: number;
  ms_per_execution: number;
}

export interface ScaleOutRun {
  replicas: number;
  figures: PipelineFigures;
  /** Every process measured; servers that are not local (NATS_URL / MONGO_URL) are left out. */
  cpu: ProcessCpu[];
  /** The sum of `cpu`, ms per finished execution. */
  cpu_ms_per_execution: number;
  /** The bench process itself (closed loop, downstream, event subscription), not in the sum: it shares the cores. */
  load_generator_ms_per_execution: number;
}

export interface ScaleOutFigures {
  one: ScaleOutRun;
  two: ScaleOutRun;
  /** Two replicas' executions/s ÷ one replica's. */
  ratio_executions_per_s: number | null;
  /** Two replicas' CPU per execution (all processes) ÷ one replica's: the cost of coordination. */
  ratio_cpu_per_execution: number | null;
}

export interface ScaleOutOptions {
  startFlowgate: (name: string, services: ServiceName[]) => Promise<{ stack: Stack; db: Db; stop: () => Promise<void> }>;
  downstreamUrl: string;
  /** The local servers (null: an external one, not measured). */
  nats: LocalServer | null;
  mongo: LocalServer | null;
  concurrency: number;
  durationS: number;
  warmupExecutions: number;
  executionTimeoutMs: number;
  log: (line: string) => void;
}

const SERVICES: ServiceName[] = ['ingress', 'execution'];

/** The same webhook URL on another ingress replica. */
const onReplica = (stack: Stack, url: string, replica: number) =>
  replica === 1 ? url : url.replace(stack.ingressUrl, stack.ingressReplicaUrl(replica));

/** Waits until an ingress replica knows a just-deployed workflow (config reaches the replicas through NATS). */
async function untilAccepted(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"order_id":"probe"}' });
    if (res.status === 202) return;
    if (Date.now() > deadline) throw new Error(`${url} answers ${res.status}: ${res.text}`);
    await sleep(100);
  }
}

async function runReplicas(opts: ScaleOutOptions, replicas: number): Promise<ScaleOutRun> {
  const flowgate = await opts.startFlowgate(`bench-scale-${replicas}`, SERVICES);
  const { stack } = flowgate;
  const extra = Array.from({ length: replicas - 1 }, (_, i) => i + 2);
  try {
    for (const r of extra) await Promise.all(SERVICES.map((s) => stack.startService(s, r)));
    const workflow = await stack.deploy(httpStepsWorkflow('scale1', 1, opts.downstreamUrl));
    const warmup = await stack.deploy(httpStepsWorkflow('scalewarm1', 1, opts.downstreamUrl));
    const all = [1, ...extra];
    for (const r of extra) await untilAccepted(onReplica(stack, warmup.async, r), 10_000);
    const events = await TerminalEvents.open(stack.natsUrl, stack.prefix);
    try {
      const loop = (url: string[], more: { durationS?: number; amount?: number; concurrency: number }) =>
        closedLoop({ events, url, executionTimeoutMs: opts.executionTimeoutMs, ...more });
      if (opts.warmupExecutions > 0) {
        const warm = await loop(
          all.map((r) => onReplica(stack, warmup.async, r)),
          { amount: opts.warmupExecutions, concurrency: Math.min(opts.concurrency, opts.warmupExecutions) },
        );
        if (warm.lost > 0 || warm.rejected > 0) throw new Error(`scale-out ×${replicas} warm-up: ${JSON.stringify(warm)}`);
      }
      const processes = [
        ...SERVICES.flatMap((s) =>
          all.map((r) => ({ process: `${s}-${r}`, read: async (): Promise<number | null> => processCpuSeconds(stack.opsUrl(s, r)) })),
        ),
        ...[opts.nats, opts.mongo].flatMap((server) =>
          server ? [{ process: server.name, read: () => Promise.resolve(pidCpuSeconds(server.process.pid)) }] : [],
        ),
      ];
      const readAll = () => Promise.all(processes.map((p) => p.read()));
      const before = await readAll();
      const benchBefore = process.cpuUsage();
      const startedAt = new Date();
      const measured = await loop(
        all.map((r) => onReplica(stack, workflow.async, r)),
        { durationS: opts.durationS, concurrency: opts.concurrency },
      );
      const benchUsed = process.cpuUsage(benchBefore);
      const after = await readAll();
      const loadS = (Date.now() - startedAt.getTime()) / 1000;
      const docs = await flowgate.db
        .collection('executions')
        .find({ workflow_id: workflow.id, created_at: { $gte: startedAt } }, { projection: { status: 1, created_at: 1, finished_at: 1 } })
        .toArray();
      const scenario = `scale-out ${replicas}+${replicas}`;
      const figures = pipelineFigures({ scenario, concurrency: opts.concurrency, loadS, startedAt }, measured, docs);
      const perExecution = (s: number) => (figures.completed > 0 ? round((s * 1000) / figures.completed, 3) : 0);
      const cpu = processes.flatMap((p, i) => {
        const [b, a] = [before[i], after[i]];
        if (b === null || b === undefined || a === null || a === undefined) return [];
        const cpuS = round(a - b, 3);
        return [{ process: p.process, cpu_s: cpuS, ms_per_execution: perExecution(cpuS) }];
      });
      const run: ScaleOutRun = {
        replicas,
        figures,
        cpu,
        cpu_ms_per_execution: perExecution(cpu.reduce((sum, p) => sum + p.cpu_s, 0)),
        load_generator_ms_per_execution: perExecution((benchUsed.user + benchUsed.system) / 1e6),
      };
      opts.log(
        `${scenario}: ${figures.executions_per_s} executions/s, p50 ${figures.latency_ms.p50} ms, p99 ${figures.latency_ms.p99} ms; ` +
          `CPU ms/execution ${cpu.map((p) => `${p.process} ${p.ms_per_execution}`).join(', ')} ` +
          `(bench process ${run.load_generator_ms_per_execution})`,
      );
      return run;
    } finally {
      await events.close();
    }
  } finally {
    for (const r of extra) await Promise.all(SERVICES.map((s) => stack.stopService(s, 'SIGTERM', r)));
    await flowgate.stop();
  }
}

export async function runScaleOut(opts: ScaleOutOptions): Promise<ScaleOutFigures> {
  opts.log(`scale-out: 1 + 1 then 2 + 2 replicas, ${opts.durationS} s × ${opts.concurrency} webhooks in flight each …`);
  const one = await runReplicas(opts, 1);
  const two = await runReplicas(opts, 2);
  const ratio = (x: number, y: number) => (y > 0 ? round(x / y, 3) : null);
  return {
    one,
    two,
    ratio_executions_per_s: ratio(two.figures.executions_per_s, one.figures.executions_per_s),
    ratio_cpu_per_execution: ratio(two.cpu_ms_per_execution, one.cpu_ms_per_execution),
  };
}
