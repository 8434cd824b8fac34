import './instrument';
import { loadSchedulerProto, type SchedulerServiceHandlers } from '@flowgate/contracts';
import { counter, grpcServerMetrics, histogram, runMain, startGrpcServer, startRuntime, unary } from '@flowgate/kit';
import { collections, ensureIndexes } from '@flowgate/store';
import { loadSchedulerConfig } from './config';
import { TimerFirer } from './firer';

runMain('scheduler', async () => {
  const config = loadSchedulerConfig();
  const rt = await startRuntime('scheduler', config);
  const store = collections(rt.db);
  await ensureIndexes(store);
  const grpcMetric = grpcServerMetrics(rt.registry);
  const fired = counter(rt.registry, 'flowgate_timers_fired_total', 'Timers fired', ['kind']);
  const lag = histogram(rt.registry, 'flowgate_timer_fire_lag_seconds', 'Delay between a timer being due and being fired', ['kind']);

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
    js: rt.js,
    subjects: rt.subjects,
    logger: rt.logger,
    tickMs: config.FLOWGATE_SCHEDULER_TICK_MS,
    batch: config.FLOWGATE_SCHEDULER_BATCH,
    fired,
    lag,
  });
  firer.start();
  rt.ready();

  rt.onShutdown([
    { name: 'stop firing', run: () => firer.stop() },
    { name: 'grpc', run: () => grpcServer.close(2_000) },
  ]);
});
