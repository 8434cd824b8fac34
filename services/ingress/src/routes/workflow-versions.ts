import { ApiError } from '@flowgate/contracts';
import { isPublishedVersion, parseVersionSegment, publishedVersionsPage, retirementOf } from '@flowgate/core';
import type { SecretBox } from '@flowgate/kit';
import {
  findOwnedWorkflow,
  findProductionTrigger,
  retiredVersionsOf,
  setWorkflowVersionRetired,
  type Collections,
  type WorkflowDoc,
} from '@flowgate/store';
import { z } from 'zod';
import { workspaceOf } from '../auth';
import type { ConfigChanges } from '../config-cache';
import { workflowPath } from '../http/resource-params';
import { route, type RouteTable } from '../http/route';
import { failure, noBody, page, pagination, workflowId } from '../http/schemas';
import { invalidRequest } from '../http/validation-issues';
import { workflowVersion } from '../schemas/workflows';
import { versionViews, webhookUrls } from '../views';
import { writable } from '../workflow-archive';

/**
 * `/v1/workflows/{id}/versions…` (ADR 0021): every published version's own webhook URLs, and
 * retiring a version from them (`…/retire`: its URLs answer 410 version_retired) or bringing it back
 * (`…/restore`). Both are idempotent and announced like every workflow write (config-cache.ts): the
 * retired state lives on the workflow document, which every ingress replica serves from memory.
 */
const read = { apiKey: 'workflows:read' } as const;
const write = { apiKey: 'workflows:write' } as const;

const versionNotFound = (version: string) => new ApiError('version_not_found', `Version ${version} of this workflow is not published`);
const versionPath = {
  params: z.object({
    id: workflowId,
    version: z
      .string()
      .regex(/^[1-9][0-9]{0,9}$/, 'must be a version number')
      .describe('A published version number (1, 2, …)'),
  }),
  notFound: {
    id: (id: string) => new ApiError('workflow_not_found', `Workflow ${id} not found`),
    version: versionNotFound,
  },
};
const archived = 'conflict: the workflow is archived (details.reason = workflow_archived)';

export const versionSpecs = {
  list: route({
    method: 'get',
    path: '/v1/workflows/{id}/versions',
    summary: "The workflow's published versions, newest first, each with its own immutable webhook URLs and whether it is retired",
    security: read,
    ...workflowPath,
    // The cursor is read once the workflow is found: a foreign workflow is a 404 whatever the query.
    query: z.object({ ...pagination }).strict(),
    hint: 'Query: limit (1–100), cursor (a next_cursor)',
    responses: { '200': { description: 'A page of versions', schema: page(workflowVersion) }, '404': failure('workflow_not_found') },
  }),
  retire: route({
    method: 'post',
    path: '/v1/workflows/{id}/versions/{version}/retire',
    summary:
      'Retire a published version: its URLs (/hooks/{token}/v{version}[/sync]) answer 410 version_retired and queue nothing, on every ' +
      'ingress replica within a second. Idempotent (retired_at kept); executions already started finish',
    security: write,
    ...versionPath,
    body: noBody,
    responses: {
      '200': { description: 'The retired version', schema: workflowVersion },
      '404': failure('workflow_not_found / version_not_found (never published)'),
      '409': failure(
        `version_in_use: production (the latest published version) or staging (its pin) runs it (details.environments); or ${archived}`,
      ),
    },
  }),
  restore: route({
    method: 'post',
    path: '/v1/workflows/{id}/versions/{version}/restore',
    summary: 'Undo a retirement: the version URLs run the version again (idempotent: a version not retired answers as it is)',
    security: write,
    ...versionPath,
    body: noBody,
    responses: {
      '200': { description: 'The version, retired_at null', schema: workflowVersion },
      '404': failure('workflow_not_found / version_not_found (never published)'),
      '409': failure(archived),
    },
  }),
};

export function versionRoutes(
  table: RouteTable,
  deps: { store: Collections; box: SecretBox; publicUrl: string; configChanges: ConfigChanges },
): void {
  const { store } = deps;

  const findWorkflow = async (req: { params: { id: string } }): Promise<WorkflowDoc> => {
    const doc = await findOwnedWorkflow(store.workflows, workspaceOf(req), req.params.id);
    if (!doc) throw new ApiError('workflow_not_found', `Workflow ${req.params.id} not found`);
    return doc;
  };

  /** The published version a path names, or 404 version_not_found. */
  const publishedVersion = (doc: WorkflowDoc, text: string): number => {
    const version = parseVersionSegment(text);
    if (version === null || !isPublishedVersion({ publishedVersion: doc.published_version, stagingVersion: null }, version))
      throw versionNotFound(text);
    return version;
  };

  /** The views of `versions`, their URLs under the production webhook's token. */
  const views = async (doc: WorkflowDoc, versions: number[]) => {
    const production = await findProductionTrigger(store.triggers, doc);
    if (!production) throw new ApiError('internal', `Workflow ${doc._id} has no production webhook`);
    return versionViews(doc, webhookUrls(deps.publicUrl, deps.box.decrypt(production.token_sealed)), versions);
  };

  /** Sets or clears one version's retirement; announces the change so every replica's webhooks see it. */
  const setRetired = async (doc: WorkflowDoc, version: number, retire: boolean): Promise<WorkflowDoc> => {
    if (retiredVersionsOf(doc).has(version) === retire) return doc; // as asked already: retired_at kept
    const now = new Date();
    const updated = await setWorkflowVersionRetired(store.workflows, doc, version, retire ? now : null, now);
    if (!updated) throw new ApiError('workflow_not_found', `Workflow ${doc._id} not found`);
    await deps.configChanges.changed(updated);
    return updated;
  };

  table.mount(versionSpecs.list, async (req, res) => {
    const doc = await findWorkflow(req);
    const { limit, cursor } = req.query;
    const before = cursor === undefined || cursor === '' ? undefined : parseVersionSegment(cursor);
    if (before === null)
      throw invalidRequest('Invalid query', [{ path: 'cursor', message: 'not a cursor from next_cursor', code: 'custom' }]);
    const state = { publishedVersion: doc.published_version, stagingVersion: doc.staging_version ?? null };
    const versions = publishedVersionsPage(state, limit, before);
    const last = versions[versions.length - 1];
    const more = last !== undefined && last > 1;
    res.json({ data: versions.length > 0 ? await views(doc, versions) : [], next_cursor: more ? String(last) : null });
  });

  table.mount(versionSpecs.retire, async (req, res) => {
    const doc = writable(await findWorkflow(req));
    const version = publishedVersion(doc, req.params.version);
    const check = retirementOf({ publishedVersion: doc.published_version, stagingVersion: doc.staging_version ?? null }, version);
    if (!check.ok && check.reason === 'in_use') {
      const why = check.environments.map((e) =>
        e === 'production' ? 'production runs it (the latest published version)' : 'staging is pinned to it',
      );
      throw new ApiError('version_in_use', `Version ${version} cannot be retired: ${why.join(' and ')}`, {
        environments: check.environments,
      });
    }
    if (!check.ok) throw versionNotFound(req.params.version);
    const [view] = await views(await setRetired(doc, version, true), [version]);
    res.json(view);
  });

  table.mount(versionSpecs.restore, async (req, res) => {
    const doc = writable(await findWorkflow(req));
    const version = publishedVersion(doc, req.params.version);
    const [view] = await views(await setRetired(doc, version, false), [version]);
    res.json(view);
  });
}
