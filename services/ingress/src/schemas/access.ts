import { API_KEY_SCOPES, webhookAuthSchema } from '@flowgate/core';
import { z } from 'zod';
import { apiKeyId, dateTime, nullableDateTime, sourceId, workflowId } from '../http/schemas';

/** Response bodies of `/v1/api-keys…`, `/v1/workspace/quotas` and `/v1/sources…`. */
export const apiKeyScope = z
  .enum(API_KEY_SCOPES)
  .describe(
    'admin: everything (API keys, workspace settings, callback secrets); workflows:* covers /v1/workflows, /v1/triggers, ' +
      '/v1/sources, /v1/parameters; executions:* covers /v1/executions and /v1/deliveries; write implies read',
  )
  .meta({ id: 'ApiKeyScope' });

const apiKeyFields = {
  id: apiKeyId,
  name: z.string(),
  prefix: z.string().describe('The first characters of the key, to recognise it'),
  scopes: z.array(apiKeyScope),
  created_at: dateTime,
  last_used_at: nullableDateTime.describe('Updated at most once a minute'),
  revoked_at: nullableDateTime,
};
export const apiKey = z.object(apiKeyFields).meta({ id: 'ApiKey' });
export const apiKeyCreated = z
  .object({ ...apiKeyFields, key: z.string().describe('The key itself: shown this once, only its hash is stored') })
  .meta({ id: 'ApiKeyCreated' });

const quotaSource = z.enum(['workspace', 'default']);
const quotaWindow = z.object({
  limit: z.number().int().min(0).describe('0 = unlimited'),
  used: z.number().int().min(0),
  resets_at: dateTime,
  source: quotaSource,
});
export const workspaceQuotas = z
  .object({
    executions_per_day: quotaWindow,
    executions_per_month: quotaWindow,
    parallel_executions: z.object({ limit: z.number().int().min(0), used: z.number().int().min(0), source: quotaSource }),
  })
  .meta({ id: 'WorkspaceQuotas' });

export const source = z
  .object({
    id: sourceId.describe('src_…: what a definition names in trigger.source.source_id'),
    name: z.string(),
    url: z.url().describe('The public fan-out URL (ANY /sources/{token})'),
    curl: z.string(),
    auth: webhookAuthSchema
      .nullable()
      .describe('The auth methods every request to its URL must pass (as trigger.webhook.auth); null = the URL token only'),
    subscribed_workflow_ids: z.array(workflowId).optional().describe('Workflows whose latest published version subscribes'),
    created_at: dateTime,
    updated_at: dateTime,
  })
  .meta({ id: 'Source' });

export const sourceSubscription = z
  .object({
    id: workflowId.describe('The subscribed workflow'),
    name: z.string(),
    filter: z.string().nullable().describe('The JSONata filter of the subscription (trigger.source.filter); null = every event'),
    version: z.number().int().min(1).nullable().describe('The latest published version: the one the fan-out runs'),
    enabled: z.boolean().describe('Whether the production webhook is enabled (a disabled one is not started by the source)'),
    created_at: dateTime,
  })
  .meta({ id: 'SourceSubscription' });
