import { randomBytes } from 'node:crypto';
import { ApiError } from '@flowgate/contracts';
import { decodeCursor, DEFAULT_RETENTION_DAYS, encodeCursor, workspaceRetentionDays as effectiveDays } from '@flowgate/core';
import {
  findWorkspace,
  insertWorkspace,
  listWorkspaces,
  markWorkspaceDeleting,
  setWorkspaceSuspended,
  updateWorkspace,
  type Collections,
  type WorkspaceDoc,
  isDeletedWorkspace,
} from '@flowgate/store';
import { z } from 'zod';
import { workspaceOf } from '../auth';
import type { ConfigChanges } from '../config-cache';
import { route, type RouteTable } from '../http/route';
import { commaList, failure, noBody, page, pagination } from '../http/schemas';
import type { QuotaGate } from '../quotas';
import { apiKeyCreated } from '../schemas/access';
import { egressAllowList } from '../schemas/secrets';
import {
  antiEnumeration,
  workspace,
  WORKSPACE_STATUSES,
  workspaceId,
  workspaceName,
  workspaceRateLimit,
  workspaceRetentionDays,
} from '../schemas/workspaces';
import { mintApiKey, newApiKeyBody, newApiKeyHint } from './api-keys';
import { quotaOverrides, quotaOverridesStored } from './quotas';
import { checkCidrs, normalCidrs } from './workspace';

/**
 * `/v1/workspaces…` (operator scope: the bootstrap key's alone, ADR 0016): the installation's
 * workspaces. Create, list, read, rename and change the limits the operator sets (quotas, egress
 * allow-list, webhook rate limit, anti-enumeration), suspend and reactivate, delete (in the background:
 * workspace-deletion.ts) and mint a workspace's API keys (its first admin key).
 */
const operator = { apiKey: 'operator' } as const;
const notFound = (id: string) => new ApiError('workspace_not_found', `Workspace ${id} not found`);
const workspacePath = { params: z.object({ id: workspaceId }), notFound: { id: notFound } };

const settings = {
  anti_enumeration: antiEnumeration.optional(),
  quotas: quotaOverrides.optional(),
  egress_allow_cidrs: egressAllowList.shape.allow_cidrs.optional(),
  rate_limit: workspaceRateLimit.optional(),
  retention_days: workspaceRetentionDays.optional(),
};
const withCidrs = <T extends { egress_allow_cidrs?: string[] | undefined }>(body: T, ctx: z.RefinementCtx) =>
  checkCidrs(body.egress_allow_cidrs ?? [], ['egress_allow_cidrs'], ctx);
const createBody = z
  .object({ name: workspaceName, ...settings })
  .strict()
  .superRefine(withCidrs);
const changeBody = z
  .object({ name: workspaceName.optional(), ...settings })
  .strict()
  .superRefine(withCidrs);
const bodyHint =
  'Body must be {"name": "…" (1–100 characters, no control characters), "anti_enumeration"?: true|false|null, ' +
  '"quotas"?: {"executions_per_day", "executions_per_month", "parallel_executions"}, "egress_allow_cidrs"?: ["10.0.0.0/8", …], ' +
  '"rate_limit"?: {"per_second", "burst"?} | null, "retention_days"?: 1–3650 | null}';

/** What suspend and activate answer. */
const stateChanged = {
  '200': { description: 'Workspace now', schema: workspace },
  '404': failure('workspace_not_found'),
  '409': failure('Being deleted or deleted (details.status)'),
};

export const workspacesSpecs = {
  create: route({
    method: 'post',
    path: '/v1/workspaces',
    summary: 'Create a workspace (then mint its first admin key: POST /v1/workspaces/{id}/api-keys); operator scope',
    security: operator,
    body: createBody,
    bodyRequired: true,
    hint: bodyHint,
    responses: { '201': { description: 'Created', schema: workspace } },
  }),
  list: route({
    method: 'get',
    path: '/v1/workspaces',
    summary: 'Workspaces of the installation, newest first; operator scope',
    security: operator,
    query: z.object({ ...pagination, status: commaList(WORKSPACE_STATUSES).optional() }).strict(),
    hint: 'Query: limit (1–100), cursor (a next_cursor), status (comma-separated: active, suspended, deleting, deleted)',
    responses: { '200': { description: 'Workspaces', schema: page(workspace) } },
  }),
  get: route({
    method: 'get',
    path: '/v1/workspaces/{id}',
    summary: 'A workspace, with the progress of its deletion; operator scope',
    security: operator,
    ...workspacePath,
    responses: { '200': { description: 'Workspace', schema: workspace }, '404': failure('workspace_not_found') },
  }),
  change: route({
    method: 'patch',
    path: '/v1/workspaces/{id}',
    summary: 'Rename a workspace or change its limits and retention (fields left out keep their value); operator scope',
    security: operator,
    ...workspacePath,
    body: changeBody,
    bodyRequired: true,
    hint: bodyHint,
    responses: {
      '200': { description: 'Workspace now', schema: workspace },
      '404': failure('workspace_not_found'),
      '409': failure('Being deleted or deleted (details.status)'),
    },
  }),
  suspend: route({
    method: 'post',
    path: '/v1/workspaces/{id}/suspend',
    body: noBody,
    summary:
      'Suspend: its webhooks answer 403 workspace_suspended and nothing starts (test runs, replays, schedules); ' +
      'running executions finish; its keys keep working; operator scope',
    security: operator,
    ...workspacePath,
    responses: stateChanged,
  }),
  activate: route({
    method: 'post',
    path: '/v1/workspaces/{id}/activate',
    body: noBody,
    summary: 'Reactivate a suspended workspace; operator scope',
    security: operator,
    ...workspacePath,
    responses: stateChanged,
  }),
  remove: route({
    method: 'delete',
    path: '/v1/workspaces/{id}',
    summary:
      'Delete a workspace with everything it owns, in the background: its keys stop working at once, its webhooks answer like ' +
      'unknown tokens, live executions are cancelled, then its documents removed; GET shows the progress. Idempotent; operator scope',
    security: operator,
    ...workspacePath,
    responses: {
      '202': { description: 'Deletion under way (or done)', schema: workspace },
      '404': failure('workspace_not_found'),
      '409': failure("The operator's own workspace (details.reason = operator_workspace)"),
    },
  }),
  mintKey: route({
    method: 'post',
    path: '/v1/workspaces/{id}/api-keys',
    summary: 'Create an API key of the workspace (e.g. its first admin key); the answer holds the key once; operator scope',
    security: operator,
    ...workspacePath,
    body: newApiKeyBody,
    bodyRequired: true,
    hint: newApiKeyHint,
    responses: {
      '201': { description: 'Created', schema: apiKeyCreated },
      '404': failure('workspace_not_found'),
      '409': failure('Being deleted or deleted'),
    },
  }),
};

const rateLimitOf = (r: z.infer<typeof workspaceRateLimit> | undefined): WorkspaceDoc['rate_limit'] =>
  r ? { per_second: r.per_second, burst: r.burst ?? null } : null;
const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

export function workspaceView(doc: WorkspaceDoc, defaultRetentionDays: number = DEFAULT_RETENTION_DAYS): z.infer<typeof workspace> {
  return {
    id: doc._id,
    name: doc.name,
    status: doc.status ?? 'active',
    anti_enumeration: doc.anti_enumeration ?? null,
    quotas: {
      executions_per_day: doc.quotas?.executions_per_day ?? null,
      executions_per_month: doc.quotas?.executions_per_month ?? null,
      parallel_executions: doc.quotas?.parallel_executions ?? null,
    },
    egress_allow_cidrs: doc.egress_allow_cidrs ?? [],
    rate_limit: doc.rate_limit ? { per_second: doc.rate_limit.per_second, burst: doc.rate_limit.burst } : null,
    retention_days: doc.retention_days ?? null,
    effective_retention_days: effectiveDays(doc.retention_days, defaultRetentionDays),
    created_at: doc.created_at.toISOString(),
    updated_at: (doc.updated_at ?? doc.created_at).toISOString(),
    suspended_at: iso(doc.suspended_at),
    deletion: doc.deletion
      ? {
          requested_at: doc.deletion.requested_at.toISOString(),
          finished_at: iso(doc.deletion.finished_at),
          cancelled: doc.deletion.cancelled,
          removed: doc.deletion.removed,
        }
      : null,
  };
}

const deletedConflict = (doc: WorkspaceDoc) =>
  new ApiError('conflict', `Workspace ${doc._id} is ${doc.status === 'deleted' ? 'deleted' : 'being deleted'}`, { status: doc.status });

export interface WorkspacesDeps {
  store: Collections;
  configChanges: ConfigChanges;
  quotas: QuotaGate;
  /** Starts a deletion pass now (workspace-deletion.ts). */
  deletions: { kick(): void };
  /** FLOWGATE_RETENTION_DAYS (absent: 30). */
  defaultRetentionDays?: number;
}

export function workspacesRoutes(table: RouteTable, deps: WorkspacesDeps): void {
  const { store } = deps;
  const view = (doc: WorkspaceDoc) => workspaceView(doc, deps.defaultRetentionDays ?? DEFAULT_RETENTION_DAYS);

  const find = async (id: string): Promise<WorkspaceDoc> => {
    const doc = await findWorkspace(store.workspaces, id);
    if (!doc) throw notFound(id);
    return doc;
  };
  /** After a write: every replica drops what it holds of the workspace (status, limits). */
  const changed = async (id: string) => {
    deps.quotas.forget(id);
    await deps.configChanges.workspaceChanged(id);
  };

  table.mount(workspacesSpecs.create, async (req, res) => {
    const now = new Date();
    const { name, anti_enumeration, quotas, egress_allow_cidrs, rate_limit, retention_days } = req.body;
    const doc: WorkspaceDoc = {
      _id: `ws_${randomBytes(12).toString('hex')}`,
      name,
      status: 'active',
      anti_enumeration: anti_enumeration ?? null,
      created_at: now,
      updated_at: now,
      suspended_at: null,
      deletion: null,
      rate_limit: rateLimitOf(rate_limit),
      retention_days: retention_days ?? null,
      ...(quotas ? { quotas: { executions_per_day: null, executions_per_month: null, parallel_executions: null, ...quotas } } : {}),
      ...(egress_allow_cidrs ? { egress_allow_cidrs: normalCidrs(egress_allow_cidrs), egress_updated_at: now } : {}),
    };
    await insertWorkspace(store.workspaces, doc);
    res.status(201).json(view(doc));
  });

  table.mount(workspacesSpecs.list, async (req, res) => {
    const { limit, cursor, status } = req.query;
    const after = cursor ? decodeCursor(cursor) : null;
    if (cursor && !after) throw new ApiError('invalid_request', 'Invalid cursor');
    const docs = await listWorkspaces(store.workspaces, {
      limit: limit + 1,
      after: after ? { at: new Date(after.at), id: after.id } : undefined,
      statuses: status,
    });
    const shown = docs.slice(0, limit);
    const last = shown[shown.length - 1];
    res.json({
      data: shown.map(view),
      next_cursor: docs.length > limit && last ? encodeCursor({ at: last.created_at.toISOString(), id: last._id }) : null,
    });
  });

  table.mount(workspacesSpecs.get, async (req, res) => {
    res.json(view(await find(req.params.id)));
  });

  table.mount(workspacesSpecs.change, async (req, res) => {
    const before = await find(req.params.id);
    if (isDeletedWorkspace(before)) throw deletedConflict(before);
    const { name, anti_enumeration, quotas, egress_allow_cidrs, rate_limit, retention_days } = req.body;
    const after = await updateWorkspace(
      store.workspaces,
      before._id,
      {
        ...(name !== undefined ? { name } : {}),
        ...(anti_enumeration !== undefined ? { anti_enumeration } : {}),
        ...(quotas ? { quotas: { executions_per_day: null, executions_per_month: null, parallel_executions: null, ...quotas } } : {}),
        ...(egress_allow_cidrs ? { egress_allow_cidrs: normalCidrs(egress_allow_cidrs) } : {}),
        ...(rate_limit !== undefined ? { rate_limit: rateLimitOf(rate_limit) } : {}),
        ...(retention_days !== undefined ? { retention_days } : {}),
      },
      new Date(),
    );
    if (!after) throw deletedConflict(await find(before._id));
    if (quotas) await quotaOverridesStored(deps, after._id);
    await changed(after._id);
    res.json(view(after));
  });

  const suspension = (suspended: boolean) => async (req: { params: { id: string } }, res: { json(body: unknown): void }) => {
    const before = await find(req.params.id);
    if (isDeletedWorkspace(before)) throw deletedConflict(before);
    const after = await setWorkspaceSuspended(store.workspaces, before._id, suspended, new Date());
    if (!after) throw deletedConflict(await find(before._id));
    await changed(after._id);
    res.json(view(after));
  };
  table.mount(workspacesSpecs.suspend, suspension(true));
  table.mount(workspacesSpecs.activate, suspension(false));

  table.mount(workspacesSpecs.remove, async (req, res) => {
    const before = await find(req.params.id);
    if (before._id === workspaceOf(req))
      throw new ApiError('conflict', "The operator's own workspace cannot be deleted", { reason: 'operator_workspace' });
    const after = isDeletedWorkspace(before) ? before : await markWorkspaceDeleting(store.workspaces, before._id, new Date());
    if (!isDeletedWorkspace(before)) await changed(before._id);
    deps.deletions.kick();
    res.status(202).json(view(after ?? before));
  });

  table.mount(workspacesSpecs.mintKey, async (req, res) => {
    const doc = await find(req.params.id);
    if (isDeletedWorkspace(doc)) throw deletedConflict(doc);
    res.status(201).json(await mintApiKey(store, doc._id, req.body.name, req.body.scopes));
  });
}
