import {
  ApiError,
  loadSchedulerProto,
  type Schedule__Output,
  type SchedulerServiceClient,
  type UpsertScheduleRequest,
} from '@flowgate/contracts';
import { deadline, grpc } from '@flowgate/kit';

/** What publishing and the schedule routes ask of the scheduler. */
export interface SchedulerClient {
  upsert(request: UpsertScheduleRequest): Promise<Schedule__Output>;
  delete(workspaceId: string, workflowId: string): Promise<boolean>;
}

/** gRPC client of the scheduler's schedule RPCs; every call has a deadline; statuses map to API errors. */
export class GrpcSchedulerClient implements SchedulerClient {
  private readonly client: SchedulerServiceClient;

  constructor(
    target: string,
    private readonly deadlineMs: number,
  ) {
    this.client = new (loadSchedulerProto().flowgate.v1.SchedulerService)(target, grpc.credentials.createInsecure());
  }

  upsert(request: UpsertScheduleRequest): Promise<Schedule__Output> {
    return new Promise((resolve, reject) => {
      this.client.UpsertSchedule(request, { deadline: deadline(this.deadlineMs) }, (err, res) =>
        err || !res ? reject(scheduleError(err)) : resolve(res),
      );
    });
  }

  delete(workspaceId: string, workflowId: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.client.DeleteSchedule({ workspaceId, workflowId }, { deadline: deadline(this.deadlineMs) }, (err, res) =>
        err || !res ? reject(scheduleError(err)) : resolve(res.deleted),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}

function scheduleError(err: grpc.ServiceError | null): ApiError {
  switch (err?.code) {
    case grpc.status.NOT_FOUND:
      return new ApiError('not_found', 'This workflow has no published schedule');
    case grpc.status.INVALID_ARGUMENT:
      return new ApiError('invalid_workflow_definition', `Invalid schedule: ${err.details}`);
    case grpc.status.UNAVAILABLE:
    case grpc.status.DEADLINE_EXCEEDED:
      return new ApiError('dependency_unavailable', 'Scheduler service unavailable');
    default:
      return new ApiError('internal', 'Internal error');
  }
}
