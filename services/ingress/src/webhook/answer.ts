import { acceptedResponse, encodeSyncResponse, shapeSyncResponse, type SyncResponse } from '@flowgate/core';
import type { Logger } from '@flowgate/kit';
import type { Response } from 'express';
import type { Execution__Output } from '@flowgate/contracts';
import type { ExecutionClient } from '../execution-client';
import type { Started } from '../starter';
import { outcomeViewOf } from '../views';

/** JSON by default; text types (text/plain, text/csv, text/html, text/xml) send a string body as is. */
export function send(res: Response, r: SyncResponse): void {
  const wire = encodeSyncResponse(r);
  res.status(wire.status).set(wire.headers).send(wire.text);
}

export interface AnswerDeps {
  executions: Pick<ExecutionClient, 'follow'>;
  logger: Logger;
}

/**
 * Stage "answer": async, 202 with the execution id and status URL; sync, the answer as soon as there
 * is one — the first `respond` step's (the run may go on after it, at its `next`), else the shaped
 * result once the execution ends — within the trigger's sync timeout, else the same 202. Accepted
 * already: if following it fails, the caller still gets the execution id, never an error that would
 * invite a duplicate retry. A debounced event (its execution starts when its window fires) answers
 * 202 `debounced` on either URL.
 */
export async function answer(deps: AnswerDeps, res: Response, workspaceId: string, started: Started, sync: boolean): Promise<void> {
  const { executionId, statusUrl, definition } = started;
  if (started.debounced) return send(res, acceptedResponse(executionId, statusUrl, 'debounced'));
  if (!sync) return send(res, acceptedResponse(executionId, statusUrl));
  const timeoutMs = definition.trigger.webhook.sync_timeout_s * 1000;
  const responded = new AbortController();
  let answered: Execution__Output | null = null;
  const onState = (e: Execution__Output) => {
    if (answered !== null || !e.responseJson) return;
    answered = e;
    responded.abort();
  };
  const last = await deps.executions.follow(workspaceId, executionId, timeoutMs, onState, responded.signal).catch((err: unknown) => {
    deps.logger.warn({ err, execution_id: executionId, workspace_id: workspaceId }, 'could not follow the execution; answering 202');
    return null;
  });
  const state = answered ?? last;
  if (!state) return send(res, acceptedResponse(executionId, statusUrl));
  send(res, shapeSyncResponse(definition, outcomeViewOf(state, statusUrl)));
}
