import type { WebhookAuth, WorkflowDefinition } from '@flowgate/core';
import type { SecretBox } from '@flowgate/kit';
import type { SourceDoc, TriggerDoc } from '@flowgate/store';
import { webhookAuthFailure, type AuthRequest, type SecretHolder } from '../webhook-auth';
import { rejection } from './rejections';
import type { ResolvedHook } from './resolve';

type Webhook = WorkflowDefinition['trigger']['webhook'];

/**
 * Every environment's webhook checks the secrets kept on the production trigger: true when this one
 * must look that trigger up first (it has auth and is not production's own).
 */
export function needsProductionSecrets(hook: ResolvedHook, webhook: Webhook): boolean {
  return Boolean(webhook.auth) && hook.environment !== 'production';
}

/** Stage "authenticate": every auth method of the webhook passes with the secrets of `secrets`, or 401 (reason `auth`). */
export function authenticate(webhook: Webhook, req: AuthRequest, secrets: TriggerDoc, box: SecretBox, now: Date): void {
  authenticateWith(webhook.auth, req, secrets, box, now);
}

/**
 * Stage "authenticate" of a fan-out (`/sources/{token}`): the source's own auth methods with the
 * source's secrets, the same check and the same 401 (reason `auth`) as a webhook's. A source without
 * auth (null / absent) is authenticated by its URL token alone.
 */
export function authenticateSource(source: Pick<SourceDoc, 'auth' | 'auth_secrets'>, req: AuthRequest, box: SecretBox, now: Date): void {
  authenticateWith(source.auth ?? undefined, req, source, box, now);
}

function authenticateWith(auth: WebhookAuth | undefined, req: AuthRequest, secrets: SecretHolder, box: SecretBox, now: Date): void {
  const failure = webhookAuthFailure(auth, req, secrets, box, now);
  if (failure) throw rejection('auth', { code: failure.code, message: failure.message });
}
