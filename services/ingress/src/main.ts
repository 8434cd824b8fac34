import './instrument';
import { createServer, type Server } from 'node:http';
import { openKv, runMain, SecretBox, startRuntime } from '@flowgate/kit';
import { collections, ensureIndexes, LIVE_MARKER_TTL_MS, liveExecutions, WorkflowSlots } from '@flowgate/store';
import { createApp } from './app';
import { bootstrap } from './bootstrap';
import { loadIngressConfig } from './config';
import { ExecutionClient } from './execution-client';
import { SchedulerClient } from './scheduler-client';
import { IDEMPOTENCY_TTL_MS, IdempotencyKeys } from './idempotency';
import { ConfigCache, ConfigChanges, followConfigChanges, storeConfigSource } from './config-cache';
import { KvCounter } from './kv-counter';
import { QuotaGate } from './quotas';
import { RateLimiter } from './rate-limiter';
import { REPLICA_TTL_MS, ReplicaCount } from './replicas';
import { ingressMetrics } from './metrics';
import { guardServer, serverOptions, type RequestLimits } from './request-limits';

runMain('ingress', async () => {
  const config = loadIngressConfig();
  const box = new SecretBox(config.FLOWGATE_ENCRYPTION_KEY);
  const rt = await startRuntime('ingress', config);
  const store = collections(rt.db);
  await ensureIndexes(store);
  await bootstrap(store, config.FLOWGATE_BOOTSTRAP_API_KEY, rt.logger);
  const executions = new ExecutionClient(config.FLOWGATE_EXECUTION_GRPC_URL, config.FLOWGATE_GRPC_DEADLINE_MS);
  const scheduler = new SchedulerClient(config.FLOWGATE_SCHEDULER_GRPC_URL, config.FLOWGATE_GRPC_DEADLINE_MS);

  const configCache = new ConfigCache(storeConfigSource(store), {
    maxAgeMs: config.FLOWGATE_CONFIG_CACHE_MAX_AGE_MS,
    maxEntries: config.FLOWGATE_CONFIG_CACHE_MAX_ENTRIES,
  });
  const configFollower = followConfigChanges(rt.nc, rt.subjects, configCache, rt.logger);
  const configChanges = new ConfigChanges({
    js: rt.js,
    subjects: rt.subjects,
    logger: rt.logger,
    cache: configCache,
    publishTimeoutMs: config.FLOWGATE_PUBLISH_TIMEOUT_MS,
  });
  // Claims carry a 24 h per-message TTL; the bucket's max age bounds the "accepted" marks alike.
  const idempotency = new IdempotencyKeys(
    await openKv(rt.nc, rt.subjects.idempotencyBucket, { ttlMs: IDEMPOTENCY_TTL_MS, markerTtlMs: 60_000 }),
    rt.logger,
  );

  const { live } = liveExecutions(await openKv(rt.nc, rt.subjects.liveExecutionsBucket, { markerTtlMs: LIVE_MARKER_TTL_MS }), store);
  // Live ingress replicas: rate-limit and quota reservations are a share of the limit per replica.
  const replicas = new ReplicaCount(await openKv(rt.nc, rt.subjects.ingressReplicasBucket, { ttlMs: REPLICA_TTL_MS }), rt.logger);
  await replicas.start();
  const liveReplicas = () => replicas.live;
  const quotas = new QuotaGate(
    store,
    // Day / month counters; a key outlives its window (≤ 31 days) before it expires.
    new KvCounter(await openKv(rt.nc, rt.subjects.quotasBucket, { ttlMs: 32 * 86_400_000 })),
    {
      executionsPerDay: config.FLOWGATE_QUOTA_EXECUTIONS_PER_DAY,
      executionsPerMonth: config.FLOWGATE_QUOTA_EXECUTIONS_PER_MONTH,
      parallelExecutions: config.FLOWGATE_QUOTA_PARALLEL_EXECUTIONS,
    },
    config.FLOWGATE_QUOTA_CACHE_MS,
    live,
    liveReplicas,
  );
  const quotaPools = quotas.start((err) => rt.logger.warn({ err }, 'could not give back reserved quota units'));

  const requestLimits: RequestLimits = {
    maxHeaderBytes: config.FLOWGATE_MAX_HEADER_BYTES,
    maxHeaderCount: config.FLOWGATE_MAX_HEADER_COUNT,
    maxJsonDepth: config.FLOWGATE_MAX_JSON_DEPTH,
    headersTimeoutMs: config.FLOWGATE_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: config.FLOWGATE_REQUEST_TIMEOUT_MS,
  };
  const app = createApp({
    requestLimits,
    store,
    live,
    slots: new WorkflowSlots(await openKv(rt.nc, rt.subjects.slotsBucket)),
    js: rt.js,
    subjects: rt.subjects,
    executions,
    scheduler,
    box,
    configCache,
    configChanges,
    idempotency,
    publicUrl: config.FLOWGATE_PUBLIC_URL,
    maxBodyBytes: config.FLOWGATE_MAX_BODY_BYTES,
    antiEnumeration: config.FLOWGATE_WEBHOOK_ANTI_ENUMERATION === 'on',
    publishTimeoutMs: config.FLOWGATE_PUBLISH_TIMEOUT_MS,
    metrics: ingressMetrics(rt.registry),
    logger: rt.logger,
    limiter: new RateLimiter(await openKv(rt.nc, rt.subjects.rateLimitsBucket, { ttlMs: 3_600_000 }), liveReplicas),
    quotas,
    limits: { workspacePerSecond: config.FLOWGATE_RATE_LIMIT_WORKSPACE_PER_S, workspaceBurst: config.FLOWGATE_RATE_LIMIT_WORKSPACE_BURST },
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = createServer(serverOptions(requestLimits), app);
    guardServer(s, requestLimits, rt.logger);
    s.once('error', reject);
    s.listen(config.FLOWGATE_HTTP_PORT, config.FLOWGATE_HTTP_HOST, () => resolve(s));
  });
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
    { name: 'stop following config changes', run: () => configFollower.stop() },
    { name: 'give back reserved quota units', run: () => quotaPools.stop() },
    { name: 'leave the replica count', run: () => replicas.stop() },
    { name: 'grpc clients', run: () => (executions.close(), scheduler.close()) },
  ]);
});
