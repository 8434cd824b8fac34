import { MAX_RETENTION_DAYS, MIN_RETENTION_DAYS } from '@flowgate/core';
import type { WorkspaceStatus } from '@flowgate/store';
import { z } from 'zod';
import { dateTime, nullableDateTime } from '../http/schemas';
import { egressAllowList } from './secrets';

/** Request and response bodies of `/v1/workspaces…` (operator) and `/v1/workspace` (its admin). */
/** New workspaces are `ws_` + 24 hex digits; `default` and ids of older installations are letters, digits, `_` and `-`. */
export const workspaceId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a workspace id (ws_…)');

/** 1–100 characters, no control characters (names show in logs, dashboards and the console). */
export const workspaceName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}\p{Cf}]+$/u, 'must not contain control or format characters');

export const antiEnumeration = z
  .boolean()
  .nullable()
  .describe(
    "true: every refusal of this workspace's webhooks (disabled, suspended, not published, bad signature) answers exactly like an " +
      'unknown token (a 404, or 200 {"received": true} under FLOWGATE_WEBHOOK_ANTI_ENUMERATION=on); false or null: they answer with their own error',
  );

const overrideValue = z.number().int().min(0).nullable();

/** Days the history of ended executions is kept (ADR 0020): a whole number 1–3650. */
export const retentionDays = z.number().int().min(MIN_RETENTION_DAYS).max(MAX_RETENTION_DAYS);
export const workspaceRetentionDays = retentionDays
  .nullable()
  .describe(
    'Days the history of ended executions (succeeded, failed, cancelled, timed_out; with their step records, callback deliveries ' +
      'and stored payloads) is kept after they ended, 1–3650; null = the deployment default (FLOWGATE_RETENTION_DAYS, 30 unless set). ' +
      'A workflow may set its own (PATCH /v1/workflows/{id}). Live executions are never removed',
  );
const effectiveRetentionDays = retentionDays.describe(
  'The retention applied to this workspace: retention_days, or the deployment default when that is null',
);

/** The workspace's own webhook rate-limit bucket (webhooks and fan-out URLs together). */
export const workspaceRateLimit = z
  .object({
    per_second: z.number().min(0).max(100_000).describe('Sustained rate; 0 = no workspace bucket'),
    burst: z.number().int().min(1).max(1_000_000).nullable().optional().describe('Bucket size (default: per_second rounded up)'),
  })
  .strict()
  .nullable()
  .describe('null = the deployment default (FLOWGATE_RATE_LIMIT_WORKSPACE_PER_S / _BURST)');
export const WORKSPACE_STATUSES = ['active', 'suspended', 'deleting', 'deleted'] as const satisfies readonly WorkspaceStatus[];
export const workspaceStatus = z.enum(WORKSPACE_STATUSES).meta({ id: 'WorkspaceStatus' });

export const workspace = z
  .object({
    id: workspaceId,
    name: z.string(),
    status: workspaceStatus.describe(
      'active; suspended (webhooks 403 workspace_suspended, nothing starts, running executions finish); ' +
        'deleting (keys refused, webhooks unknown, documents being removed); deleted (a tombstone with the counts)',
    ),
    anti_enumeration: antiEnumeration,
    quotas: z
      .object({ executions_per_day: overrideValue, executions_per_month: overrideValue, parallel_executions: overrideValue })
      .describe('Overrides of the deployment defaults (FLOWGATE_QUOTA_*): null = the default, 0 = unlimited'),
    egress_allow_cidrs: egressAllowList.shape.allow_cidrs,
    rate_limit: workspaceRateLimit,
    retention_days: workspaceRetentionDays,
    effective_retention_days: effectiveRetentionDays,
    created_at: dateTime,
    updated_at: dateTime,
    suspended_at: nullableDateTime,
    deletion: z
      .object({
        requested_at: dateTime,
        finished_at: nullableDateTime,
        cancelled: z.number().int().min(0).describe('Executions cancelled because they had not ended'),
        removed: z.record(z.string(), z.number().int().min(0)).describe('Documents removed so far, by collection'),
      })
      .nullable(),
  })
  .meta({ id: 'Workspace' });

/** What a workspace's own admin sees of it (no operator limits beside what it reads elsewhere). */
export const ownWorkspace = workspace
  .pick({
    id: true,
    name: true,
    status: true,
    anti_enumeration: true,
    retention_days: true,
    effective_retention_days: true,
    created_at: true,
  })
  .meta({
    id: 'OwnWorkspace',
  });
