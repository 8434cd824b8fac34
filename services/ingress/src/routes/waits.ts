import { ApiError, messageIds, type ResumeCommand } from '@flowgate/contracts';
import { publishJson, sha256Hex } from '@flowgate/kit';
import { toJsonText, type WaitTokenDoc } from '@flowgate/store';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
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

const TOKEN = /^wt_[A-Za-z0-9_-]{32,64}$/;
const decisionBody = z.object({ comment: z.string().max(2_000).optional() }).strict();

export function waitRoutes(deps: WaitDeps): Router {
  const router = Router();

  const findWait = async (req: Request, kind: WaitTokenDoc['kind']): Promise<WaitTokenDoc> => {
    const token = String(req.params.token);
    const wait = TOKEN.test(token) ? await deps.store.waitTokens.findOne({ _id: sha256Hex(token) }) : null;
    if (!wait || wait.kind !== kind || wait.expires_at.getTime() <= Date.now())
      throw new ApiError('wait_not_found', 'This wait is over or does not exist');
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

  router.post('/resume/:token', async (req, res) => {
    const wait = await findWait(req, 'webhook');
    await publishResume(res, wait, { kind: 'webhook', body_json: toJsonText(await parseBody(req)) });
  });

  router.get('/approvals/:token', async (req, res) => {
    const wait = await findWait(req, 'approval');
    const execution = await deps.store.executions.findOne({ _id: wait.execution_id, workspace_id: wait.workspace_id });
    const review = `${deps.publicUrl}/approvals/${String(req.params.token)}`;
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

  router.post('/approvals/:token/:decision', async (req, res) => {
    const decision = String(req.params.decision);
    if (decision !== 'approve' && decision !== 'reject') throw new ApiError('not_found', 'Use /approve or /reject');
    const wait = await findWait(req, 'approval');
    const parsed = decisionBody.safeParse(req.body ?? {});
    if (!parsed.success)
      throw new ApiError('invalid_request', 'The body may only hold "comment" (a string of at most 2000 characters)', {
        issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      });
    await publishResume(res, wait, {
      kind: 'approval',
      decision: decision === 'approve' ? 'approved' : 'rejected',
      comment: parsed.data.comment ?? null,
    });
  });

  return router;
}
