import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { counter, createLogger, createRegistry, histogram } from '@flowgate/kit';
import {
  collections,
  defaultRetentionBatch,
  ensureIndexes,
  type Collections,
  type DeliveryDoc,
  type ExecutionDoc,
  type StepExecutionDoc,
} from '@flowgate/store';
import { MongoClient } from 'mongodb';
import { startFerretDb, type LocalServer } from '../../../scripts/local-servers';
import { RetentionSweeper } from '../src/retention-sweeper';
import { intEnv } from '../../../test/bench/env';

/**
 * One retention sweep on the embedded store (ADR 0020), not part of `pnpm bench`:
 * `node --import tsx services/scheduler/test/retention-sweep.bench.ts`. Stores BENCH_RETENTION_EXPIRED (20 000) ended
 * executions 40 days old, each with one step record and one callback delivery, beside
 * BENCH_RETENTION_KEPT (5 000) recent ones, on a fresh FerretDB (SQLite) — or MONGO_URL —, then runs
 * the sweeper with its defaults (the store's batch size for the server, 200 ms pauses) and reports its duration, the
 * documents removed, and the latency of a group-commit-like insert of 10 executions every BENCH_RETENTION_HOT_MS (250 ms)
 * before and during the sweep (what the hot path feels).
 */
const EXPIRED = intEnv('BENCH_RETENTION_EXPIRED', 20_000, 1);
const KEPT = intEnv('BENCH_RETENTION_KEPT', 5_000, 0);
const BATCH = intEnv('BENCH_RETENTION_BATCH', 0, 0); // 0: the store's default for the server
const PAUSE_MS = intEnv('BENCH_RETENTION_PAUSE_MS', 200, 0);
/** Interval of the hot-path writer's inserts of 10 executions (250 ms: 40 executions/s, a busy embedded store). */
const HOT_MS = intEnv('BENCH_RETENTION_HOT_MS', 250, 1);
const DAY = 24 * 60 * 60 * 1000;
const log = (line: string) => process.stderr.write(`${line}\n`);

function execution(id: string, workspaceId: string, endedAt: Date): ExecutionDoc {
  return {
    _id: id,
    workspace_id: workspaceId,
    workflow_id: 'wf_bench',
    workflow_version: 1,
    status: 'succeeded',
    revision: 3,
    trigger_input_json: '{"method":"POST","path":"/","query":{},"headers":{},"body":{"n":1}}',
    trigger_input_ref: null,
    cursor: null,
    attempt: 1,
    step_seq: 1,
    outputs_json: '{"t":{"ok":true}}',
    order: ['t'],
    context_json: '{}',
    response_json: null,
    final_output_json: '{"ok":true}',
    error: null,
    on_success_url: 'https://example.org/ok',
    on_failure_url: null,
    replay_of: null,
    slot_wait: false,
    created_at: new Date(endedAt.getTime() - 50),
    started_at: new Date(endedAt.getTime() - 40),
    finished_at: endedAt,
    updated_at: endedAt,
  };
}

const step = (e: ExecutionDoc): StepExecutionDoc => ({
  _id: `${e._id}:1`,
  workspace_id: e.workspace_id,
  execution_id: e._id,
  seq: 1,
  step_id: 't',
  type: 'transform',
  attempt: 1,
  status: 'succeeded',
  input_json: null,
  output_json: '{"ok":true}',
  error: null,
  started_at: e.started_at ?? e.created_at,
  finished_at: e.finished_at,
});

const delivery = (e: ExecutionDoc): DeliveryDoc => ({
  _id: `dlv_${e._id}`,
  workspace_id: e.workspace_id,
  execution_id: e._id,
  workflow_id: e.workflow_id,
  event: 'execution.succeeded',
  url: 'https://example.org/ok',
  status: 'succeeded',
  attempts: [{ at: e.updated_at, status_code: 200, latency_ms: 12, error: null, response_body: '{"ok":true}' }],
  payload_json: '{"execution_id":"…","status":"succeeded"}',
  created_at: e.updated_at,
  updated_at: e.updated_at,
});

async function store(c: Collections, docs: ExecutionDoc[]): Promise<void> {
  for (let i = 0; i < docs.length; i += 1_000) {
    const slice = docs.slice(i, i + 1_000);
    await c.executions.insertMany(slice);
    await c.stepExecutions.insertMany(slice.map(step));
    await c.deliveries.insertMany(slice.map(delivery));
  }
}

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

let hotInserted = 0;

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Group-commit-like inserts (10 executions every HOT_MS) while `during` runs; their latencies in ms. */
async function insertLatencies(c: Collections, during: () => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  let done = false;
  const writer = (async () => {
    while (!done) {
      const docs = Array.from({ length: 10 }, () => execution(`hot_${hotInserted++}`, 'ws_hot', new Date()));
      const t = performance.now();
      await c.executions.insertMany(docs);
      latencies.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, HOT_MS));
    }
  })();
  await during();
  done = true;
  await writer;
  return latencies;
}

async function main(): Promise<void> {
  let server: LocalServer | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'fg-retention-'));
  if (!process.env.MONGO_URL) server = await startFerretDb(dir);
  const client = await MongoClient.connect(`${process.env.MONGO_URL ?? server?.url ?? ''}/fg_retention_bench`);
  try {
    const c = collections(client.db());
    await ensureIndexes(c);
    await c.workspaces.insertMany([
      { _id: 'ws_bench', name: 'bench', created_at: new Date() },
      { _id: 'ws_hot', name: 'hot', created_at: new Date(), retention_days: 3650 },
    ]);
    const old = new Date(Date.now() - 40 * DAY);
    const t0 = performance.now();
    await store(c, [
      ...Array.from({ length: EXPIRED }, (_, i) => execution(`old_${i}`, 'ws_bench', new Date(old.getTime() + i))),
      ...Array.from({ length: KEPT }, (_, i) => execution(`new_${i}`, 'ws_bench', new Date(Date.now() - DAY + i))),
    ]);
    log(
      `stored ${EXPIRED} expired + ${KEPT} recent executions with a step and a delivery each in ${Math.round(performance.now() - t0)} ms`,
    );

    const idle = await insertLatencies(c, () => new Promise((r) => setTimeout(r, 3_000)));
    const registry = createRegistry('retention-bench');
    const sweeper = new RetentionSweeper({
      store: c,
      logger: createLogger('retention-bench', process.env.BENCH_RETENTION_LOG ?? 'warn'),
      leading: () => true,
      defaultDays: 30,
      batch: BATCH || defaultRetentionBatch(c),
      pauseMs: PAUSE_MS,
      intervalMs: 600_000,
      firstPassMs: 0,
      removed: counter(registry, 'flowgate_retention_removed_total', 'removed', ['kind']),
      duration: histogram(registry, 'flowgate_retention_sweep_duration_seconds', 'sweep'),
    });
    let removed = {};
    let sweepMs = 0;
    const cpuBefore = server ? cpuSeconds(server.process.pid) : 0;
    const during = await insertLatencies(c, async () => {
      const t = performance.now();
      removed = await sweeper.sweep();
      sweepMs = performance.now() - t;
    });
    const serverCpuS = server ? cpuSeconds(server.process.pid) - cpuBefore : null;
    const left = {
      executions: await c.executions.countDocuments({ workspace_id: 'ws_bench' }),
      steps: await c.stepExecutions.countDocuments({}),
      deliveries: await c.deliveries.countDocuments({}),
    };
    const result = {
      server: server ? 'ferretdb (sqlite)' : 'MONGO_URL',
      expired: EXPIRED,
      kept: KEPT,
      batch: BATCH || defaultRetentionBatch(c),
      pause_ms: PAUSE_MS,
      hot_executions_per_s: Math.round((10 * 1000) / HOT_MS),
      hot_inserted: hotInserted,
      sweep_s: Math.round(sweepMs) / 1000,
      server_cpu_s: serverCpuS,
      batches: Math.ceil(EXPIRED / (BATCH || defaultRetentionBatch(c))),
      removed,
      left,
      hot_insert_ms: {
        idle: { p50: percentile(idle, 50), p99: percentile(idle, 99) },
        during_sweep: { p50: percentile(during, 50), p99: percentile(during, 99) },
      },
    };
    process.stdout.write(`${JSON.stringify(result, (_, v: unknown) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v), 2)}\n`);
  } finally {
    await client
      .db()
      .dropDatabase()
      .catch(() => undefined);
    await client.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  log(String(err instanceof Error ? (err.stack ?? err.message) : err));
  process.exit(1);
});
