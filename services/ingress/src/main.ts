import './instrument';
import type { Server } from 'node:http';
import { createSubjects } from '@flowgate/contracts';
import {
  connectMongo,
  connectNats,
  createLogger,
  createRegistry,
  ensureStreams,
  jetStreamClients,
  mongoReady,
  natsReady,
  onShutdown,
  SecretBox,
  startOpsServer,
} from '@flowgate/kit';
import { collections, ensureIndexes } from '@flowgate/store';
import { createApp } from './app';
import { bootstrap } from './bootstrap';
import { loadIngressConfig } from './config';
import { ExecutionClient } from './execution-client';
import { ingressMetrics } from './metrics';

async function main(): Promise<void> {
  const config = loadIngressConfig();
  const logger = createLogger('ingress', config.LOG_LEVEL);
  const subjects = createSubjects(config.FLOWGATE_NATS_PREFIX);
  const registry = createRegistry('ingress');
  const metrics = ingressMetrics(registry);
  const box = new SecretBox(config.FLOWGATE_ENCRYPTION_KEY);

  const { client: mongo, db } = await connectMongo(config.MONGO_URL, 'flowgate-ingress');
  const store = collections(db);
  await ensureIndexes(store);
  await bootstrap(store, config.FLOWGATE_BOOTSTRAP_API_KEY, logger);
  const nc = await connectNats(config.NATS_URL, 'flowgate-ingress', logger);
  const { js, jsm } = await jetStreamClients(nc);
  await ensureStreams(jsm, subjects);
  const executions = new ExecutionClient(config.FLOWGATE_EXECUTION_GRPC_URL, config.FLOWGATE_GRPC_DEADLINE_MS);

  const ops = await startOpsServer({
    port: config.FLOWGATE_OPS_PORT,
    registry,
    logger,
    checks: { nats: natsReady(nc), mongodb: mongoReady(db) },
  });
  const app = createApp({
    store,
    js,
    subjects,
    executions,
    box,
    publicUrl: config.FLOWGATE_PUBLIC_URL,
    maxBodyBytes: config.FLOWGATE_MAX_BODY_BYTES,
    publishTimeoutMs: config.FLOWGATE_PUBLISH_TIMEOUT_MS,
    metrics,
    logger,
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.FLOWGATE_HTTP_PORT, config.FLOWGATE_HTTP_HOST, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 330_000;
  logger.info(
    { http_port: config.FLOWGATE_HTTP_PORT, ops_port: ops.port, public_url: config.FLOWGATE_PUBLIC_URL },
    'ingress service ready',
  );

  onShutdown(logger, config.FLOWGATE_SHUTDOWN_TIMEOUT_MS, [
    { name: 'not ready', run: () => ops.setShuttingDown() },
    {
      name: 'stop accepting and finish in-flight requests',
      run: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        }),
    },
    { name: 'grpc client', run: () => executions.close() },
    { name: 'nats drain', run: () => nc.drain() },
    { name: 'mongodb', run: () => mongo.close() },
    { name: 'ops', run: () => ops.close() },
  ]);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${JSON.stringify({ level: 'fatal', service: 'ingress', msg: 'start-up failed', err: String((err as Error)?.message ?? err) })}\n`,
  );
  process.exit(1);
});
