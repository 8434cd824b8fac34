import { randomUUID } from 'node:crypto';
import { ApiError } from '@flowgate/contracts';
import { webhookAuthSchema } from '@flowgate/core';
import { randomToken, sha256Hex, type SecretBox } from '@flowgate/kit';
import {
  createSource,
  deleteSource,
  disabledProductionWorkflows,
  findOwnedSource,
  findOwnedWorkflowVersion,
  listSources,
  listSourceSubscriptions,
  subscribedWorkflowIds,
  updateSource,
  type Collections,
  type SourceChanges,
  type SourceDoc,
  type WorkflowDoc,
} from '@flowgate/store';
import { z } from 'zod';
import { workspaceOf } from '../auth';
import { sourcePath } from '../http/resource-params';
import { route, type RouteTable } from '../http/route';
import { failure, page, pagination } from '../http/schemas';
import { pageOf, pageStart } from '../http/paging';
import { source, sourceSubscription } from '../schemas/access';
import { fanOutAccepted } from '../schemas/webhooks';
import { MAX_SUBSCRIBERS, type ConfigChanges } from '../config-cache';

/**
 * Fan-out event sources (ADR 0009). `/v1/sources` manages them; `ANY /sources/{token}` (its
 * handler: source-hooks.ts) starts every enabled, published workflow whose latest version
 * subscribes to the source (`trigger.source: {source_id, filter?}`) and whose JSONata `filter`
 * holds for `trigger`, and answers 202 with every execution only once each start command was
 * acknowledged by JetStream.
 *
 * A source's `auth` takes the methods of a webhook trigger's `trigger.webhook.auth` (the same schema
 * and check, webhook/authenticate.ts) and its secrets are kept like a trigger's (source-secrets.ts).
 * `auth` null or absent is the explicit choice "the URL token is the only credential" (every source
 * made before auth existed keeps working that way).
 */
const name = z.string().trim().min(1).max(200);
const auth = webhookAuthSchema
  .nullable()
  .describe("The auth methods every request to the source's URL must pass (as trigger.webhook.auth); null = the URL token only");
const createBody = z.object({ name, auth: auth.optional() }).strict();
const updateBody = z
  .object({ name: name.optional(), auth: auth.optional() })
  .strict()
  .refine((b) => b.name !== undefined || b.auth !== undefined, { message: 'name or auth is required' });
const read = { apiKey: 'workflows:read' } as const;
const write = { apiKey: 'workflows:write' } as const;
const createHint = 'Body must be {"name": "…" (1–200 characters), "auth"?: webhook auth methods or null}';
const updateHint = 'Body must be {"name"?: "…" (1–200 characters), "auth"?: webhook auth methods or null}, at least one';

export const sourceSpecs = {
  create: route({
    method: 'post',
    path: '/v1/sources',
    summary: 'Create an event source (its URL starts every subscribed workflow)',
    security: write,
    body: createBody,
    bodyRequired: true,
    hint: createHint,
    responses: { '201': { description: 'Created', schema: source } },
  }),
  list: route({
    method: 'get',
    path: '/v1/sources',
    summary: 'Event sources of the workspace, newest first, with cursor pagination',
    security: read,
    query: z.object({ ...pagination }).strict(),
    hint: 'Query: limit (1–100), cursor (a next_cursor)',
    responses: { '200': { description: 'A page of sources', schema: page(source) } },
  }),
  get: route({
    method: 'get',
    path: '/v1/sources/{id}',
    security: read,
    ...sourcePath,
    responses: { '200': { description: 'Source', schema: source }, '404': failure('source_not_found') },
  }),
  update: route({
    method: 'patch',
    path: '/v1/sources/{id}',
    summary: 'Rename a source or change its auth methods (null: the URL token only); its secrets stay',
    security: write,
    ...sourcePath,
    body: updateBody,
    bodyRequired: true,
    hint: updateHint,
    responses: { '200': { description: 'Source', schema: source }, '404': failure('source_not_found') },
  }),
  subscriptions: route({
    method: 'get',
    path: '/v1/sources/{id}/subscriptions',
    summary:
      'The workflows whose latest published version subscribes to the source, newest first, with cursor pagination: ' +
      'filter, published version, and whether the production webhook is enabled',
    security: read,
    ...sourcePath,
    query: z.object({ ...pagination }).strict(),
    responses: {
      '200': { description: 'A page of subscriptions', schema: page(sourceSubscription) },
      '404': failure('source_not_found'),
    },
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
      '401': failure("The source's auth methods did not pass (unauthorized, invalid_signature); nothing started"),
      '404': failure('Unknown source token (source_not_found)'),
      '429': failure('Workspace rate limit or quota exceeded (nothing started); Retry-After'),
    },
  }),
};

export interface SourceDeps {
  store: Collections;
  box: SecretBox;
  publicUrl: string;
  /** Every create and delete is announced: ingress replicas serve sources from memory (config-cache.ts). */
  configChanges: ConfigChanges;
}

/** `/v1/sources`: create, list, read (with its subscribed workflows), update (name, auth), subscriptions, delete. */
export function sourceRoutes(table: RouteTable, deps: SourceDeps): void {
  const { store, box } = deps;

  const view = async (doc: SourceDoc, withSubscribers: boolean) => {
    const url = `${deps.publicUrl}/sources/${box.decrypt(doc.token_sealed)}`;
    const subscribers = withSubscribers ? await subscribedWorkflowIds(store.workflows, doc.workspace_id, doc._id, MAX_SUBSCRIBERS) : null;
    return {
      id: doc._id,
      name: doc.name,
      url,
      curl: `curl -X POST '${url}' -H 'Content-Type: application/json' -d '{"hello":"world"}'`,
      auth: doc.auth ?? null,
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
      auth: req.body.auth ?? null,
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
    const { limit, cursor } = req.query;
    const { items, nextCursor } = pageOf(await listSources(store.sources, workspaceOf(req), limit + 1, pageStart(cursor)), limit);
    res.json({ data: await Promise.all(items.map((d) => view(d, false))), next_cursor: nextCursor });
  });

  table.mount(sourceSpecs.get, async (req, res) => {
    res.json(await view(await findSource(req), true));
  });

  table.mount(sourceSpecs.update, async (req, res) => {
    const doc = await findSource(req);
    const changes: SourceChanges = {};
    if (req.body.name !== undefined) changes.name = req.body.name;
    if (req.body.auth !== undefined) changes.auth = req.body.auth;
    const updated = await updateSource(store.sources, doc, changes, new Date());
    if (!updated) throw new ApiError('source_not_found', `Source ${doc._id} not found`);
    // Replicas hold the source (with its auth) in memory by its token hash.
    if (changes.auth !== undefined) await deps.configChanges.sourceChanged(updated);
    res.json(await view(updated, true));
  });

  table.mount(sourceSpecs.subscriptions, async (req, res) => {
    const doc = await findSource(req);
    const q = req.query;
    const before = pageStart(q.cursor);
    const docs = await listSourceSubscriptions(store.workflows, { workspaceId: doc.workspace_id, sourceId: doc._id, before }, q.limit + 1);
    const { items: workflows, nextCursor } = pageOf(docs, q.limit);
    const disabled = await disabledProductionWorkflows(
      store.triggers,
      doc.workspace_id,
      workflows.map((w) => w._id),
    );
    res.json({ data: await Promise.all(workflows.map((w) => subscriptionView(store, w, disabled))), next_cursor: nextCursor });
  });

  /** Its URL answers 404 from now on; workflows that still name it are simply never started by it. */
  table.mount(sourceSpecs.remove, async (req, res) => {
    const doc = await findSource(req);
    await deleteSource(store.sources, doc);
    await deps.configChanges.sourceChanged(doc);
    res.status(204).end();
  });
}

/** One subscriber: its JSONata filter as its latest published version (the one fan-out runs) declares it. */
async function subscriptionView(store: Collections, workflow: WorkflowDoc, disabled: ReadonlySet<string>) {
  const version = workflow.published_version;
  const published =
    version === null ? null : await findOwnedWorkflowVersion(store.workflowVersions, workflow.workspace_id, `${workflow._id}:${version}`);
  const definition = published ? (JSON.parse(published.definition_json) as { trigger?: { source?: { filter?: unknown } } }) : null;
  const filter = definition?.trigger?.source?.filter;
  return {
    id: workflow._id,
    name: workflow.name,
    filter: typeof filter === 'string' ? filter : null,
    version,
    enabled: !disabled.has(workflow._id),
    created_at: workflow.created_at.toISOString(),
  };
}
