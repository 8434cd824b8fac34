import './instrument';
import type { Server } from 'node:http';
import { openKv, runMain, SecretBox, startPollLoop, startRuntime } from '@flowgate/kit';
import { collections, ensureIndexes } from '@flowgate/store';
import { createApp } from './app';
import { bootstrap } from './bootstrap';
import { loadIngressConfig } from './config';
import { ExecutionClient } from './execution-client';
import { SchedulerClient } from './scheduler-client';
import { sweepIdempotencyKeys } from './idempotency';
import { RateLimiter } from './rate-limiter';
import { ingressMetrics } from './metrics';

runMain('ingress', async () => {
  const config = loadIngressConfig();
  const box = new SecretBox(config.FLOWGATE_ENCRYPTION_KEY);
  const rt = await startRuntime('ingress', config);
  const store = collections(rt.db);
  await ensureIndexes(store);
  await bootstrap(store, config.FLOWGATE_BOOTSTRAP_API_KEY, rt.logger);
  const executions = new ExecutionClient(config.FLOWGATE_EXECUTION_GRPC_URL, config.FLOWGATE_GRPC_DEADLINE_MS);
  const scheduler = new SchedulerClient(config.FLOWGATE_SCHEDULER_GRPC_URL, config.FLOWGATE_GRPC_DEADLINE_MS);

  const app = createApp({
    store,
    js: rt.js,
    subjects: rt.subjects,
    executions,
    scheduler,
    box,
    publicUrl: config.FLOWGATE_PUBLIC_URL,
    maxBodyBytes: config.FLOWGATE_MAX_BODY_BYTES,
    publishTimeoutMs: config.FLOWGATE_PUBLISH_TIMEOUT_MS,
    metrics: ingressMetrics(rt.registry),
    logger: rt.logger,
    limiter: new RateLimiter(
      await openKv(rt.nc, `${rt.subjects.prefix.toUpperCase().replace(/-/g, '_')}_RATELIMITS`, { ttlMs: 3_600_000 }),
    ),
    limits: { workspacePerSecond: config.FLOWGATE_RATE_LIMIT_WORKSPACE_PER_S, workspaceBurst: config.FLOWGATE_RATE_LIMIT_WORKSPACE_BURST },
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.FLOWGATE_HTTP_PORT, config.FLOWGATE_HTTP_HOST, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 330_000;
  rt.logger.info({ http_port: config.FLOWGATE_HTTP_PORT, public_url: config.FLOWGATE_PUBLIC_URL }, 'listening');
  // Idempotency keys live 24 h; without TTL indexes (FerretDB) they are swept here.
  const sweep = startPollLoop(
    () => sweepIdempotencyKeys(store, new Date()),
    600_000,
    (err) => rt.logger.warn({ err }, 'idempotency key sweep failed'),
  );
  rt.ready();

  rt.onShutdown([
    { name: 'stop idempotency sweep', run: () => sweep.stop() },
    {
      name: 'stop accepting and finish in-flight requests',
      run: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        }),
    },
    { name: 'grpc clients', run: () => (executions.close(), scheduler.close()) },
  ]);
});
