/** The public HTTP contract, served at `/openapi.json` (OpenAPI 3.1). */
import { addCommonResponses } from './openapi-common';
import { keysPaths, keysSchemas } from './openapi-keys';

const error = { $ref: '#/components/responses/Error' };
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const obj = { type: 'object' };
const AUTH_DESCRIPTION =
  "Checked against the trigger's `trigger.webhook.auth` methods (all must pass): `Authorization: Bearer`, a named header, " +
  'an HMAC of the raw body, or Standard Webhooks (webhook-id / webhook-timestamp / webhook-signature, timestamp within tolerance_s).';
const RECEIVED = {
  description:
    'Unknown webhook token while FLOWGATE_WEBHOOK_ANTI_ENUMERATION=on, or (`captured`) a parameter capture of a workflow ' +
    'with no published version (nothing is started)',
  ...json({
    oneOf: [
      { type: 'object', required: ['received'], properties: { received: { const: true } } },
      { type: 'object', required: ['captured'], properties: { captured: { const: true } } },
    ],
  }),
};
const BODY_DESCRIPTION =
  'Bodies by content type: JSON (also +json, or no type) parsed; application/x-www-form-urlencoded and multipart/form-data as fields ' +
  '(repeated names → arrays; multipart files → {filename, content_type, base64}; at most 20 files, 1000 fields); text/*, XML and CSV ' +
  'as text; anything else {content_type, base64}. trigger.raw holds the body as received (UTF-8, or base64 for multipart and binary).';
const parameterCapture = {
  type: 'object',
  required: ['workflow_id', 'status', 'started_at', 'expires_at', 'captured_at', 'request', 'parameters'],
  properties: {
    workflow_id: { type: 'string' },
    status: { enum: ['listening', 'captured', 'expired'] },
    started_at: { type: 'string', format: 'date-time' },
    expires_at: { type: 'string', format: 'date-time' },
    captured_at: { type: ['string', 'null'], format: 'date-time' },
    request: {
      description: 'The captured request; credential-like headers and query values are left out',
      oneOf: [
        {
          type: 'object',
          required: ['method', 'query', 'headers', 'body'],
          properties: { method: { type: 'string' }, query: obj, headers: obj, body: {} },
        },
        { type: 'null' },
      ],
    },
    parameters: { description: 'Inferred from the captured body (as POST /v1/parameters/infer)', oneOf: [obj, { type: 'null' }] },
  },
};
const triggerSecret = {
  type: 'object',
  required: ['id', 'method', 'fingerprint', 'created_at'],
  properties: {
    id: { type: 'string', pattern: '^sec_' },
    method: { type: 'string', description: "The auth method's id (default: its type)" },
    fingerprint: { type: 'string', description: "First 8 hex characters of the secret's SHA-256" },
    created_at: { type: 'string', format: 'date-time' },
  },
};
const triggerSecretList = { type: 'object', required: ['secrets'], properties: { secrets: { type: 'array', items: triggerSecret } } };
/** Shared by the async and sync webhook URLs. */
const HOOK_PARAMETERS = [
  { name: 'token', in: 'path', required: true, schema: { type: 'string' } },
  {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description: 'Repeats within 24 h get the same execution (header Idempotent-Replayed: true) and start nothing new',
    schema: { type: 'string', maxLength: 255 },
  },
];
const AUTH_REFUSED = {
  description: 'Missing or invalid credentials (unauthorized) or signature (invalid_signature); nothing queued',
  ...json({ $ref: '#/components/schemas/Error' }),
};
const CORS_PREFLIGHT = {
  summary:
    'CORS preflight: answered from trigger.webhook.cors (204, Access-Control-* headers for allowed origins), else runs the workflow if its methods include OPTIONS',
  responses: {
    '200': { description: 'Shaped workflow result (OPTIONS in methods, no cors config)' },
    '204': { description: 'Preflight answer (Access-Control-Allow-Origin / -Methods / -Headers / -Max-Age when allowed)' },
    '401': error,
    '403': error,
    '404': error,
    '405': error,
    '429': error,
    '503': error,
  },
};
const workflowIdParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

export const openApiDocument = {
  openapi: '3.1.0',
  info: { title: 'Flowgate', version: '0.1.0', description: 'Webhook-triggered durable workflows.' },
  components: {
    securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'Flowgate API key' } },
    schemas: {
      ...keysSchemas,
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } },
          },
        },
      },
      Accepted: {
        type: 'object',
        required: ['execution_id', 'status', 'status_url'],
        properties: { execution_id: { type: 'string' }, status: { type: 'string' }, status_url: { type: 'string' } },
      },
      Resuming: {
        type: 'object',
        required: ['execution_id', 'status', 'status_url'],
        properties: { execution_id: { type: 'string' }, status: { const: 'resuming' }, status_url: { type: 'string' } },
      },
      Schedule: {
        type: 'object',
        required: ['cron', 'timezone', 'overlap', 'missed', 'paused', 'next_fire_at', 'next_fires', 'last_fire_at'],
        properties: {
          cron: { type: 'string' },
          timezone: { type: 'string' },
          overlap: { enum: ['skip', 'allow', 'queue'] },
          missed: { enum: ['skip', 'run_once'] },
          paused: { type: 'boolean' },
          next_fire_at: { type: ['string', 'null'], format: 'date-time' },
          next_fires: { type: 'array', items: { type: 'string', format: 'date-time' } },
          last_fire_at: { type: ['string', 'null'], format: 'date-time' },
        },
      },
      Workflow: {
        type: 'object',
        required: ['id', 'name', 'published_version', 'definition', 'triggers'],
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          published_version: { type: ['integer', 'null'] },
          staging_version: { type: ['integer', 'null'], description: 'The published version the staging webhook runs (null: none pinned)' },
          definition: obj,
          triggers: {
            type: 'object',
            description:
              'One webhook per environment: production runs the latest published version, staging the pinned one, development the draft',
            properties: {
              development: { $ref: '#/components/schemas/EnvironmentTrigger' },
              staging: { $ref: '#/components/schemas/EnvironmentTrigger' },
              production: { $ref: '#/components/schemas/EnvironmentTrigger' },
            },
          },
          created_at: { type: 'string' },
          updated_at: { type: 'string' },
        },
      },
      EnvironmentTrigger: {
        type: 'object',
        required: ['async', 'sync', 'enabled', 'version', 'curl'],
        properties: {
          async: { type: 'string', description: 'ANY /hooks/{token}' },
          sync: { type: 'string', description: 'ANY /hooks/{token}/sync' },
          enabled: { type: 'boolean' },
          version: {
            oneOf: [{ type: 'integer' }, { const: 'draft' }, { type: 'null' }],
            description: 'What it runs; null: nothing yet (404 workflow_not_published)',
          },
          curl: { type: 'string', description: 'A ready curl line; auth headers carry <placeholders>, never a secret' },
        },
      },
      EgressAllowList: {
        type: 'object',
        required: ['allow_cidrs'],
        additionalProperties: false,
        properties: {
          allow_cidrs: {
            type: 'array',
            maxItems: 100,
            description: 'CIDRs with zero host bits, e.g. 10.0.0.0/8, 127.0.0.1/32, fd00::/8, ::1/128',
            items: { type: 'string', maxLength: 64 },
          },
        },
      },
      Delivery: {
        type: 'object',
        required: ['id', 'execution_id', 'event', 'url', 'status', 'cycle', 'attempt_count', 'created_at'],
        properties: {
          id: { type: 'string', description: 'also the webhook-id header, the same on every attempt and redelivery' },
          webhook_id: { type: 'string' },
          execution_id: { type: 'string' },
          workflow_id: { type: ['string', 'null'] },
          event: { enum: ['execution.succeeded', 'execution.failed', 'execution.approval_required'] },
          url: { type: 'string' },
          status: { enum: ['pending', 'succeeded', 'failed'], description: 'failed = given up on (dead letter); stays listed' },
          cycle: { type: 'integer', description: '1, +1 per redelivery' },
          attempt_count: { type: 'integer' },
          last_attempt: { oneOf: [{ $ref: '#/components/schemas/DeliveryAttempt' }, { type: 'null' }] },
          next_attempt_at: { type: ['string', 'null'], format: 'date-time' },
          created_at: { type: 'string', format: 'date-time' },
          updated_at: { type: 'string', format: 'date-time' },
          status_url: { type: 'string' },
        },
      },
      DeliveryAttempt: {
        type: 'object',
        required: ['cycle', 'at', 'status_code', 'latency_ms', 'error'],
        properties: {
          cycle: { type: 'integer' },
          attempt: { type: ['integer', 'null'] },
          at: { type: 'string', format: 'date-time' },
          status_code: { type: ['integer', 'null'] },
          latency_ms: { type: 'integer' },
          error: { type: ['string', 'null'] },
          error_code: { enum: ['http_status', 'timeout', 'network', 'egress_forbidden', 'invalid_url', 'interrupted', null] },
          response_body: { type: ['string', 'null'], description: 'the first KiB of the answer' },
        },
      },
      CallbackSecrets: {
        type: 'object',
        required: ['secrets'],
        properties: {
          secrets: {
            type: 'array',
            items: {
              type: 'object',
              required: ['id', 'current', 'source', 'created_at', 'expires_at'],
              properties: {
                id: { type: 'string', description: 'cbs_…, or default for the deployment-wide secret' },
                current: { type: 'boolean' },
                source: { enum: ['workspace', 'deployment'] },
                created_at: { type: ['string', 'null'], format: 'date-time' },
                expires_at: { type: ['string', 'null'], format: 'date-time' },
              },
            },
          },
        },
      },
      Execution: {
        type: 'object',
        required: ['id', 'status', 'trigger_input', 'step_executions'],
        properties: {
          id: { type: 'string' },
          workflow_id: { type: 'string' },
          workflow_version: { type: 'integer' },
          status: { enum: ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled', 'timed_out'] },
          trigger_input: obj,
          step_executions: { type: 'array', items: obj },
          final_output: {},
          error: { type: ['object', 'null'] },
          waiting_reason: { enum: ['delay', 'webhook', 'approval', null] },
          waiting_payload: { type: ['object', 'null'], additionalProperties: { type: 'string' } },
          waiting_expires_at: { type: ['string', 'null'], format: 'date-time' },
          environment: { enum: ['development', 'staging', 'production'] },
          test_run: { type: 'boolean', description: 'Started by POST /v1/workflows/{id}/test' },
        },
      },
    },
    responses: { Error: { description: 'Error', ...json({ $ref: '#/components/schemas/Error' }) } },
  },
  paths: {
    ...keysPaths,
    '/hooks/{token}': {
      parameters: HOOK_PARAMETERS,
      post: {
        summary: 'Start an execution asynchronously (any method is accepted)',
        description: `${AUTH_DESCRIPTION} ${BODY_DESCRIPTION}`,
        requestBody: { content: { '*/*': { schema: {} } } },
        responses: {
          '200': RECEIVED,
          '202': { description: 'Accepted', ...json({ $ref: '#/components/schemas/Accepted' }) },
          '400': error,
          '401': AUTH_REFUSED,
          '403': error,
          '404': error,
          '405': error,
          '413': error,
          '429': {
            description:
              'Rate limited (Retry-After, RateLimit-Policy, RateLimit headers), or a workspace quota used up (quota_exceeded, Retry-After)',
            ...json({ $ref: '#/components/schemas/Error' }),
          },
          '503': error,
        },
      },
      options: CORS_PREFLIGHT,
    },
    '/hooks/{token}/sync': {
      parameters: HOOK_PARAMETERS,
      post: {
        summary: 'Start an execution and wait for its result (up to the trigger sync timeout)',
        description: AUTH_DESCRIPTION,
        requestBody: { content: { '*/*': { schema: {} } } },
        responses: {
          '200': {
            description:
              'Shaped workflow result (JSON, or text/plain, text/csv, text/html, text/xml as set by a respond step or trigger.webhook.response.headers); a failed execution: `{"execution_id", "status": "failed", "message"}`; or `{"received": true}` for an unknown token under anti-enumeration',
          },
          '5XX': {
            description:
              'A failed execution when trigger.webhook.response.failure_status is set: `{"execution_id", "status", "message"}` (503: dependency unavailable, nothing accepted)',
          },
          '202': { description: 'Still running', ...json({ $ref: '#/components/schemas/Accepted' }) },
          '401': AUTH_REFUSED,
          '404': error,
          '429': { description: 'Rate limited or a workspace quota used up (quota_exceeded); Retry-After; nothing queued', ...error },
          '503': error,
        },
      },
      options: CORS_PREFLIGHT,
    },
    '/resume/{token}': {
      parameters: [{ name: 'token', in: 'path', required: true, schema: { type: 'string' } }],
      post: {
        summary: 'Resume a wait_for_webhook step: the body becomes the step output (the token is the credential)',
        requestBody: { content: { '*/*': { schema: {} } } },
        responses: {
          '202': { description: 'Resume queued', ...json({ $ref: '#/components/schemas/Resuming' }) },
          '400': error,
          '404': error,
          '409': error,
          '413': error,
          '503': error,
        },
      },
    },
    '/approvals/{token}': {
      parameters: [{ name: 'token', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        summary: 'What an approval step asks, with its approve / reject URLs',
        responses: {
          '200': {
            description: 'The pending approval',
            ...json({
              type: 'object',
              required: ['execution_id', 'step_id', 'expires_at', 'approve_url', 'reject_url'],
              properties: {
                execution_id: { type: 'string' },
                workflow_id: { type: ['string', 'null'] },
                step_id: { type: 'string' },
                message: { type: ['string', 'null'] },
                expires_at: { type: 'string', format: 'date-time' },
                approve_url: { type: 'string' },
                reject_url: { type: 'string' },
              },
            }),
          },
          '404': error,
        },
      },
    },
    '/approvals/{token}/{decision}': {
      parameters: [
        { name: 'token', in: 'path', required: true, schema: { type: 'string' } },
        { name: 'decision', in: 'path', required: true, schema: { type: 'string', enum: ['approve', 'reject'] } },
      ],
      post: {
        summary: 'Approve or reject an approval step, with an optional comment',
        requestBody: {
          required: false,
          ...json({ type: 'object', additionalProperties: false, properties: { comment: { type: 'string', maxLength: 2000 } } }),
        },
        responses: {
          '202': { description: 'Decision queued', ...json({ $ref: '#/components/schemas/Resuming' }) },
          '400': error,
          '404': error,
          '409': error,
          '503': error,
        },
      },
    },
    '/v1/parameters/infer': {
      post: {
        security: [{ apiKey: [] }],
        summary: 'Guess a parameter schema from a sample JSON object or key/value pairs',
        requestBody: { required: true, ...json(obj) },
        responses: { '200': { description: 'Parameters for trigger.webhook.parameters', ...json(obj) }, '400': error, '401': error },
      },
    },
    '/v1/workflows/{id}/parameters/capture': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      post: {
        security: [{ apiKey: [] }],
        summary: "Listen for the next request to the workflow's webhooks and keep it as a parameter sample",
        description:
          'Opens (or restarts) a window of window_s seconds (default 180, max 600). The first webhook request in it, on any replica, is ' +
          'captured; it still runs normally, or, if the workflow has no published version, is answered 200 {"captured": true}.',
        requestBody: {
          required: false,
          ...json({ type: 'object', additionalProperties: false, properties: { window_s: { type: 'integer', minimum: 1, maximum: 600 } } }),
        },
        responses: { '201': { description: 'Listening', ...json(parameterCapture) }, '400': error, '401': error, '404': error },
      },
      get: {
        security: [{ apiKey: [] }],
        summary: 'The capture: listening, captured (with the request and the inferred parameters) or expired',
        responses: { '200': { description: 'Capture', ...json(parameterCapture) }, '401': error, '404': error },
      },
    },
    '/v1/executions/{id}/events': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        security: [{ apiKey: [] }],
        parameters: [{ name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' } }],
        summary: 'Server-sent events: finished steps, the execution now and every change until it ends (event: end)',
        responses: {
          '200': {
            description:
              'text/event-stream: `retry: 2000`, then `event: step` (data: a step execution with its `seq`) for each finished step attempt and ' +
              '`event: execution` (data: the Execution) for each new state, until `event: end`. Each `id:` is a cursor; reconnect with ' +
              'Last-Event-ID to receive only what was missed.',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          '401': error,
          '404': error,
        },
      },
    },
    '/v1/workflows/{id}/schedule': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        security: [{ apiKey: [] }],
        summary: 'The published cron schedule with its next five fire times',
        responses: { '200': { description: 'Schedule', ...json({ $ref: '#/components/schemas/Schedule' }) }, '401': error, '404': error },
      },
    },
    '/v1/workflows/{id}/schedule/{action}': {
      parameters: [
        { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
        { name: 'action', in: 'path', required: true, schema: { type: 'string', enum: ['pause', 'resume'] } },
      ],
      post: {
        security: [{ apiKey: [] }],
        summary: 'Pause or resume the schedule (resuming counts from now: fires during the pause are not run)',
        responses: { '200': { description: 'Schedule', ...json({ $ref: '#/components/schemas/Schedule' }) }, '401': error, '404': error },
      },
    },
    '/v1/workflows': {
      get: { security: [{ apiKey: [] }], summary: 'List workflows', responses: { '200': { description: 'Workflows' }, '401': error } },
      post: {
        security: [{ apiKey: [] }],
        summary: 'Create a workflow from a JSON or YAML definition',
        requestBody: { content: { 'application/json': { schema: obj }, 'application/yaml': { schema: { type: 'string' } } } },
        responses: {
          '201': { description: 'Created', ...json({ $ref: '#/components/schemas/Workflow' }) },
          '401': error,
          '415': error,
          '422': error,
        },
      },
    },
    '/v1/workflows/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        security: [{ apiKey: [] }],
        responses: { '200': { description: 'Workflow', ...json({ $ref: '#/components/schemas/Workflow' }) }, '404': error },
      },
      put: {
        security: [{ apiKey: [] }],
        summary: 'Replace the draft',
        responses: { '200': { description: 'Workflow' }, '404': error, '422': error },
      },
    },
    '/v1/workflows/{id}/context': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        security: [{ apiKey: [] }],
        summary: 'The persisted context runs read as context.*',
        responses: {
          '200': { description: 'string → string', ...json({ type: 'object', additionalProperties: { type: 'string' } }) },
          '404': error,
        },
      },
      patch: {
        security: [{ apiKey: [] }],
        summary: 'Set keys (string) or delete them (null); other keys are kept',
        requestBody: json({ type: 'object', additionalProperties: { type: ['string', 'null'] } }),
        responses: { '200': { description: 'The whole context after the change' }, '400': error, '404': error },
      },
    },
    '/v1/workflows/{id}/trigger': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      patch: {
        security: [{ apiKey: [] }],
        summary:
          'Enable or disable the webhooks ({"enabled": false} → 403 trigger_disabled, nothing queued); all environments, or the one named',
        requestBody: json({
          type: 'object',
          required: ['enabled'],
          additionalProperties: false,
          properties: { enabled: { type: 'boolean' }, environment: { enum: ['development', 'staging', 'production'] } },
        }),
        responses: { '200': { description: 'Workflow', ...json({ $ref: '#/components/schemas/Workflow' }) }, '400': error, '404': error },
      },
    },
    '/v1/triggers': {
      get: {
        security: [{ apiKey: [] }],
        summary: 'Find the workflow behind a webhook token or URL',
        parameters: [{ name: 'token', in: 'query', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: '{ workflow_id, name, enabled, environment, workflow }' }, '400': error, '404': error },
      },
    },
    '/v1/workflows/{id}/environments/staging': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      put: {
        security: [{ apiKey: [] }],
        summary: 'Pin a published version to the staging webhook (null unpins: staging then answers 404 workflow_not_published)',
        requestBody: json({
          type: 'object',
          required: ['version'],
          additionalProperties: false,
          properties: { version: { type: ['integer', 'null'], minimum: 1 } },
        }),
        responses: {
          '200': { description: 'Workflow', ...json({ $ref: '#/components/schemas/Workflow' }) },
          '400': error,
          '401': error,
          '404': error,
        },
      },
    },
    '/v1/workflows/{id}/test': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      post: {
        security: [{ apiKey: [] }],
        summary: 'Run the draft with test JSON and wait for it (up to the trigger sync timeout); marked test_run, environment development',
        requestBody: json({
          type: 'object',
          additionalProperties: false,
          properties: {
            body: { description: 'trigger.body' },
            query: { type: 'object', additionalProperties: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } },
            headers: { type: 'object', additionalProperties: { type: 'string' } },
            method: { enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] },
          },
        }),
        responses: {
          '200': { description: 'The finished execution', ...json({ $ref: '#/components/schemas/Execution' }) },
          '202': { description: 'Still running', ...json({ $ref: '#/components/schemas/Accepted' }) },
          '400': error,
          '401': error,
          '404': error,
          '422': error,
          '429': error,
          '503': error,
        },
      },
    },
    '/v1/workflows/{id}/publish': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      post: {
        security: [{ apiKey: [] }],
        summary: 'Publish the draft as a new immutable version',
        responses: { '201': { description: 'Published' }, '404': error, '409': error },
      },
    },
    '/v1/workspace/egress': {
      get: {
        security: [{ apiKey: [] }],
        summary: "The workspace's egress allow-list: non-public destinations its http steps may reach",
        responses: { '200': { description: 'The allow-list', ...json({ $ref: '#/components/schemas/EgressAllowList' }) }, '401': error },
      },
      put: {
        security: [{ apiKey: [] }],
        summary:
          'Replace the egress allow-list. Public unicast addresses are always reachable; private, loopback, link-local, ' +
          'CGNAT, unique-local and other special-purpose addresses only when in this list or FLOWGATE_EGRESS_ALLOW_CIDRS ' +
          '(else the step fails with egress_forbidden). Executors apply a change within FLOWGATE_WORKSPACE_CACHE_MS (30 s).',
        requestBody: { required: true, ...json({ $ref: '#/components/schemas/EgressAllowList' }) },
        responses: {
          '200': { description: 'The stored (normalised) allow-list', ...json({ $ref: '#/components/schemas/EgressAllowList' }) },
          '400': error,
          '401': error,
        },
      },
    },
    '/v1/executions': {
      get: {
        security: [{ apiKey: [] }],
        summary: 'List executions, newest first, with cursor pagination',
        parameters: [
          { name: 'workflow_id', in: 'query', schema: { type: 'string' } },
          { name: 'status', in: 'query', description: 'comma-separated statuses', schema: { type: 'string' } },
          { name: 'created_after', in: 'query', schema: { type: 'string', format: 'date-time' } },
          { name: 'created_before', in: 'query', schema: { type: 'string', format: 'date-time' } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
          { name: 'cursor', in: 'query', schema: { type: 'string' } },
        ],
        responses: { '200': { description: '{ data: Execution[], next_cursor: string | null }' }, '400': error, '401': error },
      },
    },
    '/v1/executions/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        security: [{ apiKey: [] }],
        responses: { '200': { description: 'Execution', ...json({ $ref: '#/components/schemas/Execution' }) }, '404': error, '503': error },
      },
    },
    '/v1/executions/{id}/replay': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      post: {
        security: [{ apiKey: [] }],
        summary: 'Start a new execution with the same trigger input on the latest published version',
        responses: {
          '202': { description: 'Accepted (with replay_of)', ...json({ $ref: '#/components/schemas/Accepted' }) },
          '404': error,
          '503': error,
        },
      },
    },
    '/v1/executions/{id}/cancel': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      post: {
        security: [{ apiKey: [] }],
        summary: 'Cancel a queued, running or waiting execution',
        responses: { '200': { description: 'Cancelled', ...json({ $ref: '#/components/schemas/Execution' }) }, '404': error, '409': error },
      },
    },
    '/v1/deliveries': {
      get: {
        security: [{ apiKey: [] }],
        summary: 'The callback delivery log, newest first, with cursor pagination (attempts: see /v1/deliveries/{id})',
        parameters: [
          { name: 'execution_id', in: 'query', schema: { type: 'string' } },
          { name: 'workflow_id', in: 'query', schema: { type: 'string' } },
          { name: 'status', in: 'query', description: 'comma-separated: pending, succeeded, failed', schema: { type: 'string' } },
          {
            name: 'event',
            in: 'query',
            description: 'comma-separated: execution.succeeded, execution.failed, execution.approval_required',
            schema: { type: 'string' },
          },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
          { name: 'cursor', in: 'query', schema: { type: 'string' } },
        ],
        responses: {
          '200': {
            description: 'A page of deliveries',
            ...json({
              type: 'object',
              required: ['data', 'next_cursor'],
              properties: {
                data: { type: 'array', items: { $ref: '#/components/schemas/Delivery' } },
                next_cursor: { type: ['string', 'null'] },
              },
            }),
          },
          '400': error,
          '401': error,
        },
      },
    },
    '/v1/deliveries/{id}': {
      parameters: [
        { name: 'id', in: 'path', required: true, description: 'the delivery id, also its webhook-id', schema: { type: 'string' } },
      ],
      get: {
        security: [{ apiKey: [] }],
        summary: 'One delivery with its signed payload and every attempt',
        responses: {
          '200': {
            description: 'Delivery',
            ...json({
              allOf: [
                { $ref: '#/components/schemas/Delivery' },
                {
                  type: 'object',
                  required: ['payload', 'attempts'],
                  properties: { payload: {}, attempts: { type: 'array', items: { $ref: '#/components/schemas/DeliveryAttempt' } } },
                },
              ],
            }),
          },
          '404': error,
        },
      },
    },
    '/v1/deliveries/{id}/redeliver': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      post: {
        security: [{ apiKey: [] }],
        summary:
          'Start a fresh attempt cycle (full retry schedule) for a succeeded or failed delivery, with the same webhook-id and payload',
        responses: {
          '202': {
            description: 'Redelivery queued',
            ...json({
              type: 'object',
              required: ['id', 'status', 'cycle', 'status_url'],
              properties: {
                id: { type: 'string' },
                webhook_id: { type: 'string' },
                status: { const: 'pending' },
                cycle: { type: 'integer' },
                status_url: { type: 'string' },
              },
            }),
          },
          '404': error,
          '409': {
            description: 'delivery_pending: the delivery is still being attempted',
            ...json({ $ref: '#/components/schemas/Error' }),
          },
          '503': error,
        },
      },
    },
    '/v1/callback-secret': {
      get: {
        security: [{ apiKey: [] }],
        summary: "The workspace's valid callback signing secrets (ids, creation, expiry; never the secret), current first",
        responses: { '200': { description: 'Secrets', ...json({ $ref: '#/components/schemas/CallbackSecrets' }) }, '401': error },
      },
    },
    '/v1/callback-secret/rotate': {
      post: {
        security: [{ apiKey: [] }],
        summary:
          'Create a new signing secret (returned once). Earlier secrets stay valid until expires_at; meanwhile callbacks carry ' +
          'one v1 signature per valid secret in webhook-signature',
        requestBody: {
          required: false,
          ...json({
            type: 'object',
            additionalProperties: false,
            properties: { previous_secret_expires_in_s: { type: 'integer', minimum: 0, maximum: 604800, default: 86400 } },
          }),
        },
        responses: {
          '201': {
            description: 'The new secret (shown only here) and the valid secrets',
            ...json({
              allOf: [
                { $ref: '#/components/schemas/CallbackSecrets' },
                {
                  type: 'object',
                  required: ['id', 'secret', 'created_at'],
                  properties: { id: { type: 'string' }, secret: { type: 'string' }, created_at: { type: 'string', format: 'date-time' } },
                },
              ],
            }),
          },
          '400': error,
          '401': error,
          '409': error,
        },
      },
    },
    '/v1/workflows/{id}/trigger/secrets': {
      parameters: [workflowIdParam],
      get: {
        security: [{ apiKey: [] }],
        summary: "The secrets of the webhook's auth methods: ids, methods, fingerprints and creation times, never a value",
        responses: { '200': { description: 'Secrets, oldest first', ...json(triggerSecretList) }, '401': error, '404': error },
      },
      post: {
        security: [{ apiKey: [] }],
        summary:
          "Add a secret to one auth method (rotation): the method's previous secret stays valid beside it, older ones are dropped " +
          '(at most two per method). Tokens are stored as SHA-256 hashes, signing keys sealed with AES-256-GCM',
        requestBody: {
          required: false,
          ...json({
            type: 'object',
            additionalProperties: false,
            properties: {
              method: { type: 'string', description: 'Required when the webhook has more than one auth method' },
              secret: { type: 'string', minLength: 16, maxLength: 512, description: 'Omitted = generated and returned once' },
            },
          }),
        },
        responses: {
          '201': {
            description: 'The new secret (`secret` only when generated) and all secrets of the webhook',
            ...json({ allOf: [triggerSecret, triggerSecretList, { type: 'object', properties: { secret: { type: 'string' } } }] }),
          },
          '400': error,
          '401': error,
          '404': error,
          '409': error,
        },
      },
    },
    '/v1/workflows/{id}/trigger/secrets/{secret_id}': {
      parameters: [workflowIdParam, { name: 'secret_id', in: 'path', required: true, schema: { type: 'string' } }],
      delete: {
        security: [{ apiKey: [] }],
        summary: 'Revoke one secret at once',
        responses: { '204': { description: 'Revoked' }, '401': error, '404': error, '409': error },
      },
    },
  },
};

addCommonResponses(openApiDocument);
