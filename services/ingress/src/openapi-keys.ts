/**
 * OpenAPI of API-key management, workspace quotas and fan-out sources (merged into openapi.ts).
 */
const error = { $ref: '#/components/responses/Error' };
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const security = [{ apiKey: [] }];
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const dateTime = { type: 'string', format: 'date-time' };
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' };
const scopes = { type: 'array', items: { $ref: '#/components/schemas/ApiKeyScope' } };
const quotaWindow = {
  type: 'object',
  required: ['limit', 'used', 'resets_at', 'source'],
  properties: {
    limit: { type: 'integer', minimum: 0, description: '0 = unlimited' },
    used: { type: 'integer', minimum: 0 },
    resets_at: dateTime,
    source: { enum: ['workspace', 'default'] },
  },
};
const quotaLimit = { type: ['integer', 'null'], minimum: 0, description: '0 = unlimited, null or absent = the deployment default' };

export const keysSchemas = {
  ApiKeyScope: {
    enum: ['admin', 'workflows:read', 'workflows:write', 'executions:read', 'executions:write'],
    description:
      'admin: everything (API keys, workspace settings, callback secrets); workflows:* covers /v1/workflows, /v1/triggers, ' +
      '/v1/sources, /v1/parameters; executions:* covers /v1/executions and /v1/deliveries; write implies read',
  },
  ApiKey: {
    type: 'object',
    required: ['id', 'name', 'prefix', 'scopes', 'created_at', 'last_used_at', 'revoked_at'],
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      prefix: { type: 'string', description: 'The first characters of the key, to recognise it' },
      scopes,
      created_at: dateTime,
      last_used_at: { ...nullableDateTime, description: 'Updated at most once a minute' },
      revoked_at: nullableDateTime,
    },
  },
  ApiKeyCreated: {
    allOf: [
      { $ref: '#/components/schemas/ApiKey' },
      {
        type: 'object',
        required: ['key'],
        properties: { key: { type: 'string', description: 'The key itself: shown this once, only its hash is stored' } },
      },
    ],
  },
  WorkspaceQuotas: {
    type: 'object',
    required: ['executions_per_day', 'executions_per_month', 'parallel_executions'],
    properties: {
      executions_per_day: quotaWindow,
      executions_per_month: quotaWindow,
      parallel_executions: {
        type: 'object',
        required: ['limit', 'used', 'source'],
        properties: {
          limit: { type: 'integer', minimum: 0 },
          used: { type: 'integer', minimum: 0 },
          source: { enum: ['workspace', 'default'] },
        },
      },
    },
  },
  Source: {
    type: 'object',
    required: ['id', 'name', 'url', 'curl', 'created_at', 'updated_at'],
    properties: {
      id: { type: 'string', description: 'src_…: what a definition names in trigger.source.source_id' },
      name: { type: 'string' },
      url: { type: 'string', format: 'uri', description: 'The public fan-out URL (ANY /sources/{token})' },
      curl: { type: 'string' },
      subscribed_workflow_ids: {
        type: 'array',
        items: { type: 'string' },
        description: 'Workflows whose latest published version subscribes',
      },
      created_at: dateTime,
      updated_at: dateTime,
    },
  },
  FanOutAccepted: {
    type: 'object',
    required: ['executions'],
    properties: {
      executions: {
        type: 'array',
        items: {
          type: 'object',
          required: ['workflow_id', 'execution_id', 'status_url'],
          properties: { workflow_id: { type: 'string' }, execution_id: { type: 'string' }, status_url: { type: 'string', format: 'uri' } },
        },
      },
      errors: {
        type: 'array',
        description: 'Subscribers that could not be started (e.g. quota_exceeded) while others were',
        items: {
          type: 'object',
          required: ['workflow_id', 'code', 'message'],
          properties: { workflow_id: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } },
        },
      },
    },
  },
};

const sourceName = json({
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1, maxLength: 200 } },
});
const fanOut = {
  summary:
    'Fan-out: start every enabled, published workflow subscribed to this source (trigger.source) whose filter holds; ' +
    'answered once every start is acknowledged (any method)',
  requestBody: { required: false, content: { '*/*': { schema: {} } } },
  responses: {
    '202': {
      description: 'The executions started (an empty list when none matched)',
      ...json({ $ref: '#/components/schemas/FanOutAccepted' }),
    },
    '404': { description: 'Unknown source token (source_not_found)', ...error },
    '429': { description: 'Workspace rate limit or quota exceeded (nothing started); Retry-After', ...error },
  },
};

export const keysPaths = {
  '/v1/api-keys': {
    get: {
      security,
      summary: "The workspace's API keys, newest first (never the key or its hash); admin scope",
      responses: {
        '200': {
          description: 'Keys',
          ...json({
            type: 'object',
            required: ['data'],
            properties: { data: { type: 'array', items: { $ref: '#/components/schemas/ApiKey' } } },
          }),
        },
        '403': error,
      },
    },
    post: {
      security,
      summary: 'Create an API key; the answer holds the key once; admin scope',
      requestBody: {
        required: true,
        ...json({
          type: 'object',
          required: ['name', 'scopes'],
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, scopes: { ...scopes, minItems: 1 } },
        }),
      },
      responses: { '201': { description: 'Created', ...json({ $ref: '#/components/schemas/ApiKeyCreated' }) }, '400': error, '403': error },
    },
  },
  '/v1/api-keys/{id}': {
    parameters: [idParam],
    get: {
      security,
      responses: { '200': { description: 'Key', ...json({ $ref: '#/components/schemas/ApiKey' }) }, '403': error, '404': error },
    },
    delete: {
      security,
      summary: 'Revoke a key: it stops working at once on every replica; revoking a revoked key changes nothing',
      responses: {
        '200': { description: 'The revoked key', ...json({ $ref: '#/components/schemas/ApiKey' }) },
        '403': error,
        '404': error,
        '409': { description: "The workspace's last active admin key (details.reason = last_admin_key)", ...error },
      },
    },
  },
  '/v1/workspace/quotas': {
    get: {
      security,
      summary: 'Quota limits (workspace override or deployment default) and current usage; admin scope',
      responses: { '200': { description: 'Quotas', ...json({ $ref: '#/components/schemas/WorkspaceQuotas' }) }, '403': error },
    },
    put: {
      security,
      summary: 'Replace the workspace quota overrides; over a quota, starts answer 429 quota_exceeded with Retry-After',
      requestBody: {
        required: true,
        ...json({
          type: 'object',
          additionalProperties: false,
          properties: { executions_per_day: quotaLimit, executions_per_month: quotaLimit, parallel_executions: quotaLimit },
        }),
      },
      responses: {
        '200': { description: 'Quotas now', ...json({ $ref: '#/components/schemas/WorkspaceQuotas' }) },
        '400': error,
        '403': error,
      },
    },
  },
  '/v1/sources': {
    get: {
      security,
      summary: 'Event sources of the workspace, newest first',
      responses: {
        '200': {
          description: 'Sources',
          ...json({
            type: 'object',
            required: ['data'],
            properties: { data: { type: 'array', items: { $ref: '#/components/schemas/Source' } } },
          }),
        },
        '403': error,
      },
    },
    post: {
      security,
      summary: 'Create an event source (its URL starts every subscribed workflow)',
      requestBody: { required: true, ...sourceName },
      responses: { '201': { description: 'Created', ...json({ $ref: '#/components/schemas/Source' }) }, '400': error, '403': error },
    },
  },
  '/v1/sources/{id}': {
    parameters: [idParam],
    get: {
      security,
      responses: { '200': { description: 'Source', ...json({ $ref: '#/components/schemas/Source' }) }, '403': error, '404': error },
    },
    patch: {
      security,
      summary: 'Rename a source',
      requestBody: { required: true, ...sourceName },
      responses: {
        '200': { description: 'Source', ...json({ $ref: '#/components/schemas/Source' }) },
        '400': error,
        '403': error,
        '404': error,
      },
    },
    delete: {
      security,
      summary: 'Delete a source: its URL answers 404 from now on',
      responses: { '204': { description: 'Deleted' }, '403': error, '404': error },
    },
  },
  '/sources/{token}': {
    parameters: [{ name: 'token', in: 'path', required: true, schema: { type: 'string' } }],
    get: fanOut,
    post: fanOut,
    put: fanOut,
    patch: fanOut,
    delete: fanOut,
  },
};
