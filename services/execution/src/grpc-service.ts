import { decodeCursor, encodeCursor, EXECUTION_STATUSES, isTerminal, type ExecutionStatus } from '@flowgate/core';
import type { Execution, ExecutionServiceHandlers } from '@flowgate/contracts';
import { grpc, GrpcStatusError, toServiceError, unary, type Logger } from '@flowgate/kit';
import { listExecutions, type Collections, type ExecutionListQuery, type LiveExecutions } from '@flowgate/store';
import type { Histogram } from 'prom-client';
import { toExecutionMessage } from './execution-view';
import type { Runner } from './runner';
import type { WatchHub } from './watch-hub';

const WATCH_POLL_MS = 2_000;

export function executionHandlers(deps: {
  store: Collections;
  live: LiveExecutions;
  runner: Runner;
  hub: WatchHub;
  metric: Histogram<'method' | 'code'>;
  logger: Logger;
}): ExecutionServiceHandlers {
  const load = async (workspaceId: string, executionId: string): Promise<Execution> => {
    if (!workspaceId || !executionId) throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, 'workspace_id and execution_id are required');
    // Fresh: the live state while it runs, MongoDB once it ended.
    const x = await deps.live.get(workspaceId, executionId);
    if (!x) throw new GrpcStatusError(grpc.status.NOT_FOUND, `execution ${executionId} not found`);
    return toExecutionMessage(x.doc, x.steps);
  };

  return {
    GetExecution: unary('GetExecution', deps.metric, (req) => load(req.workspaceId, req.executionId)),

    ListExecutions: unary('ListExecutions', deps.metric, async (req) => {
      if (!req.workspaceId) throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, 'workspace_id is required');
      const limit = Math.min(Math.max(req.limit || 20, 1), 100);
      const bad = (what: string) => new GrpcStatusError(grpc.status.INVALID_ARGUMENT, `invalid ${what}`);
      const time = (value: string, what: string) => {
        const at = new Date(value);
        if (Number.isNaN(at.getTime())) throw bad(what);
        return at;
      };
      const query: ExecutionListQuery = { workspaceId: req.workspaceId };
      if (req.workflowId) query.workflowId = req.workflowId;
      if (req.status.length > 0) {
        if (!req.status.every((s) => (EXECUTION_STATUSES as readonly string[]).includes(s))) throw bad('status');
        query.statuses = req.status as ExecutionStatus[];
      }
      if (req.createdAfter) query.createdAfter = time(req.createdAfter, 'created_after');
      if (req.createdBefore) query.createdBefore = time(req.createdBefore, 'created_before');
      if (req.cursor) {
        const cursor = decodeCursor(req.cursor);
        if (!cursor) throw bad('cursor');
        query.before = { at: new Date(cursor.at), id: cursor.id };
      }
      const docs = await listExecutions(deps.store.executions, query, limit + 1);
      const page = docs.slice(0, limit);
      const last = page[page.length - 1];
      return {
        executions: page.map((d) => toExecutionMessage(d, [])),
        nextCursor: docs.length > limit && last ? encodeCursor({ at: last.created_at.toISOString(), id: last._id }) : '',
      };
    }),

    CancelExecution: unary('CancelExecution', deps.metric, async (req) => {
      await load(req.workspaceId, req.executionId); // NOT_FOUND outside the caller's workspace
      const ended = await deps.runner.endExecution(req.workspaceId, req.executionId, 'cancelled', {
        code: 'cancelled',
        message: 'execution cancelled',
      });
      if (!ended) throw new GrpcStatusError(grpc.status.FAILED_PRECONDITION, `execution ${req.executionId} already ended`);
      return load(req.workspaceId, req.executionId);
    }),

    WatchExecution(call) {
      const end = deps.metric.startTimer({ method: 'WatchExecution' });
      const { workspaceId, executionId } = call.request;
      let closed = false;
      let lastRevisionKey = '';
      let pending: Promise<void> = Promise.resolve();
      const finish = (code: grpc.status, err?: Partial<grpc.ServiceError>) => {
        if (closed) return;
        closed = true;
        unsubscribe();
        clearInterval(poll);
        end({ code: grpc.status[code] });
        if (err) call.destroy(Object.assign(new Error(err.details ?? 'error'), err));
        else call.end();
      };
      const push = () => {
        pending = pending.then(async () => {
          if (closed) return;
          try {
            const execution = await load(workspaceId, executionId);
            const key = `${execution.status}:${execution.stepExecutions?.length ?? 0}:${execution.finishedAt}`;
            if (key !== lastRevisionKey) {
              lastRevisionKey = key;
              call.write(execution);
            }
            if (isTerminal(execution.status as Parameters<typeof isTerminal>[0])) finish(grpc.status.OK);
          } catch (err) {
            const se = toServiceError(err);
            if (se.code === grpc.status.INTERNAL)
              deps.logger.error({ err, execution_id: executionId, workspace_id: workspaceId }, 'watch failed');
            finish(se.code ?? grpc.status.INTERNAL, se);
          }
        });
      };
      const unsubscribe = deps.hub.watch(executionId, push);
      const poll = setInterval(push, WATCH_POLL_MS);
      call.on('cancelled', () => finish(grpc.status.CANCELLED));
      call.on('close', () => finish(grpc.status.CANCELLED));
      push();
    },
  };
}
