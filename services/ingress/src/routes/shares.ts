import { randomBytes } from 'node:crypto';
import { ApiError } from '@flowgate/contracts';
import { randomToken, sha256Hex, type SecretBox } from '@flowgate/kit';
import {
  createShare,
  createTrigger,
  deleteShareTrigger,
  findOwnedShare,
  findOwnedTrigger,
  findOwnedWorkflow,
  findShare,
  findWorkflow,
  findWorkspace,
  isDeletedWorkspace,
  contextKeyOf,
  readContext,
  revokeShare,
  sharesOfWorkflow,
  sharesReceived,
  type Collections,
  type ShareDoc,
  type WorkflowDoc,
  writeContext,
} from '@flowgate/store';
import { z } from 'zod';
import { workspaceOf } from '../auth';
import { workflowPath } from '../http/resource-params';
import { route, type RouteTable } from '../http/route';
import { failure, page, pagination, workflowId } from '../http/schemas';
import { pageOf, pageStart } from '../http/paging';
import { writable } from '../workflow-archive';
import { share, shareId, sharedWorkflow } from '../schemas/shares';
import { context, contextPatch, contextPatchHint } from '../schemas/workflows';
import { workspaceId } from '../schemas/workspaces';
import type { ConfigChanges } from '../config-cache';
import type { RunTarget } from '../run-targets';
import type { ExecutionStarter } from '../starter';
import { webhookUrls } from '../views';

/**
 * Shared workflows (ADR 0017). The owner (`workflows:write`) shares a published workflow with a
 * named other workspace, lists its shares and revokes one; the receiver (`workflows:read`) lists
 * what it received, each with its own webhook URL. The receiver's URL runs the owner's latest
 * published version as an execution of the receiver's workspace (its quotas, rate limits, egress,
 * callback secret and executions list) with the receiver's own persisted context, never the owner's.
 */
const shareNotFound = (id: string) => new ApiError('share_not_found', `Share ${id} not found`);
const sharePath = {
  params: z.object({ id: workflowId, share_id: shareId }),
  notFound: { ...workflowPath.notFound, share_id: shareNotFound },
};
const receivedPath = { params: z.object({ share_id: shareId }), notFound: { share_id: shareNotFound } };
/** Active shares of one workflow, at most (a listing stays one page). */
export const MAX_SHARES_PER_WORKFLOW = 100;

export const shareSpecs = {
  create: route({
    method: 'post',
    path: '/v1/workflows/{id}/shares',
    summary:
      'Share a published workflow with another workspace: it gets its own webhook URL and runs the latest published version ' +
      'under its own quotas, egress and callback secret (not the persisted context or webhook secrets of this workspace)',
    security: { apiKey: 'workflows:write' },
    ...workflowPath,
    body: z.object({ workspace_id: workspaceId.describe('The workspace to share with (ws_…)') }).strict(),
    bodyRequired: true,
    hint: 'Body must be {"workspace_id": "<workspace id>"}',
    responses: {
      '201': { description: 'The share', schema: share },
      '400': failure('invalid_request (also: sharing with the own workspace)'),
      '404': failure('workflow_not_found; workflow_not_published (share a published workflow); workspace_not_found'),
      '409': failure('conflict: already shared with that workspace (details.share_id), too many shares, or the workflow is archived'),
    },
  }),
  list: route({
    method: 'get',
    path: '/v1/workflows/{id}/shares',
    summary: "The workflow's shares, active and revoked, newest first, with cursor pagination",
    security: { apiKey: 'workflows:read' },
    ...workflowPath,
    query: z.object({ ...pagination }).strict(),
    hint: 'Query: limit (1–100), cursor (a next_cursor)',
    responses: { '200': { description: 'A page of shares', schema: page(share) }, '404': failure('workflow_not_found') },
  }),
  revoke: route({
    method: 'delete',
    path: '/v1/workflows/{id}/shares/{share_id}',
    summary: "Revoke a share (idempotent): the receiver's webhook URL answers 404 webhook_not_found at once",
    security: { apiKey: 'workflows:write' },
    ...sharePath,
    responses: { '204': { description: 'Revoked' }, '404': failure('workflow_not_found, share_not_found') },
  }),
  received: route({
    method: 'get',
    path: '/v1/shared-workflows',
    summary:
      'Workflows other workspaces share with this one (active shares), each with its own webhook URL, newest first, with cursor pagination',
    security: { apiKey: 'workflows:read' },
    query: z.object({ ...pagination }).strict(),
    hint: 'Query: limit (1–100), cursor (a next_cursor)',
    responses: { '200': { description: 'A page of shared workflows', schema: page(sharedWorkflow) } },
  }),
  getContext: route({
    method: 'get',
    path: '/v1/shared-workflows/{share_id}/context',
    summary: "This workspace's own persisted context of a shared workflow (its runs read it as context.*; never the owner's)",
    security: { apiKey: 'workflows:read' },
    ...receivedPath,
    responses: {
      '200': { description: 'string → string', schema: context },
      '404': failure('share_not_found (unknown, revoked or not shared with this workspace)'),
    },
  }),
  patchContext: route({
    method: 'patch',
    path: '/v1/shared-workflows/{share_id}/context',
    summary: "Set keys (string) or delete them (null) of this workspace's own context of a shared workflow; other keys are kept",
    security: { apiKey: 'workflows:write' },
    ...receivedPath,
    body: contextPatch,
    bodyRequired: true,
    hint: contextPatchHint,
    responses: {
      '200': { description: 'The whole context after the change', schema: context },
      '404': failure('share_not_found (unknown, revoked or not shared with this workspace)'),
    },
  }),
};

export function shareView(doc: ShareDoc) {
  return {
    id: doc._id,
    workflow_id: doc.workflow_id,
    workspace_id: doc.receiver_workspace_id,
    created_at: doc.created_at.toISOString(),
    revoked_at: doc.revoked_at ? doc.revoked_at.toISOString() : null,
  };
}

/**
 * What a receiver's replay of a shared run starts: the owner's workflow at its latest published
 * version, as an execution of the receiver; null once the share is revoked (or the workflow gone).
 */
export async function sharedRun(
  deps: { store: Collections; starter: Pick<ExecutionStarter, 'published'> },
  receiverId: string,
  shareId: string,
): Promise<{ workflow: WorkflowDoc; target: RunTarget } | null> {
  const found = await findShare(deps.store.shares, shareId);
  if (!found || found.revoked_at !== null || found.receiver_workspace_id !== receiverId) return null;
  const workflow = await findOwnedWorkflow(deps.store.workflows, found.workspace_id, found.workflow_id);
  if (!workflow) return null;
  const { version, definition } = await deps.starter.published(workflow);
  return {
    workflow,
    target: { environment: 'production', version, definition, draftId: null, share: { id: found._id, workspaceId: receiverId } },
  };
}

export function shareRoutes(
  table: RouteTable,
  deps: { store: Collections; box: SecretBox; publicUrl: string; configChanges: ConfigChanges },
): void {
  const { store, box, configChanges } = deps;

  const findWorkflowOf = async (req: { params: { id: string } }): Promise<WorkflowDoc> => {
    const doc = await findOwnedWorkflow(store.workflows, workspaceOf(req), req.params.id);
    if (!doc) throw new ApiError('workflow_not_found', `Workflow ${req.params.id} not found`);
    return doc;
  };

  table.mount(shareSpecs.create, async (req, res) => {
    const workflow = writable(await findWorkflowOf(req));
    const receiverId = req.body.workspace_id;
    if (receiverId === workflow.workspace_id) throw new ApiError('invalid_request', 'A workflow cannot be shared with its own workspace');
    if (workflow.published_version === null)
      throw new ApiError('workflow_not_published', `Workflow ${workflow._id} has no published version; publish it before sharing`);
    // Unknown, being deleted and deleted answer alike (ids are random; nothing more is told about a workspace).
    const receiver = await findWorkspace(store.workspaces, receiverId);
    if (!receiver || isDeletedWorkspace(receiver)) throw new ApiError('workspace_not_found', `Workspace ${receiverId} not found`);
    const active = (await sharesOfWorkflow(store.shares, workflow.workspace_id, workflow._id)).filter((s) => s.revoked_at === null);
    const existing = active.find((s) => s.receiver_workspace_id === receiverId);
    if (existing)
      throw new ApiError('conflict', `Workflow ${workflow._id} is shared with ${receiverId} already`, { share_id: existing._id });
    if (active.length >= MAX_SHARES_PER_WORKFLOW)
      throw new ApiError('conflict', `A workflow has at most ${MAX_SHARES_PER_WORKFLOW} active shares; revoke one first`);

    const now = new Date();
    const token = randomToken('wh_');
    const doc: ShareDoc = {
      _id: `shr_${randomBytes(12).toString('hex')}`,
      workspace_id: workflow.workspace_id,
      workflow_id: workflow._id,
      receiver_workspace_id: receiverId,
      trigger_id: sha256Hex(token),
      created_at: now,
      revoked_at: null,
    };
    // The receiver's trigger first: a share is never listed without its URL (a trigger left by a
    // failed share insert names no share and answers 404).
    await createTrigger(store.triggers, {
      _id: doc.trigger_id,
      workspace_id: receiverId,
      workflow_id: workflow._id,
      token_sealed: box.encrypt(token),
      enabled: true,
      environment: 'production',
      share_id: doc._id,
      created_at: now,
    });
    await createShare(store.shares, doc);
    await configChanges.shareChanged(doc); // a replica may hold the token hash as unknown
    res.status(201).json(shareView(doc));
  });

  table.mount(shareSpecs.list, async (req, res) => {
    const workflow = await findWorkflowOf(req);
    const { limit, cursor } = req.query;
    const docs = await sharesOfWorkflow(store.shares, workflow.workspace_id, workflow._id, limit + 1, pageStart(cursor));
    const { items, nextCursor } = pageOf(docs, limit);
    res.json({ data: items.map(shareView), next_cursor: nextCursor });
  });

  table.mount(shareSpecs.revoke, async (req, res) => {
    const workflow = await findWorkflowOf(req);
    const found = await findOwnedShare(store.shares, workflow.workspace_id, req.params.share_id);
    if (!found || found.workflow_id !== workflow._id) throw shareNotFound(req.params.share_id);
    await revokeShare(store.shares, found, new Date()); // null: revoked already
    // Every time (a retry after a crash finishes the job): the receiver's trigger goes, every replica drops both.
    await deleteShareTrigger(store.triggers, found.receiver_workspace_id, found.trigger_id);
    await configChanges.shareChanged(found);
    res.status(204).end();
  });

  /** An active share this workspace received, else 404 share_not_found (the owner's own call included). */
  const receivedShare = async (req: { params: { share_id: string } }): Promise<ShareDoc> => {
    const found = await findShare(store.shares, req.params.share_id);
    if (!found || found.revoked_at !== null || found.receiver_workspace_id !== workspaceOf(req)) throw shareNotFound(req.params.share_id);
    return found;
  };
  /** The receiver's own context of the shared workflow: what its runs read and write (contextKeyOf). */
  const receiverContext = (s: ShareDoc) =>
    contextKeyOf({ workflow_id: s.workflow_id, workspace_id: s.receiver_workspace_id, share_id: s._id });

  table.mount(shareSpecs.getContext, async (req, res) => {
    res.json(await readContext(store.workflowContext, receiverContext(await receivedShare(req))));
  });

  table.mount(shareSpecs.patchContext, async (req, res) => {
    const s = await receivedShare(req);
    const key = receiverContext(s);
    await writeContext(store.workflowContext, { workspaceId: s.receiver_workspace_id, workflowId: key }, req.body, new Date());
    res.json(await readContext(store.workflowContext, key));
  });

  table.mount(shareSpecs.received, async (req, res) => {
    const receiverId = workspaceOf(req);
    const { limit, cursor } = req.query;
    const { items: shares, nextCursor } = pageOf(await sharesReceived(store.shares, receiverId, limit + 1, pageStart(cursor)), limit);
    const views = await Promise.all(
      shares.map(async (s) => {
        const [workflow, trigger, owner] = await Promise.all([
          findWorkflow(store.workflows, s.workflow_id),
          findOwnedTrigger(store.triggers, receiverId, s.trigger_id),
          findWorkspace(store.workspaces, s.workspace_id),
        ]);
        if (!workflow || workflow.workspace_id !== s.workspace_id || !trigger || isDeletedWorkspace(owner)) return null;
        return {
          share_id: s._id,
          workflow_id: workflow._id,
          name: workflow.name,
          owner_workspace_id: s.workspace_id,
          version: workflow.published_version,
          webhook: { ...webhookUrls(deps.publicUrl, box.decrypt(trigger.token_sealed)), enabled: trigger.enabled },
          created_at: s.created_at.toISOString(),
        };
      }),
    );
    // A page may show fewer than it read (a share whose workflow or owner is gone); next_cursor still follows the shares.
    res.json({ data: views.filter((v) => v !== null), next_cursor: nextCursor });
  });
}
