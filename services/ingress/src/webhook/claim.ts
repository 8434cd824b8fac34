import { authMethodsOf, DomainError, idempotencyKeyOf, type Environment, type TriggerInput, type WorkflowDefinition } from '@flowgate/core';
import { rejection } from './rejections';

type Webhook = WorkflowDefinition['trigger']['webhook'];

/**
 * Stage "claim idempotency": the request's idempotency key (from the configured body
 * path, `Idempotency-Key`, or a signed Standard Webhooks `webhook-id`), or null; a malformed key is
 * a 400 (reason `idempotency_key`). Keys are per environment: a development run never answers with
 * a production execution. The key (if any) is then claimed in NATS KV (IdempotencyKeys.claim).
 */
export function idempotencyKeyFor(webhook: Webhook, environment: Environment, input: TriggerInput): string | null {
  const signedWebhookId = authMethodsOf(webhook.auth).some((m) => m.type === 'standard_webhooks');
  let key: string | null;
  try {
    key = idempotencyKeyOf(input, webhook.idempotency_key_path, signedWebhookId);
  } catch (err) {
    if (err instanceof DomainError) throw rejection('idempotency_key', { message: err.message });
    throw err;
  }
  return key === null || environment === 'production' ? key : `${environment}:${key}`;
}
