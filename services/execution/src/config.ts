import { baseConfigShape, env, loadConfig } from '@flowgate/kit';

export const configShape = {
  ...baseConfigShape,
  FLOWGATE_OPS_PORT: env.port(9465),
  FLOWGATE_GRPC_PORT: env.port(50051),
  /** Executions handled at once by one replica. */
  FLOWGATE_EXECUTION_CONCURRENCY: env.int(32, 1, 1024),
  FLOWGATE_ACK_WAIT_MS: env.int(60_000, 5_000),
  FLOWGATE_MAX_DELIVER: env.int(10, 2, 100),
  FLOWGATE_MAX_STEPS_PER_EXECUTION: env.int(1_000, 1, 100_000),
  FLOWGATE_HTTP_STEP_MAX_RESPONSE_BYTES: env.int(5 * 1024 * 1024, 1024),
};

export type ExecutionConfig = ReturnType<typeof loadExecutionConfig>;
export const loadExecutionConfig = (source: NodeJS.ProcessEnv = process.env) => loadConfig(configShape, source);
