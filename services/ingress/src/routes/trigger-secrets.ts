import { ApiError } from '@flowgate/contracts';
import { authMethodsOf, methodKey, webhookAuthSchema, type SecretMethod } from '@flowgate/core';
import type { SecretBox } from '@flowgate/kit';
import {
  addTriggerSecret,
  findOwnedWorkflow,
  findOwnedWorkflowVersion,
  findProductionTrigger,
  removeTriggerSecret,
  type Collections,
  type WorkflowDoc,
} from '@flowgate/store';
import { z } from 'zod';
import { workspaceOf } from '../auth';
import { addSecretBody, addSecretHint, conflictSafe, newSecretEntry, SECRET_ID, secretEntryView } from '../auth-secrets';
import { workflowPath } from '../http/resource-params';
import { route, type RouteTable } from '../http/route';
import { failure, workflowId } from '../http/schemas';
import { triggerSecretAdded, triggerSecretList } from '../schemas/secrets';
import type { ConfigChanges } from '../config-cache';
import { writable } from '../workflow-archive';

/**
 * Write-only secrets of a workflow's webhook auth methods. `POST /v1/workflows/{id}/trigger/secrets`
 * adds a secret to one method (given, or generated and returned once); the method's previous secret
 * stays valid beside it and any older one is dropped (at most two per method). `GET` lists ids,
 * methods, creation times and fingerprints, never a value; `DELETE …/secrets/{secret_id}` revokes one.
 * The same secrets an event source's own auth keeps (auth-secrets.ts, routes/source-secrets.ts).
 */
export const triggerSecretSpecs = {
  list: route({
    method: 'get',
    path: '/v1/workflows/{id}/trigger/secrets',
    summary: "The secrets of the webhook's auth methods: ids, methods, fingerprints and creation times, never a value",
    security: { apiKey: 'workflows:read' },
    ...workflowPath,
    responses: { '200': { description: 'Secrets, oldest first', schema: triggerSecretList }, '404': failure('workflow_not_found') },
  }),
  add: route({
    method: 'post',
    path: '/v1/workflows/{id}/trigger/secrets',
    summary:
      "Add a secret to one auth method (rotation): the method's previous secret stays valid beside it, older ones are dropped " +
      '(at most two per method). Tokens are stored as SHA-256 hashes, signing keys sealed with AES-256-GCM',
    security: { apiKey: 'workflows:write' },
    ...workflowPath,
    body: addSecretBody,
    hint: addSecretHint,
    responses: {
      '201': { description: 'The new secret (`secret` only when generated) and all secrets of the webhook', schema: triggerSecretAdded },
      '404': failure('workflow_not_found'),
      '409': failure('conflict: the secrets changed at the same time, or (adding) the workflow is archived (details.reason)'),
    },
  }),
  revoke: route({
    method: 'delete',
    path: '/v1/workflows/{id}/trigger/secrets/{secret_id}',
    summary: 'Revoke one secret at once',
    security: { apiKey: 'workflows:write' },
    // The secret id is checked after the workflow (an unknown workflow is its 404 first).
    params: z.object({ id: workflowId, secret_id: z.string().describe('sec_…') }),
    notFound: workflowPath.notFound,
    responses: {
      '204': { description: 'Revoked' },
      '404': failure('workflow_not_found, or no such secret (not_found)'),
      '409': failure('The secrets changed at the same time (conflict)'),
    },
  }),
};

/** The auth methods of the draft and of the latest published version (secrets may be set before publishing). */
async function methodsOf(store: Collections, doc: WorkflowDoc): Promise<SecretMethod[]> {
  const texts = [doc.draft_json];
  if (doc.published_version !== null) {
    const version = await findOwnedWorkflowVersion(store.workflowVersions, doc.workspace_id, `${doc._id}:${doc.published_version}`);
    if (version) texts.push(version.definition_json);
  }
  const methods = new Map<string, SecretMethod>();
  for (const text of texts) {
    const auth = webhookAuthSchema.safeParse((JSON.parse(text) as { trigger?: { webhook?: { auth?: unknown } } }).trigger?.webhook?.auth);
    if (auth.success) for (const m of authMethodsOf(auth.data)) if (!methods.has(methodKey(m))) methods.set(methodKey(m), m);
  }
  return [...methods.values()];
}

export function triggerSecretRoutes(table: RouteTable, deps: { store: Collections; box: SecretBox; configChanges: ConfigChanges }): void {
  const { store, box } = deps;

  const findTrigger = async (req: { params: { id: string } }) => {
    const id = req.params.id;
    const workflow = await findOwnedWorkflow(store.workflows, workspaceOf(req), id);
    // The production trigger holds the secrets of every environment's webhook (environment-triggers.ts).
    const trigger = workflow ? await findProductionTrigger(store.triggers, workflow) : null;
    if (!workflow || !trigger) throw new ApiError('workflow_not_found', `Workflow ${id} not found`);
    return { workflow, trigger };
  };

  table.mount(triggerSecretSpecs.list, async (req, res) => {
    const { trigger } = await findTrigger(req);
    res.json({ secrets: (trigger.auth_secrets ?? []).map(secretEntryView) });
  });

  table.mount(triggerSecretSpecs.add, async (req, res) => {
    const { workflow, trigger } = await findTrigger(req);
    writable(workflow);
    const methods = await methodsOf(store, workflow);
    const noMethods = 'The webhook has no auth method that uses a secret (set trigger.webhook.auth first)';
    const { entry, secret } = newSecretEntry(methods, req.body, box, noMethods);
    const all = await conflictSafe(() => addTriggerSecret(store.triggers, trigger, entry));
    if (!all) throw new ApiError('workflow_not_found', `Workflow ${workflow._id} not found`);
    await deps.configChanges.changed(workflow);
    res.status(201).json({ ...secretEntryView(entry), ...(secret === undefined ? {} : { secret }), secrets: all.map(secretEntryView) });
  });

  table.mount(triggerSecretSpecs.revoke, async (req, res) => {
    const { workflow, trigger } = await findTrigger(req);
    const secretId = req.params.secret_id;
    const left = SECRET_ID.test(secretId) ? await conflictSafe(() => removeTriggerSecret(store.triggers, trigger, secretId)) : null;
    if (!left) throw new ApiError('not_found', `Secret ${secretId} not found`);
    await deps.configChanges.changed(workflow);
    res.status(204).end();
  });
}
