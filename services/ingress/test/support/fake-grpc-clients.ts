import { ApiError, type Execution__Output, type ListExecutionsResponse__Output, type Schedule__Output } from '@flowgate/contracts';
import type { ExecutionClient } from '../../src/execution-client';
import type { SchedulerClient } from '../../src/scheduler-client';

/**
 * The gRPC services behind the ingress's own client interfaces: the route tests run without an
 * execution service or scheduler. Executions are what a test puts in; none ever progresses.
 */
export class FakeExecutionClient implements ExecutionClient {
  readonly executions = new Map<string, Execution__Output>();
  readonly listed: unknown[] = [];

  get(workspaceId: string, executionId: string): Promise<Execution__Output> {
    const found = this.executions.get(executionId);
    if (!found || found.workspaceId !== workspaceId) return Promise.reject(new ApiError('execution_not_found', 'Execution not found'));
    return Promise.resolve(found);
  }

  list(request: unknown): Promise<ListExecutionsResponse__Output> {
    this.listed.push(request);
    return Promise.resolve({ executions: [], nextCursor: '' });
  }

  cancel(workspaceId: string, executionId: string): Promise<Execution__Output> {
    return this.get(workspaceId, executionId);
  }

  watchUntil(): Promise<Execution__Output | null> {
    return Promise.resolve(null);
  }

  follow(): Promise<Execution__Output | null> {
    return Promise.resolve(null);
  }
}

export class FakeSchedulerClient implements SchedulerClient {
  readonly calls: string[] = [];

  upsert(): Promise<Schedule__Output> {
    this.calls.push('upsert');
    return Promise.reject(new ApiError('dependency_unavailable', 'Scheduler service unavailable'));
  }

  delete(): Promise<boolean> {
    this.calls.push('delete');
    return Promise.resolve(false);
  }
}
