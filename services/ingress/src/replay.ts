import { ApiError, triggerInputSchema } from '@flowgate/contracts';
import { carriedSteps, environmentSchema, findStep } from '@flowgate/core';
import { findExecutionOrigin, findOwnedWorkflow, triggerInputJsonOf, type Collections } from '@flowgate/store';
import type { ExecutionClient } from './execution-client';
import { invalidRequest } from './http/validation-issues';
import { sharedRun } from './routes/shares';
import type { ExecutionStarter } from './starter';
import { writable } from './workflow-archive';

export interface ReplayDeps {
  executions: Pick<ExecutionClient, 'get'>;
  starter: ExecutionStarter;
  store: Collections;
}

/**
 * Starts a replay of a workspace's execution (`POST /v1/executions/{id}/replay`, bulk replays): the
 * same trigger input, linked by replay_of; on the latest published version, or — `fromStep` — on
 * the version the original ran, beginning at that step (the executor carries the outputs the
 * original completed before it over). `executionId`: the new execution's id (a bulk job's, derived,
 * so a job taken over after a crash starts the same replay at most once); default a fresh one.
 */
export async function replayExecution(
  deps: ReplayDeps,
  workspaceId: string,
  originalId: string,
  opts: { fromStep?: string; executionId?: string } = {},
): Promise<{ executionId: string; statusUrl: string; replayOf: string }> {
  const { fromStep } = opts;
  const original = await deps.executions.get(workspaceId, originalId);
  const origin = await findExecutionOrigin(deps.store.executions, workspaceId, original.id);
  // A run of a shared workflow replays through its share, while it is active (ADR 0017).
  const shared = origin.shareId ? await sharedRun(deps, workspaceId, origin.shareId) : null;
  const workflow = shared?.workflow ?? (await findOwnedWorkflow(deps.store.workflows, workspaceId, original.workflowId));
  if (!workflow) throw new ApiError('workflow_not_found', `Workflow ${original.workflowId} not found`);
  writable(workflow); // an archived workflow starts nothing (its history stays readable)
  let target = shared?.target;
  if (fromStep !== undefined) {
    // The original's own version: the outputs kept were made by it (a later version may have other steps).
    const environment = environmentSchema.catch('production').parse(original.environment);
    const pinned = await deps.starter.pinned(workflow, environment, original.workflowVersion, origin.draftId);
    if (!findStep(pinned.definition, fromStep)) {
      const message = `not a step of version ${original.workflowVersion} of the workflow, which the execution ran`;
      throw invalidRequest('Invalid body', [{ path: 'from_step', message, code: 'custom' }]);
    }
    const attempts = original.stepExecutions.map((s) => ({ stepId: s.stepId, status: s.status }));
    if (!carriedSteps(attempts, fromStep).ok) {
      throw new ApiError('conflict', `Execution ${original.id} never reached step "${fromStep}": the outputs before it are missing`, {
        from_step: fromStep,
      });
    }
    target = { ...pinned, ...(shared ? { share: shared.target.share } : {}), fromStep };
  }
  // A large input is stored out of line; the execution's view holds only its stub.
  const inputJson = await triggerInputJsonOf(deps.store.payloads, {
    trigger_input_json: original.triggerInputJson,
    trigger_input_ref: origin.triggerInputRef,
  });
  const triggerInput = triggerInputSchema.parse(JSON.parse(inputJson));
  const started = await deps.starter.start(workflow, triggerInput, original.id, opts.executionId, target);
  return { executionId: started.executionId, statusUrl: started.statusUrl, replayOf: original.id };
}
