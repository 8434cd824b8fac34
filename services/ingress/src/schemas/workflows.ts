import { definitionSchema } from '@flowgate/core';
import { z } from 'zod';
import { dateTime, nullableDateTime, workflowId } from '../http/schemas';
import { retentionDays } from './workspaces';

/** Response bodies of `/v1/workflows…` and `/v1/triggers`. */

/** A workflow's own retention (ADR 0020): a setting of the workflow resource, not of its versioned definition. */
export const workflowRetentionDays = retentionDays
  .nullable()
  .describe(
    "Days the history of this workflow's ended executions in its own workspace (with their step records, callback deliveries and " +
      "stored payloads) is kept after they ended, 1–3650; null = the workspace's (GET /v1/workspace: effective_retention_days). " +
      'Set with PATCH /v1/workflows/{id}; a workspace running this workflow through a share keeps its runs for its own retention',
  );
/** `PATCH /v1/workflows/{id}`: the workflow's settings outside its definition; fields left out keep their value. */
export const workflowSettings = z.object({ retention_days: workflowRetentionDays.optional() }).strict();
export const workflowDefinition = definitionSchema.meta({ id: 'WorkflowDefinition' });

export const environmentTrigger = z
  .object({
    async: z.string().describe('ANY /hooks/{token}'),
    sync: z.string().describe('ANY /hooks/{token}/sync'),
    enabled: z.boolean(),
    version: z
      .union([z.number().int(), z.literal('draft'), z.null()])
      .describe('What it runs; null: nothing yet (404 workflow_not_published)'),
    curl: z.string().describe('A ready curl line; auth headers carry <placeholders>, never a secret'),
  })
  .meta({ id: 'EnvironmentTrigger' });

export const workflowVersion = z
  .object({
    version: z.number().int().min(1),
    url: z.string().describe('ANY /hooks/{production token}/v{version}: runs exactly this version, whatever production runs (ADR 0021)'),
    sync_url: z.string().describe('ANY /hooks/{production token}/v{version}/sync'),
    retired_at: nullableDateTime.describe(
      'When it was retired (its URLs answer 410 version_retired, nothing queued; POST …/restore undoes it); null: its URLs run it',
    ),
    environments: z
      .array(z.enum(['production', 'staging']))
      .describe(
        'The environments whose webhook runs it now (production: the latest published version; staging: its pin); it cannot be retired while any does',
      ),
  })
  .meta({ id: 'WorkflowVersion' });

export const workflow = z
  .object({
    id: workflowId,
    name: z.string(),
    published_version: z.number().int().nullable(),
    staging_version: z.number().int().nullable().describe('The published version the staging webhook runs (null: none pinned)'),
    definition: workflowDefinition,
    triggers: z
      .object({
        development: environmentTrigger.optional(),
        staging: environmentTrigger.optional(),
        production: environmentTrigger.optional(),
      })
      .describe('One webhook per environment: production runs the latest published version, staging the pinned one, development the draft'),
    created_at: dateTime,
    updated_at: dateTime,
    archived_at: nullableDateTime.describe(
      'When DELETE /v1/workflows/{id} archived it (its webhooks answer 410 workflow_archived, writes 409); null: not archived',
    ),
    versions: z
      .array(workflowVersion)
      .optional()
      .describe(
        'Single-workflow answers only (absent from list pages): the newest 10 published versions, newest first, each with its own ' +
          'immutable webhook URLs; all of them: GET /v1/workflows/{id}/versions',
      ),
    retention_days: workflowRetentionDays,
  })
  .meta({ id: 'Workflow' });

/**
 * The publish answer: the Workflow itself (as create answers it: `triggers` at the top level), plus
 * the version just published; `workflow` repeats the Workflow for clients written against the
 * earlier shape.
 */
export const published = workflow
  .extend({
    workflow_id: workflowId,
    version: z.number().int(),
    published_at: dateTime,
    workflow: workflow.describe('The same Workflow again (the earlier answer shape; prefer the top-level fields)'),
  })
  .meta({ id: 'PublishedWorkflow' });

export const triggerLookup = z.object({
  workflow_id: workflowId,
  name: z.string(),
  enabled: z.boolean(),
  environment: z.enum(['development', 'staging', 'production']),
  workflow,
});

export const context = z.record(z.string(), z.string()).describe('string → string');
/** A context change: keys set to strings, deleted with null (at most 100 per request). */
export const contextPatch = z
  .record(z.string().min(1).max(256), z.string().max(65_536).nullable())
  .refine((v) => Object.keys(v).length <= 100, 'at most 100 keys per request');
export const contextPatchHint = 'Body must be an object of string keys to string or null (max 100 keys)';

export const schedule = z
  .object({
    cron: z.string(),
    timezone: z.string(),
    overlap: z.enum(['skip', 'allow', 'queue']),
    missed: z.enum(['skip', 'run_once']),
    paused: z.boolean(),
    next_fire_at: nullableDateTime,
    next_fires: z.array(dateTime),
    last_fire_at: nullableDateTime,
  })
  .meta({ id: 'Schedule' });
