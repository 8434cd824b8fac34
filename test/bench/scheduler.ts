import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager, RetentionPolicy } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { MongoClient, type Collection } from 'mongodb';
import { createSubjects, type TimerCommand } from '@flowgate/contracts';
import { cancelTimer, ensureDurableConsumer, ensureStreams, scheduleTimer } from '@flowgate/kit';
import { ROOT, startFerretDb, startNats, type LocalServer } from '../../scripts/local-servers';
import { sleep, Stack } from '../support/stack';
import { intEnv } from './env';
import { round } from './load';

/**
 * `pnpm bench` (part 2): scheduler accuracy. Stores BENCH_TIMERS_PER_S timers due per second for
 * BENCH_TIMERS_S seconds (default 1 000/s × 10 s = 10 000 timers) and measures each one's fire lag
 * (arrival of its JetStream command on NATS minus its due time), p50 / p99 / max, for:
 *   - baseline: the bare algorithm in this process (find due, sorted, limit; publish with a message
 *     id; delete), no lease, no metrics, no service around it;
 *   - flowgate: the scheduler service (lease in NATS KV, batched firing, metrics) with its defaults
 *     (250 ms tick; the baseline polls every 100 ms);
 *   - message schedules (ADR 0013): the same timers as JetStream message schedules in a commands
 *     stream set up by ensureStreams (kit's scheduleTimer), no scheduler and no database; lag is the
 *     arrival at a durable consumer like the executor's (plus the server's own fire time, from the
 *     stored message's timestamp), and the cost of setting and cancelling timers is measured too.
 * All run on the same servers, one after the other, each with its own fresh collection. The issue's
 * target is p99 < 1 s at 1 000 timers/s; on FerretDB's SQLite backend every due-timer query scans
 * the collection (ADR 0003), so the figure here is bound by it; MONGO_URL / NATS_URL measure real servers.
 * Results: stdout and .test-results/bench-scheduler.json.
 */
const RESULTS_FILE = join(ROOT, '.test-results', 'bench-scheduler.json');
const log = (line: string) => process.stderr.write(`${line}\n`);

interface BenchTimer {
  _id: string;
  workspace_id: string;
  execution_id: string;
  kind: 'delay';
  due_at: Date;
  status: 'pending';
  created_at: Date;
}

interface LagFigures {
  timers: number;
  fired: number;
  missing: number;
  p50_s: number;
  p99_s: number;
  max_s: number;
  /** Fired per second from the first due time to the last arrival. */
  fired_per_s: number;
}

interface ScheduleFigures extends LagFigures {
  /** Server fire time (the target message's stored timestamp) minus due time. */
  fire_p50_s: number;
  fire_p99_s: number;
  fire_max_s: number;
  /** Arrivals before their due time (by more than 5 ms); must be 0. */
  early: number;
  /** Arrivals beyond one per timer; must be 0. */
  duplicates: number;
  /** Timers set per second (scheduleTimer, 64 in flight). */
  scheduled_per_s: number;
  /** Timers cancelled per second (cancelTimer, one purge each, 64 in flight). */
  cancelled_per_s: number;
  /** Of the cancelled ones, how many arrived anyway (must be 0). */
  cancelled_arrived: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** Inserts the timers (due from `firstDue` on, `perS` per second), then collects arrivals until all came or `timeoutMs`. */
async function measure(
  nc: NatsConnection,
  subject: string,
  timers: Collection<BenchTimer>,
  opts: { count: number; perS: number; leadMs: number; timeoutMs: number },
  idOf: (payload: Uint8Array) => string | undefined,
): Promise<LagFigures> {
  const arrivals = new Map<string, number>();
  const sub = nc.subscribe(subject, {
    callback: (_err, msg) => {
      const id = idOf(msg.data);
      if (id !== undefined && !arrivals.has(id)) arrivals.set(id, Date.now());
    },
  });
  const firstDue = Date.now() + opts.leadMs;
  const due = new Map<string, number>();
  const docs: BenchTimer[] = [];
  for (let i = 0; i < opts.count; i++) {
    const at = firstDue + Math.floor((i * 1000) / opts.perS);
    const id = `bench-${i}`;
    due.set(id, at);
    docs.push({
      _id: id,
      workspace_id: 'ws_bench',
      execution_id: `ex_${i}`,
      kind: 'delay',
      due_at: new Date(at),
      status: 'pending',
      created_at: new Date(),
    });
  }
  for (let i = 0; i < docs.length; i += 1000) await timers.insertMany(docs.slice(i, i + 1000), { ordered: false });
  const stored = Date.now();
  if (stored > firstDue) log(`  warning: storing the timers took ${stored - firstDue + opts.leadMs} ms, past the first due time`);
  const deadline = firstDue + (opts.count * 1000) / opts.perS + opts.timeoutMs;
  while (arrivals.size < opts.count && Date.now() < deadline) await sleep(100);
  sub.unsubscribe();
  const lags = [...arrivals].map(([id, at]) => (at - (due.get(id) ?? at)) / 1000).sort((a, b) => a - b);
  const lastArrival = Math.max(...arrivals.values());
  return {
    timers: opts.count,
    fired: arrivals.size,
    missing: opts.count - arrivals.size,
    p50_s: round(percentile(lags, 50), 3),
    p99_s: round(percentile(lags, 99), 3),
    max_s: round(lags[lags.length - 1] ?? Number.NaN, 3),
    fired_per_s: round(arrivals.size / Math.max(0.001, (lastArrival - firstDue) / 1000), 1),
  };
}

async function inParallel<T>(items: T[], width: number, run: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(run));
}

/**
 * The same timers as JetStream message schedules (what the executor sets for duration limits, delays
 * and wait expiries): no scheduler process, no database. Also sets and cancels `cancelCount` extra
 * timers (due inside the same window), which must never arrive.
 */
async function measureSchedules(
  nc: NatsConnection,
  opts: { count: number; perS: number; leadMs: number; timeoutMs: number; cancelCount: number },
): Promise<ScheduleFigures> {
  const subjects = createSubjects(`fgbsched${process.pid}`);
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  await ensureStreams(jsm, subjects);
  await ensureDurableConsumer(jsm, {
    stream: subjects.commandsStream,
    durable: 'execution',
    filterSubjects: [subjects.commandsAll],
    ackWaitMs: 30_000,
    maxDeliver: 10,
    maxAckPending: -1,
  });
  const arrivals = new Map<string, number>();
  const fired = new Map<string, number>();
  let duplicates = 0;
  const messages = await (await js.consumers.get(subjects.commandsStream, 'execution')).consume({ max_messages: 1_000 });
  const consuming = (async () => {
    for await (const msg of messages) {
      const now = Date.now();
      const id = msg.json<TimerCommand>().timer_id;
      if (arrivals.has(id)) duplicates++;
      else {
        arrivals.set(id, now);
        fired.set(id, msg.info.timestampNanos / 1e6);
      }
      msg.ack();
    }
  })();
  try {
    const firstDue = Date.now() + opts.leadMs;
    const due = new Map<string, number>();
    const commands: TimerCommand[] = [];
    for (let i = 0; i < opts.count; i++) {
      const at = firstDue + Math.floor((i * 1000) / opts.perS);
      const command: TimerCommand = {
        type: 'timer',
        timer_id: `bench-${i}:wait:1`,
        kind: 'delay',
        workspace_id: 'ws_bench',
        execution_id: `bench-${i}`,
        due_at: new Date(at).toISOString(),
      };
      due.set(command.timer_id, at);
      commands.push(command);
    }
    const cancelled: TimerCommand[] = Array.from({ length: opts.cancelCount }, (_, i) => ({
      type: 'timer',
      timer_id: `cancel-${i}:duration`,
      kind: 'duration_timeout',
      workspace_id: 'ws_bench',
      execution_id: `cancel-${i}`,
      due_at: new Date(firstDue + Math.floor((i * opts.count * 1000) / opts.perS / Math.max(1, opts.cancelCount))).toISOString(),
    }));
    const t0 = Date.now();
    await inParallel(commands, 64, (c) => scheduleTimer(js, subjects, c));
    const scheduledMs = Date.now() - t0;
    await inParallel(cancelled, 64, (c) => scheduleTimer(js, subjects, c));
    const t1 = Date.now();
    await inParallel(cancelled, 64, (c) => cancelTimer(jsm, subjects, c.workspace_id, c.timer_id));
    const cancelMs = Date.now() - t1;
    if (Date.now() > firstDue) log(`  warning: setting the schedules took past the first due time (${Date.now() - firstDue} ms late)`);
    const deadline = firstDue + (opts.count * 1000) / opts.perS + opts.timeoutMs;
    while (arrivals.size < opts.count && Date.now() < deadline) await sleep(100);
    await sleep(1_000); // late duplicates or cancelled timers would show up here
    const lagOf = (times: Map<string, number>) =>
      [...times]
        .filter(([id]) => due.has(id))
        .map(([id, at]) => (at - (due.get(id) ?? at)) / 1000)
        .sort((a, b) => a - b);
    const lags = lagOf(arrivals);
    const fireLags = lagOf(fired);
    const ours = [...arrivals].filter(([id]) => due.has(id));
    const lastArrival = Math.max(...ours.map(([, at]) => at));
    return {
      timers: opts.count,
      fired: ours.length,
      missing: opts.count - ours.length,
      p50_s: round(percentile(lags, 50), 3),
      p99_s: round(percentile(lags, 99), 3),
      max_s: round(lags[lags.length - 1] ?? Number.NaN, 3),
      fired_per_s: round(ours.length / Math.max(0.001, (lastArrival - firstDue) / 1000), 1),
      fire_p50_s: round(percentile(fireLags, 50), 3),
      fire_p99_s: round(percentile(fireLags, 99), 3),
      fire_max_s: round(fireLags[fireLags.length - 1] ?? Number.NaN, 3),
      early: lags.filter((l) => l < -0.005).length,
      duplicates,
      scheduled_per_s: round(opts.count / Math.max(0.001, scheduledMs / 1000), 0),
      cancelled_per_s: round(opts.cancelCount / Math.max(0.001, cancelMs / 1000), 0),
      cancelled_arrived: cancelled.filter((c) => arrivals.has(c.timer_id)).length,
    };
  } finally {
    messages.stop();
    await consuming.catch(() => undefined);
    for (const stream of [subjects.commandsStream, subjects.eventsStream]) await jsm.streams.delete(stream).catch(() => false);
  }
}

/** The bare algorithm: what the servers allow without the service around it. */
function startBareFirer(timers: Collection<BenchTimer>, nc: NatsConnection, subject: string, tickMs: number, batch: number) {
  const js = jetstream(nc);
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const due = await timers
        .find({ status: 'pending', due_at: { $lte: new Date() } })
        .sort({ due_at: 1 })
        .limit(batch)
        .toArray();
      for (let i = 0; i < due.length; i += 64)
        await Promise.all(
          due
            .slice(i, i + 64)
            .map((t) => js.publish(subject, JSON.stringify({ timer_id: t._id }), { msgID: `${t._id}:${t.due_at.toISOString()}` })),
        );
      if (due.length > 0) await timers.deleteMany({ _id: { $in: due.map((t) => t._id) } });
      if (due.length < batch) await sleep(tickMs);
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

/** Every timer arrived once, none early, no cancelled one: a broken run reports no figure as met. */
function schedulesCorrect(f: ScheduleFigures): boolean {
  return f.missing === 0 && f.early === 0 && f.duplicates === 0 && f.cancelled_arrived === 0;
}

async function main(): Promise<void> {
  const perS = intEnv('BENCH_TIMERS_PER_S', 1000, 1);
  const seconds = intEnv('BENCH_TIMERS_S', 10, 1);
  const leadMs = intEnv('BENCH_TIMERS_LEAD_MS', 8000, 0);
  /** Timers per due-timer query, for both (the service's FLOWGATE_SCHEDULER_BATCH). */
  const batch = intEnv('BENCH_SCHEDULER_BATCH', 2000, 1);
  const count = perS * seconds;
  const loadAtStart = round(loadavg()[0] ?? 0, 2);
  const dataDir = mkdtempSync(join(tmpdir(), 'flowgate-bench-sched-'));
  const local: LocalServer[] = [];
  let stack: Stack | undefined;
  let mongo: MongoClient | undefined;
  let nc: NatsConnection | undefined;
  try {
    const started = async (server: Promise<LocalServer>) => {
      const s = await server;
      local.push(s);
      return s.url;
    };
    const natsUrl = process.env.NATS_URL ?? (await started(startNats(join(dataDir, 'nats'))));
    const mongoUrl = process.env.MONGO_URL ?? (await started(startFerretDb(join(dataDir, 'ferretdb'))));
    process.env.FLOWGATE_TEST_DATA_DIR = dataDir;
    nc = await connect({ servers: natsUrl, name: 'flowgate-bench-scheduler' });
    mongo = await new MongoClient(mongoUrl).connect();
    const benchDb = mongo.db(`fgbench_sched_${process.pid}`);
    log(`scheduler bench: ${count} timers, ${perS}/s over ${seconds} s; nats ${natsUrl}, mongodb ${mongoUrl}`);

    // Baseline: the bare loop on its own stream.
    const jsm = await jetstreamManager(nc);
    const stream = `FGBENCH_TIMERS_${process.pid}`;
    const baseSubject = `fgbench${process.pid}.timer`;
    await jsm.streams.add({
      name: stream,
      subjects: [baseSubject],
      retention: RetentionPolicy.Workqueue,
      duplicate_window: 120_000_000_000,
    });
    const baseTimers = benchDb.collection<BenchTimer>('timers_baseline');
    await baseTimers.createIndex({ status: 1, due_at: 1 });
    const stopBare = startBareFirer(baseTimers, nc, baseSubject, 100, batch);
    const decode = (data: Uint8Array) => (JSON.parse(new TextDecoder().decode(data)) as { timer_id?: string }).timer_id;
    const baseline = await measure(nc, baseSubject, baseTimers, { count, perS, leadMs, timeoutMs: 60_000 }, decode);
    await stopBare();
    await jsm.streams.delete(stream);
    log(
      `  baseline (bare loop): p50 ${baseline.p50_s} s, p99 ${baseline.p99_s} s, max ${baseline.max_s} s, ${baseline.fired}/${count} fired`,
    );

    // The same timers as JetStream message schedules (ADR 0013): no scheduler, no database.
    const schedules = await measureSchedules(nc, {
      count,
      perS,
      leadMs,
      timeoutMs: 60_000,
      cancelCount: intEnv('BENCH_TIMERS_CANCELLED', 1000, 0),
    });
    log(
      `  message schedules: p50 ${schedules.p50_s} s, p99 ${schedules.p99_s} s, max ${schedules.max_s} s, ${schedules.fired}/${count} arrived`,
    );

    // Flowgate's scheduler service.
    stack = await Stack.start('bench-scheduler', {
      services: ['scheduler'],
      natsUrl,
      mongoUrl,
      env: { scheduler: { LOG_LEVEL: 'info', FLOWGATE_SCHEDULER_TICK_MS: '250', FLOWGATE_SCHEDULER_BATCH: String(batch) } },
    });
    const opsUrl = stack.opsUrl('scheduler');
    const leaderBy = Date.now() + 30_000;
    while (!/^flowgate_scheduler_leader(\{[^}]*\})? 1$/m.test(await (await fetch(`${opsUrl}/metrics`)).text())) {
      if (Date.now() > leaderBy) throw new Error('the scheduler did not take the lease within 30 s');
      await sleep(200);
    }
    const flowgate = await measure(
      nc,
      `${stack.prefix}.cmd.timer.>`,
      (await stack.db()).collection<BenchTimer>('timers'),
      { count, perS, leadMs, timeoutMs: 60_000 },
      decode,
    );
    log(
      `  flowgate scheduler: p50 ${flowgate.p50_s} s, p99 ${flowgate.p99_s} s, max ${flowgate.max_s} s, ${flowgate.fired}/${count} fired`,
    );

    const results = {
      machine: { cores: availableParallelism(), load_at_start: loadAtStart, load_at_end: round(loadavg()[0] ?? 0, 2) },
      servers: {
        nats: process.env.NATS_URL ? 'external' : 'local nats-server',
        mongo: process.env.MONGO_URL ? 'external' : 'local FerretDB',
      },
      timers_per_s: perS,
      seconds,
      baseline,
      flowgate,
      message_schedules: schedules,
      p99_ratio_to_baseline: round(flowgate.p99_s / Math.max(0.001, baseline.p99_s), 2),
      target_p99_under_1s: flowgate.p99_s < 1 && flowgate.missing === 0,
      target_p99_under_1s_message_schedules: schedulesCorrect(schedules) && schedules.p99_s < 1,
    };
    mkdirSync(join(ROOT, '.test-results'), { recursive: true });
    writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(
      [
        '',
        `Scheduler fire lag, ${count} timers due at ${perS}/s (${results.servers.mongo}, ${results.machine.cores} cores, load ${loadAtStart}):`,
        `  baseline (bare find/publish/delete loop): p50 ${baseline.p50_s} s  p99 ${baseline.p99_s} s  max ${baseline.max_s} s  ${baseline.fired_per_s} fired/s  missing ${baseline.missing}`,
        `  flowgate scheduler (lease, metrics):      p50 ${flowgate.p50_s} s  p99 ${flowgate.p99_s} s  max ${flowgate.max_s} s  ${flowgate.fired_per_s} fired/s  missing ${flowgate.missing}`,
        `  message schedules (ADR 0013, no store):   p50 ${schedules.p50_s} s  p99 ${schedules.p99_s} s  max ${schedules.max_s} s  ${schedules.fired_per_s} arrived/s  missing ${schedules.missing}`,
        `    server fire lag p50 ${schedules.fire_p50_s} s  p99 ${schedules.fire_p99_s} s  max ${schedules.fire_max_s} s; early ${schedules.early}, duplicates ${schedules.duplicates}; set ${schedules.scheduled_per_s}/s, cancelled ${schedules.cancelled_per_s}/s (${schedules.cancelled_arrived} cancelled arrived)`,
        `  p99 ratio flowgate / baseline: ${results.p99_ratio_to_baseline}; target p99 < 1 s: scheduler ${results.target_p99_under_1s ? 'met' : 'NOT met'}, message schedules ${results.target_p99_under_1s_message_schedules ? 'met' : 'NOT met'}`,
        `  (${RESULTS_FILE})`,
        '',
      ].join('\n'),
    );
    if (flowgate.missing > 0 || !schedulesCorrect(schedules)) process.exitCode = 1;
  } finally {
    await stack?.stop().catch(() => undefined);
    await mongo
      ?.db(`fgbench_sched_${process.pid}`)
      .dropDatabase()
      .catch(() => undefined);
    await mongo?.close();
    await nc?.close();
    for (const server of local.reverse()) await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  log(`scheduler bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});
