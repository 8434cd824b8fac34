import './instrument';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { closeHttpServer, runMain, SecretBox, startRuntime } from '@flowgate/kit';
import { collections, ensureIndexes } from '@flowgate/store';
import { createApp } from './app';
import { bootstrap } from './bootstrap';
import { loadIngressConfig } from './config';
import { followingUntil, GrpcExecutionClient } from './execution-client';
import { GrpcSchedulerClient } from './scheduler-client';
import { guardServer, serverOptions, type RequestLimits } from './request-limits';
import { wireIngress } from './wiring';

/** How long before the shutdown deadline waiting sync callers are answered (202) and SSE streams end. */
const FOLLOW_STOP_MARGIN_MS = 2_000;

runMain('ingress', async () => {
  const config = loadIngressConfig();
  const box = new SecretBox(config.FLOWGATE_ENCRYPTION_KEY);
  const rt = await startRuntime('ingress', config);
  const store = collections(rt.db);
  await ensureIndexes(store);
  await bootstrap(store, config.FLOWGATE_BOOTSTRAP_API_KEY, rt.logger);
  // Shutdown ends every follow (sync webhook waits, SSE streams) shortly before its deadline: a sync
  // caller still waiting then gets the 202 with the execution id instead of a cut connection.
  const stopFollowing = new AbortController();
  const executions = followingUntil(
    new GrpcExecutionClient(config.FLOWGATE_EXECUTION_GRPC_URL, config.FLOWGATE_GRPC_DEADLINE_MS),
    stopFollowing.signal,
  );
  const scheduler = new GrpcSchedulerClient(config.FLOWGATE_SCHEDULER_GRPC_URL, config.FLOWGATE_GRPC_DEADLINE_MS);

  const { edge, management, metrics, stops } = await wireIngress(
    {
      store,
      nc: rt.nc,
      js: rt.js,
      subjects: rt.subjects,
      placement: rt.placement,
      logger: rt.logger,
      registry: rt.registry,
      box,
      executions,
      scheduler,
    },
    config,
  );
  const requestLimits: RequestLimits = {
    maxHeaderBytes: config.FLOWGATE_MAX_HEADER_BYTES,
    maxHeaderCount: config.FLOWGATE_MAX_HEADER_COUNT,
    maxJsonDepth: config.FLOWGATE_MAX_JSON_DEPTH,
    headersTimeoutMs: config.FLOWGATE_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: config.FLOWGATE_REQUEST_TIMEOUT_MS,
  };
  const common = { metrics, logger: rt.logger, maxHeaderCount: config.FLOWGATE_MAX_HEADER_COUNT };
  // The bundle is dist/ingress.js; `pnpm build` puts the console next to it (dist/console).
  const consoleDir = config.FLOWGATE_CONSOLE_DIR ?? join(__dirname, 'console');
  const managementPort = config.FLOWGATE_MANAGEMENT_PORT;
  // One listener for both sub-apps, or (FLOWGATE_MANAGEMENT_PORT) the management API on a port of its own.
  const listeners =
    managementPort === undefined
      ? [{ port: config.FLOWGATE_HTTP_PORT, app: createApp({ ...common, edge, management, consoleDir }).app }]
      : [
          { port: config.FLOWGATE_HTTP_PORT, app: createApp({ ...common, edge }).app },
          { port: managementPort, app: createApp({ ...common, management, consoleDir }).app },
        ];
  const servers: Server[] = [];
  for (const { port, app } of listeners)
    servers.push(
      await new Promise<Server>((resolve, reject) => {
        const s = createServer(serverOptions(requestLimits), app);
        guardServer(s, requestLimits, rt.logger);
        s.once('error', reject);
        s.listen(port, config.FLOWGATE_HTTP_HOST ?? config.FLOWGATE_BIND_ADDRESS, () => resolve(s));
      }),
    );
  rt.logger.info(
    {
      http_port: config.FLOWGATE_HTTP_PORT,
      management_port: managementPort ?? config.FLOWGATE_HTTP_PORT,
      public_url: config.FLOWGATE_PUBLIC_URL,
    },
    'listening',
  );
  rt.ready();

  rt.onShutdown([
    {
      // After the drain delay (FLOWGATE_SHUTDOWN_DRAIN_MS): in-flight requests and sync waits are answered,
      // keep-alive connections are closed once idle (what still arrives on them gets Connection: close).
      name: 'stop accepting and finish in-flight requests',
      run: async ({ deadlineAt }) => {
        const answerWaiting = setTimeout(() => stopFollowing.abort(), Math.max(0, deadlineAt - Date.now() - FOLLOW_STOP_MARGIN_MS));
        await Promise.all(servers.map((server) => closeHttpServer(server)));
        clearTimeout(answerWaiting);
      },
    },
    ...stops,
    { name: 'grpc clients', run: () => (executions.close(), scheduler.close()) },
  ]);
});
