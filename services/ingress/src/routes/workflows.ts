import { randomUUID } from 'node:crypto';
import { ApiError } from '@flowgate/contracts';
import {
  ENVIRONMENTS,
  parseDefinitionText,
  validateDefinition,
  type DefinitionResult,
  type Environment,
  type WorkflowDefinition,
} from '@flowgate/core';
import { randomToken, sha256Hex, type SecretBox } from '@flowgate/kit';
import {
  archiveWorkflow,
  createTrigger,
  createWorkflow,
  createWorkflowVersion,
  findOwnedTrigger,
  findOwnedWorkflow,
  listWorkflows,
  markWorkflowPublished,
  readContext,
  retiredVersionsOf,
  setTriggersEnabled,
  updateWorkflow,
  writeContext,
  type Collections,
  type WorkflowDoc,
} from '@flowgate/store';
import { z } from 'zod';
import { workspaceOf } from '../auth';
import { workflowPath } from '../http/resource-params';
import { route, RouteTable } from '../http/route';
import { environment, failure, noBody, page, pagination } from '../http/schemas';
import { pageOf, pageStart } from '../http/paging';
import { summaryOf } from '../http/validation-issues';
import {
  context,
  contextPatch,
  contextPatchHint,
  published,
  triggerLookup,
  workflow,
  workflowDefinition,
  workflowSettings,
} from '../schemas/workflows';
import { ensureEnvironmentTriggers, environmentOf, triggersByEnvironment } from '../environment-triggers';
import { webhookUrls, workflowView, type EnvironmentTriggerView } from '../views';
import type { SchedulerClient } from '../scheduler-client';
import type { ConfigChanges } from '../config-cache';
import { stopSchedule, syncSchedule } from './schedules';
import { writable } from '../workflow-archive';

/** `/v1/workflows`: create / read / update drafts, publish immutable versions, list trigger URLs. */
const definitionBody = {
  required: true,
  content: { 'application/json': workflowDefinition, 'application/yaml': z.string() },
  description: 'A workflow definition, JSON or YAML; invalid → 422 invalid_workflow_definition with details.issues',
};
const invalidDefinition = failure('Invalid workflow definition (invalid_workflow_definition; details.issues names each field)');
const archivedConflict = failure('conflict: the workflow is archived (details.reason = workflow_archived)');
const read = { apiKey: 'workflows:read' } as const;
const write = { apiKey: 'workflows:write' } as const;

export const workflowSpecs = {
  create: route({
    method: 'post',
    path: '/v1/workflows',
    summary: 'Create a workflow from a JSON or YAML definition (?publish=true also publishes it)',
    security: write,
    query: z.object({ publish: z.enum(['true', 'false']).optional() }).strict(),
    rawBody: definitionBody,
    responses: {
      '201': { description: 'Created', schema: workflow },
      '415': failure('Unsupported content type'),
      '422': invalidDefinition,
    },
  }),
  list: route({
    method: 'get',
    path: '/v1/workflows',
    summary: 'List workflows, newest first, with cursor pagination (archived ones only with ?archived=true, then only those)',
    security: read,
    query: z
      .object({
        ...pagination,
        archived: z
          .enum(['true', 'false'])
          .optional()
          .describe('true: the archived workflows (DELETE /v1/workflows/{id}) instead of the others'),
      })
      .strict(),
    hint: 'Query: limit (1–100), cursor (a next_cursor), archived (true | false)',
    responses: { '200': { description: 'A page of workflows', schema: page(workflow) } },
  }),
  get: route({
    method: 'get',
    path: '/v1/workflows/{id}',
    security: read,
    ...workflowPath,
    responses: { '200': { description: 'Workflow', schema: workflow }, '404': failure('workflow_not_found') },
  }),
  replace: route({
    method: 'put',
    path: '/v1/workflows/{id}',
    summary: 'Replace the draft',
    security: write,
    ...workflowPath,
    rawBody: definitionBody,
    responses: {
      '200': { description: 'Workflow', schema: workflow },
      '404': failure('workflow_not_found'),
      '409': archivedConflict,
      '422': invalidDefinition,
    },
  }),
  settings: route({
    method: 'patch',
    path: '/v1/workflows/{id}',
    summary:
      "Change the workflow's settings that are not part of its versioned definition (fields left out keep their value): " +
      "retention_days, how long the history of its ended executions is kept (null = the workspace's). " +
      'Allowed on an archived workflow too: its history is still there',
    security: write,
    ...workflowPath,
    body: workflowSettings,
    bodyRequired: true,
    hint: 'Body must be {"retention_days"?: 1–3650 | null}',
    responses: { '200': { description: 'Workflow', schema: workflow }, '404': failure('workflow_not_found') },
  }),
  archive: route({
    method: 'delete',
    path: '/v1/workflows/{id}',
    summary:
      'Archive a workflow: its webhooks (every environment, shares too) answer 410 workflow_archived, its schedule stops, it is ' +
      'listed only with ?archived=true, writes answer 409; its executions and deliveries are kept, running ones finish. Idempotent',
    security: write,
    ...workflowPath,
    responses: {
      '200': { description: 'The archived workflow (archived_at set)', schema: workflow },
      '404': failure('workflow_not_found'),
    },
  }),
  trigger: route({
    method: 'patch',
    path: '/v1/workflows/{id}/trigger',
    summary:
      'Enable or disable the webhooks ({"enabled": false} → 403 trigger_disabled, nothing queued); all environments, or the one named',
    security: write,
    ...workflowPath,
    body: z.object({ enabled: z.boolean(), environment: environment.optional() }).strict(),
    bodyRequired: true,
    hint: 'Body must be {"enabled": true | false, "environment"?: "development" | "staging" | "production"}',
    responses: { '200': { description: 'Workflow', schema: workflow }, '404': failure('workflow_not_found'), '409': archivedConflict },
  }),
  lookup: route({
    method: 'get',
    path: '/v1/triggers',
    summary: 'Find the workflow behind a webhook token or URL',
    security: read,
    query: z.object({ token: z.string().max(2_048).describe('A webhook token (wh_…) or a whole webhook URL') }).strict(),
    hint: 'Query parameter token must be a webhook token (wh_…) or URL',
    responses: { '200': { description: 'The workflow behind the webhook', schema: triggerLookup }, '404': failure('webhook_not_found') },
  }),
  getContext: route({
    method: 'get',
    path: '/v1/workflows/{id}/context',
    summary: 'The persisted context runs read as context.*',
    security: read,
    ...workflowPath,
    responses: { '200': { description: 'string → string', schema: context }, '404': failure('workflow_not_found') },
  }),
  patchContext: route({
    method: 'patch',
    path: '/v1/workflows/{id}/context',
    summary: 'Set keys (string) or delete them (null); other keys are kept',
    security: write,
    ...workflowPath,
    body: contextPatch,
    bodyRequired: true,
    hint: contextPatchHint,
    responses: {
      '200': { description: 'The whole context after the change', schema: context },
      '404': failure('workflow_not_found'),
      '409': archivedConflict,
    },
  }),
  pinStaging: route({
    method: 'put',
    path: '/v1/workflows/{id}/environments/staging',
    summary:
      'Pin a published version to the staging webhook (null unpins: staging then answers 404 workflow_not_published); a retired version: 409 conflict (details.reason = version_retired)',
    security: write,
    ...workflowPath,
    body: z.object({ version: z.number().int().min(1).nullable() }).strict(),
    bodyRequired: true,
    hint: 'Body must be {"version": <published version number> | null}',
    responses: {
      '200': { description: 'Workflow', schema: workflow },
      '404': failure('workflow_not_found'),
      '409': failure(
        'conflict: the workflow is archived, or the version is retired (details.reason = workflow_archived / version_retired)',
      ),
    },
  }),
  publish: route({
    method: 'post',
    path: '/v1/workflows/{id}/publish',
    body: noBody,
    summary: 'Publish the draft as a new immutable version',
    security: write,
    ...workflowPath,
    responses: {
      '201': { description: 'Published', schema: published },
      '404': failure('workflow_not_found'),
      '409': failure('conflict: another publish of this workflow happened at the same time, or it is archived (details.reason)'),
    },
  }),
};

function definitionFrom(body: unknown): DefinitionResult {
  if (typeof body === 'string') return parseDefinitionText(body, 'yaml');
  if (body === undefined) throw new ApiError('unsupported_media_type', 'Send the definition as application/json or application/yaml');
  return validateDefinition(body);
}

function validDefinition(body: unknown) {
  const result = definitionFrom(body);
  if (!result.ok) {
    throw new ApiError('invalid_workflow_definition', summaryOf('Invalid workflow definition', result.issues), { issues: result.issues });
  }
  return result.definition;
}

export function workflowRoutes(
  table: RouteTable,
  deps: {
    store: Collections;
    box: SecretBox;
    publicUrl: string;
    scheduler: SchedulerClient;
    /** Every write of a workflow or its triggers is announced: ingress replicas serve them from memory (config-cache.ts). */
    configChanges: ConfigChanges;
  },
): void {
  const { store, box, configChanges } = deps;

  const findWorkflow = async (req: { params: { id: string } }): Promise<WorkflowDoc> => {
    const id = req.params.id;
    const doc = await findOwnedWorkflow(store.workflows, workspaceOf(req), id);
    if (!doc) throw new ApiError('workflow_not_found', `Workflow ${id} not found`);
    return doc;
  };

  /**
   * The workflow with its webhook per environment (made on first view for workflows older than
   * environments); a single-workflow answer (`versions`, the default) also lists its newest versions' URLs.
   */
  const view = async (doc: WorkflowDoc, opts: { versions: boolean } = { versions: true }) => {
    const inserted = await ensureEnvironmentTriggers(store, box, doc);
    if (inserted.length > 0) await configChanges.changed(doc, inserted);
    const triggers = await triggersByEnvironment(store, doc);
    const versions = { production: doc.published_version, staging: doc.staging_version ?? null, development: 'draft' as const };
    const views: Partial<Record<Environment, EnvironmentTriggerView>> = {};
    for (const env of ENVIRONMENTS) {
      const t = triggers[env];
      if (t) views[env] = { urls: webhookUrls(deps.publicUrl, box.decrypt(t.token_sealed)), enabled: t.enabled, version: versions[env] };
    }
    return workflowView(doc, views, opts);
  };

  /** Publishes the draft as the next immutable version; concurrent publishes of one workflow → 409. */
  const publish = async (doc: WorkflowDoc): Promise<{ version: number; publishedAt: Date; workflow: WorkflowDoc }> => {
    const version = (doc.published_version ?? 0) + 1;
    const publishedAt = new Date();
    const conflict = () => new ApiError('conflict', 'Another publish of this workflow happened at the same time; retry');
    const inserted = await createWorkflowVersion(store.workflowVersions, {
      _id: `${doc._id}:${version}`,
      workspace_id: doc.workspace_id,
      workflow_id: doc._id,
      version,
      definition_json: doc.draft_json,
      published_at: publishedAt,
    });
    if (!inserted) throw conflict();
    const workflow = await markWorkflowPublished(store.workflows, doc, {
      version,
      // Fan-out look-up: the event source this version subscribes to (routes/source-hooks.ts).
      sourceId: (JSON.parse(doc.draft_json) as WorkflowDefinition).trigger.source?.source_id ?? null,
      at: publishedAt,
    });
    if (!workflow) throw conflict();
    await configChanges.changed(workflow);
    await syncSchedule(store, deps.scheduler, doc.workspace_id, doc._id, JSON.parse(doc.draft_json) as WorkflowDefinition).catch(
      (err: unknown) => {
        // The version is published; only its schedule is stale. Say so rather than hide it.
        if (err instanceof ApiError && err.code === 'dependency_unavailable')
          throw new ApiError(
            'dependency_unavailable',
            `Version ${version} is published, but the scheduler was unavailable and its cron schedule was not updated; publish again`,
          );
        throw err;
      },
    );
    return { version, publishedAt, workflow };
  };

  table.mount(workflowSpecs.create, async (req, res) => {
    const definition = validDefinition(req.body);
    const workspaceId = workspaceOf(req);
    const now = new Date();
    const doc: WorkflowDoc = {
      _id: `wf_${randomUUID().replace(/-/g, '')}`,
      workspace_id: workspaceId,
      name: definition.name,
      draft_json: JSON.stringify(definition),
      published_version: null,
      created_at: now,
      updated_at: now,
    };
    const token = randomToken('wh_');
    const productionTriggerId = sha256Hex(token);
    doc.production_trigger_id = productionTriggerId;
    await createWorkflow(store.workflows, doc);
    await createTrigger(store.triggers, {
      _id: productionTriggerId,
      workspace_id: workspaceId,
      workflow_id: doc._id,
      token_sealed: box.encrypt(token),
      enabled: true,
      environment: 'production',
      created_at: now,
    });
    const environmentTriggers = await ensureEnvironmentTriggers(store, box, doc); // development and staging
    // A replica may have cached these token hashes as unknown (a probe before the creation).
    await configChanges.changed(doc, [productionTriggerId, ...environmentTriggers]);
    const result = req.query.publish === 'true' ? (await publish(doc)).workflow : doc;
    res.status(201).json(await view(result));
  });

  table.mount(workflowSpecs.list, async (req, res) => {
    const q = req.query;
    const docs = await listWorkflows(store.workflows, workspaceOf(req), q.limit + 1, {
      archived: q.archived === 'true',
      before: pageStart(q.cursor),
    });
    const { items, nextCursor } = pageOf(docs, q.limit);
    res.json({ data: await Promise.all(items.map((doc) => view(doc, { versions: false }))), next_cursor: nextCursor });
  });

  table.mount(workflowSpecs.get, async (req, res) => {
    res.json(await view(await findWorkflow(req)));
  });

  table.mount(workflowSpecs.replace, async (req, res) => {
    const doc = writable(await findWorkflow(req));
    const definition = validDefinition(req.body);
    const updated = await updateWorkflow(
      store.workflows,
      doc,
      { name: definition.name, draft_json: JSON.stringify(definition) },
      new Date(),
    );
    if (!updated) throw new ApiError('workflow_not_found', `Workflow ${doc._id} not found`);
    await configChanges.changed(updated); // the development webhook runs the draft
    res.json(await view(updated));
  });

  /** Settings outside the definition (retention); not refused when archived: they are about the history archiving keeps. */
  table.mount(workflowSpecs.settings, async (req, res) => {
    const doc = await findWorkflow(req);
    const { retention_days } = req.body;
    const updated = retention_days === undefined ? doc : await updateWorkflow(store.workflows, doc, { retention_days }, new Date());
    if (!updated) throw new ApiError('workflow_not_found', `Workflow ${doc._id} not found`);
    if (updated !== doc) await configChanges.changed(updated);
    res.json(await view(updated));
  });

  /**
   * Archives (idempotent: an archived workflow answers as it is, `archived_at` unchanged). Every
   * time, also on a repeat (a retry after a crash finishes the job): the replicas drop it (its
   * webhooks and its shares' answer 410 within the change event) and its schedule goes. Executions
   * already queued or running finish on the version they started with; nothing new starts.
   */
  table.mount(workflowSpecs.archive, async (req, res) => {
    const doc = await findWorkflow(req);
    const archived = doc.archived_at ? doc : await archiveWorkflow(store.workflows, doc, new Date());
    if (!archived) throw new ApiError('workflow_not_found', `Workflow ${doc._id} not found`);
    await configChanges.changed(archived);
    // The scheduler also deletes the schedule of an archived workflow at its next fire
    // (schedule-firer.ts): an unavailable scheduler here leaves no run behind.
    await stopSchedule(store, deps.scheduler, archived.workspace_id, archived._id).catch(() => undefined);
    res.json(await view(archived));
  });

  /** Enable or disable the workflow's webhook: a disabled one answers 403 trigger_disabled and queues nothing. */
  table.mount(workflowSpecs.trigger, async (req, res) => {
    const doc = writable(await findWorkflow(req));
    // Without an environment: all of the workflow's webhooks.
    const env = req.body.environment;
    await ensureEnvironmentTriggers(store, box, doc);
    const target = env === undefined ? undefined : (await triggersByEnvironment(store, doc))[env];
    await setTriggersEnabled(store.triggers, doc, req.body.enabled, target?._id);
    await configChanges.changed(doc);
    res.json(await view(doc));
  });

  /** Which workflow is behind a webhook URL: `?token=wh_…` (the token, or the whole URL). */
  table.mount(workflowSpecs.lookup, async (req, res) => {
    const token = /wh_[A-Za-z0-9_-]{16,128}/.exec(req.query.token)?.[0];
    if (!token) throw new ApiError('invalid_request', 'Query parameter token must be a webhook token (wh_…) or URL');
    const trigger = await findOwnedTrigger(store.triggers, workspaceOf(req), sha256Hex(token));
    const workflow = trigger ? await findOwnedWorkflow(store.workflows, trigger.workspace_id, trigger.workflow_id) : null;
    if (!workflow) throw new ApiError('webhook_not_found', 'No workflow in this workspace has that webhook');
    res.json({
      workflow_id: workflow._id,
      name: workflow.name,
      enabled: trigger?.enabled ?? false,
      environment: trigger ? environmentOf(trigger) : 'production',
      workflow: await view(workflow),
    });
  });

  /** The persisted context that runs read as `context.*`: string → string. */
  table.mount(workflowSpecs.getContext, async (req, res) => {
    const doc = await findWorkflow(req);
    res.json(await readContext(store.workflowContext, doc._id));
  });

  /** `{"key": "value", "gone": null}`: sets strings, deletes nulls; other keys are left alone. */
  table.mount(workflowSpecs.patchContext, async (req, res) => {
    const doc = writable(await findWorkflow(req));
    await writeContext(store.workflowContext, { workspaceId: doc.workspace_id, workflowId: doc._id }, req.body, new Date());
    res.json(await readContext(store.workflowContext, doc._id));
  });

  /**
   * Pins a published version to the staging webhook (`{"version": N}`; `null` unpins: staging then
   * answers 404 workflow_not_published). Production always runs the latest published version.
   */
  table.mount(workflowSpecs.pinStaging, async (req, res) => {
    const doc = writable(await findWorkflow(req));
    const { version } = req.body;
    if (version !== null && (doc.published_version === null || version > doc.published_version))
      throw new ApiError('invalid_request', `Version ${version} is not published (latest: ${doc.published_version ?? 'none'})`, {
        published_version: doc.published_version,
      });
    // A retired version runs nowhere (ADR 0021): restore it first.
    if (version !== null && retiredVersionsOf(doc).has(version))
      throw new ApiError(
        'conflict',
        `Version ${version} is retired; restore it (POST /v1/workflows/{id}/versions/${version}/restore) first`,
        {
          reason: 'version_retired',
        },
      );
    const updated = await updateWorkflow(store.workflows, doc, { staging_version: version }, new Date());
    if (!updated) throw new ApiError('workflow_not_found', `Workflow ${doc._id} not found`);
    await configChanges.changed(updated);
    res.json(await view(updated));
  });

  table.mount(workflowSpecs.publish, async (req, res) => {
    const { version, publishedAt, workflow } = await publish(writable(await findWorkflow(req)));
    const shown = await view(workflow);
    res.status(201).json({ ...shown, workflow_id: workflow._id, version, published_at: publishedAt.toISOString(), workflow: shown });
  });
}
