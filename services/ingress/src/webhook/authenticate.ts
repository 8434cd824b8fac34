import type { WorkflowDefinition } from '@flowgate/core';
import type { SecretBox } from '@flowgate/kit';
import type { TriggerDoc } from '@flowgate/store';
import { webhookAuthFailure, type AuthRequest } from '../webhook-auth';
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
  const failure = webhookAuthFailure(webhook.auth, req, secrets, box, now);
  if (failure) throw rejection('auth', { code: failure.code, message: failure.message });
}
