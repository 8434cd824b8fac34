import { randomBytes } from 'node:crypto';
import { ApiError } from '@flowgate/contracts';
import { isStandardWebhooksSecret, methodKey, secretStorageOf, type SecretMethod } from '@flowgate/core';
import { randomToken, sha256Hex, type SecretBox } from '@flowgate/kit';
import { TriggerSecretsConflictError, type TriggerSecretEntry } from '@flowgate/store';
import { z } from 'zod';

/**
 * Write-only secrets of auth methods, shared by a workflow's webhook (`/v1/workflows/{id}/trigger/secrets`)
 * and an event source (`/v1/sources/{id}/secrets`): the add body, the new entry (given, or generated
 * and returned once; tokens kept as SHA-256 hashes, signing keys sealed), the listing view (never a
 * value) and the revoke id check.
 */
export const SECRET_ID = /^sec_[A-Za-z0-9_-]{8,64}$/;

export const addSecretBody = z
  .object({
    /** The auth method's id (default: its type, e.g. "hmac"); optional when there is one method. */
    method: z.string().max(32).optional(),
    /** The secret to use (e.g. the one a sender such as GitHub was given); omitted = generate one. */
    secret: z.string().min(16).max(512).optional(),
  })
  .strict();
export const addSecretHint = 'Body must be {"method"?: string, "secret"?: string of 16 to 512 characters}';

export function secretEntryView(e: TriggerSecretEntry) {
  return { id: e.id, method: e.method, fingerprint: e.fingerprint, created_at: e.created_at.toISOString() };
}

function generatedSecret(method: SecretMethod): string {
  if (method.type === 'standard_webhooks') return `whsec_${randomBytes(32).toString('base64')}`;
  return randomToken(method.type === 'hmac' ? 'whs_' : 'wht_', 32);
}

/**
 * The entry to store for one method of `methods` (named by `body.method`, or the only one): 400
 * invalid_request when none uses a secret or the method is not named (`noMethods`: what to set first).
 * `secret` is the value to show once (only when generated).
 */
export function newSecretEntry(
  methods: SecretMethod[],
  body: z.infer<typeof addSecretBody>,
  box: SecretBox,
  noMethods: string,
): { entry: TriggerSecretEntry; secret?: string } {
  const ids = methods.map(methodKey);
  const wanted = body.method ?? (methods.length === 1 ? ids[0] : undefined);
  const method = methods.find((m) => methodKey(m) === wanted);
  if (!method)
    throw new ApiError('invalid_request', methods.length === 0 ? noMethods : `Name the auth method: one of ${ids.join(', ')}`, {
      methods: ids,
    });
  const given = body.secret;
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
  return given === undefined ? { entry, secret } : { entry };
}

/** A concurrent change of the same secrets is 409 conflict (retry). */
export async function conflictSafe<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof TriggerSecretsConflictError) throw new ApiError('conflict', 'The secrets changed at the same time; retry');
    throw err;
  }
}
