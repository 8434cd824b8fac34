import { randomBytes } from 'node:crypto';
import { ApiError } from '@flowgate/contracts';
import { authMethodsOf, isStandardWebhooksSecret, methodKey, secretStorageOf, webhookAuthSchema, type SecretMethod } from '@flowgate/core';
import { randomToken, sha256Hex, type SecretBox } from '@flowgate/kit';
import {
  addTriggerSecret,
  findOwnedWorkflow,
  findOwnedWorkflowVersion,
  findProductionTrigger,
  removeTriggerSecret,
  TriggerSecretsConflictError,
  type Collections,
  type TriggerSecretEntry,
  type WorkflowDoc,
} from '@flowgate/store';
import { z } from 'zod';
import { workspaceOf } from '../auth';
import { workflowPath } from '../http/resource-params';
import { route, type RouteTable } from '../http/route';
import { failure, workflowId } from '../http/schemas';
import { triggerSecretAdded, triggerSecretList } from '../schemas/secrets';
import type { ConfigChanges } from '../config-cache';

/**
 * Write-only secrets of a workflow's webhook auth methods. `POST /v1/workflows/{id}/trigger/secrets`
 * adds a secret to one method (given, or generated and returned once); the method's previous secret
 * stays valid beside it and any older one is dropped (at most two per method). `GET` lists ids,
 * methods, creation times and fingerprints, never a value; `DELETE …/secrets/{secret_id}` revokes one.
 */
const SECRET_ID = /^sec_[A-Za-z0-9_-]{8,64}$/;
const addBody = z
  .object({
    /** The auth method's id (default: its type, e.g. "hmac"); optional when the webhook has one method. */
    method: z.string().max(32).optional(),
    /** The secret to use (e.g. the one a sender such as GitHub was given); omitted = generate one. */
    secret: z.string().min(16).max(512).optional(),
  })
  .strict();

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
    body: addBody,
    hint: 'Body must be {"method"?: string, "secret"?: string of 16 to 512 characters}',
    responses: {
      '201': { description: 'The new secret (`secret` only when generated) and all secrets of the webhook', schema: triggerSecretAdded },
      '404': failure('workflow_not_found'),
      '409': failure('The secrets changed at the same time (conflict)'),
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

function entryView(e: TriggerSecretEntry) {
  return { id: e.id, method: e.method, fingerprint: e.fingerprint, created_at: e.created_at.toISOString() };
}

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

function generatedSecret(method: SecretMethod): string {
  if (method.type === 'standard_webhooks') return `whsec_${randomBytes(32).toString('base64')}`;
  return randomToken(method.type === 'hmac' ? 'whs_' : 'wht_', 32);
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

  const conflictSafe = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      if (err instanceof TriggerSecretsConflictError) throw new ApiError('conflict', 'The secrets changed at the same time; retry');
      throw err;
    }
  };

  table.mount(triggerSecretSpecs.list, async (req, res) => {
    const { trigger } = await findTrigger(req);
    res.json({ secrets: (trigger.auth_secrets ?? []).map(entryView) });
  });

  table.mount(triggerSecretSpecs.add, async (req, res) => {
    const { workflow, trigger } = await findTrigger(req);
    const methods = await methodsOf(store, workflow);
    const ids = methods.map(methodKey);
    const wanted = req.body.method ?? (methods.length === 1 ? ids[0] : undefined);
    const method = methods.find((m) => methodKey(m) === wanted);
    if (!method)
      throw new ApiError(
        'invalid_request',
        methods.length === 0
          ? 'The webhook has no auth method that uses a secret (set trigger.webhook.auth first)'
          : `Name the auth method: one of ${ids.join(', ')}`,
        { methods: ids },
      );
    const given = req.body.secret;
    if (given !== undefined && method.type === 'standard_webhooks' && !isStandardWebhooksSecret(given))
      throw new ApiError('invalid_request', 'A Standard Webhooks secret is "whsec_" + base64 of 24 to 64 random bytes');
    const secret = given ?? generatedSecret(method);
    const storage = secretStorageOf(method);
    const entry: TriggerSecretEntry = {
      id: randomToken('sec_', 12),
      method: methodKey(method),
      storage,
      value: storage === 'hash' ? sha256Hex(secret) : box.encrypt(secret),
      fingerprint: sha256Hex(secret).slice(0, 8),
      created_at: new Date(),
    };
    const all = await conflictSafe(() => addTriggerSecret(store.triggers, trigger, entry));
    if (!all) throw new ApiError('workflow_not_found', `Workflow ${workflow._id} not found`);
    await deps.configChanges.changed(workflow);
    res.status(201).json({ ...entryView(entry), ...(given === undefined ? { secret } : {}), secrets: all.map(entryView) });
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
