import express, { Router } from 'express';
import { errorHandler } from './errors';
import { RouteTable, type AnyRouteSpec } from './http/route';
import { rawBodyGuard, verifyJsonBody } from './request-limits';
import { hookSpecs } from './routes/hook-specs';
import { hookRoutes, type HookDeps } from './routes/hooks';
import { sourceHookRoutes, type SourceHookDeps } from './routes/source-hooks';
import { sourceSpecs } from './routes/sources';
import { waitRoutes, waitSpecs, type WaitDeps } from './routes/waits';

/**
 * The public webhook edge: `/hooks`, `/sources/{token}`, `/resume`, `/approvals`. No API key (each
 * trigger's own auth, or the unguessable token), raw bodies up to FLOWGATE_MAX_BODY_BYTES (approval
 * decisions: 16 KiB of JSON), its own error handling.
 */
export interface WebhookEdgeDeps extends HookDeps, SourceHookDeps, WaitDeps {
  maxBodyBytes: number;
  maxJsonDepth: number;
}

export const webhookEdgeSpecs: readonly AnyRouteSpec[] = [
  hookSpecs.asyncPreflight,
  hookSpecs.async,
  hookSpecs.syncPreflight,
  hookSpecs.sync,
  hookSpecs.versionPreflight,
  hookSpecs.version,
  hookSpecs.versionSyncPreflight,
  hookSpecs.versionSync,
  sourceSpecs.fanOut,
  waitSpecs.resume,
  waitSpecs.approval,
  waitSpecs.decide,
];

export function webhookEdge(deps: WebhookEdgeDeps): RouteTable {
  const router = Router();
  const raw = [express.raw({ type: () => true, limit: deps.maxBodyBytes }), rawBodyGuard(deps.maxJsonDepth)];
  router.use('/hooks', ...raw);
  router.use('/sources', ...raw);
  router.use('/resume', ...raw);
  router.use('/approvals', express.json({ limit: '16kb', verify: verifyJsonBody(deps.maxJsonDepth) }));
  const table = new RouteTable(router);
  hookRoutes(table, deps);
  sourceHookRoutes(table, deps);
  waitRoutes(table, deps);
  router.use(errorHandler(deps.logger));
  return table;
}
