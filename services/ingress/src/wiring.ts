import type { Subjects } from '@flowgate/contracts';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import {
  Lease,
  openKv,
  WorkspaceLabels,
  type JetStreamClient,
  type Logger,
  type NatsConnection,
  type NatsPlacement,
  type SecretBox,
} from '@flowgate/kit';
import {
  DEBOUNCE_BUCKET_OPTIONS,
  DebounceWindows,
  deletePayload,
  LIVE_MARKER_TTL_MS,
  liveExecutions,
  WorkflowSlots,
  type Collections,
} from '@flowgate/store';
import type { Registry } from 'prom-client';
import type { IngressConfig } from './config';
import { ConfigCache, ConfigChanges, followConfigChanges, storeConfigSource, type ConfigHooks } from './config-cache';
import type { ExecutionClient } from './execution-client';
import { IDEMPOTENCY_TTL_MS, IdempotencyKeys } from './idempotency';
import { KvCounter } from './kv-counter';
import type { ManagementDeps } from './management-api';
import { ingressMetrics, type IngressMetrics } from './metrics';
import { QuotaGate } from './quotas';
import { RateLimiter } from './rate-limiter';
import { REPLICA_TTL_MS, ReplicaCount } from './replicas';
import { RunTargets } from './run-targets';
import type { SchedulerClient } from './scheduler-client';
import { ExecutionStarter } from './starter';
import type { WebhookEdgeDeps } from './webhook-edge';
import { jetStreamDebounceMessages } from './webhook/debounce';
import { WorkspaceDeletions } from './workspace-deletion';
import { BulkJobs } from './bulk-jobs';

/**
 * Builds the dependencies of the two sub-apps from one runtime (MongoDB, NATS) and the gRPC
 * clients: what main.ts serves and what the in-process route tests mount. `stops` are the
 * background parts to end at shutdown, in order.
 */
export interface IngressRuntime {
  store: Collections;
  nc: NatsConnection;
  js: JetStreamClient;
  subjects: Subjects;
  /** Replicas and storage of the KV buckets it opens (FLOWGATE_NATS_REPLICAS / _STORAGE; default one file replica). */
  placement?: NatsPlacement;
  logger: Logger;
  registry: Registry;
  box: SecretBox;
  executions: ExecutionClient;
  scheduler: SchedulerClient;
}

export interface IngressWiring {
  edge: WebhookEdgeDeps;
  management: ManagementDeps;
  metrics: IngressMetrics;
  stops: { name: string; run: () => Promise<void> | void }[];
}

/** Workspace deletion (workspace-deletion.ts): lease TTL, documents per delete command, pause between passes. */
const DELETION_LEASE_MS = 15_000;
const DELETION_BATCH = 500;
const DELETION_INTERVAL_MS = 2_000;
/** Bulk jobs (bulk-jobs.ts): lease TTL, executions listed per batch, pause between passes. */
const BULK_LEASE_MS = 15_000;
const BULK_BATCH = 50;
const BULK_INTERVAL_MS = 2_000;

export async function wireIngress(rt: IngressRuntime, config: IngressConfig): Promise<IngressWiring> {
  const { store, box, executions, scheduler } = rt;
  const configCache = new ConfigCache(storeConfigSource(store), {
    maxAgeMs: config.FLOWGATE_CONFIG_CACHE_MAX_AGE_MS,
    maxEntries: config.FLOWGATE_CONFIG_CACHE_MAX_ENTRIES,
  });
  // Filled in below, once the background workers exist.
  const configHooks: ConfigHooks = {};
  const configFollower = followConfigChanges(rt.nc, rt.subjects, configCache, rt.logger, configHooks);
  const configChanges = new ConfigChanges({
    js: rt.js,
    subjects: rt.subjects,
    logger: rt.logger,
    cache: configCache,
    publishTimeoutMs: config.FLOWGATE_PUBLISH_TIMEOUT_MS,
  });
  // Claims carry a 24 h per-message TTL; the bucket's max age bounds the "accepted" marks alike.
  const idempotency = new IdempotencyKeys(
    await openKv(rt.nc, rt.subjects.idempotencyBucket, { ttlMs: IDEMPOTENCY_TTL_MS, markerTtlMs: 60_000, placement: rt.placement }),
    rt.logger,
  );

  const { live } = liveExecutions(
    await openKv(rt.nc, rt.subjects.liveExecutionsBucket, { markerTtlMs: LIVE_MARKER_TTL_MS, placement: rt.placement }),
    store,
  );
  // Live ingress replicas: rate-limit and quota reservations are a share of the limit per replica.
  const replicas = new ReplicaCount(
    await openKv(rt.nc, rt.subjects.ingressReplicasBucket, { ttlMs: REPLICA_TTL_MS, placement: rt.placement }),
    rt.logger,
  );
  await replicas.start();
  const liveReplicas = () => replicas.live;
  const metrics = ingressMetrics(rt.registry, new WorkspaceLabels(config.FLOWGATE_METRICS_MAX_WORKSPACES));
  const quotas = new QuotaGate(
    store,
    // Day / month counters; a key outlives its window (≤ 31 days) before it expires.
    new KvCounter(await openKv(rt.nc, rt.subjects.quotasBucket, { ttlMs: 32 * 86_400_000, placement: rt.placement })),
    {
      executionsPerDay: config.FLOWGATE_QUOTA_EXECUTIONS_PER_DAY,
      executionsPerMonth: config.FLOWGATE_QUOTA_EXECUTIONS_PER_MONTH,
      parallelExecutions: config.FLOWGATE_QUOTA_PARALLEL_EXECUTIONS,
    },
    config.FLOWGATE_QUOTA_CACHE_MS,
    live,
    liveReplicas,
    (workspaceId, quota) => metrics.quotaRefusals.inc({ quota, workspace_id: metrics.workspaces.of(workspaceId) }),
  );
  const quotaPools = quotas.start((err) => rt.logger.warn({ err }, 'could not give back reserved quota units'));

  const publishDeps = {
    store,
    live,
    slots: new WorkflowSlots(await openKv(rt.nc, rt.subjects.slotsBucket, { placement: rt.placement })),
    js: rt.js,
    subjects: rt.subjects,
    publicUrl: config.FLOWGATE_PUBLIC_URL,
    publishTimeoutMs: config.FLOWGATE_PUBLISH_TIMEOUT_MS,
    logger: rt.logger,
  };
  const runTargets = new RunTargets(store);
  const starter = new ExecutionStarter({ ...publishDeps, runTargets, quotas, workspaces: (id) => configCache.workspace(id) });
  const edge: WebhookEdgeDeps = {
    ...publishDeps,
    starter,
    runTargets,
    executions,
    metrics,
    box,
    configCache,
    configChanges,
    idempotency,
    debounce: {
      windows: new DebounceWindows(
        await openKv(rt.nc, rt.subjects.debounceBucket, { ...DEBOUNCE_BUCKET_OPTIONS, placement: rt.placement }),
      ),
      messages: jetStreamDebounceMessages(rt.js, rt.subjects, config.FLOWGATE_PUBLISH_TIMEOUT_MS),
      removePayload: (id) => deletePayload(store.payloads, id),
    },
    antiEnumeration: config.FLOWGATE_WEBHOOK_ANTI_ENUMERATION === 'on',
    limiter: new RateLimiter(
      await openKv(rt.nc, rt.subjects.rateLimitsBucket, { ttlMs: 3_600_000, placement: rt.placement }),
      liveReplicas,
    ),
    limits: { workspacePerSecond: config.FLOWGATE_RATE_LIMIT_WORKSPACE_PER_S, workspaceBurst: config.FLOWGATE_RATE_LIMIT_WORKSPACE_BURST },
    maxBodyBytes: config.FLOWGATE_MAX_BODY_BYTES,
    maxJsonDepth: config.FLOWGATE_MAX_JSON_DEPTH,
  };
  // One replica at a time deletes workspaces (a lease in NATS KV; any replica takes over within its TTL).
  const deletionLease = await Lease.open(rt.nc, {
    bucket: rt.subjects.leasesBucket,
    key: 'workspace-deletion',
    holder: `${hostname()}:${process.pid}:${randomUUID()}`,
    ttlMs: DELETION_LEASE_MS,
    placement: rt.placement,
  });
  deletionLease.start();
  const deletions = new WorkspaceDeletions({
    store,
    live,
    cancel: (workspaceId, executionId) => executions.cancel(workspaceId, executionId),
    logger: rt.logger,
    leading: () => deletionLease.isHeld(),
    batch: DELETION_BATCH,
    intervalMs: DELETION_INTERVAL_MS,
  });
  deletions.start();
  // One replica at a time runs bulk jobs, under its own lease (a take-over goes on from the job's cursor).
  const bulkLease = await Lease.open(rt.nc, {
    bucket: rt.subjects.leasesBucket,
    key: 'bulk-jobs',
    holder: `${hostname()}:${process.pid}:${randomUUID()}`,
    ttlMs: BULK_LEASE_MS,
    placement: rt.placement,
  });
  bulkLease.start();
  const bulkJobs = new BulkJobs({
    store,
    executions,
    starter,
    logger: rt.logger,
    leading: () => bulkLease.isHeld(),
    batch: BULK_BATCH,
    intervalMs: BULK_INTERVAL_MS,
  });
  bulkJobs.start();
  // Another replica's request reaches the lease holder through the config events.
  configHooks.workspaceChanged = () => deletions.kick();
  configHooks.jobsChanged = () => bulkJobs.kick();
  const management: ManagementDeps = {
    ...publishDeps,
    box,
    scheduler,
    executions,
    starter,
    runTargets,
    configChanges,
    quotas,
    maxJsonDepth: config.FLOWGATE_MAX_JSON_DEPTH,
    workspaceState: (id) => configCache.workspace(id),
    // A pass now if this replica holds the lease; the holder, if another, hears of it through the config event.
    deletions,
    bulkJobs,
    defaultRetentionDays: config.FLOWGATE_RETENTION_DAYS,
  };
  return {
    edge,
    management,
    metrics,
    stops: [
      { name: 'stop deleting workspaces', run: () => deletions.stop() },
      { name: 'give up the workspace deletion lease', run: () => deletionLease.stop() },
      { name: 'stop running bulk jobs', run: () => bulkJobs.stop() },
      { name: 'give up the bulk jobs lease', run: () => bulkLease.stop() },
      { name: 'stop following config changes', run: () => configFollower.stop() },
      { name: 'give back reserved quota units', run: () => quotaPools.stop() },
      { name: 'leave the replica count', run: () => replicas.stop() },
    ],
  };
}
