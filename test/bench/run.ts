import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from 'mongodb';
import { ROOT, startFerretDb, startNats, type LocalServer } from '../../scripts/local-servers';
import { ALL_SERVICES, Stack, type ServiceName } from '../support/stack';
import { runAuthScenarios } from './auth-scenarios';
import { startBaselineServer } from './baseline-process';
import { waitForCompletion } from './completion';
import { httpStepsWorkflow, runScenario, startDownstream, type E2eFigures } from './e2e';
import { intEnv } from './env';
import { round, runLoad, warmUp, type LoadFigures } from './load';
import { detailedReport, summaryBlock, writeResults, type BenchResults } from './report';
import { preserveLogs, Teardown } from './teardown';

/**
 * `pnpm bench`: accepted webhooks per second of Flowgate's async webhook (1 transform step) against
 * a baseline measured in the same run on the same servers (an express handler that only publishes to
 * a JetStream work-queue stream and answers 202), plus Flowgate's end-to-end completed executions
 * per second. Then end-to-end scenarios (e2e.ts) of 1-step and 5-step http workflows against a local
 * server, each on a fresh Flowgate of ingress + execution (own database, so earlier runs do not slow
 * FerretDB's scans): executions/s, p50/p99 accept → finished and the executor's CPU time per step;
 * the 1-step executions/s is reported as a ratio to the baseline's accepted/s. Real nats-server and
 * FerretDB from .tools/bin, the four bundled services from dist/.
 *
 * Env: NATS_URL / MONGO_URL (use existing servers instead of local ones), BENCH_DURATION_S (10), BENCH_CONNECTIONS (32), BENCH_WARMUP_REQUESTS (100, 0 = none),
 * BENCH_DRAIN_TIMEOUT_S (180), BENCH_LOG_LEVEL (services' LOG_LEVEL, info: their default),
 * BENCH_E2E_DURATION_S (30 per scenario, 0 = skip the scenarios), BENCH_E2E_CONCURRENCY (16 webhooks in flight),
 * BENCH_E2E_WARMUP (20 executions per scenario).
 * Results: stdout and .test-results/bench.json; on failure the logs go to .test-results/bench-logs/.
 */
const RESULTS_FILE = join(ROOT, '.test-results', 'bench.json');
const LOGS_DIR = join(ROOT, '.test-results', 'bench-logs');
const BODY = JSON.stringify({ event: 'order.created', order_id: 'B-1001', amount: 42.5, items: [{ sku: 'A-1', qty: 2 }] });
const WORKFLOW = {
  max_concurrent_executions: 0,
  steps: [{ id: 't', type: 'transform', expression: '{"ok": true}' }],
};

const log = (line: string) => process.stderr.write(`${line}\n`);

async function bench(teardown: Teardown): Promise<BenchResults> {
  const durationS = intEnv('BENCH_DURATION_S', 10, 1);
  const connections = intEnv('BENCH_CONNECTIONS', 32, 1);
  const warmupRequests = intEnv('BENCH_WARMUP_REQUESTS', 100, 0);
  const drainTimeoutS = intEnv('BENCH_DRAIN_TIMEOUT_S', 180, 1);
  const logLevel = process.env.BENCH_LOG_LEVEL || 'info';
  const e2eDurationS = intEnv('BENCH_E2E_DURATION_S', 30, 0);
  const e2eConcurrency = intEnv('BENCH_E2E_CONCURRENCY', 16, 1);
  const e2eWarmup = intEnv('BENCH_E2E_WARMUP', 20, 0);

  rmSync(RESULTS_FILE, { force: true });
  const loadAtStart = round(loadavg()[0] ?? 0, 2);

  // 1. Servers, in a temp dir removed at the end (its *.log files kept on failure).
  const dataDir = mkdtempSync(join(tmpdir(), 'flowgate-bench-'));
  teardown.add('remove data dir', () => rmSync(dataDir, { recursive: true, force: true }));
  teardown.add('keep logs of a failed run', () => {
    rmSync(LOGS_DIR, { recursive: true, force: true });
    if (process.exitCode !== 1) return;
    const n = preserveLogs(dataDir, LOGS_DIR);
    log(`${n} log files kept in ${LOGS_DIR}`);
  });
  // NATS_URL / MONGO_URL measure against existing servers (e.g. a real MongoDB: FerretDB's SQLite
  // backend scans a collection on every update, so local figures are bound by it).
  const external = { nats: process.env.NATS_URL, mongo: process.env.MONGO_URL };
  const servers = await Promise.allSettled([
    external.nats ? Promise.resolve(null) : startNats(join(dataDir, 'nats')),
    external.mongo ? Promise.resolve(null) : startFerretDb(join(dataDir, 'ferretdb')),
  ]);
  for (const s of servers) if (s.status === 'fulfilled' && s.value) teardown.add(`stop ${s.value.name}`, () => s.value?.stop());
  const [nats, mongo] = servers.map((s) => {
    if (s.status === 'rejected') throw s.reason;
    return s.value;
  }) as [LocalServer | null, LocalServer | null];
  const natsUrl = external.nats ?? nats?.url ?? '';
  const mongoUrl = external.mongo ?? mongo?.url ?? '';
  log(`nats ${natsUrl}${nats ? ' (local nats-server)' : ''}, mongodb ${mongoUrl}${mongo ? ' (local FerretDB)' : ''} (data in ${dataDir})`);
  process.env.FLOWGATE_TEST_NATS_URL = natsUrl;
  process.env.FLOWGATE_TEST_MONGO_URL = mongoUrl;
  process.env.FLOWGATE_TEST_DATA_DIR = dataDir;

  // 2. Flowgate, configured as deployed rather than as the test Stack speeds it up (debug logs, a
  // 100 ms scheduler tick): the services' own defaults. Started with no service first, so a
  // service that fails to come up is still stopped.
  const env: Partial<Record<ServiceName, Record<string, string>>> = {};
  for (const service of ALL_SERVICES) env[service] = { LOG_LEVEL: logLevel };
  env.scheduler = { ...env.scheduler, FLOWGATE_SCHEDULER_TICK_MS: '250' };
  /** A Flowgate with its own database and prefix; `stop` (also part of the teardown) runs once. */
  const startFlowgate = async (
    name: string,
    services: ServiceName[] = ALL_SERVICES,
  ): Promise<{ stack: Stack; db: Db; stop: () => Promise<void> }> => {
    const stack = await Stack.start(name, { services: [], env });
    const opened: { db?: Db } = {};
    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        await Promise.all(ALL_SERVICES.map((s) => stack.stopService(s)));
        // Drop its database and streams while the servers run (after a Ctrl-C they may be gone already:
        // then only let go of the MongoDB client; the data dir goes anyway).
        if ([nats, mongo].every((s) => !s || (s.process.exitCode === null && s.process.signalCode === null))) await stack.stop();
        else await opened.db?.client.close(true);
      })());
    teardown.add(`stop flowgate ${name}`, stop);
    const started = await Promise.allSettled(services.map((s) => stack.startService(s)));
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    opened.db = await stack.db();
    return { stack, db: opened.db, stop };
  };
  const { stack, db, stop: stopFlowgate } = await startFlowgate('bench');
  const measured = await stack.deploy({ name: 'bench-transform', ...WORKFLOW });
  const warmupWorkflow = await stack.deploy({ name: 'bench-warmup', ...WORKFLOW });
  log(`flowgate up: ingress ${stack.ingressUrl}, workflow ${measured.id}`);

  // 3. Baseline, in its own process.
  const baseline = await startBaselineServer(natsUrl, join(dataDir, 'baseline.log'));
  teardown.add('stop baseline server', () => baseline.stop());
  log(`baseline up: ${baseline.url} (pid ${baseline.pid})`);

  log(`baseline: warm-up ${warmupRequests} requests, then ${durationS} s × ${connections} connections …`);
  await warmUp(baseline.url, BODY, warmupRequests, connections);
  const baselineFigures = await runLoad({ target: 'baseline', url: baseline.url, body: BODY, connections, durationS });
  log(`baseline: ${baselineFigures.accepted_per_s} accepted/s`);
  await baseline.stop();

  // 4. Flowgate: warm up on a separate workflow and let it drain, so the measured one starts idle.
  log(`flowgate: warm-up ${warmupRequests} requests …`);
  const warmedAt = new Date();
  const warmAccepted = await warmUp(warmupWorkflow.async, BODY, warmupRequests, connections);
  const warm = await waitForCompletion(db, {
    workflowId: warmupWorkflow.id,
    accepted: warmAccepted,
    loadStartedAt: warmedAt,
    loadFinishedAt: new Date(),
    timeoutMs: drainTimeoutS * 1000,
  });
  if (!warm.drained) throw new Error(`warm-up executions did not finish: ${JSON.stringify(warm.by_status)}`);
  log(`flowgate: ${durationS} s × ${connections} connections …`);
  const flowgateFigures = await runLoad({ target: 'flowgate', url: measured.async, body: BODY, connections, durationS });
  log(`flowgate: ${flowgateFigures.accepted_per_s} accepted/s; waiting for the executions to finish …`);
  const endToEnd = await waitForCompletion(db, {
    workflowId: measured.id,
    accepted: flowgateFigures.accepted,
    loadStartedAt: new Date(flowgateFigures.started_at),
    loadFinishedAt: new Date(flowgateFigures.finished_at),
    timeoutMs: drainTimeoutS * 1000,
    progress: log,
  });
  await stopFlowgate();

  // 4b. Accepted/s per webhook authentication method (none / HMAC / Standard Webhooks, rate limiting
  // on), on an ingress-only Flowgate: see auth-scenarios.ts.
  const authFlowgate = await startFlowgate('bench-auth', ['ingress']);
  const auth = await runAuthScenarios({
    stack: authFlowgate.stack,
    body: BODY,
    connections,
    durationS,
    warmupRequests,
    baselineAcceptedPerS: baselineFigures.accepted_per_s,
    log,
  });
  await authFlowgate.stop();

  // 5. End to end: 1-step and 5-step http workflows, each on a fresh Flowgate (ingress + execution).
  const scenarios: E2eFigures[] = [];
  let sync: (LoadFigures & { ratio_to_baseline: number }) | null = null;
  if (e2eDurationS > 0) {
    const downstream = await startDownstream();
    teardown.add('stop downstream', () => downstream.stop());
    for (const steps of [1, 5]) {
      const name = `bench-e2e-${steps}`;
      // Only what these workflows use (no timers fire, no callbacks): less noise on the executor's CPU.
      const flowgate = await startFlowgate(name, ['ingress', 'execution']);
      const workflow = await flowgate.stack.deploy(httpStepsWorkflow(`http${steps}`, steps, downstream.url));
      const warmup = await flowgate.stack.deploy(httpStepsWorkflow(`warm${steps}`, steps, downstream.url));
      log(`${name}: warm-up ${e2eWarmup} executions, then ${e2eDurationS} s × ${e2eConcurrency} webhooks in flight …`);
      scenarios.push(
        await runScenario({
          stack: flowgate.stack,
          db: flowgate.db,
          scenario: `${steps}-step http`,
          workflow,
          warmup,
          steps,
          concurrency: e2eConcurrency,
          durationS: e2eDurationS,
          warmupExecutions: e2eWarmup,
          executionTimeoutMs: drainTimeoutS * 1000,
          log,
        }),
      );
      await flowgate.stop();
    }
    // Sync round trips of a 1-step http workflow (webhook in → executed → shaped answer out), on a
    // fresh Flowgate too: the closed loop above leaves a fuller database, which FerretDB scans.
    const syncFlowgate = await startFlowgate('bench-sync', ['ingress', 'execution']);
    const syncWorkflow = await syncFlowgate.stack.deploy(httpStepsWorkflow('sync1', 1, downstream.url));
    log(`bench-sync: warm-up ${e2eWarmup} requests, then ${e2eDurationS} s × ${e2eConcurrency} connections on the sync URL …`);
    await warmUp(syncWorkflow.sync, BODY, e2eWarmup, e2eConcurrency);
    const figures = await runLoad({
      target: 'flowgate sync',
      url: syncWorkflow.sync,
      body: BODY,
      connections: e2eConcurrency,
      durationS: e2eDurationS,
    });
    sync = { ...figures, ratio_to_baseline: round(figures.accepted_per_s / Math.max(0.001, baselineFigures.accepted_per_s), 4) };
    log(`bench-sync: ${figures.accepted_per_s}/s, p50 ${figures.latency_ms.p50} ms, p99 ${figures.latency_ms.p99} ms`);
    await syncFlowgate.stop();
  }
  const oneStep = scenarios.find((s) => s.steps_per_execution === 1);
  const fiveStep = scenarios.find((s) => s.steps_per_execution === 5);

  const problems: string[] = [];
  if (baselineFigures.accepted === 0) problems.push('baseline accepted nothing');
  if (flowgateFigures.accepted === 0) problems.push('flowgate accepted nothing');
  for (const a of auth) if (a.accepted === 0 || a.non_2xx > 0) problems.push(`${a.target}: ${a.accepted} accepted, ${a.non_2xx} non-2xx`);
  if (!endToEnd.drained) problems.push(`executions not all terminal after ${drainTimeoutS} s`);
  if (endToEnd.failed > 0) problems.push(`${endToEnd.failed} executions did not succeed`);
  if (sync && (sync.accepted === 0 || sync.non_2xx > 0)) problems.push(`sync: ${sync.accepted} answered, ${sync.non_2xx} non-2xx`);
  for (const s of scenarios) {
    if (s.succeeded === 0) problems.push(`${s.scenario}: no execution succeeded`);
    if (s.succeeded < s.completed || s.lost > 0 || s.rejected > 0)
      problems.push(`${s.scenario}: ${s.completed - s.succeeded} failed, ${s.lost} not finished in time, ${s.rejected} webhooks rejected`);
  }
  return {
    ok: problems.length === 0,
    problems,
    generated_at: new Date().toISOString(),
    settings: {
      duration_s: durationS,
      connections,
      warmup_requests: warmupRequests,
      body: BODY,
      service_log_level: logLevel,
      e2e_duration_s: e2eDurationS,
      e2e_concurrency: e2eConcurrency,
      e2e_warmup_executions: e2eWarmup,
    },
    machine: {
      cpus: availableParallelism(),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      load_avg_1m_at_start: loadAtStart,
    },
    baseline: baselineFigures,
    flowgate: { ...flowgateFigures, end_to_end: endToEnd },
    auth,
    ratio_accepted_per_s:
      baselineFigures.accepted_per_s > 0 ? round(flowgateFigures.accepted_per_s / baselineFigures.accepted_per_s, 3) : 0,
    end_to_end: scenarios,
    sync,
    ratio_e2e_1step_to_baseline_accepted:
      oneStep && baselineFigures.accepted_per_s > 0 ? round(oneStep.executions_per_s / baselineFigures.accepted_per_s, 5) : null,
    ratio_e2e_1step_to_flowgate_accepted:
      oneStep && flowgateFigures.accepted_per_s > 0 ? round(oneStep.executions_per_s / flowgateFigures.accepted_per_s, 3) : null,
    executor_cpu_ms_per_extra_step:
      oneStep && fiveStep ? round((fiveStep.executor_cpu_ms_per_execution - oneStep.executor_cpu_ms_per_execution) / 4, 2) : null,
  };
}

async function main(): Promise<void> {
  const teardown = new Teardown(log);
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: cleaning up …`);
    process.exitCode = 1;
    void teardown.run().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const results = await bench(teardown);
    process.stdout.write(detailedReport(results));
    process.stdout.write(`\n${summaryBlock(results)}\n`);
    writeResults(RESULTS_FILE, results);
    log(`results written to ${RESULTS_FILE}`);
    process.exitCode = results.ok ? 0 : 1;
  } catch (err) {
    process.exitCode = 1;
    if (!interrupted) log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  } finally {
    await teardown.run();
  }
  process.exit(process.exitCode);
}

void main();
