import type { Logger, SecretBox } from '@flowgate/kit';
import type { ConfigCache } from '../config-cache';
import type { IngressMetrics } from '../metrics';
import type { RateLimiter, WorkspaceLimits } from '../rate-limiter';
import type { ExecutionStarter } from '../starter';
import { admitWorkspace } from '../webhook/admit';
import { authenticateSource } from '../webhook/authenticate';
import { matchingSubscribers, resolveSource, sourceWorkspace, startSubscribers } from '../webhook/fan-out';
import { readEventInput } from '../webhook/input';
import { countRejection, type WebhookStage } from '../webhook/rejections';
import type { RouteTable } from '../http/route';
import { sourceSpecs } from './sources';

/**
 * `ANY /sources/{token}`: the public fan-out URL (no API key, like /hooks; the source's own auth
 * methods, if it has any, as a webhook's). It starts every enabled,
 * published workflow whose latest version subscribes to the source (`trigger.source: {source_id,
 * filter?}`) and whose JSONata `filter` holds for `trigger`, and answers 202 with every execution
 * only once each start command was acknowledged by JetStream (ADR 0009).
 */
export interface SourceHookDeps {
  starter: ExecutionStarter;
  limiter: RateLimiter;
  limits: WorkspaceLimits;
  metrics: IngressMetrics;
  logger: Logger;
  /** Unseals the signing keys of a source's auth methods for the check. */
  box: SecretBox;
  /** Sources and their subscribers served from memory, kept current through NATS (config-cache.ts). */
  configCache: ConfigCache;
}

/**
 * The webhook stages that apply to a fan-out (../webhook/): resolve (the source) → authenticate (the source's own auth, if
 * any) → admit (the
 * workspace's bucket) → read input → start (every matching subscriber) → answer. A stage refuses by
 * throwing; what each refusal answers and counts is the table of ../webhook/rejections.ts.
 */
export function sourceHookRoutes(table: RouteTable, deps: SourceHookDeps): void {
  table.mount(sourceSpecs.fanOut, async (req, res) => {
    let stage: WebhookStage = 'resolve';
    let workspaceId: string | null = null;
    try {
      const source = await resolveSource(deps.configCache, req.params.token);
      workspaceId = source.workspace_id;
      res.locals.workspace_id = workspaceId;
      const workspace = await sourceWorkspace(deps.configCache, source);

      stage = 'authenticate';
      authenticateSource(source, req, deps.box, new Date());

      stage = 'admit';
      const admission = await admitWorkspace(deps.limiter, deps.limits, source.workspace_id, workspace?.rate_limit);
      if (admission) res.set(admission.headers);

      stage = 'read_input';
      const input = await readEventInput(req, source.auth);

      stage = 'start';
      // From memory (kept current through config events): published workflows naming the source.
      const subscribers = await deps.configCache.subscribers(source.workspace_id, source._id);
      const matching = await matchingSubscribers(deps, source, subscribers, input);
      const { executions, errors } = await startSubscribers(deps, matching, input);
      deps.metrics.accepted.inc({ mode: 'fanout', workspace_id: deps.metrics.workspaces.of(workspaceId) }, executions.length);
      deps.logger.info(
        { source_id: source._id, workspace_id: workspaceId, executions: executions.length, failed: errors.length },
        'source event accepted',
      );

      stage = 'answer';
      res.status(202).json({ executions, ...(errors.length > 0 ? { errors } : {}) });
    } catch (err) {
      countRejection(deps.metrics.rejected, deps.metrics.workspaces, stage, err, workspaceId);
      throw err;
    }
  });
}
