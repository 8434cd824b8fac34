import { baseConfigShape, env, envCidrList, loadConfig, workspaceLabelConfigShape } from '@flowgate/kit';

export const configShape = {
  ...baseConfigShape,
  ...workspaceLabelConfigShape,
  FLOWGATE_OPS_PORT: env.port(9465),
  FLOWGATE_GRPC_PORT: env.port(50051),
  /** Executions handled at once by one replica. */
  FLOWGATE_EXECUTION_CONCURRENCY: env.int(32, 1, 1024),
  FLOWGATE_ACK_WAIT_MS: env.int(60_000, 5_000),
  FLOWGATE_MAX_DELIVER: env.int(10, 2, 100),
  FLOWGATE_MAX_STEPS_PER_EXECUTION: env.int(1_000, 1, 100_000),
  FLOWGATE_HTTP_STEP_MAX_RESPONSE_BYTES: env.int(5 * 1024 * 1024, 1024),
  /** Base URL external systems use to reach ingress: resume and approval URLs are built from it. */
  FLOWGATE_PUBLIC_URL: env.url('http://localhost:8080').transform((u) => u.replace(/\/+$/, '')),
  /** How often waiting executions are re-checked for a free max_concurrent_executions slot. */
  FLOWGATE_SLOT_SWEEP_MS: env.int(5_000, 100, 600_000),
  /** How long a running execution's snapshot may wait before MongoDB gets it (lists lag by at most this). */
  FLOWGATE_PROJECTION_LAZY_MS: env.int(800, 0, 1_000),
  /** How often ends an executor left only in the live state (it died before their MongoDB flush) are projected. */
  FLOWGATE_RECOVERY_SWEEP_MS: env.int(30_000, 1_000, 3_600_000),
  /** Non-public destinations (CIDRs, comma-separated) every workspace's http steps may reach; empty = public only. */
  FLOWGATE_EGRESS_ALLOW_CIDRS: envCidrList(),
  /** How long workspace settings (the egress allow-list) are cached; 0 = read on every step. */
  FLOWGATE_WORKSPACE_CACHE_MS: env.int(30_000, 0, 3_600_000),
};

export type ExecutionConfig = ReturnType<typeof loadExecutionConfig>;
export const loadExecutionConfig = (source: NodeJS.ProcessEnv = process.env) => loadConfig(configShape, source);
