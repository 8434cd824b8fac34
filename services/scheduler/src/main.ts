import './instrument';
import { createSubjects, loadSchedulerProto, type SchedulerServiceHandlers } from '@flowgate/contracts';
import {
  connectMongo,
  connectNats,
  counter,
  createLogger,
  createRegistry,
  ensureStreams,
  grpcServerMetrics,
  histogram,
  jetStreamClients,
  mongoReady,
  natsReady,
  onShutdown,
  startGrpcServer,
  startOpsServer,
  unary,
} from '@flowgate/kit';
import { collections, ensureIndexes } from '@flowgate/store';
import { loadSchedulerConfig } from './config';
import { TimerFirer } from './firer';

async function main(): Promise<void> {
  const config = loadSchedulerConfig();
  const logger = createLogger('scheduler', config.LOG_LEVEL);
  const subjects = createSubjects(config.FLOWGATE_NATS_PREFIX);
  const registry = createRegistry('scheduler');
  const grpcMetric = grpcServerMetrics(registry);
  const fired = counter(registry, 'flowgate_timers_fired_total', 'Timers fired', ['kind']);
  const lag = histogram(registry, 'flowgate_timer_fire_lag_seconds', 'Delay between a timer being due and being fired', ['kind']);

  const { client: mongo, db } = await connectMongo(config.MONGO_URL, 'flowgate-scheduler');
  const store = collections(db);
  await ensureIndexes(store);
  const nc = await connectNats(config.NATS_URL, 'flowgate-scheduler', logger);
  const { js, jsm } = await jetStreamClients(nc);
  await ensureStreams(jsm, subjects);

  const ops = await startOpsServer({
    port: config.FLOWGATE_OPS_PORT,
    registry,
    logger,
    checks: { nats: natsReady(nc), mongodb: mongoReady(db) },
  });

  const handlers: SchedulerServiceHandlers = {
    ListTimers: unary('ListTimers', grpcMetric, async (req) => {
      const filter = { workspace_id: req.workspaceId, ...(req.executionId ? { execution_id: req.executionId } : {}) };
      const limit = Math.min(Math.max(req.limit || 100, 1), 1000);
      const timers = await store.timers.find(filter).sort({ due_at: 1 }).limit(limit).toArray();
      return {
        timers: timers.map((t) => ({
          id: t._id,
          workspaceId: t.workspace_id,
          executionId: t.execution_id,
          kind: t.kind,
          dueAt: t.due_at.toISOString(),
          status: t.status,
          firedAt: t.fired_at?.toISOString() ?? '',
        })),
      };
    }),
  };
  const grpcServer = await startGrpcServer({
    port: config.FLOWGATE_GRPC_PORT,
    serviceName: 'flowgate.v1.SchedulerService',
    register: (server) => server.addService(loadSchedulerProto().flowgate.v1.SchedulerService.service, handlers),
  });
  grpcServer.setServing(true);

  const firer = new TimerFirer({
    store,
    js,
    subjects,
    logger,
    tickMs: config.FLOWGATE_SCHEDULER_TICK_MS,
    batch: config.FLOWGATE_SCHEDULER_BATCH,
    fired,
    lag,
  });
  firer.start();
  logger.info({ grpc_port: grpcServer.port, ops_port: ops.port }, 'scheduler service ready');

  onShutdown(logger, config.FLOWGATE_SHUTDOWN_TIMEOUT_MS, [
    { name: 'not ready', run: () => ops.setShuttingDown() },
    { name: 'stop firing', run: () => firer.stop() },
    { name: 'grpc', run: () => grpcServer.close(2_000) },
    { name: 'nats drain', run: () => nc.drain() },
    { name: 'mongodb', run: () => mongo.close() },
    { name: 'ops', run: () => ops.close() },
  ]);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${JSON.stringify({ level: 'fatal', service: 'scheduler', msg: 'start-up failed', err: String((err as Error)?.message ?? err) })}\n`,
  );
  process.exit(1);
});
