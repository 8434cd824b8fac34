import { randomUUID } from 'node:crypto';
import { ApiError } from '@flowgate/contracts';
import {
  ENVIRONMENTS,
  environmentSchema,
  parseDefinitionText,
  validateDefinition,
  type DefinitionResult,
  type Environment,
  type WorkflowDefinition,
} from '@flowgate/core';
import { randomToken, sha256Hex, type SecretBox } from '@flowgate/kit';
import { insertIfAbsent, readContext, writeContext, type Collections, type WorkflowDoc } from '@flowgate/store';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { workspaceOf } from '../auth';
import { ensureEnvironmentTriggers, environmentOf, triggersByEnvironment } from '../environment-triggers';
import { webhookUrls, workflowView, type EnvironmentTriggerView } from '../views';
import type { SchedulerClient } from '../scheduler-client';
import type { ConfigChanges } from '../config-cache';
import { syncSchedule } from './schedules';

/** `/v1/workflows`: create / read / update drafts, publish immutable versions, list trigger URLs. */
const WORKFLOW_ID = /^wf_[A-Za-z0-9]{8,64}$/;
const triggerPatch = z.object({ enabled: z.boolean(), environment: environmentSchema.optional() }).strict();
const stagingPin = z.object({ version: z.number().int().min(1).nullable() }).strict();
const contextPatch = z
  .record(z.string().min(1).max(256), z.string().max(65_536).nullable())
  .refine((v) => Object.keys(v).length <= 100, 'at most 100 keys per request');

function definitionFrom(req: Request): DefinitionResult {
  if (typeof req.body === 'string') return parseDefinitionText(req.body, 'yaml');
  if (req.body === undefined) throw new ApiError('unsupported_media_type', 'Send the definition as application/json or application/yaml');
  return validateDefinition(req.body);
}

function validDefinition(req: Request) {
  const result = definitionFrom(req);
  if (!result.ok) {
    const summary = result.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    throw new ApiError('invalid_workflow_definition', `Invalid workflow definition: ${summary}`, { errors: result.issues });
  }
  return result.definition;
}

export function workflowRoutes(deps: {
  store: Collections;
  box: SecretBox;
  publicUrl: string;
  scheduler: SchedulerClient;
  /** Every write of a workflow or its triggers is announced: ingress replicas serve them from memory (config-cache.ts). */
  configChanges: ConfigChanges;
}): Router {
  const { store, box, configChanges } = deps;
  const router = Router();

  const findWorkflow = async (req: Request): Promise<WorkflowDoc> => {
    const id = String(req.params.id);
    const doc = WORKFLOW_ID.test(id) ? await store.workflows.findOne({ _id: id, workspace_id: workspaceOf(req) }) : null;
    if (!doc) throw new ApiError('workflow_not_found', `Workflow ${id} not found`);
    return doc;
  };

  /** The workflow with its webhook per environment (made on first view for workflows older than environments). */
  const view = async (doc: WorkflowDoc) => {
    const inserted = await ensureEnvironmentTriggers(store, box, doc);
    if (inserted.length > 0) await configChanges.changed(doc, inserted);
    const triggers = await triggersByEnvironment(store, doc);
    const versions = { production: doc.published_version, staging: doc.staging_version ?? null, development: 'draft' as const };
    const views: Partial<Record<Environment, EnvironmentTriggerView>> = {};
    for (const env of ENVIRONMENTS) {
      const t = triggers[env];
      if (t) views[env] = { urls: webhookUrls(deps.publicUrl, box.decrypt(t.token_sealed)), enabled: t.enabled, version: versions[env] };
    }
    return workflowView(doc, views);
  };

  /** Publishes the draft as the next immutable version; concurrent publishes of one workflow → 409. */
  const publish = async (doc: WorkflowDoc): Promise<{ version: number; publishedAt: Date; workflow: WorkflowDoc }> => {
    const version = (doc.published_version ?? 0) + 1;
    const publishedAt = new Date();
    const conflict = () => new ApiError('conflict', 'Another publish of this workflow happened at the same time; retry');
    const inserted = await insertIfAbsent(store.workflowVersions, {
      _id: `${doc._id}:${version}`,
      workspace_id: doc.workspace_id,
      workflow_id: doc._id,
      version,
      definition_json: doc.draft_json,
      published_at: publishedAt,
    });
    if (!inserted) throw conflict();
    const workflow = await store.workflows.findOneAndUpdate(
      { _id: doc._id, published_version: doc.published_version },
      {
        $set: {
          published_version: version,
          updated_at: publishedAt,
          // Fan-out look-up: the event source this version subscribes to (routes/sources.ts).
          source_id: (JSON.parse(doc.draft_json) as WorkflowDefinition).trigger.source?.source_id ?? null,
        },
      },
      { returnDocument: 'after' },
    );
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

  router.post('/v1/workflows', async (req, res) => {
    const definition = validDefinition(req);
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
    await store.workflows.insertOne(doc);
    await store.triggers.insertOne({
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

  router.get('/v1/workflows', async (req, res) => {
    const docs = await store.workflows
      .find({ workspace_id: workspaceOf(req) })
      .sort({ created_at: -1 })
      .limit(100)
      .toArray();
    res.json({ data: await Promise.all(docs.map(view)) });
  });

  router.get('/v1/workflows/:id', async (req, res) => {
    res.json(await view(await findWorkflow(req)));
  });

  router.put('/v1/workflows/:id', async (req, res) => {
    const doc = await findWorkflow(req);
    const definition = validDefinition(req);
    const updated = await store.workflows.findOneAndUpdate(
      { _id: doc._id, workspace_id: doc.workspace_id },
      { $set: { name: definition.name, draft_json: JSON.stringify(definition), updated_at: new Date() } },
      { returnDocument: 'after' },
    );
    if (!updated) throw new ApiError('workflow_not_found', `Workflow ${doc._id} not found`);
    await configChanges.changed(updated); // the development webhook runs the draft
    res.json(await view(updated));
  });

  /** Enable or disable the workflow's webhook: a disabled one answers 403 trigger_disabled and queues nothing. */
  router.patch('/v1/workflows/:id/trigger', async (req, res) => {
    const doc = await findWorkflow(req);
    const body = triggerPatch.safeParse(req.body);
    if (!body.success)
      throw new ApiError(
        'invalid_request',
        'Body must be {"enabled": true | false, "environment"?: "development" | "staging" | "production"}',
      );
    // Without an environment: all of the workflow's webhooks.
    const env = body.data.environment;
    await ensureEnvironmentTriggers(store, box, doc);
    const target = env === undefined ? undefined : (await triggersByEnvironment(store, doc))[env];
    const filter = target ? { _id: target._id } : { workflow_id: doc._id, workspace_id: doc.workspace_id };
    await store.triggers.updateMany(filter, { $set: { enabled: body.data.enabled } });
    await configChanges.changed(doc);
    res.json(await view(doc));
  });

  /** Which workflow is behind a webhook URL: `?token=wh_…` (the token, or the whole URL). */
  router.get('/v1/triggers', async (req, res) => {
    const raw = typeof req.query.token === 'string' ? req.query.token : '';
    const token = /wh_[A-Za-z0-9_-]{16,128}/.exec(raw)?.[0];
    if (!token) throw new ApiError('invalid_request', 'Query parameter token must be a webhook token (wh_…) or URL');
    const trigger = await store.triggers.findOne({ _id: sha256Hex(token), workspace_id: workspaceOf(req) });
    const workflow = trigger ? await store.workflows.findOne({ _id: trigger.workflow_id, workspace_id: trigger.workspace_id }) : null;
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
  router.get('/v1/workflows/:id/context', async (req, res) => {
    const doc = await findWorkflow(req);
    res.json(await readContext(store.workflowContext, doc._id));
  });

  /** `{"key": "value", "gone": null}`: sets strings, deletes nulls; other keys are left alone. */
  router.patch('/v1/workflows/:id/context', async (req, res) => {
    const doc = await findWorkflow(req);
    const body = contextPatch.safeParse(req.body);
    if (!body.success) {
      const errors = body.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
      throw new ApiError('invalid_request', 'Body must be an object of string keys to string or null (max 100 keys)', { errors });
    }
    await writeContext(store.workflowContext, { workspaceId: doc.workspace_id, workflowId: doc._id }, body.data, new Date());
    res.json(await readContext(store.workflowContext, doc._id));
  });

  /**
   * Pins a published version to the staging webhook (`{"version": N}`; `null` unpins: staging then
   * answers 404 workflow_not_published). Production always runs the latest published version.
   */
  router.put('/v1/workflows/:id/environments/staging', async (req, res) => {
    const doc = await findWorkflow(req);
    const body = stagingPin.safeParse(req.body);
    if (!body.success) throw new ApiError('invalid_request', 'Body must be {"version": <published version number> | null}');
    const { version } = body.data;
    if (version !== null && (doc.published_version === null || version > doc.published_version))
      throw new ApiError('invalid_request', `Version ${version} is not published (latest: ${doc.published_version ?? 'none'})`, {
        published_version: doc.published_version,
      });
    const updated = await store.workflows.findOneAndUpdate(
      { _id: doc._id, workspace_id: doc.workspace_id },
      { $set: { staging_version: version, updated_at: new Date() } },
      { returnDocument: 'after' },
    );
    if (!updated) throw new ApiError('workflow_not_found', `Workflow ${doc._id} not found`);
    await configChanges.changed(updated);
    res.json(await view(updated));
  });

  router.post('/v1/workflows/:id/publish', async (req, res) => {
    const { version, publishedAt, workflow } = await publish(await findWorkflow(req));
    res.status(201).json({ workflow_id: workflow._id, version, published_at: publishedAt.toISOString(), workflow: await view(workflow) });
  });

  return router;
}
