import { resolveParameters, type TriggerInput, type WebhookAuth, type WorkflowDefinition } from '@flowgate/core';
import type { Collections } from '@flowgate/store';
import type { Request } from 'express';
import { draftDefinitionOf, mayCapture, offerToCapture } from '../capture';
import type { ConfigChanges } from '../config-cache';
import { dropCredentialHeaders } from '../webhook-auth';
import { triggerInputOf } from '../webhook-input';
import { rejection } from './rejections';
import type { ResolvedHook } from './resolve';

type Webhook = WorkflowDefinition['trigger']['webhook'];

/** Where a parameter capture window (capture.ts) is claimed. */
export interface CaptureDeps {
  store: Collections;
  configChanges: ConfigChanges;
}

/**
 * Before "resolve" finds nothing to run: a parameter capture on a webhook with no published version
 * keeps the request and runs nothing. Whether one may be listening costs no round trip (development
 * runs the draft, so it always has something to run).
 */
export function mayCaptureUnpublished(hook: ResolvedHook): boolean {
  return hook.environment !== 'development' && hook.workflow.published_version === null && mayCapture(hook.trigger, new Date());
}

/** True: the request was captured (answer `{"captured": true}`). */
export async function captureUnpublished(deps: CaptureDeps, req: Request, hook: ResolvedHook): Promise<boolean> {
  return offerToCapture(
    deps.store,
    deps.configChanges,
    hook.trigger,
    await triggerInputOf(req),
    draftDefinitionOf(hook.workflow),
    new Date(),
  );
}

/**
 * Stage "read input": `trigger.*` from the request (400 invalid_json / invalid_request on a body
 * that does not parse), minus the headers that carried a credential; offered to an open parameter
 * capture; then the webhook's parameters resolved into `trigger.params`.
 */
export async function readInput(
  deps: CaptureDeps,
  req: Request,
  hook: ResolvedHook,
  definition: WorkflowDefinition,
): Promise<TriggerInput> {
  const webhook = definition.trigger.webhook;
  const input = await triggerInputOf(req);
  dropCredentialHeaders(webhook.auth, input.headers);
  await offerToCapture(deps.store, deps.configChanges, hook.trigger, input, definition, new Date()); // if one is listening
  withParameters(webhook, input);
  return input;
}

/**
 * Stage "read input" of a fan-out (`/sources/{token}`): `trigger.*` from the request (400
 * invalid_json / invalid_request on a body that does not parse), minus the headers that carried a
 * credential of the source's own auth. A source has no parameter capture and no parameters of its own.
 */
export async function readEventInput(req: Request, auth: WebhookAuth | null | undefined): Promise<TriggerInput> {
  const input = await triggerInputOf(req);
  dropCredentialHeaders(auth ?? undefined, input.headers);
  return input;
}

/** Resolves the webhook's declared parameters (and its body parameter) into `input.params`, or 400 (reason `parameters`). */
export function withParameters(webhook: Webhook, input: TriggerInput): void {
  if (!webhook.parameters && !webhook.body_parameter) return;
  const resolved = resolveParameters(webhook.parameters, input, webhook.body_parameter);
  if (!resolved.ok) throw rejection('parameters', { code: resolved.code, message: resolved.message, details: resolved.details });
  input.params = resolved.params;
}
