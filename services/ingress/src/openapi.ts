/** The public HTTP contract, served at `/openapi.json` (OpenAPI 3.1). */
const error = { $ref: '#/components/responses/Error' };
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const obj = { type: 'object' };

export const openApiDocument = {
  openapi: '3.1.0',
  info: { title: 'Flowgate', version: '0.1.0', description: 'Webhook-triggered durable workflows.' },
  components: {
    securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'Flowgate API key' } },
    schemas: {
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
      Workflow: {
        type: 'object',
        required: ['id', 'name', 'published_version', 'definition', 'triggers'],
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          published_version: { type: ['integer', 'null'] },
          definition: obj,
          triggers: obj,
          created_at: { type: 'string' },
          updated_at: { type: 'string' },
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
        },
      },
    },
    responses: { Error: { description: 'Error', ...json({ $ref: '#/components/schemas/Error' }) } },
  },
  paths: {
    '/hooks/{token}': {
      parameters: [{ name: 'token', in: 'path', required: true, schema: { type: 'string' } }],
      post: {
        summary: 'Start an execution asynchronously (any method is accepted)',
        requestBody: { content: { '*/*': { schema: {} } } },
        responses: {
          '202': { description: 'Accepted', ...json({ $ref: '#/components/schemas/Accepted' }) },
          '400': error,
          '403': error,
          '404': error,
          '413': error,
          '503': error,
        },
      },
    },
    '/hooks/{token}/sync': {
      parameters: [{ name: 'token', in: 'path', required: true, schema: { type: 'string' } }],
      post: {
        summary: 'Start an execution and wait for its result (up to the trigger sync timeout)',
        requestBody: { content: { '*/*': { schema: {} } } },
        responses: {
          '200': { description: 'Shaped workflow result' },
          '202': { description: 'Still running', ...json({ $ref: '#/components/schemas/Accepted' }) },
          '404': error,
          '503': error,
        },
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
        summary: 'Enable or disable the webhook ({"enabled": false} → 403 trigger_disabled, nothing queued)',
        requestBody: json({ type: 'object', required: ['enabled'], properties: { enabled: { type: 'boolean' } } }),
        responses: { '200': { description: 'Workflow', ...json({ $ref: '#/components/schemas/Workflow' }) }, '400': error, '404': error },
      },
    },
    '/v1/triggers': {
      get: {
        security: [{ apiKey: [] }],
        summary: 'Find the workflow behind a webhook token or URL',
        parameters: [{ name: 'token', in: 'query', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: '{ workflow_id, name, enabled, workflow }' }, '400': error, '404': error },
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
  },
};
