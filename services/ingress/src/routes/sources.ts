import { randomUUID } from 'node:crypto';
import { ApiError } from '@flowgate/contracts';
import { randomToken, sha256Hex, type SecretBox } from '@flowgate/kit';
import {
  createSource,
  deleteSource,
  findOwnedSource,
  listSources,
  renameSource,
  subscribedWorkflowIds,
  type Collections,
  type SourceDoc,
} from '@flowgate/store';
import { z } from 'zod';
import { workspaceOf } from '../auth';
import { sourcePath } from '../http/resource-params';
import { route, type RouteTable } from '../http/route';
import { failure, list } from '../http/schemas';
import { source } from '../schemas/access';
import { fanOutAccepted } from '../schemas/webhooks';
import { MAX_SUBSCRIBERS, type ConfigChanges } from '../config-cache';

/**
 * Fan-out event sources (ADR 0009). `/v1/sources` manages them; `ANY /sources/{token}` (its
 * handler: source-hooks.ts) starts every enabled, published workflow whose latest version
 * subscribes to the source (`trigger.source: {source_id, filter?}`) and whose JSONata `filter`
 * holds for `trigger`, and answers 202 with every execution only once each start command was
 * acknowledged by JetStream.
 */
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
  /** Every create and delete is announced: ingress replicas serve sources from memory (config-cache.ts). */
  configChanges: ConfigChanges;
}

/** `/v1/sources`: create, list, read (with its subscribed workflows), rename, delete. */
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
