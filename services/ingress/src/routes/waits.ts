import { ApiError, messageIds, type ResumeCommand } from '@flowgate/contracts';
import { publishJson, sha256Hex } from '@flowgate/kit';
import { findExecution, findWaitToken, toJsonText, type WaitTokenDoc } from '@flowgate/store';
import type { Response } from 'express';
import { z } from 'zod';
import { waitNotFound, waitPath } from '../http/resource-params';
import { route, type RouteTable } from '../http/route';
import { failure, waitToken } from '../http/schemas';
import { pendingApproval, resuming } from '../schemas/webhooks';
import type { PublishDeps } from '../publish-deps';
import { parseBody } from '../webhook-input';

/**
 * Public URLs of parked steps (no API key: the unguessable token is the credential):
 * `POST /resume/{token}` hands a wait_for_webhook step its second webhook; `GET /approvals/{token}`
 * shows an approval, `POST /approvals/{token}/approve|reject` decides it. Each publishes one
 * `resume` command whose message id is the token's hash, so a second use within JetStream's
 * de-duplication window answers 409; after that the token is gone (404).
 */
export type WaitDeps = PublishDeps;

export const waitSpecs = {
  resume: route({
    method: 'post',
    path: '/resume/{token}',
    summary: 'Resume a wait_for_webhook step: the body becomes the step output (the token is the credential)',
    security: 'none',
    ...waitPath,
    rawBody: { content: { '*/*': null } },
    responses: {
      '202': { description: 'Resume queued', schema: resuming },
      '404': failure('wait_not_found'),
      '409': failure('wait_already_resumed'),
    },
  }),
  approval: route({
    method: 'get',
    path: '/approvals/{token}',
    summary: 'What an approval step asks, with its approve / reject URLs',
    security: 'none',
    ...waitPath,
    responses: { '200': { description: 'The pending approval', schema: pendingApproval }, '404': failure('wait_not_found') },
  }),
  decide: route({
    method: 'post',
    path: '/approvals/{token}/{decision}',
    summary: 'Approve or reject an approval step, with an optional comment',
    security: 'none',
    params: z.object({ decision: z.enum(['approve', 'reject']), token: waitToken }),
    notFound: { decision: () => new ApiError('not_found', 'Use /approve or /reject'), token: waitNotFound },
    body: z.object({ comment: z.string().max(2_000).optional() }).strict(),
    hint: 'The body may only hold "comment" (a string of at most 2000 characters)',
    responses: {
      '202': { description: 'Decision queued', schema: resuming },
      '404': failure('wait_not_found'),
      '409': failure('wait_already_resumed'),
    },
  }),
};

export function waitRoutes(table: RouteTable, deps: WaitDeps): void {
  const findWait = async (req: { params: { token: string } }, kind: WaitTokenDoc['kind']): Promise<WaitTokenDoc> => {
    const wait = await findWaitToken(deps.store.waitTokens, sha256Hex(req.params.token));
    if (!wait || wait.kind !== kind || wait.expires_at.getTime() <= Date.now()) throw waitNotFound();
    return wait;
  };

  const statusUrl = (executionId: string) => `${deps.publicUrl}/v1/executions/${executionId}`;

  const publishResume = async (res: Response, wait: WaitTokenDoc, event: ResumeCommand['event']) => {
    const command: ResumeCommand = {
      type: 'resume',
      workspace_id: wait.workspace_id,
      execution_id: wait.execution_id,
      token_hash: wait._id,
      event,
      at: new Date().toISOString(),
    };
    let duplicate: boolean;
    try {
      const subject = deps.subjects.command('resume', wait.workspace_id);
      ({ duplicate } = await publishJson(deps.js, subject, command, messageIds.resume(wait._id), deps.publishTimeoutMs));
    } catch (err) {
      deps.logger.warn({ err, execution_id: wait.execution_id }, 'resume command not acknowledged');
      throw new ApiError('dependency_unavailable', 'Could not queue the resume; nothing was accepted, retry later');
    }
    if (duplicate) throw new ApiError('wait_already_resumed', 'This wait has already been resumed');
    res.status(202).json({ execution_id: wait.execution_id, status: 'resuming', status_url: statusUrl(wait.execution_id) });
  };

  table.mount(waitSpecs.resume, async (req, res) => {
    const wait = await findWait(req, 'webhook');
    await publishResume(res, wait, { kind: 'webhook', body_json: toJsonText(await parseBody(req)) });
  });

  table.mount(waitSpecs.approval, async (req, res) => {
    const wait = await findWait(req, 'approval');
    const execution = await findExecution(deps.store.executions, wait.workspace_id, wait.execution_id);
    const review = `${deps.publicUrl}/approvals/${req.params.token}`;
    res.json({
      execution_id: wait.execution_id,
      workflow_id: execution?.workflow_id ?? null,
      step_id: wait.step_id,
      message: execution?.waiting_payload?.message ?? null,
      expires_at: wait.expires_at.toISOString(),
      approve_url: `${review}/approve`,
      reject_url: `${review}/reject`,
    });
  });

  table.mount(waitSpecs.decide, async (req, res) => {
    const wait = await findWait(req, 'approval');
    await publishResume(res, wait, {
      kind: 'approval',
      decision: req.params.decision === 'approve' ? 'approved' : 'rejected',
      comment: req.body.comment ?? null,
    });
  });
}
