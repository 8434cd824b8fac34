import { DEFAULT_RETENTION_DAYS, MAX_RETENTION_DAYS, MIN_RETENTION_DAYS } from '@flowgate/core';
import { baseConfigShape, ConfigError, env, loadConfig, workspaceLabelConfigShape } from '@flowgate/kit';
import { z } from 'zod';

export const loadIngressConfig = (source: NodeJS.ProcessEnv = process.env) => distinctPorts(loadIngressVariables(source));

const loadIngressVariables = (source: NodeJS.ProcessEnv) =>
  loadConfig(
    {
      ...baseConfigShape,
      ...workspaceLabelConfigShape,
      FLOWGATE_OPS_PORT: env.port(9464),
      FLOWGATE_HTTP_PORT: env.port(8080),
      /** The ingress HTTP (and management) listeners only; default FLOWGATE_BIND_ADDRESS. */
      FLOWGATE_HTTP_HOST: z.string().min(1).optional(),
      /** Set: the management API (`/v1`) is served only on this port (same host), the webhook edge only on FLOWGATE_HTTP_PORT. */
      FLOWGATE_MANAGEMENT_PORT: z.coerce.number().int().min(1).max(65535).optional(),
      /** The built console's folder (default: dist/console, next to the ingress bundle). */
      FLOWGATE_CONSOLE_DIR: z.string().min(1).optional(),
      /** Base URL external systems use to reach ingress; webhook URLs are built from it. */
      FLOWGATE_PUBLIC_URL: env.url('http://localhost:8080').transform((u) => u.replace(/\/+$/, '')),
      FLOWGATE_EXECUTION_GRPC_URL: env.string('127.0.0.1:50051'),
      /** The scheduler's gRPC address: publishing a workflow with a cron schedule upserts it there. */
      FLOWGATE_SCHEDULER_GRPC_URL: env.string('127.0.0.1:50052'),
      FLOWGATE_GRPC_DEADLINE_MS: env.int(5_000, 100, 60_000),
      /** API key created at start-up for the default workspace (else one is generated and printed once). */
      FLOWGATE_BOOTSTRAP_API_KEY: z.string().min(24, 'must be at least 24 characters').optional(),
      /** 32 random bytes, base64: seals webhook tokens and trigger secrets at rest. */
      FLOWGATE_ENCRYPTION_KEY: z
        .string({ error: 'is required (32 random bytes, base64: openssl rand -base64 32)' })
        .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded'),
      FLOWGATE_MAX_BODY_BYTES: env.int(1024 * 1024, 1024, 16 * 1024 * 1024),
      /** Request line + headers, in bytes (node's maxHeaderSize); over it → 431. */
      FLOWGATE_MAX_HEADER_BYTES: env.int(16 * 1024, 1024, 64 * 1024),
      /** Header fields per request; over it → 431. */
      FLOWGATE_MAX_HEADER_COUNT: env.int(100, 10, 1_000),
      /** Nesting of arrays / objects in a JSON body (webhooks and /v1); deeper → 400 invalid_json. */
      FLOWGATE_MAX_JSON_DEPTH: env.int(64, 2, 1_000),
      /** Time to receive a request's headers / the whole request (slow uploads) before 408 and close. */
      FLOWGATE_HEADERS_TIMEOUT_MS: env.int(20_000, 500, 300_000),
      FLOWGATE_REQUEST_TIMEOUT_MS: env.int(60_000, 1_000, 600_000),
      /** `on`: an unknown webhook token answers `200 {"received": true}` instead of 404 (nothing is started). */
      FLOWGATE_WEBHOOK_ANTI_ENUMERATION: z.enum(['on', 'off']).default('off'),
      FLOWGATE_PUBLISH_TIMEOUT_MS: env.int(5_000, 100, 60_000),
      /** Workspace quotas (defaults; a workspace may override them): executions per UTC day / month, parallel executions. 0 = unlimited. */
      FLOWGATE_QUOTA_EXECUTIONS_PER_DAY: env.int(0, 0, 1_000_000_000),
      FLOWGATE_QUOTA_EXECUTIONS_PER_MONTH: env.int(0, 0, 1_000_000_000),
      FLOWGATE_QUOTA_PARALLEL_EXECUTIONS: env.int(0, 0, 1_000_000_000),
      /** How long a replica caches a workspace's quota limits (another replica's change applies within it). */
      FLOWGATE_QUOTA_CACHE_MS: env.int(2_000, 0, 600_000),
      /** Longest a replica serves a cached trigger / workflow (config events drop entries at once; this bounds a lost event). */
      FLOWGATE_CONFIG_CACHE_MAX_AGE_MS: env.int(60_000, 100, 3_600_000),
      /** Triggers / workflows a replica keeps in memory, at most (each kind). */
      FLOWGATE_CONFIG_CACHE_MAX_ENTRIES: env.int(10_000, 10, 10_000_000),
      /** Webhooks per second per workspace (token bucket shared by every ingress replica in NATS KV); 0 = off. */
      FLOWGATE_RATE_LIMIT_WORKSPACE_PER_S: env.int(25, 0, 1_000_000),
      /** Bucket size: how many may arrive at once after a quiet spell (default: one second's worth). */
      FLOWGATE_RATE_LIMIT_WORKSPACE_BURST: env.int(0, 0, 10_000_000),
      /** Days the history of ended executions is kept in workspaces without their own retention_days (shown as their effective retention; ADR 0020). */
      FLOWGATE_RETENTION_DAYS: env.int(DEFAULT_RETENTION_DAYS, MIN_RETENTION_DAYS, MAX_RETENTION_DAYS),
    },
    source,
  );
export type IngressConfig = ReturnType<typeof loadIngressVariables>;

/** A second listener needs a port of its own. */
function distinctPorts(config: IngressConfig): IngressConfig {
  const port = config.FLOWGATE_MANAGEMENT_PORT;
  if (port !== undefined && (port === config.FLOWGATE_HTTP_PORT || port === config.FLOWGATE_OPS_PORT))
    throw new ConfigError([{ variable: 'FLOWGATE_MANAGEMENT_PORT', message: 'must differ from FLOWGATE_HTTP_PORT and FLOWGATE_OPS_PORT' }]);
  return config;
}
