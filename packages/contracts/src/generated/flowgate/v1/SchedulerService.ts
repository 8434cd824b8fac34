// Original file: proto/flowgate/v1/scheduler.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ListTimersRequest as _flowgate_v1_ListTimersRequest, ListTimersRequest__Output as _flowgate_v1_ListTimersRequest__Output } from '../../flowgate/v1/ListTimersRequest';
import type { ListTimersResponse as _flowgate_v1_ListTimersResponse, ListTimersResponse__Output as _flowgate_v1_ListTimersResponse__Output } from '../../flowgate/v1/ListTimersResponse';

export interface SchedulerServiceClient extends grpc.Client {
  ListTimers(argument: _flowgate_v1_ListTimersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_ListTimersResponse__Output>): grpc.ClientUnaryCall;
  ListTimers(argument: _flowgate_v1_ListTimersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flowgate_v1_ListTimersResponse__Output>): grpc.ClientUnaryCall;
  ListTimers(argument: _flowgate_v1_ListTimersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_ListTimersResponse__Output>): grpc.ClientUnaryCall;
  ListTimers(argument: _flowgate_v1_ListTimersRequest, callback: grpc.requestCallback<_flowgate_v1_ListTimersResponse__Output>): grpc.ClientUnaryCall;
  listTimers(argument: _flowgate_v1_ListTimersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_ListTimersResponse__Output>): grpc.ClientUnaryCall;
  listTimers(argument: _flowgate_v1_ListTimersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flowgate_v1_ListTimersResponse__Output>): grpc.ClientUnaryCall;
  listTimers(argument: _flowgate_v1_ListTimersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_ListTimersResponse__Output>): grpc.ClientUnaryCall;
  listTimers(argument: _flowgate_v1_ListTimersRequest, callback: grpc.requestCallback<_flowgate_v1_ListTimersResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface SchedulerServiceHandlers extends grpc.UntypedServiceImplementation {
  ListTimers: grpc.handleUnaryCall<_flowgate_v1_ListTimersRequest__Output, _flowgate_v1_ListTimersResponse>;
  
}

export interface SchedulerServiceDefinition extends grpc.ServiceDefinition {
  ListTimers: MethodDefinition<_flowgate_v1_ListTimersRequest, _flowgate_v1_ListTimersResponse, _flowgate_v1_ListTimersRequest__Output, _flowgate_v1_ListTimersResponse__Output>
}
