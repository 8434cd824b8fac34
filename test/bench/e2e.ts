import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Db } from 'mongodb';
import { request, sleep, TERMINAL, type Stack } from '../support/stack';
import type { BudgetMeter, StoreBudget } from './budget';
import { afterStartUp } from './start-up';
import { round } from './load';

/**
 * End-to-end scenarios: workflows of N http steps against a local server, driven by a closed loop
 * of async webhooks. Each of `concurrency` workers fires one webhook, waits for the execution's
 * terminal event (a plain NATS subscription to the execution events, so waiting adds no database
 * load), then fires the next, for `durationS` seconds. The queue in front of the executor stays
 * at most `concurrency` deep, so latencies are those of a busy executor, not of a backlog.
 *
 * Figures: finished executions per second of wall time (load start → last finished_at),
 * p50 / p99 of finished_at − created_at (accept → finished) from MongoDB, and the execution
 * process's CPU time (`flowgate_process_cpu_seconds_total` on its /metrics) per step run, and the
 * store budget of the measured part (budget.ts).
 */
/** What a closed-loop run of executions measures, Flowgate's or the bare durable pipeline's. */
export interface PipelineFigures {
  scenario: string;
  concurrency: number;
  duration_s: number;
  fired: number;
  /** Webhooks not answered 202. */
  rejected: number;
  completed: number;
  succeeded: number;
  /** Executions whose terminal event did not arrive within the per-execution timeout. */
  lost: number;
  by_status: Record<string, number>;
  /** From the first webhook to the last finished_at, seconds. */
  window_s: number;
  executions_per_s: number;
  latency_ms: { p50: number; p90: number; p99: number; max: number; mean: number };
}

export interface E2eFigures extends PipelineFigures {
  steps_per_execution: number;
  executor_cpu_s: number;
  steps_run: number;
  executor_cpu_ms_per_step: number;
  executor_cpu_ms_per_execution: number;
  /** MongoDB / NATS spent by ingress + execution during the measured part; null without a meter. */
  budget: StoreBudget | null;
}

/** The downstream of the http steps: answers every request at once with a small JSON body. */
export interface Downstream {
  url: string;
  requests(): number;
  stop(): Promise<void>;
}

export async function startDownstream(): Promise<Downstream> {
  let count = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true,"id":"d-1"}');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => count,
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** A workflow of `steps` http steps, each posting to the downstream (the last one's answer is the result). */
export function httpStepsWorkflow(name: string, steps: number, downstreamUrl: string) {
  return {
    name,
    max_concurrent_executions: 0,
    steps: Array.from({ length: steps }, (_, i) => ({
      id: `s${i + 1}`,
      type: 'http',
      request: { method: 'POST', url: `${downstreamUrl}/${name}/s${i + 1}`, body: { order: '{{trigger.body.order_id}}' } },
    })),
  };
}

/** Waits for terminal execution events of one stack (its NATS prefix). */
export class TerminalEvents {
  private readonly done = new Map<string, string>();
  private readonly waiters = new Map<string, (status: string) => void>();

  private constructor(private readonly nc: NatsConnection) {}

  static async open(natsUrl: string, prefix: string): Promise<TerminalEvents> {
    const nc = await connect({ servers: natsUrl, name: 'flowgate-bench-events' });
    const events = new TerminalEvents(nc);
    const sub = nc.subscribe(`${prefix}.evt.execution.*.*`);
    void (async () => {
      for await (const msg of sub) {
        const { execution_id: id, status } = msg.json<{ execution_id: string; status: string }>();
        if (!TERMINAL.includes(status)) continue;
        events.done.set(id, status);
        events.waiters.get(id)?.(status);
        events.waiters.delete(id);
      }
    })();
    await nc.flush();
    return events;
  }

  /** The execution's terminal status, or null after `timeoutMs`. */
  wait(id: string, timeoutMs: number): Promise<string | null> {
    const seen = this.done.get(id);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        resolve(null);
      }, timeoutMs);
      this.waiters.set(id, (status) => {
        clearTimeout(timer);
        resolve(status);
      });
    });
  }

  close(): Promise<void> {
    return this.nc.close();
  }
}

/** `flowgate_process_cpu_seconds_total` of a service process, from its /metrics. */
export async function processCpuSeconds(opsUrl: string): Promise<number> {
  const text = (await request(`${opsUrl}/metrics`)).text;
  const match = /^flowgate_process_cpu_seconds_total(?:\{[^}]*\})? (\S+)$/m.exec(text);
  if (!match) throw new Error(`no flowgate_process_cpu_seconds_total on ${opsUrl}/metrics`);
  return Number(match[1]);
}

/**
 * Fires webhooks from `concurrency` workers, each waiting for its execution to end before the next.
 * Several URLs (the same webhook on several ingress replicas) take the webhooks in turn.
 */
export async function closedLoop(opts: {
  events: TerminalEvents;
  url: string | string[];
  concurrency: number;
  /** Stop firing after this long … */
  durationS?: number;
  /** … or after this many webhooks. */
  amount?: number;
  executionTimeoutMs: number;
}): Promise<{ fired: number; rejected: number; lost: number; statuses: Record<string, number> }> {
  const stopAt = opts.durationS === undefined ? Infinity : Date.now() + opts.durationS * 1000;
  let fired = 0;
  let rejected = 0;
  let lost = 0;
  const statuses: Record<string, number> = {};
  const urls = typeof opts.url === 'string' ? [opts.url] : opts.url;
  const worker = async () => {
    while (Date.now() < stopAt && (opts.amount === undefined || fired < opts.amount)) {
      const url = urls[fired % urls.length] ?? '';
      fired++;
      const body = JSON.stringify({ event: 'order.created', order_id: `B-${fired}`, amount: 42.5 });
      let res;
      try {
        res = await request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(opts.executionTimeoutMs),
        });
      } catch {
        rejected++;
        await sleep(100);
        continue;
      }
      if (res.status !== 202) {
        rejected++;
        await sleep(100);
        continue;
      }
      const status = await opts.events.wait(String(res.body.execution_id), opts.executionTimeoutMs);
      if (status === null) lost++;
      else statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return { fired, rejected, lost, statuses };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

export interface ScenarioOptions {
  stack: Stack;
  db: Db;
  scenario: string;
  workflow: { id: string; async: string };
  warmup: { id: string; async: string };
  steps: number;
  concurrency: number;
  durationS: number;
  warmupExecutions: number;
  executionTimeoutMs: number;
  /** Counts the store budget of the measured part (null: not counted). */
  meter: BudgetMeter | null;
  /** Runs after the warm-up, before the measured part (the history scenario fills the store here). */
  beforeMeasure?: () => Promise<void>;
  log: (line: string) => void;
}

/** Accept → finished latencies and throughput of the executions created from `startedAt` on. */
export function pipelineFigures(
  base: { scenario: string; concurrency: number; loadS: number; startedAt: Date },
  loop: { fired: number; rejected: number; lost: number },
  docs: Record<string, unknown>[],
): PipelineFigures {
  const latencies: number[] = [];
  const byStatus: Record<string, number> = {};
  let lastFinished = base.startedAt.getTime();
  for (const d of docs) {
    const status = String(d.status);
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (!(d.finished_at instanceof Date) || !(d.created_at instanceof Date)) continue;
    latencies.push(d.finished_at.getTime() - d.created_at.getTime());
    lastFinished = Math.max(lastFinished, d.finished_at.getTime());
  }
  latencies.sort((a, b) => a - b);
  const completed = latencies.length;
  const windowS = Math.max(0.001, (lastFinished - base.startedAt.getTime()) / 1000);
  return {
    scenario: base.scenario,
    concurrency: base.concurrency,
    duration_s: round(base.loadS, 3),
    fired: loop.fired,
    rejected: loop.rejected,
    completed,
    succeeded: byStatus.succeeded ?? 0,
    lost: loop.lost,
    by_status: byStatus,
    window_s: round(windowS, 3),
    executions_per_s: round(completed / windowS, 2),
    latency_ms: {
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? 0,
      mean: round(latencies.reduce((a, b) => a + b, 0) / Math.max(1, completed), 1),
    },
  };
}

/** Lets late writes of finished executions (a flush after the terminal event) land before the budget is read. */
export const BUDGET_SETTLE_MS = 1_000;

export async function runScenario(opts: ScenarioOptions): Promise<E2eFigures> {
  const events = await TerminalEvents.open(opts.stack.natsUrl, opts.stack.prefix);
  try {
    if (opts.warmupExecutions > 0) {
      const warm = await closedLoop({
        events,
        url: opts.warmup.async,
        concurrency: Math.min(opts.concurrency, opts.warmupExecutions),
        amount: opts.warmupExecutions,
        executionTimeoutMs: opts.executionTimeoutMs,
      });
      if (warm.lost > 0 || warm.rejected > 0) throw new Error(`${opts.scenario} warm-up: ${JSON.stringify(warm)}`);
    }
    await opts.beforeMeasure?.();
    await afterStartUp(opts.stack);
    const executionOps = opts.stack.opsUrl('execution');
    const metered = await opts.meter?.start(opts.scenario);
    const cpuBefore = await processCpuSeconds(executionOps);
    const startedAt = new Date();
    const loop = await closedLoop({
      events,
      url: opts.workflow.async,
      concurrency: opts.concurrency,
      durationS: opts.durationS,
      executionTimeoutMs: opts.executionTimeoutMs,
    });
    const cpuAfter = await processCpuSeconds(executionOps);
    const loadS = (Date.now() - startedAt.getTime()) / 1000;
    if (metered) await sleep(BUDGET_SETTLE_MS);
    const finished = Object.values(loop.statuses).reduce((a, b) => a + b, 0);
    const budget = (await metered?.finish(loop.fired - loop.rejected, finished)) ?? null;

    const docs = await opts.db
      .collection('executions')
      .find(
        { workflow_id: opts.workflow.id, created_at: { $gte: startedAt } },
        { projection: { status: 1, created_at: 1, finished_at: 1 } },
      )
      .toArray();
    const base = pipelineFigures({ scenario: opts.scenario, concurrency: opts.concurrency, loadS, startedAt }, loop, docs);
    const cpuS = cpuAfter - cpuBefore;
    const stepsRun = base.succeeded * opts.steps;
    const figures: E2eFigures = {
      ...base,
      steps_per_execution: opts.steps,
      executor_cpu_s: round(cpuS, 3),
      steps_run: stepsRun,
      executor_cpu_ms_per_step: stepsRun > 0 ? round((cpuS * 1000) / stepsRun, 2) : 0,
      executor_cpu_ms_per_execution: base.succeeded > 0 ? round((cpuS * 1000) / base.succeeded, 2) : 0,
      budget,
    };
    opts.log(
      `${opts.scenario}: ${figures.executions_per_s} executions/s, p50 ${figures.latency_ms.p50} ms, p99 ${figures.latency_ms.p99} ms, ` +
        `executor CPU ${figures.executor_cpu_ms_per_step} ms/step` +
        (budget?.per_execution
          ? `; per execution ${budget.per_execution.mongo_round_trips} MongoDB commands, ${budget.per_execution.writes} writes, ` +
            `${budget.per_execution.scans} scans, ${budget.per_execution.nats_msgs_sent ?? 'n/a'} NATS messages`
          : ''),
    );
    return figures;
  } finally {
    await events.close();
  }
}
