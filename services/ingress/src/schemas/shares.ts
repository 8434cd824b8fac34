import { z } from 'zod';
import { dateTime, nullableDateTime, workflowId } from '../http/schemas';
import { workspaceId } from './workspaces';

/** Request and response bodies of `/v1/workflows/{id}/shares…` (the owner) and `/v1/shared-workflows` (the receiver). */
export const shareId = z.string().regex(/^shr_[A-Za-z0-9]{8,64}$/, 'must be a share id (shr_…)');

export const share = z
  .object({
    id: shareId,
    workflow_id: workflowId,
    workspace_id: workspaceId.describe('The workspace it is shared with'),
    created_at: dateTime,
    revoked_at: nullableDateTime.describe('null while active'),
  })
  .meta({ id: 'Share' });

export const sharedWorkflow = z
  .object({
    share_id: shareId,
    workflow_id: workflowId,
    name: z.string(),
    owner_workspace_id: workspaceId,
    version: z.number().int().nullable().describe('The latest published version: what the webhook runs'),
    webhook: z
      .object({
        async: z.string().describe('ANY /hooks/{token}: this workspace’s own URL'),
        sync: z.string().describe('ANY /hooks/{token}/sync'),
        enabled: z.boolean(),
      })
      .describe('Runs as an execution of this workspace (its quotas, rate limits, egress, callback secret)'),
    created_at: dateTime,
  })
  .meta({ id: 'SharedWorkflow' });
