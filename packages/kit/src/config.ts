import { z } from 'zod';

/**
 * Configuration from environment variables, validated once at start-up. A bad or missing variable
 * stops the service with a message naming it.
 */
export class ConfigError extends Error {
  readonly code = 'invalid_config';
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`Invalid configuration: ${problems.map((p) => `${p.variable}: ${p.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig<S extends z.ZodRawShape>(shape: S, env: NodeJS.ProcessEnv = process.env): z.infer<z.ZodObject<S>> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(shape)) {
    const value = env[key];
    input[key] = value === '' ? undefined : value;
  }
  const result = z.object(shape).safeParse(input);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => ({ variable: String(i.path[0] ?? '?'), message: i.message })));
  }
  return result.data;
}

/** Env helpers: integers, booleans and durations arrive as strings. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  int: (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).default(fallback),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1'),
  string: (fallback: string) => z.string().min(1).default(fallback),
  url: (fallback: string) =>
    z
      .string()
      .regex(/^[a-z][a-z0-9+.-]*:\/\/\S+$/i, 'must be a URL')
      .default(fallback),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** An IPv4 or IPv6 address to listen on (`0.0.0.0` / `::`: every interface; `127.0.0.1` / `::1`: this machine only). */
  bindAddress: (fallback: string) =>
    z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address, e.g. 0.0.0.0 or 127.0.0.1' }).default(fallback),
};

/** Variables every service reads. */
export const baseConfigShape = {
  NATS_URL: env.string('nats://127.0.0.1:4222'),
  MONGO_URL: env.url('mongodb://127.0.0.1:27017/flowgate'),
  FLOWGATE_NATS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
    .default('flowgate'),
  LOG_LEVEL: env.logLevel(),
  /** The address every listener of the service binds (ops port, gRPC, ingress HTTP unless FLOWGATE_HTTP_HOST). */
  FLOWGATE_BIND_ADDRESS: env.bindAddress('0.0.0.0'),
  FLOWGATE_SHUTDOWN_TIMEOUT_MS: env.int(25_000, 1_000, 600_000),
  /**
   * After SIGTERM, how long a service keeps serving while reporting not ready, so load balancers and
   * endpoints stop sending before its listeners close (0 where a preStop hook already waits).
   */
  FLOWGATE_SHUTDOWN_DRAIN_MS: env.int(0, 0, 60_000),
  /** Replicas of every stream and KV bucket Flowgate creates (consumers inherit their stream's): 1, or 3 / 5 on a NATS cluster. */
  FLOWGATE_NATS_REPLICAS: env.int(1, 1, 5),
  /** Storage of every stream and KV bucket: file (durable) or memory. */
  FLOWGATE_NATS_STORAGE: z.enum(['file', 'memory']).default('file'),
};
