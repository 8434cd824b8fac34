import { baseConfigShape, env, loadConfig } from '@flowgate/kit';

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
    },
    source,
  );
export type SchedulerConfig = ReturnType<typeof loadSchedulerConfig>;
