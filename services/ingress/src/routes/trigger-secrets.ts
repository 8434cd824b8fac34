import { randomBytes } from 'node:crypto';
import { ApiError } from '@flowgate/contracts';
import { authMethodsOf, isStandardWebhooksSecret, methodKey, secretStorageOf, webhookAuthSchema, type SecretMethod } from '@flowgate/core';
import { randomToken, sha256Hex, type SecretBox } from '@flowgate/kit';
import {
  addTriggerSecret,
  productionTriggerFilter,
  removeTriggerSecret,
  TriggerSecretsConflictError,
  type Collections,
  type TriggerSecretEntry,
  type WorkflowDoc,
} from '@flowgate/store';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { workspaceOf } from '../auth';
import type { ConfigChanges } from '../config-cache';

/**
 * Write-only secrets of a workflow's webhook auth methods. `POST /v1/workflows/{id}/trigger/secrets`
 * adds a secret to one method (given, or generated and returned once); the method's previous secret
 * stays valid beside it and any older one is dropped (at most two per method). `GET` lists ids,
 * methods, creation times and fingerprints, never a value; `DELETE …/secrets/{secret_id}` revokes one.
 */
const WORKFLOW_ID = /^wf_[A-Za-z0-9]{8,64}$/;
const SECRET_ID = /^sec_[A-Za-z0-9_-]{8,64}$/;
const addBody = z
  .object({
    /** The auth method's id (default: its type, e.g. "hmac"); optional when the webhook has one method. */
    method: z.string().max(32).optional(),
    /** The secret to use (e.g. the one a sender such as GitHub was given); omitted = generate one. */
    secret: z.string().min(16).max(512).optional(),
  })
  .strict();

function entryView(e: TriggerSecretEntry) {
  return { id: e.id, method: e.method, fingerprint: e.fingerprint, created_at: e.created_at.toISOString() };
}

/** The auth methods of the draft and of the latest published version (secrets may be set before publishing). */
async function methodsOf(store: Collections, doc: WorkflowDoc): Promise<SecretMethod[]> {
  const texts = [doc.draft_json];
  if (doc.published_version !== null) {
    const version = await store.workflowVersions.findOne({ _id: `${doc._id}:${doc.published_version}` });
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

export function triggerSecretRoutes(deps: { store: Collections; box: SecretBox; configChanges: ConfigChanges }): Router {
  const { store, box } = deps;
  const router = Router();

  const findTrigger = async (req: Request) => {
    const id = String(req.params.id);
    const workspaceId = workspaceOf(req);
    const workflow = WORKFLOW_ID.test(id) ? await store.workflows.findOne({ _id: id, workspace_id: workspaceId }) : null;
    // The production trigger holds the secrets of every environment's webhook (environment-triggers.ts).
    const trigger = workflow ? await store.triggers.findOne(productionTriggerFilter(workflow._id, workspaceId)) : null;
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

  router.get('/v1/workflows/:id/trigger/secrets', async (req, res) => {
    const { trigger } = await findTrigger(req);
    res.json({ secrets: (trigger.auth_secrets ?? []).map(entryView) });
  });

  router.post('/v1/workflows/:id/trigger/secrets', async (req, res) => {
    const parsed = addBody.safeParse(req.body ?? {});
    if (!parsed.success)
      throw new ApiError('invalid_request', 'Body must be {"method"?: string, "secret"?: string of 16 to 512 characters}', {
        errors: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      });
    const { workflow, trigger } = await findTrigger(req);
    const methods = await methodsOf(store, workflow);
    const ids = methods.map(methodKey);
    const wanted = parsed.data.method ?? (methods.length === 1 ? ids[0] : undefined);
    const method = methods.find((m) => methodKey(m) === wanted);
    if (!method)
      throw new ApiError(
        'invalid_request',
        methods.length === 0
          ? 'The webhook has no auth method that uses a secret (set trigger.webhook.auth first)'
          : `Name the auth method: one of ${ids.join(', ')}`,
        { methods: ids },
      );
    const given = parsed.data.secret;
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

  router.delete('/v1/workflows/:id/trigger/secrets/:secretId', async (req, res) => {
    const { workflow, trigger } = await findTrigger(req);
    const secretId = String(req.params.secretId);
    const left = SECRET_ID.test(secretId) ? await conflictSafe(() => removeTriggerSecret(store.triggers, trigger, secretId)) : null;
    if (!left) throw new ApiError('not_found', `Secret ${secretId} not found`);
    await deps.configChanges.changed(workflow);
    res.status(204).end();
  });

  return router;
}
