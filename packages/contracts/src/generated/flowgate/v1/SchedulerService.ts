// Original file: proto/flowgate/v1/scheduler.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DeleteScheduleRequest as _flowgate_v1_DeleteScheduleRequest, DeleteScheduleRequest__Output as _flowgate_v1_DeleteScheduleRequest__Output } from '../../flowgate/v1/DeleteScheduleRequest';
import type { DeleteScheduleResponse as _flowgate_v1_DeleteScheduleResponse, DeleteScheduleResponse__Output as _flowgate_v1_DeleteScheduleResponse__Output } from '../../flowgate/v1/DeleteScheduleResponse';
import type { ListTimersRequest as _flowgate_v1_ListTimersRequest, ListTimersRequest__Output as _flowgate_v1_ListTimersRequest__Output } from '../../flowgate/v1/ListTimersRequest';
import type { ListTimersResponse as _flowgate_v1_ListTimersResponse, ListTimersResponse__Output as _flowgate_v1_ListTimersResponse__Output } from '../../flowgate/v1/ListTimersResponse';
import type { Schedule as _flowgate_v1_Schedule, Schedule__Output as _flowgate_v1_Schedule__Output } from '../../flowgate/v1/Schedule';
import type { UpsertScheduleRequest as _flowgate_v1_UpsertScheduleRequest, UpsertScheduleRequest__Output as _flowgate_v1_UpsertScheduleRequest__Output } from '../../flowgate/v1/UpsertScheduleRequest';

export interface SchedulerServiceClient extends grpc.Client {
  DeleteSchedule(argument: _flowgate_v1_DeleteScheduleRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_DeleteScheduleResponse__Output>): grpc.ClientUnaryCall;
  DeleteSchedule(argument: _flowgate_v1_DeleteScheduleRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flowgate_v1_DeleteScheduleResponse__Output>): grpc.ClientUnaryCall;
  DeleteSchedule(argument: _flowgate_v1_DeleteScheduleRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_DeleteScheduleResponse__Output>): grpc.ClientUnaryCall;
  DeleteSchedule(argument: _flowgate_v1_DeleteScheduleRequest, callback: grpc.requestCallback<_flowgate_v1_DeleteScheduleResponse__Output>): grpc.ClientUnaryCall;
  deleteSchedule(argument: _flowgate_v1_DeleteScheduleRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_DeleteScheduleResponse__Output>): grpc.ClientUnaryCall;
  deleteSchedule(argument: _flowgate_v1_DeleteScheduleRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flowgate_v1_DeleteScheduleResponse__Output>): grpc.ClientUnaryCall;
  deleteSchedule(argument: _flowgate_v1_DeleteScheduleRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_DeleteScheduleResponse__Output>): grpc.ClientUnaryCall;
  deleteSchedule(argument: _flowgate_v1_DeleteScheduleRequest, callback: grpc.requestCallback<_flowgate_v1_DeleteScheduleResponse__Output>): grpc.ClientUnaryCall;
  
  ListTimers(argument: _flowgate_v1_ListTimersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_ListTimersResponse__Output>): grpc.ClientUnaryCall;
  ListTimers(argument: _flowgate_v1_ListTimersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flowgate_v1_ListTimersResponse__Output>): grpc.ClientUnaryCall;
  ListTimers(argument: _flowgate_v1_ListTimersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_ListTimersResponse__Output>): grpc.ClientUnaryCall;
  ListTimers(argument: _flowgate_v1_ListTimersRequest, callback: grpc.requestCallback<_flowgate_v1_ListTimersResponse__Output>): grpc.ClientUnaryCall;
  listTimers(argument: _flowgate_v1_ListTimersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_ListTimersResponse__Output>): grpc.ClientUnaryCall;
  listTimers(argument: _flowgate_v1_ListTimersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flowgate_v1_ListTimersResponse__Output>): grpc.ClientUnaryCall;
  listTimers(argument: _flowgate_v1_ListTimersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_ListTimersResponse__Output>): grpc.ClientUnaryCall;
  listTimers(argument: _flowgate_v1_ListTimersRequest, callback: grpc.requestCallback<_flowgate_v1_ListTimersResponse__Output>): grpc.ClientUnaryCall;
  
  UpsertSchedule(argument: _flowgate_v1_UpsertScheduleRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_Schedule__Output>): grpc.ClientUnaryCall;
  UpsertSchedule(argument: _flowgate_v1_UpsertScheduleRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flowgate_v1_Schedule__Output>): grpc.ClientUnaryCall;
  UpsertSchedule(argument: _flowgate_v1_UpsertScheduleRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_Schedule__Output>): grpc.ClientUnaryCall;
  UpsertSchedule(argument: _flowgate_v1_UpsertScheduleRequest, callback: grpc.requestCallback<_flowgate_v1_Schedule__Output>): grpc.ClientUnaryCall;
  upsertSchedule(argument: _flowgate_v1_UpsertScheduleRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_Schedule__Output>): grpc.ClientUnaryCall;
  upsertSchedule(argument: _flowgate_v1_UpsertScheduleRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flowgate_v1_Schedule__Output>): grpc.ClientUnaryCall;
  upsertSchedule(argument: _flowgate_v1_UpsertScheduleRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_Schedule__Output>): grpc.ClientUnaryCall;
  upsertSchedule(argument: _flowgate_v1_UpsertScheduleRequest, callback: grpc.requestCallback<_flowgate_v1_Schedule__Output>): grpc.ClientUnaryCall;
  
}

export interface SchedulerServiceHandlers extends grpc.UntypedServiceImplementation {
  DeleteSchedule: grpc.handleUnaryCall<_flowgate_v1_DeleteScheduleRequest__Output, _flowgate_v1_DeleteScheduleResponse>;
  
  ListTimers: grpc.handleUnaryCall<_flowgate_v1_ListTimersRequest__Output, _flowgate_v1_ListTimersResponse>;
  
  UpsertSchedule: grpc.handleUnaryCall<_flowgate_v1_UpsertScheduleRequest__Output, _flowgate_v1_Schedule>;
  
}

export interface SchedulerServiceDefinition extends grpc.ServiceDefinition {
  DeleteSchedule: MethodDefinition<_flowgate_v1_DeleteScheduleRequest, _flowgate_v1_DeleteScheduleResponse, _flowgate_v1_DeleteScheduleRequest__Output, _flowgate_v1_DeleteScheduleResponse__Output>
  ListTimers: MethodDefinition<_flowgate_v1_ListTimersRequest, _flowgate_v1_ListTimersResponse, _flowgate_v1_ListTimersRequest__Output, _flowgate_v1_ListTimersResponse__Output>
  UpsertSchedule: MethodDefinition<_flowgate_v1_UpsertScheduleRequest, _flowgate_v1_Schedule, _flowgate_v1_UpsertScheduleRequest__Output, _flowgate_v1_Schedule__Output>
}
