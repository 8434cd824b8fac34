import './instrument';
import { commandSchema, loadExecutionProto, type Command } from '@flowgate/contracts';
import {
  consumeDurable,
  ensureDurableConsumer,
  runMain,
  startGrpcServer,
  startRuntime,
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

runMain('execution', async () => {
  const config = loadExecutionConfig();
  const rt = await startRuntime('execution', config);
  const { logger, subjects, js } = rt;
  const metrics = executionMetrics(rt.registry);
  const store = collections(rt.db);
  await ensureIndexes(store);
  await ensureDurableConsumer(rt.jsm, {
    stream: subjects.commandsStream,
    durable: CONSUMER,
    filterSubjects: [subjects.commandsAll],
    ackWaitMs: config.FLOWGATE_ACK_WAIT_MS,
    maxDeliver: config.FLOWGATE_MAX_DELIVER,
  });

  const runner = new Runner({ store, js, subjects, definitions: new DefinitionCache(store), config, metrics, logger });
  const hub = new WatchHub(rt.nc, subjects, logger);
  hub.start();
  const grpcServer = await startGrpcServer({
    port: config.FLOWGATE_GRPC_PORT,
    serviceName: 'flowgate.v1.ExecutionService',
    register: (server) =>
      server.addService(
        loadExecutionProto().flowgate.v1.ExecutionService.service,
        executionHandlers({ store, runner, hub, metric: metrics.grpc, logger }),
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
    schema: commandSchema,
    handle,
    recordDeadLetter: (entry) => recordDeadLetter(store.deadLetters, entry),
  });

  rt.ready();

  rt.onShutdown([
    { name: 'stop consuming and finish in-flight executions', run: () => loop.stop() },
    { name: 'grpc', run: () => grpcServer.close(2_000) },
    { name: 'watch hub', run: () => hub.stop() },
  ]);
});
