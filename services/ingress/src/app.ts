import type { Subjects } from '@flowgate/contracts';
import type { JetStreamClient, Logger, SecretBox } from '@flowgate/kit';
import type { Collections, LiveExecutions, WorkflowSlots } from '@flowgate/store';
import express, { type Express } from 'express';
import { requireApiKey } from './auth';
import { errorHandler, notFound } from './errors';
import type { ExecutionClient } from './execution-client';
import type { IngressMetrics } from './metrics';
import { openApiDocument } from './openapi';
import type { RateLimiter, WorkspaceLimits } from './rate-limiter';
import { headerCountLimit, rawBodyGuard, verifyJsonBody, type RequestLimits } from './request-limits';
import type { QuotaGate } from './quotas';
import type { ConfigCache, ConfigChanges } from './config-cache';
import type { IdempotencyKeys } from './idempotency';
import { ExecutionStarter } from './starter';
import { RunTargets } from './run-targets';
import { testRunRoutes } from './routes/test-runs';
import { apiKeyRoutes } from './routes/api-keys';
import { quotaRoutes } from './routes/quotas';
import { sourceHookRoutes, sourceRoutes } from './routes/sources';
import { callbackSecretRoutes } from './routes/callback-secret';
import { captureRoutes } from './routes/capture';
import { triggerSecretRoutes } from './routes/trigger-secrets';
import { deliveryRoutes } from './routes/deliveries';
import { executionRoutes } from './routes/executions';
import { hookRoutes } from './routes/hooks';
import { parameterRoutes } from './routes/parameters';
import { scheduleRoutes } from './routes/schedules';
import type { SchedulerClient } from './scheduler-client';
import { waitRoutes } from './routes/waits';
import { workflowRoutes } from './routes/workflows';
import { workspaceRoutes } from './routes/workspace';

export interface AppDeps {
  store: Collections;
  live: LiveExecutions;
  slots: WorkflowSlots;
  scheduler: SchedulerClient;
  js: JetStreamClient;
  subjects: Subjects;
  executions: ExecutionClient;
  box: SecretBox;
  publicUrl: string;
  maxBodyBytes: number;
  publishTimeoutMs: number;
  metrics: IngressMetrics;
  logger: Logger;
  limiter: RateLimiter;
  limits: WorkspaceLimits;
  /** Workspace quotas (executions per day / month, parallel), checked by every start. */
  quotas: QuotaGate;
  /** Triggers and workflows served from memory; every write announces itself (config-cache.ts). */
  configCache: ConfigCache;
  configChanges: ConfigChanges;
  /** Idempotency keys claimed in NATS KV. */
  idempotency: IdempotencyKeys;
  /** Unknown webhook tokens answer `200 {"received": true}` (FLOWGATE_WEBHOOK_ANTI_ENUMERATION). */
  antiEnumeration?: boolean;
  requestLimits: Pick<RequestLimits, 'maxHeaderCount' | 'maxJsonDepth'>;
}

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    const end = deps.metrics.http.startTimer({ method: req.method });
    res.on('finish', () => {
      const matched = req.route as { path?: unknown } | undefined;
      const route = matched ? `${req.baseUrl}${String(matched.path)}` : 'unmatched';
      end({ route, status_code: String(res.statusCode) });
    });
    next();
  });
  app.use(headerCountLimit(deps.requestLimits.maxHeaderCount));
  const { maxJsonDepth } = deps.requestLimits;

  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });

  const runTargets = new RunTargets(deps.store);
  const starter = new ExecutionStarter({ ...deps, runTargets });
  app.use('/hooks', express.raw({ type: () => true, limit: deps.maxBodyBytes }), rawBodyGuard(maxJsonDepth));
  app.use(hookRoutes({ ...deps, starter, runTargets }));
  app.use('/sources', express.raw({ type: () => true, limit: deps.maxBodyBytes }), rawBodyGuard(maxJsonDepth));
  app.use(sourceHookRoutes({ ...deps, starter }));
  app.use('/resume', express.raw({ type: () => true, limit: deps.maxBodyBytes }), rawBodyGuard(maxJsonDepth));
  app.use('/approvals', express.json({ limit: '16kb', verify: verifyJsonBody(maxJsonDepth) }));
  app.use(waitRoutes(deps));

  app.use(
    '/v1',
    express.json({ limit: '1mb', verify: verifyJsonBody(maxJsonDepth) }),
    express.text({ type: YAML_TYPES, limit: '1mb' }),
    requireApiKey(deps.store),
  );
  app.use(workflowRoutes(deps));
  app.use(scheduleRoutes(deps));
  app.use(parameterRoutes());
  app.use(captureRoutes(deps));
  app.use(executionRoutes({ ...deps, starter }));
  app.use(testRunRoutes({ ...deps, starter, runTargets }));
  app.use(deliveryRoutes(deps));
  app.use(callbackSecretRoutes(deps));
  app.use(triggerSecretRoutes(deps));
  app.use(workspaceRoutes(deps));
  app.use(apiKeyRoutes(deps));
  app.use(quotaRoutes(deps));
  app.use(sourceRoutes(deps));

  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
