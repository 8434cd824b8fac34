import './instrument';
import { loadSchedulerProto, type SchedulerServiceHandlers } from '@flowgate/contracts';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  counter,
  gauge,
  grpcServerMetrics,
  histogram,
  Lease,
  runMain,
  startGrpcServer,
  startPollLoop,
  startRuntime,
  unary,
} from '@flowgate/kit';
import { collections, countStoredTimers, defaultRetentionBatch, ensureIndexes } from '@flowgate/store';
import { loadSchedulerConfig } from './config';
import { TimerFirer } from './firer';
import { ScheduleFirer } from './schedule-firer';
import { deleteSchedule, upsertSchedule } from './schedules';
import { RetentionSweeper } from './retention-sweeper';
import { listTimers } from './timers';

runMain('scheduler', async () => {
  const config = loadSchedulerConfig();
  const rt = await startRuntime('scheduler', config);
  const store = collections(rt.db);
  await ensureIndexes(store);
  const grpcMetric = grpcServerMetrics(rt.registry);
  const fired = counter(rt.registry, 'flowgate_timers_fired_total', 'Timers fired', ['kind']);
  const lag = histogram(rt.registry, 'flowgate_timer_fire_lag_seconds', 'Delay between a timer being due and being fired', ['kind']);
  const duplicates = counter(
    rt.registry,
    'flowgate_timer_duplicate_fires_total',
    'Timer fires the stream already had (re-fired after a crash)',
    ['kind'],
  );
  const leader = gauge(rt.registry, 'flowgate_scheduler_leader', '1 while this replica holds the scheduler lease and fires timers');
  const leaderChanges = counter(rt.registry, 'flowgate_scheduler_leader_changes_total', 'Times this replica gained or lost the lease');

  const handlers: SchedulerServiceHandlers = {
    UpsertSchedule: unary('UpsertSchedule', grpcMetric, (req) => upsertSchedule(store, req, new Date())),
    DeleteSchedule: unary('DeleteSchedule', grpcMetric, (req) => deleteSchedule(store, req)),
    ListTimers: unary('ListTimers', grpcMetric, (req) => listTimers({ store, jsm: rt.jsm, subjects: rt.subjects }, req)),
  };
  const grpcServer = await startGrpcServer({
    port: config.FLOWGATE_GRPC_PORT,
    host: config.FLOWGATE_BIND_ADDRESS,
    serviceName: 'flowgate.v1.SchedulerService',
    register: (server) => server.addService(loadSchedulerProto().flowgate.v1.SchedulerService.service, handlers),
  });
  grpcServer.setServing(true);

  // One active firer at a time: a lease in NATS KV (see packages/kit/src/lease.ts).
  const lease = await Lease.open(rt.nc, {
    bucket: rt.subjects.leasesBucket,
    key: 'scheduler',
    holder: `${hostname()}:${process.pid}:${randomUUID()}`,
    ttlMs: config.FLOWGATE_SCHEDULER_LEASE_MS,
    placement: rt.placement,
    onChange: (leading) => {
      leader.set(leading ? 1 : 0);
      leaderChanges.inc();
      rt.logger.info({ leading }, leading ? 'scheduler lease taken: firing timers' : 'scheduler lease lost');
    },
  });
  lease.start();
  gauge(rt.registry, 'flowgate_timers_pending', 'Timers stored and not fired yet (reported by the leader)', [], async function () {
    if (lease.isHeld()) this.set(await countStoredTimers(store.timers));
  });

  const firer = new TimerFirer({
    store,
    js: rt.js,
    subjects: rt.subjects,
    logger: rt.logger,
    tickMs: config.FLOWGATE_SCHEDULER_TICK_MS,
    batch: config.FLOWGATE_SCHEDULER_BATCH,
    leading: () => lease.isHeld(),
    fired,
    duplicates,
    lag,
  });
  firer.start();

  const scheduleFirer = new ScheduleFirer({
    store,
    js: rt.js,
    subjects: rt.subjects,
    logger: rt.logger,
    leading: () => lease.isHeld(),
    fires: counter(rt.registry, 'flowgate_schedule_fires_total', 'Cron schedule fire times by outcome', ['outcome']),
  });
  const schedules = startPollLoop(
    () => scheduleFirer.tick(),
    config.FLOWGATE_SCHEDULER_TICK_MS * 4,
    (err) => rt.logger.error({ err }, 'schedule tick failed'),
  );

  // Retention (ADR 0020): the leader removes the history of executions ended longer ago than their retention.
  const retention = new RetentionSweeper({
    store,
    logger: rt.logger,
    leading: () => lease.isHeld(),
    defaultDays: config.FLOWGATE_RETENTION_DAYS,
    batch: config.FLOWGATE_RETENTION_BATCH ?? defaultRetentionBatch(store),
    pauseMs: config.FLOWGATE_RETENTION_PAUSE_MS,
    intervalMs: config.FLOWGATE_RETENTION_SWEEP_MS,
    firstPassMs: Math.min(60_000, config.FLOWGATE_RETENTION_SWEEP_MS),
    removed: counter(rt.registry, 'flowgate_retention_removed_total', 'Documents the retention sweeper removed, by kind', ['kind']),
    duration: histogram(
      rt.registry,
      'flowgate_retention_sweep_duration_seconds',
      'Time of one retention sweep (every workspace)',
      [],
      [0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    ),
  });
  retention.start();
  rt.ready();

  rt.onShutdown([
    { name: 'stop firing', run: () => firer.stop() },
    { name: 'stop schedules', run: () => schedules.stop() },
    { name: 'stop the retention sweep', run: () => retention.stop() },
    { name: 'give up the lease', run: () => lease.stop() },
    { name: 'grpc', run: () => grpcServer.close(2_000) },
  ]);
});
