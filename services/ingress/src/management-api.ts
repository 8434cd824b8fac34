import express, { Router } from 'express';
import { requireApiKey, unmatchedManagementRoute } from './auth';
import { errorHandler } from './errors';
import { RouteTable, type AnyRouteSpec } from './http/route';
import { verifyJsonBody } from './request-limits';
import { apiKeyRoutes, apiKeySpecs } from './routes/api-keys';
import { callbackSecretRoutes, callbackSecretSpecs } from './routes/callback-secret';
import { captureRoutes, captureSpecs } from './routes/capture';
import { deadLetterRoutes, deadLetterSpecs } from './routes/dead-letters';
import { deliveryRoutes, deliverySpecs, type DeliveryDeps } from './routes/deliveries';
import { executionRoutes, executionSpecs } from './routes/executions';
import { parameterRoutes, parameterSpecs } from './routes/parameters';
import { quotaRoutes, quotaSpecs } from './routes/quotas';
import { scheduleRoutes, scheduleSpecs } from './routes/schedules';
import { shareRoutes, shareSpecs } from './routes/shares';
import { sourceSecretRoutes, sourceSecretSpecs } from './routes/source-secrets';
import { sourceRoutes, sourceSpecs } from './routes/sources';
import { testRunRoutes, testRunSpecs } from './routes/test-runs';
import { triggerSecretRoutes, triggerSecretSpecs } from './routes/trigger-secrets';
import { versionRoutes, versionSpecs } from './routes/workflow-versions';
import { workflowRoutes, workflowSpecs } from './routes/workflows';
import { workspaceRoutes, workspaceSpecs } from './routes/workspace';
import { workspacesRoutes, workspacesSpecs } from './routes/workspaces';
import type { ExecutionClient } from './execution-client';
import type { ExecutionStarter } from './starter';
import type { RunTargets } from './run-targets';
import type { SchedulerClient } from './scheduler-client';
import type { SecretBox } from '@flowgate/kit';
import type { WorkspaceDoc } from '@flowgate/store';
import type { ConfigChanges } from './config-cache';
import type { QuotaGate } from './quotas';

/**
 * The management API, `/v1`: `Authorization: Bearer <api key>` (401), then the scope each route
 * declares (403); JSON or YAML bodies up to 1 MiB; its own error handling.
 */
export interface ManagementDeps extends DeliveryDeps {
  box: SecretBox;
  scheduler: SchedulerClient;
  executions: ExecutionClient;
  starter: ExecutionStarter;
  runTargets: RunTargets;
  configChanges: ConfigChanges;
  quotas: QuotaGate;
  maxJsonDepth: number;
  /** A workspace's state from memory (config-cache.ts): a key of a workspace being deleted is refused. */
  workspaceState: (id: string) => Promise<WorkspaceDoc | null>;
  /** Background deletion of workspaces (workspace-deletion.ts). */
  deletions: { kick(): void };
  /** Background bulk replay / cancel jobs (bulk-jobs.ts). */
  bulkJobs: { kick(): void };
  /** FLOWGATE_RETENTION_DAYS: the retention of workspaces without their own (ADR 0020); absent: 30. */
  defaultRetentionDays?: number;
}

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

const groups: Record<string, AnyRouteSpec>[] = [
  workflowSpecs,
  versionSpecs,
  shareSpecs,
  scheduleSpecs,
  parameterSpecs,
  captureSpecs,
  executionSpecs,
  testRunSpecs,
  deliverySpecs,
  deadLetterSpecs,
  callbackSecretSpecs,
  triggerSecretSpecs,
  workspaceSpecs,
  workspacesSpecs,
  apiKeySpecs,
  quotaSpecs,
];
export const managementSpecs: readonly AnyRouteSpec[] = [
  ...groups.flatMap((g) => Object.values(g)),
  sourceSpecs.create,
  sourceSpecs.list,
  sourceSpecs.get,
  sourceSpecs.update,
  sourceSpecs.subscriptions,
  sourceSpecs.remove,
  ...Object.values(sourceSecretSpecs),
];

export function managementApi(deps: ManagementDeps): RouteTable {
  const router = Router();
  router.use(
    '/v1',
    express.json({ limit: '1mb', verify: verifyJsonBody(deps.maxJsonDepth) }),
    express.text({ type: YAML_TYPES, limit: '1mb' }),
    requireApiKey(deps.store, deps.workspaceState),
  );
  const table = new RouteTable(router);
  workflowRoutes(table, deps);
  versionRoutes(table, deps);
  shareRoutes(table, deps);
  scheduleRoutes(table, deps);
  parameterRoutes(table);
  captureRoutes(table, deps);
  executionRoutes(table, deps);
  testRunRoutes(table, deps);
  deliveryRoutes(table, deps);
  deadLetterRoutes(table, deps);
  callbackSecretRoutes(table, deps);
  triggerSecretRoutes(table, deps);
  workspaceRoutes(table, deps);
  workspacesRoutes(table, deps);
  apiKeyRoutes(table, deps);
  quotaRoutes(table, deps);
  sourceRoutes(table, deps);
  sourceSecretRoutes(table, deps);
  router.use('/v1', unmatchedManagementRoute);
  router.use(errorHandler(deps.logger));
  return table;
}
