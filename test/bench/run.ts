import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from 'mongodb';
import { ROOT, startFerretDb, startNats, type LocalServer } from '../../scripts/local-servers';
import { ALL_SERVICES, Stack, type ServiceName } from '../support/stack';
import { runAuthScenarios } from './auth-scenarios';
import { startBaselineServer } from './baseline-process';
import { BudgetMeter } from './budget';
import { waitForCompletion } from './completion';
import { runDurableBaseline } from './durable';
import { BUDGET_SETTLE_MS, httpStepsWorkflow, runScenario, startDownstream, type E2eFigures } from './e2e';
import { intEnv } from './env';
import { fillHistory } from './history';
import { round, runLoad, warmUp } from './load';
import {
  detailedReport,
  summaryBlock,
  targetsBlock,
  tenantsBlock,
  writeResults,
  type BenchResults,
  type ScenarioResources,
} from './report';
import { runScaleOut } from './scale-out';
import { scaleBlock, scaleProblems, type ScaleOnlyResults } from './scale-report';
import { runSyncAlways } from './sync-always';
import { runTenantScenario } from './tenants';
import { stackPeakRss, storeFiles } from './resources';
import { afterStartUp } from './start-up';
import { preserveLogs, Teardown } from './teardown';

/**
 * `pnpm bench`: accepted webhooks per second of Flowgate's async webhook (1 transform step) against
 * a baseline measured in the same run on the same servers (an express handler that only publishes to
 * a JetStream work-queue stream and answers 202), plus Flowgate's end-to-end completed executions
 * per second. Then accepted/s per webhook auth method on the whole stack (auth-scenarios.ts). Then a
 * bare durable pipeline (durable-server.ts: publish, consume, the same HTTP POST, results written in
 * batches, ack) and the end-to-end scenarios (e2e.ts) of 1-step and 5-step http workflows against a
 * local server, each on a fresh Flowgate of ingress + execution (own database, so earlier runs do not
 * slow FerretDB's scans): executions/s, p50/p99 accept → finished and the executor's CPU time per step;
 * the 1-step executions/s is reported as a ratio to the bare durable pipeline's. Then the history
 * scenario (the 1-step run again after 100,000 finished executions and their step records were stored),
 * sync round trips (16 in flight, then 1 in flight for the added latency over the downstream's own
 * round trip) and the scheduler bench (scheduler.ts, its own servers). Real nats-server and FerretDB
 * from .tools/bin, the four bundled services from dist/. Then the "Beyond one machine" scenarios:
 * scale-out (scale-out.ts: the 1-step http e2e on 1 + 1 and on 2 + 2 ingress + execution replicas, CPU
 * per process per execution) and sync_interval (sync-always.ts: accept and 1-step e2e on a fresh
 * nats-server of the default sync interval and on one with `sync_interval: always`).
 *
 * Every scenario measures once its services have done their start-up work (start-up.ts: the
 * ingress's first looks for background work left by a crash), and reports its store budget
 * (budget.ts): MongoDB commands, store writes and scanning statements (the services' driver
 * command monitoring, scraped from their /metrics) and NATS messages (nats-server's /connz, per
 * service connection) per accepted webhook and per finished execution; the peak RSS of the services (VmHWM) and the size of FerretDB's files (resources.ts).
 * The summary prints every figure beside its target from the "Fast durable path" issue.
 *
 * Env: NATS_URL / MONGO_URL (use existing servers instead of local ones; BENCH_NATS_MONITOR_URL then
 * names the NATS monitoring endpoint for the message counts, else they are n/a), BENCH_DURATION_S (10),
 * BENCH_CONNECTIONS (32), BENCH_WARMUP_REQUESTS (100, 0 = none), BENCH_DRAIN_TIMEOUT_S (180),
 * BENCH_LOG_LEVEL (services' LOG_LEVEL, info: their default), BENCH_E2E_DURATION_S (30 per scenario,
 * 0 = skip the scenarios, the bare durable pipeline, history and sync included), BENCH_E2E_CONCURRENCY
 * (16 webhooks in flight), BENCH_E2E_WARMUP (20 executions per scenario), BENCH_HISTORY_EXECUTIONS
 * (100000 stored before the history scenario, 0 = skip it), BENCH_HISTORY_TIMEOUT_S (20: how long the
 * history scenario waits for one execution), BENCH_HISTORY_FILL_S (60: filling the history stops then,
 * the report says how many were stored), BENCH_SYNC_SERIAL_S (10 s of sync round trips at 1 in
 * flight, 0 = skip), BENCH_SCHEDULER (1; 0 = skip scheduler.ts), BENCH_TENANT_RATE (200 webhooks/s offered
 * to each of two workspaces in the noisy-neighbour scenario, tenants.ts; 0 = skip it), BENCH_SCALE (1; 0 =
 * skip scale-out and sync_interval), BENCH_ONLY (`scale`: only scale-out and sync_interval, which then
 * take BENCH_DURATION_S / BENCH_E2E_DURATION_S and the other knobs as in a whole run).
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

async function bench(teardown: Teardown): Promise<BenchResults | ScaleOnlyResults> {
  const durationS = intEnv('BENCH_DURATION_S', 10, 1);
  const connections = intEnv('BENCH_CONNECTIONS', 32, 1);
  const warmupRequests = intEnv('BENCH_WARMUP_REQUESTS', 100, 0);
  const drainTimeoutS = intEnv('BENCH_DRAIN_TIMEOUT_S', 180, 1);
  const logLevel = process.env.BENCH_LOG_LEVEL || 'info';
  const e2eDurationS = intEnv('BENCH_E2E_DURATION_S', 30, 0);
  const e2eConcurrency = intEnv('BENCH_E2E_CONCURRENCY', 16, 1);
  const e2eWarmup = intEnv('BENCH_E2E_WARMUP', 20, 0);
  const historyExecutions = intEnv('BENCH_HISTORY_EXECUTIONS', 100_000, 0);
  const historyTimeoutS = intEnv('BENCH_HISTORY_TIMEOUT_S', 20, 1);
  const historyFillS = intEnv('BENCH_HISTORY_FILL_S', 60, 1);
  const syncSerialS = intEnv('BENCH_SYNC_SERIAL_S', 10, 0);
  const schedulerOn = intEnv('BENCH_SCHEDULER', 1, 0) > 0;
  const tenantRate = intEnv('BENCH_TENANT_RATE', 200, 0);
  const only = process.env.BENCH_ONLY || '';
  if (only !== '' && only !== 'scale') throw new Error(`BENCH_ONLY=${only}: only \`scale\` is known`);
  const scaleOn = only === 'scale' || intEnv('BENCH_SCALE', 1, 0) > 0;

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
  const natsMonitorUrl = nats?.monitorUrl ?? process.env.BENCH_NATS_MONITOR_URL ?? null;
  const sqliteDir = mongo ? join(dataDir, 'ferretdb', 'sqlite') : null;
  /** Counts the store budget of the given services of a stack. */
  const meterFor = (stack: Stack, services: ServiceName[]) =>
    new BudgetMeter(
      services.map((name) => ({ name, opsUrl: stack.opsUrl(name) })),
      natsMonitorUrl,
    );
  const resources: ScenarioResources[] = [];
  /** Peak RSS of a stack's services and the size of its database's files, at the end of a scenario. */
  const recordResources = async (scenario: string, stack: Stack, db: Db, services: ServiceName[]) => {
    const retained = await Promise.all(['executions', 'step_executions'].map((c) => db.collection(c).estimatedDocumentCount()));
    resources.push({
      scenario,
      peak_rss_mb: stackPeakRss(stack, services),
      store_files: storeFiles(sqliteDir, stack.dbName),
      retained: { executions: retained[0] ?? 0, step_executions: retained[1] ?? 0 },
    });
  };
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
  /** Scale-out and sync_interval (issue "Beyond one machine"); the e2e parts need the downstream. */
  const runBeyondOneMachine = async (downstreamUrl: string | null) => {
    const scaleOut =
      downstreamUrl && e2eDurationS > 0
        ? await runScaleOut({
            startFlowgate,
            downstreamUrl,
            nats,
            mongo,
            concurrency: e2eConcurrency,
            durationS: e2eDurationS,
            warmupExecutions: e2eWarmup,
            executionTimeoutMs: drainTimeoutS * 1000,
            log,
          })
        : null;
    const syncAlways = await runSyncAlways({
      dataDir,
      env,
      downstreamUrl,
      body: BODY,
      connections,
      durationS,
      warmupRequests,
      e2eDurationS,
      e2eConcurrency,
      e2eWarmup,
      drainTimeoutMs: drainTimeoutS * 1000,
      teardown,
      log,
    });
    return { scale_out: scaleOut, sync_always: syncAlways };
  };
  if (only === 'scale') {
    let downstreamUrl: string | null = null;
    if (e2eDurationS > 0) {
      const downstream = await startDownstream();
      teardown.add('stop downstream', () => downstream.stop());
      downstreamUrl = downstream.url;
    }
    const figures = await runBeyondOneMachine(downstreamUrl);
    const problems = scaleProblems(figures);
    return {
      only: 'scale',
      ok: problems.length === 0,
      problems,
      generated_at: new Date().toISOString(),
      settings: {
        duration_s: durationS,
        connections,
        warmup_requests: warmupRequests,
        e2e_duration_s: e2eDurationS,
        e2e_concurrency: e2eConcurrency,
        e2e_warmup_executions: e2eWarmup,
        service_log_level: logLevel,
      },
      machine: machineFigures(loadAtStart),
      ...figures,
    };
  }

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
  const fullMeter = await meterFor(stack, ALL_SERVICES).start('flowgate async, whole stack');
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
  await new Promise((r) => setTimeout(r, BUDGET_SETTLE_MS));
  const fullBudget = await fullMeter.finish(flowgateFigures.accepted, endToEnd.completed);
  await recordResources('flowgate async, whole stack', stack, db, ALL_SERVICES);
  await stopFlowgate();

  // 4b. Accepted/s per webhook authentication method (none / HMAC / Standard Webhooks, rate limiting
  // on), on the whole stack (the executor runs what is accepted): see auth-scenarios.ts.
  const authFlowgate = await startFlowgate('bench-auth');
  const auth = await runAuthScenarios({
    stack: authFlowgate.stack,
    body: BODY,
    connections,
    durationS,
    warmupRequests,
    baselineAcceptedPerS: baselineFigures.accepted_per_s,
    meter: meterFor(authFlowgate.stack, ALL_SERVICES),
    log,
  });
  await recordResources('auth methods, whole stack', authFlowgate.stack, authFlowgate.db, ALL_SERVICES);
  await authFlowgate.stop();

  // 4c. Noisy neighbour: one workspace's latency alone and beside another over its quota (tenants.ts).
  let tenants: BenchResults['tenants'] = null;
  if (tenantRate > 0) {
    const tenantFlowgate = await startFlowgate('bench-tenants');
    tenants = await runTenantScenario({
      stack: tenantFlowgate.stack,
      body: BODY,
      ratePerS: tenantRate,
      connections,
      durationS,
      warmupRequests,
      log,
    });
    await recordResources('tenants, whole stack', tenantFlowgate.stack, tenantFlowgate.db, ALL_SERVICES);
    await tenantFlowgate.stop();
  }

  // 5. End to end: the bare durable pipeline, then 1-step and 5-step http workflows, each on a fresh
  // Flowgate (ingress + execution), then the 1-step one again on a store full of history.
  const scenarios: E2eFigures[] = [];
  let durable: BenchResults['durable_baseline'] = null;
  let history: BenchResults['history'] = null;
  let sync: BenchResults['sync'] = null;
  let syncSerial: BenchResults['sync_serial'] = null;
  let downstreamUrl: string | null = null;
  const e2eServices: ServiceName[] = ['ingress', 'execution'];
  if (e2eDurationS > 0) {
    const downstream = await startDownstream();
    teardown.add('stop downstream', () => downstream.stop());
    downstreamUrl = downstream.url;

    log(`bare durable pipeline: warm-up ${e2eWarmup} executions, then ${e2eDurationS} s × ${e2eConcurrency} webhooks in flight …`);
    durable = await runDurableBaseline({
      natsUrl,
      mongoUrl,
      downstreamUrl: downstream.url,
      logFile: join(dataDir, 'durable-baseline.log'),
      concurrency: e2eConcurrency,
      durationS: e2eDurationS,
      warmupExecutions: e2eWarmup,
      executionTimeoutMs: drainTimeoutS * 1000,
      log,
    });

    const runE2e = async (steps: number, opts: { name: string; history?: number }) => {
      // Only what these workflows use (no timers fire, no callbacks): less noise on the executor's CPU.
      const flowgate = await startFlowgate(opts.name, e2eServices);
      const workflow = await flowgate.stack.deploy(httpStepsWorkflow(`http${steps}`, steps, downstream.url));
      const warmup = await flowgate.stack.deploy(httpStepsWorkflow(`warm${steps}`, steps, downstream.url));
      const scenario = opts.history ? `${steps}-step history` : `${steps}-step http`;
      log(`${opts.name}: warm-up ${e2eWarmup} executions, then ${e2eDurationS} s × ${e2eConcurrency} webhooks in flight …`);
      let fill: NonNullable<BenchResults['history']>['fill'] | undefined;
      const figures = await runScenario({
        stack: flowgate.stack,
        db: flowgate.db,
        scenario,
        workflow,
        warmup,
        steps,
        concurrency: e2eConcurrency,
        durationS: e2eDurationS,
        warmupExecutions: e2eWarmup,
        executionTimeoutMs: (opts.history ? historyTimeoutS : drainTimeoutS) * 1000,
        meter: meterFor(flowgate.stack, e2eServices),
        beforeMeasure: opts.history
          ? async () => {
              log(`${opts.name}: storing ${opts.history} finished executions and their step records …`);
              fill = await fillHistory(flowgate.db, {
                workflowId: workflow.id,
                stepUrl: `${downstream.url}/http1/s1`,
                count: opts.history ?? 0,
                maxSeconds: historyFillS,
                log,
              });
              log(
                `${opts.name}: stored ${fill.executions} of ${fill.requested} in ${fill.seconds} s (${fill.docs_per_s} documents/s)` +
                  (fill.capped ? `: stopped after BENCH_HISTORY_FILL_S=${historyFillS} s` : ''),
              );
            }
          : undefined,
        log,
      });
      await recordResources(scenario, flowgate.stack, flowgate.db, e2eServices);
      await flowgate.stop();
      return { figures, fill };
    };
    for (const steps of [1, 5]) scenarios.push((await runE2e(steps, { name: `bench-e2e-${steps}` })).figures);

    if (historyExecutions > 0) {
      const run = await runE2e(1, { name: 'bench-history', history: historyExecutions });
      const empty = scenarios.find((s) => s.steps_per_execution === 1);
      if (run.fill)
        history = {
          fill: run.fill,
          figures: run.figures,
          ratio_to_empty_store:
            empty && empty.executions_per_s > 0 ? round(run.figures.executions_per_s / empty.executions_per_s, 3) : null,
        };
    }

    // Sync round trips of a 1-step http workflow (webhook in → executed → shaped answer out), on a
    // fresh Flowgate too: the closed loop above leaves a fuller database, which FerretDB scans.
    const syncFlowgate = await startFlowgate('bench-sync', e2eServices);
    const syncWorkflow = await syncFlowgate.stack.deploy(httpStepsWorkflow('sync1', 1, downstream.url));
    log(`bench-sync: warm-up ${e2eWarmup} requests, then ${e2eDurationS} s × ${e2eConcurrency} connections on the sync URL …`);
    await warmUp(syncWorkflow.sync, BODY, e2eWarmup, e2eConcurrency);
    await afterStartUp(syncFlowgate.stack);
    const syncMeter = await meterFor(syncFlowgate.stack, e2eServices).start('sync');
    const figures = await runLoad({
      target: 'flowgate sync',
      url: syncWorkflow.sync,
      body: BODY,
      connections: e2eConcurrency,
      durationS: e2eDurationS,
    });
    await new Promise((r) => setTimeout(r, BUDGET_SETTLE_MS));
    const syncBudget = await syncMeter.finish(figures.accepted, figures.accepted);
    sync = {
      ...figures,
      ratio_to_baseline: round(figures.accepted_per_s / Math.max(0.001, baselineFigures.accepted_per_s), 4),
      budget: syncBudget,
    };
    log(`bench-sync: ${figures.accepted_per_s}/s, p50 ${figures.latency_ms.p50} ms, p99 ${figures.latency_ms.p99} ms`);
    if (syncSerialS > 0) {
      // Added latency: a sync round trip at 1 in flight minus the step's own round trip to the
      // downstream (the same POST, from this process, also at 1 in flight).
      log(`bench-sync: ${syncSerialS} s × 1 connection on the sync URL, then the downstream alone …`);
      const serial = await runLoad({
        target: 'flowgate sync, 1 in flight',
        url: syncWorkflow.sync,
        body: BODY,
        connections: 1,
        durationS: syncSerialS,
      });
      const direct = await runLoad({
        target: 'downstream alone, 1 in flight',
        url: `${downstream.url}/sync1/s1`,
        body: JSON.stringify({ order: 'B-1001' }),
        connections: 1,
        durationS: Math.min(3, syncSerialS),
      });
      syncSerial = { sync: serial, downstream: direct, added_ms_p50: round(serial.latency_ms.p50 - direct.latency_ms.p50, 2) };
      log(`bench-sync: 1 in flight p50 ${serial.latency_ms.p50} ms, downstream alone p50 ${direct.latency_ms.p50} ms`);
    }
    await recordResources('sync', syncFlowgate.stack, syncFlowgate.db, e2eServices);
    await syncFlowgate.stop();
  }
  // 5b. Beyond one machine: scale-out and sync_interval: always.
  const beyond = scaleOn ? await runBeyondOneMachine(downstreamUrl) : { scale_out: null, sync_always: null };
  const storeFilesAfterRun = storeFiles(sqliteDir);

  // 6. The scheduler bench (its own servers), its output kept for the report.
  let scheduler: BenchResults['scheduler'] = null;
  if (schedulerOn) scheduler = await runSchedulerBench(log);

  const oneStep = scenarios.find((s) => s.steps_per_execution === 1);
  const fiveStep = scenarios.find((s) => s.steps_per_execution === 5);

  const problems: string[] = [];
  if (baselineFigures.accepted === 0) problems.push('baseline accepted nothing');
  if (flowgateFigures.accepted === 0) problems.push('flowgate accepted nothing');
  for (const a of auth) if (a.accepted === 0 || a.non_2xx > 0) problems.push(`${a.target}: ${a.accepted} accepted, ${a.non_2xx} non-2xx`);
  if (!endToEnd.drained) problems.push(`executions not all terminal after ${drainTimeoutS} s`);
  if (endToEnd.failed > 0) problems.push(`${endToEnd.failed} executions did not succeed`);
  if (sync && (sync.accepted === 0 || sync.non_2xx > 0)) problems.push(`sync: ${sync.accepted} answered, ${sync.non_2xx} non-2xx`);
  if (syncSerial && (syncSerial.sync.accepted === 0 || syncSerial.sync.non_2xx > 0))
    problems.push(`sync at 1 in flight: ${syncSerial.sync.accepted} answered, ${syncSerial.sync.non_2xx} non-2xx`);
  if (durable && (durable.succeeded === 0 || durable.succeeded < durable.completed || durable.lost > 0 || durable.rejected > 0))
    problems.push(
      `bare durable pipeline: ${durable.succeeded} succeeded of ${durable.completed}, ${durable.lost} lost, ${durable.rejected} rejected`,
    );
  for (const s of scenarios) {
    if (s.succeeded === 0) problems.push(`${s.scenario}: no execution succeeded`);
    if (s.succeeded < s.completed || s.lost > 0 || s.rejected > 0)
      problems.push(`${s.scenario}: ${s.completed - s.succeeded} failed, ${s.lost} not finished in time, ${s.rejected} webhooks rejected`);
  }
  // The history scenario's executions not finished within BENCH_HISTORY_TIMEOUT_S are a figure (slow), not a fault.
  if (history && history.figures.succeeded < history.figures.completed)
    problems.push(`${history.figures.scenario}: ${history.figures.completed - history.figures.succeeded} executions failed`);
  if (scheduler && !scheduler.ok) problems.push('scheduler bench failed or missed timers');
  problems.push(...scaleProblems(beyond));
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
      history_executions: historyExecutions,
      history_timeout_s: historyTimeoutS,
      history_fill_s: historyFillS,
      sync_serial_s: syncSerialS,
      nats_messages_counted_by: natsMonitorUrl ? `nats-server ${natsMonitorUrl}/connz: in_msgs of each service's connection` : null,
    },
    machine: machineFigures(loadAtStart),
    baseline: baselineFigures,
    flowgate: { ...flowgateFigures, end_to_end: endToEnd, budget: fullBudget },
    auth,
    ratio_accepted_per_s:
      baselineFigures.accepted_per_s > 0 ? round(flowgateFigures.accepted_per_s / baselineFigures.accepted_per_s, 3) : 0,
    durable_baseline: durable,
    end_to_end: scenarios,
    history,
    sync,
    sync_serial: syncSerial,
    ratio_e2e_1step_to_baseline_accepted:
      oneStep && baselineFigures.accepted_per_s > 0 ? round(oneStep.executions_per_s / baselineFigures.accepted_per_s, 5) : null,
    ratio_e2e_1step_to_flowgate_accepted:
      oneStep && flowgateFigures.accepted_per_s > 0 ? round(oneStep.executions_per_s / flowgateFigures.accepted_per_s, 3) : null,
    ratio_e2e_1step_to_durable_baseline:
      oneStep && durable && durable.executions_per_s > 0 ? round(oneStep.executions_per_s / durable.executions_per_s, 4) : null,
    executor_cpu_ms_per_extra_step:
      oneStep && fiveStep ? round((fiveStep.executor_cpu_ms_per_execution - oneStep.executor_cpu_ms_per_execution) / 4, 2) : null,
    tenants,
    ...beyond,
    resources,
    store_files_after_run: storeFilesAfterRun,
    scheduler,
  };
}

function machineFigures(loadAtStart: number): BenchResults['machine'] {
  return {
    cpus: availableParallelism(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    load_avg_1m_at_start: loadAtStart,
    load_avg_1m_at_end: round(loadavg()[0] ?? 0, 2),
  };
}

/** Runs scheduler.ts as a child (it starts its own servers) and reads its results file. */
async function runSchedulerBench(log: (line: string) => void): Promise<BenchResults['scheduler']> {
  const file = join(ROOT, '.test-results', 'bench-scheduler.json');
  rmSync(file, { force: true });
  log('scheduler bench (test/bench/scheduler.ts) …');
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test', 'bench', 'scheduler.ts')], {
    cwd: ROOT,
    env: process.env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const out: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk.toString('utf8')));
  const code = await new Promise<number | null>((done) => child.once('exit', (c) => done(c)));
  const report = out.join('');
  if (!existsSync(file)) {
    return {
      ok: false,
      exit_code: code,
      report,
      p99_s: null,
      missing: null,
      timers_per_s: null,
      schedules_p99_s: null,
      schedules_ok: null,
    };
  }
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as {
    timers_per_s: number;
    flowgate: { p99_s: number; missing: number };
    message_schedules?: { p99_s: number };
    target_p99_under_1s_message_schedules?: boolean;
  };
  return {
    ok: code === 0,
    exit_code: code,
    report,
    p99_s: parsed.flowgate.p99_s,
    missing: parsed.flowgate.missing,
    timers_per_s: parsed.timers_per_s,
    schedules_p99_s: parsed.message_schedules?.p99_s ?? null,
    schedules_ok: parsed.target_p99_under_1s_message_schedules ?? null,
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
    writeResults(RESULTS_FILE, results);
    const scale = scaleBlock({ ...results, cpus: results.machine.cpus });
    if ('only' in results) {
      const verdict = results.ok ? 'OK' : `PROBLEMS: ${results.problems.join('; ')}`;
      process.stdout.write(`\n${scale}\nBENCH_ONLY=scale, load ${results.machine.load_avg_1m_at_start} at start: ${verdict}\n`);
    } else {
      process.stdout.write(detailedReport(results));
      process.stdout.write(`\n${summaryBlock(results)}\n${targetsBlock(results)}\n${tenantsBlock(results)}\n${scale}\n`);
    }
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
