import {
  loadExecutionProto,
  type Execution__Output,
  type ExecutionServiceClient,
  type ListExecutionsRequest,
  type ListExecutionsResponse__Output,
} from '@flowgate/contracts';
import { ApiError } from '@flowgate/contracts';
import { deadline, grpc } from '@flowgate/kit';

/** What the routes ask of the execution service (reads, cancel, following an execution). */
export interface ExecutionClient {
  get(workspaceId: string, executionId: string): Promise<Execution__Output>;
  list(request: ListExecutionsRequest): Promise<ListExecutionsResponse__Output>;
  cancel(workspaceId: string, executionId: string): Promise<Execution__Output>;
  /** The last state seen once terminal or after `timeoutMs` (null if none arrived in time). */
  watchUntil(workspaceId: string, executionId: string, timeoutMs: number): Promise<Execution__Output | null>;
  follow(
    workspaceId: string,
    executionId: string,
    timeoutMs: number,
    onState?: (e: Execution__Output) => void,
    signal?: AbortSignal,
  ): Promise<Execution__Output | null>;
}

/** gRPC client of the execution service; every call has a deadline; statuses map to API errors. */
export class GrpcExecutionClient implements ExecutionClient {
  private readonly client: ExecutionServiceClient;

  constructor(
    target: string,
    private readonly deadlineMs: number,
  ) {
    const proto = loadExecutionProto();
    this.client = new proto.flowgate.v1.ExecutionService(target, grpc.credentials.createInsecure());
  }

  get(workspaceId: string, executionId: string): Promise<Execution__Output> {
    return new Promise((resolve, reject) => {
      this.client.GetExecution({ workspaceId, executionId }, { deadline: deadline(this.deadlineMs) }, (err, res) =>
        err || !res ? reject(toApiError(err)) : resolve(res),
      );
    });
  }

  list(request: ListExecutionsRequest): Promise<ListExecutionsResponse__Output> {
    return new Promise((resolve, reject) => {
      this.client.ListExecutions(request, { deadline: deadline(this.deadlineMs) }, (err, res) =>
        err || !res ? reject(toApiError(err)) : resolve(res),
      );
    });
  }

  cancel(workspaceId: string, executionId: string): Promise<Execution__Output> {
    return new Promise((resolve, reject) => {
      this.client.CancelExecution({ workspaceId, executionId }, { deadline: deadline(this.deadlineMs) }, (err, res) =>
        err || !res ? reject(toApiError(err)) : resolve(res),
      );
    });
  }

  /**
   * Follows an execution until it is terminal or `timeoutMs` passes; resolves with the last state
   * seen (null if none arrived in time).
   */
  watchUntil(workspaceId: string, executionId: string, timeoutMs: number): Promise<Execution__Output | null> {
    return this.follow(workspaceId, executionId, timeoutMs);
  }

  /** Like watchUntil, calling `onState` with every state; `signal` stops following early. */
  follow(
    workspaceId: string,
    executionId: string,
    timeoutMs: number,
    onState: (e: Execution__Output) => void = () => undefined,
    signal?: AbortSignal,
  ): Promise<Execution__Output | null> {
    return new Promise((resolve, reject) => {
      let last: Execution__Output | null = null;
      const stream = this.client.WatchExecution({ workspaceId, executionId }, { deadline: deadline(timeoutMs) });
      const cancel = () => stream.cancel();
      // The listener goes with the stream: left on a signal that outlives the follow (the ingress's
      // shutdown signal, or a sync caller's that is never aborted) it would keep the ended call alive.
      const release = () => signal?.removeEventListener('abort', cancel);
      if (signal?.aborted) stream.cancel();
      else signal?.addEventListener('abort', cancel, { once: true });
      stream.on('data', (e: Execution__Output) => {
        last = e;
        onState(e);
      });
      stream.on('end', () => {
        release();
        resolve(last);
      });
      stream.on('error', (err: grpc.ServiceError) => {
        release();
        if (err.code === grpc.status.DEADLINE_EXCEEDED || err.code === grpc.status.CANCELLED) resolve(last);
        else if (err.code === grpc.status.NOT_FOUND) resolve(last);
        else reject(toApiError(err));
      });
    });
  }

  close(): void {
    this.client.close();
  }
}

/**
 * The client with every follow also ended by `stop` (the ingress's shutdown): a follow so ended
 * resolves with the last state seen, as at its timeout.
 */
export function followingUntil<C extends ExecutionClient>(client: C, stop: AbortSignal): C {
  const follow: ExecutionClient['follow'] = (workspaceId, executionId, timeoutMs, onState, signal) =>
    signal
      ? eitherSignal(signal, stop, (both) => client.follow(workspaceId, executionId, timeoutMs, onState, both))
      : client.follow(workspaceId, executionId, timeoutMs, onState, stop);
  return Object.assign(Object.create(client) as C, {
    follow,
    watchUntil: (workspaceId: string, executionId: string, timeoutMs: number) => follow(workspaceId, executionId, timeoutMs),
  });
}

/**
 * Runs `task` with a signal aborted when `a` or `b` is, then lets go of both. Not AbortSignal.any: on
 * Node 20 each signal it makes stays registered (a WeakRef) on its long-lived source until that one
 * aborts, one more per sync webhook for the ingress's life.
 */
export async function eitherSignal<T>(a: AbortSignal, b: AbortSignal, task: (both: AbortSignal) => Promise<T>): Promise<T> {
  const both = new AbortController();
  const abort = () => both.abort();
  if (a.aborted || b.aborted) both.abort();
  else {
    a.addEventListener('abort', abort, { once: true });
    b.addEventListener('abort', abort, { once: true });
  }
  try {
    return await task(both.signal);
  } finally {
    a.removeEventListener('abort', abort);
    b.removeEventListener('abort', abort);
  }
}

export function toApiError(err: grpc.ServiceError | null): ApiError {
  switch (err?.code) {
    case grpc.status.NOT_FOUND:
      return new ApiError('execution_not_found', err.details || 'Execution not found');
    case grpc.status.FAILED_PRECONDITION:
      return new ApiError('conflict', err.details || 'Conflict');
    case grpc.status.INVALID_ARGUMENT:
      return new ApiError('invalid_request', err.details ? err.details.charAt(0).toUpperCase() + err.details.slice(1) : 'Invalid request');
    case grpc.status.UNAVAILABLE:
    case grpc.status.DEADLINE_EXCEEDED:
      return new ApiError('dependency_unavailable', 'Execution service unavailable');
    default:
      return new ApiError('internal', 'Internal error');
  }
}
