import { parseCidr } from '@flowgate/kit';
import { ApiError } from '@flowgate/contracts';
import {
  ensureWorkspace,
  findWorkspace,
  setWorkspaceEgress,
  updateWorkspace,
  workspaceEgressEntries,
  type Collections,
  type WorkspaceDoc,
} from '@flowgate/store';
import { workspaceOf } from '../auth';
import { route, type RouteTable } from '../http/route';
import { egressAllowList } from '../schemas/secrets';
import { antiEnumeration, ownWorkspace, workspaceName, workspaceRetentionDays } from '../schemas/workspaces';
import { DEFAULT_RETENTION_DAYS, workspaceRetentionDays as effectiveDays } from '@flowgate/core';
import type { ConfigChanges } from '../config-cache';
import { z } from 'zod';

/**
 * `/v1/workspace/egress`: the workspace's egress allow-list, the non-public destinations (CIDRs)
 * its http steps may reach beside the execution service's FLOWGATE_EGRESS_ALLOW_CIDRS. Executors
 * drop their copy when the change's `workspace_changed` event arrives (else within
 * FLOWGATE_WORKSPACE_CACHE_MS, 30 s by default).
 */
const MAX_ENTRIES = 100;
/** Each entry a CIDR with zero host bits: every bad one is an issue of its own (`allow_cidrs[2]`). */
const egressPut = egressAllowList.strict().superRefine((body, ctx) => checkCidrs(body.allow_cidrs, ['allow_cidrs'], ctx));

/** Adds an issue for each entry that is not a CIDR with zero host bits. */
export function checkCidrs(entries: readonly string[], path: (string | number)[], ctx: z.RefinementCtx): void {
  entries.forEach((entry, i) => {
    const result = parseCidr(entry);
    if (!result.ok) ctx.addIssue({ code: 'custom', path: [...path, i], message: `"${entry}": ${result.problem.message}` });
  });
}

/** The entries in their normal form, each once (call after checkCidrs passed). */
export function normalCidrs(entries: readonly string[]): string[] {
  return [
    ...new Set(
      entries.flatMap((entry) => {
        const result = parseCidr(entry);
        return result.ok ? [result.text] : [];
      }),
    ),
  ];
}

const ownChange = z
  .object({
    name: workspaceName.optional(),
    anti_enumeration: antiEnumeration.optional(),
    retention_days: workspaceRetentionDays.optional(),
  })
  .strict();

export const workspaceSpecs = {
  get: route({
    method: 'get',
    path: '/v1/workspace',
    summary: "The key's own workspace: its id, name, status, webhook anti-enumeration and retention; admin scope",
    security: { apiKey: 'admin' },
    responses: { '200': { description: 'Workspace', schema: ownWorkspace } },
  }),
  change: route({
    method: 'patch',
    path: '/v1/workspace',
    summary:
      "Rename the key's own workspace, switch its webhooks' anti-enumeration or set how long the history of ended executions is kept " +
      '(retention_days, null = the deployment default); fields left out keep their value; admin scope',
    security: { apiKey: 'admin' },
    body: ownChange,
    bodyRequired: true,
    hint: 'Body must be {"name"?: "…" (1–100 characters, no control characters), "anti_enumeration"?: true|false|null, "retention_days"?: 1–3650|null}',
    responses: { '200': { description: 'Workspace now', schema: ownWorkspace } },
  }),
  getEgress: route({
    method: 'get',
    path: '/v1/workspace/egress',
    summary: "The workspace's egress allow-list: non-public destinations its http steps may reach",
    security: { apiKey: 'admin' },
    responses: { '200': { description: 'The allow-list', schema: egressAllowList } },
  }),
  replaceEgress: route({
    method: 'put',
    path: '/v1/workspace/egress',
    summary:
      "Replace the operator's own workspace egress allow-list (operator scope; other workspaces: PATCH /v1/workspaces/{id}). " +
      'Public unicast addresses are always reachable; private, loopback, link-local, ' +
      'CGNAT, unique-local and other special-purpose addresses only when in this list or FLOWGATE_EGRESS_ALLOW_CIDRS ' +
      '(else the step fails with egress_forbidden). Executors apply a change at once (its config event), at the latest within FLOWGATE_WORKSPACE_CACHE_MS (30 s).',
    security: { apiKey: 'operator' },
    body: egressPut,
    bodyRequired: true,
    hint: `Body must be {"allow_cidrs": ["10.0.0.0/8", …]} with at most ${MAX_ENTRIES} entries, each a CIDR with zero host bits`,
    responses: { '200': { description: 'The stored (normalised) allow-list', schema: egressAllowList } },
  }),
};

/** A workspace without a document (made before workspaces had one) is shown as it behaves: active, named by its id. */
const ownView = (id: string, doc: WorkspaceDoc | null, defaultRetentionDays: number) => ({
  id,
  name: doc?.name ?? id,
  status: doc?.status ?? 'active',
  anti_enumeration: doc?.anti_enumeration ?? null,
  retention_days: doc?.retention_days ?? null,
  effective_retention_days: effectiveDays(doc?.retention_days, defaultRetentionDays),
  created_at: (doc?.created_at ?? new Date(0)).toISOString(),
});

export function workspaceRoutes(
  table: RouteTable,
  deps: { store: Collections; configChanges: ConfigChanges; defaultRetentionDays?: number },
): void {
  const { store } = deps;
  const defaultDays = deps.defaultRetentionDays ?? DEFAULT_RETENTION_DAYS;

  table.mount(workspaceSpecs.get, async (req, res) => {
    const id = workspaceOf(req);
    res.json(ownView(id, await findWorkspace(store.workspaces, id), defaultDays));
  });

  table.mount(workspaceSpecs.change, async (req, res) => {
    const id = workspaceOf(req);
    const now = new Date();
    await ensureWorkspace(store.workspaces, { _id: id, name: id, created_at: now });
    const { name, anti_enumeration, retention_days } = req.body;
    const doc = await updateWorkspace(
      store.workspaces,
      id,
      {
        ...(name !== undefined ? { name } : {}),
        ...(anti_enumeration !== undefined ? { anti_enumeration } : {}),
        ...(retention_days !== undefined ? { retention_days } : {}),
      },
      now,
    );
    // A key is refused once its workspace is being deleted; a change racing the deletion finds nothing.
    if (!doc) throw new ApiError('workspace_not_found', `Workspace ${id} not found`);
    await deps.configChanges.workspaceChanged(id);
    res.json(ownView(id, doc, defaultDays));
  });

  table.mount(workspaceSpecs.getEgress, async (req, res) => {
    res.json({ allow_cidrs: (await workspaceEgressEntries(store.workspaces, workspaceOf(req))) ?? [] });
  });

  table.mount(workspaceSpecs.replaceEgress, async (req, res) => {
    const cidrs = normalCidrs(req.body.allow_cidrs);
    const workspaceId = workspaceOf(req);
    const now = new Date();
    await setWorkspaceEgress(store.workspaces, workspaceId, cidrs, now);
    await deps.configChanges.workspaceChanged(workspaceId);
    res.json({ allow_cidrs: cidrs });
  });
}
