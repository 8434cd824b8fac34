import './instrument';
import type { Server } from 'node:http';
import { runMain, SecretBox, startRuntime } from '@flowgate/kit';
import { collections, ensureIndexes } from '@flowgate/store';
import { createApp } from './app';
import { bootstrap } from './bootstrap';
import { loadIngressConfig } from './config';
import { ExecutionClient } from './execution-client';
import { ingressMetrics } from './metrics';

runMain('ingress', async () => {
  const config = loadIngressConfig();
  const box = new SecretBox(config.FLOWGATE_ENCRYPTION_KEY);
  const rt = await startRuntime('ingress', config);
  const store = collections(rt.db);
  await ensureIndexes(store);
  await bootstrap(store, config.FLOWGATE_BOOTSTRAP_API_KEY, rt.logger);
  const executions = new ExecutionClient(config.FLOWGATE_EXECUTION_GRPC_URL, config.FLOWGATE_GRPC_DEADLINE_MS);

  const app = createApp({
    store,
    js: rt.js,
    subjects: rt.subjects,
    executions,
    box,
    publicUrl: config.FLOWGATE_PUBLIC_URL,
    maxBodyBytes: config.FLOWGATE_MAX_BODY_BYTES,
    publishTimeoutMs: config.FLOWGATE_PUBLISH_TIMEOUT_MS,
    metrics: ingressMetrics(rt.registry),
    logger: rt.logger,
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.FLOWGATE_HTTP_PORT, config.FLOWGATE_HTTP_HOST, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 330_000;
  rt.logger.info({ http_port: config.FLOWGATE_HTTP_PORT, public_url: config.FLOWGATE_PUBLIC_URL }, 'listening');
  rt.ready();

  rt.onShutdown([
    {
      name: 'stop accepting and finish in-flight requests',
      run: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        }),
    },
    { name: 'grpc client', run: () => executions.close() },
  ]);
});
