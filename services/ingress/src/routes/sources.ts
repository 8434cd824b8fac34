import { randomUUID } from 'node:crypto';
import { ApiError } from '@flowgate/contracts';
import { evaluateCondition, type TriggerInput } from '@flowgate/core';
import { randomToken, sha256Hex, type Logger, type SecretBox } from '@flowgate/kit';
import {
  createSource,
  deleteSource,
  findOwnedSource,
  listSources,
  renameSource,
  subscribedWorkflowIds,
  type Collections,
  type SourceDoc,
  type WorkflowDoc,
} from '@flowgate/store';
import { z } from 'zod';
import { workspaceOf } from '../auth';
import { sourcePath } from '../http/resource-params';
import { route, type RouteTable } from '../http/route';
import { failure, list } from '../http/schemas';
import { source } from '../schemas/access';
import { fanOutAccepted } from '../schemas/webhooks';
import type { IngressMetrics } from '../metrics';
import { workspaceLimit, type RateLimiter, type WorkspaceLimits } from '../rate-limiter';
import type { ExecutionStarter } from '../starter';
import { MAX_SUBSCRIBERS, type ConfigCache, type ConfigChanges } from '../config-cache';
import { triggerInputOf } from '../webhook-input';

/**
 * Fan-out event sources (ADR 0009). `/v1/sources` manages them; `ANY /sources/{token}` starts every
 * enabled, published workflow whose latest version subscribes to the source
 * (`trigger.source: {source_id, filter?}`) and whose JSONata `filter` holds for `trigger`, and
 * answers 202 with every execution only once each start command was acknowledged by JetStream.
 */
const TOKEN = /^so_[A-Za-z0-9_-]{16,128}$/;
const sourceBody = z.object({ name: z.string().trim().min(1).max(200) }).strict();
const read = { apiKey: 'workflows:read' } as const;
const write = { apiKey: 'workflows:write' } as const;
const nameHint = 'Body must be {"name": "…"} (1–200 characters)';

export const sourceSpecs = {
  create: route({
    method: 'post',
    path: '/v1/sources',
    summary: 'Create an event source (its URL starts every subscribed workflow)',
    security: write,
    body: sourceBody,
    bodyRequired: true,
    hint: nameHint,
    responses: { '201': { description: 'Created', schema: source } },
  }),
  list: route({
    method: 'get',
    path: '/v1/sources',
    summary: 'Event sources of the workspace, newest first',
    security: read,
    responses: { '200': { description: 'Sources', schema: list(source) } },
  }),
  get: route({
    method: 'get',
    path: '/v1/sources/{id}',
    security: read,
    ...sourcePath,
    responses: { '200': { description: 'Source', schema: source }, '404': failure('source_not_found') },
  }),
  rename: route({
    method: 'patch',
    path: '/v1/sources/{id}',
    summary: 'Rename a source',
    security: write,
    ...sourcePath,
    body: sourceBody,
    bodyRequired: true,
    hint: nameHint,
    responses: { '200': { description: 'Source', schema: source }, '404': failure('source_not_found') },
  }),
  remove: route({
    method: 'delete',
    path: '/v1/sources/{id}',
    summary: 'Delete a source: its URL answers 404 from now on',
    security: write,
    ...sourcePath,
    responses: { '204': { description: 'Deleted' }, '404': failure('source_not_found') },
  }),
  fanOut: route({
    method: 'all',
    documented: ['get', 'post', 'put', 'patch', 'delete'],
    path: '/sources/{token}',
    summary:
      'Fan-out: start every enabled, published workflow subscribed to this source (trigger.source) whose filter holds; ' +
      'answered once every start is acknowledged (any method)',
    security: 'none',
    params: z.object({ token: z.string().describe('The source token (so_…): the credential') }),
    rawBody: { content: { '*/*': null } },
    responses: {
      '202': { description: 'The executions started (an empty list when none matched)', schema: fanOutAccepted },
      '404': failure('Unknown source token (source_not_found)'),
      '429': failure('Workspace rate limit or quota exceeded (nothing started); Retry-After'),
    },
  }),
};

export interface SourceDeps {
  store: Collections;
  box: SecretBox;
  publicUrl: string;
  starter: ExecutionStarter;
  limiter: RateLimiter;
  limits: WorkspaceLimits;
  metrics: IngressMetrics;
  logger: Logger;
  /** Sources and their subscribers served from memory, kept current through NATS (config-cache.ts). */
  configCache: ConfigCache;
  configChanges: ConfigChanges;
}

/** `/v1/sources`: create, list, read (with its subscribed workflows), rename, delete. */
export function sourceRoutes(table: RouteTable, deps: Pick<SourceDeps, 'store' | 'box' | 'publicUrl' | 'configChanges'>): void {
  const { store, box } = deps;

  const view = async (doc: SourceDoc, withSubscribers: boolean) => {
    const url = `${deps.publicUrl}/sources/${box.decrypt(doc.token_sealed)}`;
    const subscribers = withSubscribers ? await subscribedWorkflowIds(store.workflows, doc.workspace_id, doc._id, MAX_SUBSCRIBERS) : null;
    return {
      id: doc._id,
      name: doc.name,
      url,
      curl: `curl -X POST '${url}' -H 'Content-Type: application/json' -d '{"hello":"world"}'`,
      ...(subscribers ? { subscribed_workflow_ids: subscribers } : {}),
      created_at: doc.created_at.toISOString(),
      updated_at: doc.updated_at.toISOString(),
    };
  };

  const findSource = async (req: { params: { id: string } }): Promise<SourceDoc> => {
    const id = req.params.id;
    const doc = await findOwnedSource(store.sources, workspaceOf(req), id);
    if (!doc) throw new ApiError('source_not_found', `Source ${id} not found`);
    return doc;
  };

  table.mount(sourceSpecs.create, async (req, res) => {
    const token = randomToken('so_');
    const now = new Date();
    const doc: SourceDoc = {
      _id: `src_${randomUUID().replace(/-/g, '')}`,
      workspace_id: workspaceOf(req),
      name: req.body.name,
      token_hash: sha256Hex(token),
      token_sealed: box.encrypt(token),
      created_at: now,
      updated_at: now,
    };
    await createSource(store.sources, doc);
    await deps.configChanges.sourceChanged(doc); // a replica may hold its token as "not found"
    res.status(201).json(await view(doc, true));
  });

  table.mount(sourceSpecs.list, async (req, res) => {
    const docs = await listSources(store.sources, workspaceOf(req), MAX_SUBSCRIBERS);
    res.json({ data: await Promise.all(docs.map((d) => view(d, false))) });
  });

  table.mount(sourceSpecs.get, async (req, res) => {
    res.json(await view(await findSource(req), true));
  });

  table.mount(sourceSpecs.rename, async (req, res) => {
    const doc = await findSource(req);
    const updated = await renameSource(store.sources, doc, req.body.name, new Date());
    if (!updated) throw new ApiError('source_not_found', `Source ${doc._id} not found`);
    res.json(await view(updated, true));
  });

  /** Its URL answers 404 from now on; workflows that still name it are simply never started by it. */
  table.mount(sourceSpecs.remove, async (req, res) => {
    const doc = await findSource(req);
    await deleteSource(store.sources, doc);
    await deps.configChanges.sourceChanged(doc);
    res.status(204).end();
  });
}

/** `ANY /sources/{token}`: the public fan-out URL (no API key, like /hooks). */
export function sourceHookRoutes(table: RouteTable, deps: SourceDeps): void {
  /** The subscriber's filter on `{trigger}`; a filter that fails to evaluate counts as not matching (and is logged). */
  const passes = async (workflow: WorkflowDoc, filter: string | undefined, input: TriggerInput): Promise<boolean> => {
    if (!filter) return true;
    try {
      return await evaluateCondition(filter, { trigger: input });
    } catch (err) {
      deps.logger.warn({ workflow_id: workflow._id, err: (err as Error).message }, 'source filter failed; workflow not started');
      return false;
    }
  };

  table.mount(sourceSpecs.fanOut, async (req, res) => {
    const token = req.params.token;
    const source = TOKEN.test(token) ? await deps.configCache.source(sha256Hex(token)) : null;
    if (!source) {
      deps.metrics.rejected.inc({ reason: 'unknown_token' });
      throw new ApiError('source_not_found', 'Source not found');
    }
    const workspace = workspaceLimit(deps.limits, source.workspace_id);
    if (workspace) {
      const admission = await deps.limiter.admit([workspace]).catch((err: unknown) => {
        if (err instanceof ApiError && err.code === 'rate_limited') deps.metrics.rejected.inc({ reason: 'rate_limited' });
        throw err;
      });
      res.set(admission.headers);
    }
    const input = await triggerInputOf(req);
    // From memory (kept current through config events): published workflows naming the source.
    const { workflows: candidates, disabled } = await deps.configCache.subscribers(source.workspace_id, source._id);
    const matching: WorkflowDoc[] = [];
    for (const workflow of candidates) {
      if (disabled.has(workflow._id)) continue;
      const { definition } = await deps.starter.published(workflow);
      const subscription = definition.trigger.source;
      if (subscription?.source_id !== source._id) continue;
      if (await passes(workflow, subscription.filter, input)) matching.push(workflow);
    }
    // Every start is published and acknowledged before the answer; a start that fails is reported
    // beside the ones that were accepted (those run; answering an error would invite a duplicate retry).
    const results = await Promise.allSettled(matching.map((w) => deps.starter.start(w, input)));
    const executions: { workflow_id: string; execution_id: string; status_url: string }[] = [];
    const errors: { workflow_id: string; code: string; message: string }[] = [];
    let firstError: unknown;
    results.forEach((result, i) => {
      const workflowId = matching[i]?._id ?? '';
      if (result.status === 'fulfilled')
        executions.push({ workflow_id: workflowId, execution_id: result.value.executionId, status_url: result.value.statusUrl });
      else {
        firstError ??= result.reason;
        const e = result.reason instanceof ApiError ? result.reason : new ApiError('internal', 'Internal error');
        errors.push({ workflow_id: workflowId, code: e.code, message: e.message });
      }
    });
    if (executions.length === 0 && firstError !== undefined) {
      if (firstError instanceof ApiError) deps.metrics.rejected.inc({ reason: firstError.code });
      throw firstError;
    }
    deps.metrics.accepted.inc({ mode: 'fanout' }, executions.length);
    deps.logger.info({ source_id: source._id, executions: executions.length, failed: errors.length }, 'source event accepted');
    res.status(202).json({ executions, ...(errors.length > 0 ? { errors } : {}) });
  });
}
