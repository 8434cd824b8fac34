import { z } from 'zod';
import { route } from '../http/route';
import { failure } from '../http/schemas';
import { accepted } from '../schemas/executions';
import { received } from '../schemas/webhooks';

/**
 * The webhook URLs' declarations (their handler: hooks.ts). The token is not checked against a
 * pattern here: an unknown token may answer `200 {"received": true}` (anti-enumeration).
 */
const AUTH =
  "Checked against the trigger's `trigger.webhook.auth` methods (all must pass): `Authorization: Bearer`, a named header, " +
  'an HMAC of the raw body, or Standard Webhooks (webhook-id / webhook-timestamp / webhook-signature, timestamp within tolerance_s).';
const BODIES =
  'Bodies by content type: JSON (also +json, or no type) parsed; application/x-www-form-urlencoded and multipart/form-data as fields ' +
  '(repeated names → arrays; multipart files → {filename, content_type, base64}; at most 20 files, 1000 fields); text/*, XML and CSV ' +
  'as text; anything else {content_type, base64}. trigger.raw holds the body as received (UTF-8, or base64 for multipart and binary).';
const RECEIVED =
  'Unknown webhook token while FLOWGATE_WEBHOOK_ANTI_ENUMERATION=on, or (`captured`) a parameter capture of a workflow ' +
  'with no published version (nothing is started)';

const params = z.object({ token: z.string().describe('The webhook token (wh_…)') });
const versionParams = z.object({
  token: z.string().describe("The workflow's production webhook token (wh_…); the other environments' tokens have no version URLs"),
  version: z
    .string()
    .describe(
      'A published version number (`v3` → 3; no leading zero). Never published, `v0` (the draft) or not a number: 404 version_not_found',
    ),
});
const VERSION_URL =
  'Runs exactly published version {version}, whatever production has moved to (ADR 0021): the production webhook (its secrets, ' +
  "its enabled switch, archive → 410) with that version's own trigger.webhook settings (auth methods, methods, CORS, rate limit — " +
  'its own bucket —, response shaping); idempotency keys are its own. Executions record environment `production` and `workflow_version` {version}.';
const versionGone = failure(
  'workflow_archived: the workflow was archived; version_retired: the version was retired (POST /v1/workflows/{id}/versions/{version}/retire); nothing queued',
);
const versionNotFound = failure('webhook_not_found / version_not_found (never published, v0, or not under the production token)');
const headers = [
  {
    name: 'Idempotency-Key',
    description: 'Repeats within 24 h get the same execution (header Idempotent-Replayed: true) and start nothing new',
    schema: z.string().max(255),
  },
];
const authRefused = failure('Missing or invalid credentials (unauthorized) or signature (invalid_signature); nothing queued');
const anyBody = { content: { '*/*': null } };

const preflight = (path: string) =>
  route({
    method: 'options',
    path,
    summary:
      'CORS preflight: answered from trigger.webhook.cors (204, Access-Control-* headers for allowed origins), else runs the workflow if its methods include OPTIONS',
    security: 'trigger',
    params,
    // Without a cors config, an OPTIONS the workflow's methods allow runs it: idempotency applies.
    headers,
    responses: {
      '200': { description: 'Shaped workflow result (OPTIONS in methods, no cors config)' },
      '204': { description: 'Preflight answer (Access-Control-Allow-Origin / -Methods / -Headers / -Max-Age when allowed)' },
      '401': failure('unauthorized / invalid_signature'),
      '403': failure('trigger_disabled'),
      '404': failure('webhook_not_found / workflow_not_published'),
      '410': failure('workflow_archived: the workflow was archived (DELETE /v1/workflows/{id}); nothing queued'),
      '405': failure('method_not_allowed'),
      '429': failure('rate_limited / quota_exceeded'),
    },
  });

const asyncSpec = route({
  method: 'all',
  documented: ['post'],
  path: '/hooks/{token}',
  summary: 'Start an execution asynchronously (any method is accepted)',
  description: `${AUTH} ${BODIES}`,
  security: 'trigger',
  params,
  headers,
  rawBody: anyBody,
  responses: {
    '200': { description: RECEIVED, schema: received },
    '202': {
      description:
        'Accepted (`queued`), or `debounced` when the workflow sets trigger.webhook.debounce: the id of the execution its window will start',
      schema: accepted,
    },
    '401': authRefused,
    '403': failure('trigger_disabled'),
    '404': failure('webhook_not_found / workflow_not_published'),
    '410': failure('workflow_archived: the workflow was archived (DELETE /v1/workflows/{id}); nothing queued'),
    '405': failure('method_not_allowed'),
    '429': failure(
      'Rate limited (Retry-After, RateLimit-Policy, RateLimit headers), or a workspace quota used up (quota_exceeded, Retry-After)',
    ),
  },
});

const syncSpec = route({
  method: 'all',
  documented: ['post'],
  path: '/hooks/{token}/sync',
  summary:
    "Start an execution and wait for its answer: the first respond step's, as soon as it ran, else its result (up to the trigger sync timeout)",
  description: AUTH,
  security: 'trigger',
  params,
  headers,
  rawBody: anyBody,
  responses: {
    '200': {
      description:
        "The first respond step's answer as soon as it ran (its status, headers and body; the run may go on at its next), else the " +
        'shaped workflow result once the run ended (JSON, or text/plain, text/csv, text/html, text/xml as set by a respond step or trigger.webhook.response.headers); a failed execution: `{"execution_id", "status": "failed", "message"}`; or `{"received": true}` for an unknown token under anti-enumeration',
    },
    '5XX': {
      description:
        'A failed execution when trigger.webhook.response.failure_status is set: `{"execution_id", "status", "message"}` (503: dependency unavailable, nothing accepted)',
    },
    '202': {
      description: 'Still running, or `debounced` (trigger.webhook.debounce: answered at once, the window starts its execution later)',
      schema: accepted,
    },
    '401': authRefused,
    '403': failure('trigger_disabled'),
    '404': failure('webhook_not_found / workflow_not_published'),
    '410': failure('workflow_archived: the workflow was archived (DELETE /v1/workflows/{id}); nothing queued'),
    '405': failure('method_not_allowed'),
    '429': failure('Rate limited or a workspace quota used up (quota_exceeded); Retry-After; nothing queued'),
  },
});

/** A version URL's declaration: the production URL's, with the version parameter and its refusals. */
const versionOfSpec = <S extends typeof asyncSpec>(spec: S, path: string, what: string) =>
  route({
    ...spec,
    path,
    summary: `${spec.summary ?? ''} — ${what}`,
    description: spec.description ? `${VERSION_URL} ${spec.description}` : VERSION_URL,
    params: versionParams,
    responses: { ...spec.responses, '404': versionNotFound, '410': versionGone },
  });

export const hookSpecs = {
  asyncPreflight: preflight('/hooks/{token}'),
  async: asyncSpec,
  syncPreflight: preflight('/hooks/{token}/sync'),
  sync: syncSpec,
  versionPreflight: versionOfSpec(preflight('/hooks/{token}/v{version}'), '/hooks/{token}/v{version}', 'of one published version'),
  version: versionOfSpec(asyncSpec, '/hooks/{token}/v{version}', 'exactly one published version'),
  versionSyncPreflight: versionOfSpec(
    preflight('/hooks/{token}/v{version}/sync'),
    '/hooks/{token}/v{version}/sync',
    'of one published version, sync',
  ),
  versionSync: versionOfSpec(syncSpec, '/hooks/{token}/v{version}/sync', 'exactly one published version'),
};
