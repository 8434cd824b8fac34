import './instrument';
import { commandSchema, loadExecutionProto, type Command } from '@flowgate/contracts';
import {
  consumeDurable,
  ensureDurableConsumer,
  openKv,
  runMain,
  scheduleDebounce,
  startGrpcServer,
  startRuntime,
  WorkspaceLabels,
  type JsMsg,
  type MessageDisposition,
} from '@flowgate/kit';
import {
  collections,
  DEBOUNCE_BUCKET_OPTIONS,
  DebounceWindows,
  ensureIndexes,
  LIVE_MARKER_TTL_MS,
  liveExecutions,
  recordDeadLetter,
  WorkflowSlots,
} from '@flowgate/store';
import { loadExecutionConfig } from './config';
import { DebounceFirer } from './debounce-fire';
import { DefinitionCache } from './definitions';
import { EgressPolicy } from './egress-policy';
import { executionHandlers } from './grpc-service';
import { executionMetrics } from './metrics';
import { queueMetrics } from './queue-metrics';
import { Runner } from './runner';
import { jetStreamMessaging } from './seams';
import { WatchHub } from './watch-hub';
import { followWorkspaceChanges, WorkspaceEgressCache } from './workspace-egress';

const CONSUMER = 'execution';

runMain('execution', async () => {
  const config = loadExecutionConfig();
  const rt = await startRuntime('execution', config);
  const { logger, subjects, js } = rt;
  const metrics = executionMetrics(rt.registry, new WorkspaceLabels(config.FLOWGATE_METRICS_MAX_WORKSPACES));
  const store = collections(rt.db);
  await ensureIndexes(store);
  await ensureDurableConsumer(rt.jsm, {
    stream: subjects.commandsStream,
    durable: CONSUMER,
    filterSubjects: [subjects.commandsAll],
    ackWaitMs: config.FLOWGATE_ACK_WAIT_MS,
    maxDeliver: config.FLOWGATE_MAX_DELIVER,
  });
  const queue = queueMetrics({ jsm: rt.jsm, stream: subjects.commandsStream, durable: CONSUMER, registry: rt.registry, logger });

  // SSRF guard for http steps: public addresses, plus FLOWGATE_EGRESS_ALLOW_CIDRS ∪ the workspace's list.
  const workspaces = new WorkspaceEgressCache(store, config.FLOWGATE_WORKSPACE_CACHE_MS, logger);
  const egress = new EgressPolicy({ envAllow: config.FLOWGATE_EGRESS_ALLOW_CIDRS, workspaces, logger });
  const workspaceEvents = followWorkspaceChanges(rt.nc, subjects, workspaces, logger);
  logger.info({ egress_allow_cidrs: config.FLOWGATE_EGRESS_ALLOW_CIDRS.entries }, 'egress allow-list');
  // Live state in NATS KV, MongoDB by group commit (packages/store live-executions.ts, ADR 0014).
  const { live, projection } = liveExecutions(
    await openKv(rt.nc, subjects.liveExecutionsBucket, { markerTtlMs: LIVE_MARKER_TTL_MS, placement: rt.placement }),
    store,
    { lazyMs: config.FLOWGATE_PROJECTION_LAZY_MS, onError: (err) => logger.warn({ err }, 'execution projection flush failed') },
  );
  const slots = new WorkflowSlots(await openKv(rt.nc, subjects.slotsBucket, { placement: rt.placement }));
  const runnerDeps = {
    store,
    live,
    slots,
    messaging: jetStreamMessaging(js, rt.jsm, subjects),
    definitions: new DefinitionCache(store),
    config,
    metrics,
    logger,
    egress,
    workspaces,
  };
  const runner = new Runner(runnerDeps);
  // Debounce windows (ADR 0022): their schedules arrive as `debounce` commands.
  const debounce = new DebounceFirer({
    windows: new DebounceWindows(await openKv(rt.nc, subjects.debounceBucket, { ...DEBOUNCE_BUCKET_OPTIONS, placement: rt.placement })),
    sendStart: (command, msgId) => runnerDeps.messaging.sendStart(command, msgId),
    schedule: async (command) => {
      await scheduleDebounce(js, subjects, command);
    },
    logger,
    counted: (outcome) => metrics.debounceFires.inc({ outcome }),
  });
  const hub = new WatchHub(rt.nc, subjects, logger);
  hub.start();
  const grpcServer = await startGrpcServer({
    port: config.FLOWGATE_GRPC_PORT,
    host: config.FLOWGATE_BIND_ADDRESS,
    serviceName: 'flowgate.v1.ExecutionService',
    register: (server) =>
      server.addService(
        loadExecutionProto().flowgate.v1.ExecutionService.service,
        executionHandlers({ store, live, runner, hub, metric: metrics.grpc, logger }),
      ),
  });
  grpcServer.setServing(true);

  const keepAliveEvery = Math.max(1_000, Math.floor(config.FLOWGATE_ACK_WAIT_MS / 3));

  const handle = async (cmd: Command, msg: JsMsg): Promise<MessageDisposition> => {
    let last = Date.now();
    const keepAlive = () => {
      if (Date.now() - last >= keepAliveEvery) {
        msg.working();
        last = Date.now();
      }
    };
    const ticker = setInterval(() => keepAlive(), keepAliveEvery);
    try {
      switch (cmd.type) {
        case 'start':
          return await runner.handleStart(cmd, keepAlive);
        case 'timer':
          return await runner.handleTimer(cmd, keepAlive, msg.info.deliveryCount > 1);
        case 'resume':
          return await runner.handleResume(cmd, keepAlive, msg.info.deliveryCount > 1);
        case 'debounce':
          return await debounce.handle(cmd);
      }
    } finally {
      clearInterval(ticker);
    }
  };

  const loop = await consumeDurable({
    js,
    stream: subjects.commandsStream,
    durable: CONSUMER,
    maxDeliver: config.FLOWGATE_MAX_DELIVER,
    maxInFlight: config.FLOWGATE_EXECUTION_CONCURRENCY,
    logger,
    metrics: metrics.consumer,
    schema: commandSchema,
    handle,
    recordDeadLetter: (entry) => recordDeadLetter(store.deadLetters, entry),
    // A command is acked once its effect is durable in the live state, and a redelivered one finds
    // the execution moved on and changes nothing (runner.ts): a lost ack costs a redelivery, not a
    // second run, so the ack is not a round trip.
    confirmAcks: false,
  });

  // Safety net for max_concurrent_executions: a crash between taking a slot and sending the start
  // command would otherwise leave a waiting execution behind until the next arrival or finish.
  const sweep = setInterval(() => {
    runner.promoteAll().catch((err: unknown) => logger.warn({ err }, 'slot sweep failed'));
  }, config.FLOWGATE_SLOT_SWEEP_MS);
  // Ends that never reached MongoDB (an executor died between its live write and the flush): it
  // reads every live key, so it runs less often than the slot sweep.
  const recover = () => live.recover(new Date()).catch((err: unknown) => logger.warn({ err }, 'live-state recovery failed'));
  const recovery = setInterval(() => void recover(), config.FLOWGATE_RECOVERY_SWEEP_MS);
  setTimeout(() => void recover(), 10_000).unref();
  rt.ready();

  rt.onShutdown([
    { name: 'stop slot sweep', run: () => clearInterval(sweep) },
    { name: 'stop recovery sweep', run: () => clearInterval(recovery) },
    { name: 'stop consuming and finish in-flight executions', run: () => loop.stop() },
    { name: 'write pending execution snapshots', run: () => projection.close() },
    { name: 'egress agents', run: () => egress.close() },
    { name: 'grpc', run: () => grpcServer.close(2_000) },
    { name: 'watch hub', run: () => hub.stop() },
    { name: 'workspace events', run: () => workspaceEvents.stop() },
    { name: 'queue metrics', run: () => queue.stop() },
  ]);
});
