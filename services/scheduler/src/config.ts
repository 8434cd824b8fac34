import { DEFAULT_RETENTION_DAYS, MAX_RETENTION_DAYS, MIN_RETENTION_DAYS } from '@flowgate/core';
import { baseConfigShape, env, loadConfig } from '@flowgate/kit';
import { z } from 'zod';

export const loadSchedulerConfig = (source: NodeJS.ProcessEnv = process.env) =>
  loadConfig(
    {
      ...baseConfigShape,
      FLOWGATE_OPS_PORT: env.port(9466),
      FLOWGATE_GRPC_PORT: env.port(50052),
      /** How often due timers are looked for. */
      FLOWGATE_SCHEDULER_TICK_MS: env.int(250, 10, 60_000),
      /** Due timers per query: on a backend that scans per query (FerretDB) bigger batches keep up with more timers per second. */
      FLOWGATE_SCHEDULER_BATCH: env.int(2_000, 1, 10_000),
      /** Leader lease: a replica that stops renewing is replaced within this time. */
      FLOWGATE_SCHEDULER_LEASE_MS: env.int(10_000, 1_000, 300_000),
      /** Days the history of ended executions is kept in workspaces without their own retention_days (ADR 0020). */
      FLOWGATE_RETENTION_DAYS: env.int(DEFAULT_RETENTION_DAYS, MIN_RETENTION_DAYS, MAX_RETENTION_DAYS),
      /** How often the leader sweeps expired history (the first pass: after min(this, 60 s)). */
      FLOWGATE_RETENTION_SWEEP_MS: env.int(600_000, 100, 86_400_000),
      /** Executions removed per batch (each batch: a few deleteMany commands); unset: 500 on MongoDB, 2 000 on FerretDB (store defaultRetentionBatch). */
      FLOWGATE_RETENTION_BATCH: z.coerce.number().int().min(1).max(5_000).optional(),
      /** Pause between two batches, leaving the store to the hot path. */
      FLOWGATE_RETENTION_PAUSE_MS: env.int(200, 0, 60_000),
    },
    source,
  );
export type SchedulerConfig = ReturnType<typeof loadSchedulerConfig>;
