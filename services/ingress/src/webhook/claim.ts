import { authMethodsOf, DomainError, idempotencyKeyOf, type Environment, type TriggerInput, type WorkflowDefinition } from '@flowgate/core';
import { rejection } from './rejections';

type Webhook = WorkflowDefinition['trigger']['webhook'];

/**
 * Stage "claim idempotency": the request's idempotency key (from the configured body
 * path, `Idempotency-Key`, or a signed Standard Webhooks `webhook-id`), or null; a malformed key is
 * a 400 (reason `idempotency_key`). Keys are per environment: a development run never answers with
 * a production execution, nor a version URL's a production one. The key (if any) is then claimed in
 * NATS KV (IdempotencyKeys.claim).
 */
export function idempotencyKeyFor(
  webhook: Webhook,
  environment: Environment,
  input: TriggerInput,
  /** Set on a version URL (`/hooks/{token}/v{n}`, ADR 0021): its keys are its own, never production's nor another version's. */
  version: number | null = null,
): string | null {
  const signedWebhookId = authMethodsOf(webhook.auth).some((m) => m.type === 'standard_webhooks');
  let key: string | null;
  try {
    key = idempotencyKeyOf(input, webhook.idempotency_key_path, signedWebhookId);
  } catch (err) {
    if (err instanceof DomainError) throw rejection('idempotency_key', { message: err.message });
    throw err;
  }
  if (key === null) return null;
  // A key never holds a space (printable ASCII without it): `v<n> <key>` is no production key.
  if (version !== null) return `v${version} ${key}`;
  return environment === 'production' ? key : `${environment}:${key}`;
}
