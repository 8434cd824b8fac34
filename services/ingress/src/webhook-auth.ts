import { ApiError } from '@flowgate/contracts';
import { authMethodsOf, credentialHeadersOf, verifyWebhookAuth, type AuthSecrets, type WebhookAuth } from '@flowgate/core';
import type { SecretBox } from '@flowgate/kit';
import type { TriggerSecretEntry } from '@flowgate/store';
import type { IncomingHttpHeaders } from 'node:http';

/** What authentication reads of a request: its headers and its raw body (a Buffer, as express.raw leaves it). */
export interface AuthRequest {
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** Where the secrets of auth methods are kept: a trigger (webhook auth) or an event source (its own auth). */
export interface SecretHolder {
  auth_secrets?: TriggerSecretEntry[];
}

/**
 * Checks a webhook or fan-out request against its auth methods (all must pass) with the secrets
 * stored on its trigger or source: token hashes as they are, signing keys unsealed for the check only. Returns the
 * 401 to answer, or null. The error never says which secret or which part failed beyond the kind.
 */
export function webhookAuthFailure(
  auth: WebhookAuth | undefined,
  req: AuthRequest,
  holder: SecretHolder,
  box: SecretBox,
  now: Date,
): ApiError | null {
  const methods = authMethodsOf(auth);
  if (methods.length === 0) return null;
  const entries = holder.auth_secrets ?? [];
  const secrets: AuthSecrets = {
    hashes: (key) => entries.filter((e) => e.method === key && e.storage === 'hash').map((e) => e.value),
    keys: (key) => entries.filter((e) => e.method === key && e.storage === 'sealed').map((e) => box.decrypt(e.value)),
  };
  const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const outcome = verifyWebhookAuth(methods, { headers: req.headers, rawBody }, secrets, now.getTime());
  if (outcome.ok) return null;
  if (outcome.code === 'unauthorized') return new ApiError('unauthorized', 'Missing or invalid webhook credentials');
  // Only Standard Webhooks signs a timestamp; an HMAC refusal does not talk about one.
  return outcome.type === 'standard_webhooks'
    ? new ApiError('invalid_signature', 'Missing or invalid webhook signature, or its webhook-timestamp is outside the tolerance')
    : new ApiError('invalid_signature', 'Missing or invalid webhook signature: it must be the HMAC of the raw body with the secret');
}

/** Removes the headers that carried a credential from what the workflow (and the execution record) sees. */
export function dropCredentialHeaders(auth: WebhookAuth | undefined, headers: Record<string, string>): void {
  for (const name of credentialHeadersOf(authMethodsOf(auth))) delete headers[name];
}
