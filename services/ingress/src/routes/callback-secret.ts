import { randomBytes } from 'node:crypto';
import { ApiError } from '@flowgate/contracts';
import { randomToken, type SecretBox } from '@flowgate/kit';
import {
  DEFAULT_CALLBACK_SECRET_ID,
  findCallbackSecrets,
  RotationConflictError,
  rotateCallbackSecret,
  validCallbackSecrets,
  type CallbackSecretEntry,
  type Collections,
} from '@flowgate/store';
import { z } from 'zod';
import { workspaceOf } from '../auth';
import { route, type RouteTable } from '../http/route';
import { failure } from '../http/schemas';
import { callbackSecretCreated, callbackSecrets } from '../schemas/secrets';

/**
 * The workspace's callback signing secret. `POST /v1/callback-secret/rotate` creates a new one and
 * returns it once; the previous one stays valid (callbacks carry both signatures) until its
 * `expires_at`. `GET /v1/callback-secret` lists ids, creation and expiry, never a secret. A
 * workspace that never rotated signs with the deployment's FLOWGATE_CALLBACK_SIGNING_SECRET (`default`).
 */
const DAY_S = 24 * 3600;
const rotateBody = z
  .object({
    /** How long the previous secret(s) stay valid: 0 = revoke now (e.g. after a leak). */
    previous_secret_expires_in_s: z
      .number()
      .int()
      .min(0)
      .max(7 * DAY_S)
      .default(DAY_S),
  })
  .strict();

function entryView(e: CallbackSecretEntry, current: boolean) {
  return {
    id: e.id,
    current,
    source: e.id === DEFAULT_CALLBACK_SECRET_ID ? 'deployment' : 'workspace',
    created_at: e.created_at?.toISOString() ?? null,
    expires_at: e.expires_at?.toISOString() ?? null,
  };
}

export const callbackSecretSpecs = {
  list: route({
    method: 'get',
    path: '/v1/callback-secret',
    summary: "The workspace's valid callback signing secrets (ids, creation, expiry; never the secret), current first",
    security: { apiKey: 'admin' },
    responses: { '200': { description: 'Secrets', schema: callbackSecrets } },
  }),
  rotate: route({
    method: 'post',
    path: '/v1/callback-secret/rotate',
    summary:
      'Create a new signing secret (returned once). Earlier secrets stay valid until expires_at; meanwhile callbacks carry ' +
      'one v1 signature per valid secret in webhook-signature',
    security: { apiKey: 'admin' },
    body: rotateBody,
    hint: 'The body may only hold "previous_secret_expires_in_s" (0 to 604800 seconds)',
    responses: {
      '201': { description: 'The new secret (shown only here) and the valid secrets', schema: callbackSecretCreated },
      '409': failure('Another rotation happened at the same time (conflict)'),
    },
  }),
};

export function callbackSecretRoutes(table: RouteTable, deps: { store: Collections; box: SecretBox }): void {
  const listView = (entries: CallbackSecretEntry[]) => ({ secrets: entries.map((e, i) => entryView(e, i === 0)) });

  table.mount(callbackSecretSpecs.list, async (req, res) => {
    const now = new Date();
    const doc = await findCallbackSecrets(deps.store.callbackSecrets, workspaceOf(req));
    res.json(listView(validCallbackSecrets(doc, now)));
  });

  table.mount(callbackSecretSpecs.rotate, async (req, res) => {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const id = randomToken('cbs_', 12);
    const now = new Date();
    let doc;
    try {
      doc = await rotateCallbackSecret(
        deps.store.callbackSecrets,
        workspaceOf(req),
        { id, sealed: deps.box.encrypt(secret) },
        req.body.previous_secret_expires_in_s * 1000,
        now,
      );
    } catch (err) {
      if (err instanceof RotationConflictError) throw new ApiError('conflict', 'Another rotation happened at the same time; retry');
      throw err;
    }
    res.status(201).json({ id, secret, created_at: now.toISOString(), ...listView(validCallbackSecrets(doc, now)) });
  });
}
