import './instrument';
import { commandSchema, createSubjects, loadExecutionProto } from '@flowgate/contracts';
import {
  connectMongo,
  connectNats,
  consumeDurable,
  createLogger,
  createRegistry,
  ensureDurableConsumer,
  ensureStreams,
  jetStreamClients,
  mongoReady,
  natsReady,
  onShutdown,
  startGrpcServer,
  startOpsServer,
  type JsMsg,
  type MessageDisposition,
} from '@flowgate/kit';
import { collections, ensureIndexes, recordDeadLetter } from '@flowgate/store';
import { loadExecutionConfig } from './config';
import { DefinitionCache } from './definitions';
import { executionHandlers } from './grpc-service';
import { executionMetrics } from './metrics';
import { Runner } from './runner';
import { WatchHub } from './watch-hub';

const CONSUMER = 'execution';

async function main(): Promise<void> {
  const config = loadExecutionConfig();
  const logger = createLogger('execution', config.LOG_LEVEL);
  const subjects = createSubjects(config.FLOWGATE_NATS_PREFIX);
  const registry = createRegistry('execution');
  const metrics = executionMetrics(registry);

  const { client: mongo, db } = await connectMongo(config.MONGO_URL, 'flowgate-execution');
  const store = collections(db);
  await ensureIndexes(store);
  const nc = await connectNats(config.NATS_URL, 'flowgate-execution', logger);
  const { js, jsm } = await jetStreamClients(nc);
  await ensureStreams(jsm, subjects);
  await ensureDurableConsumer(jsm, {
    stream: subjects.commandsStream,
    durable: CONSUMER,
    filterSubjects: [subjects.commandsAll],
    ackWaitMs: config.FLOWGATE_ACK_WAIT_MS,
    maxDeliver: config.FLOWGATE_MAX_DELIVER,
  });

  const ops = await startOpsServer({
    port: config.FLOWGATE_OPS_PORT,
    registry,
    logger,
    checks: { nats: natsReady(nc), mongodb: mongoReady(db) },
  });

  const hub = new WatchHub(nc, subjects, logger);
  hub.start();
  const grpcServer = await startGrpcServer({
    port: config.FLOWGATE_GRPC_PORT,
    serviceName: 'flowgate.v1.ExecutionService',
    register: (server) =>
      server.addService(
        loadExecutionProto().flowgate.v1.ExecutionService.service,
        executionHandlers({ store, hub, metric: metrics.grpc, logger }),
      ),
  });
  grpcServer.setServing(true);

  const runner = new Runner({ store, js, subjects, definitions: new DefinitionCache(store), config, metrics, logger });
  const keepAliveEvery = Math.max(1_000, Math.floor(config.FLOWGATE_ACK_WAIT_MS / 3));

  const handle = async (msg: JsMsg): Promise<MessageDisposition> => {
    let raw: unknown;
    try {
      raw = msg.json();
    } catch {
      return { term: 'malformed_json' };
    }
    const parsed = commandSchema.safeParse(raw);
    if (!parsed.success) return { term: 'invalid_command' };
    const cmd = parsed.data;
    let last = Date.now();
    const keepAlive = () => {
      if (Date.now() - last >= keepAliveEvery) {
        msg.working();
        last = Date.now();
      }
    };
    const ticker = setInterval(() => keepAlive(), keepAliveEvery);
    try {
      return cmd.type === 'start' ? await runner.handleStart(cmd, keepAlive) : await runner.handleTimer(cmd);
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
    handle,
    onDeadLetter: async (msg, reason) => {
      await recordDeadLetter(store.deadLetters, {
        consumer: CONSUMER,
        streamSequence: msg.info.streamSequence,
        subject: msg.subject,
        data: msg.string(),
        reason,
        deliveryCount: msg.info.deliveryCount,
      });
      logger.warn({ subject: msg.subject, reason }, 'command dead-lettered');
    },
  });

  logger.info({ grpc_port: grpcServer.port, ops_port: ops.port }, 'execution service ready');

  onShutdown(logger, config.FLOWGATE_SHUTDOWN_TIMEOUT_MS, [
    { name: 'not ready', run: () => ops.setShuttingDown() },
    { name: 'stop consuming and finish in-flight executions', run: () => loop.stop() },
    { name: 'grpc', run: () => grpcServer.close(2_000) },
    { name: 'watch hub', run: () => hub.stop() },
    { name: 'nats drain', run: () => nc.drain() },
    { name: 'mongodb', run: () => mongo.close() },
    { name: 'ops', run: () => ops.close() },
  ]);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${JSON.stringify({ level: 'fatal', service: 'execution', msg: 'start-up failed', err: String((err as Error)?.message ?? err) })}\n`,
  );
  process.exit(1);
});
