// Original file: proto/flowgate/v1/execution.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Execution as _flowgate_v1_Execution, Execution__Output as _flowgate_v1_Execution__Output } from '../../flowgate/v1/Execution';
import type { GetExecutionRequest as _flowgate_v1_GetExecutionRequest, GetExecutionRequest__Output as _flowgate_v1_GetExecutionRequest__Output } from '../../flowgate/v1/GetExecutionRequest';
import type { ListExecutionsRequest as _flowgate_v1_ListExecutionsRequest, ListExecutionsRequest__Output as _flowgate_v1_ListExecutionsRequest__Output } from '../../flowgate/v1/ListExecutionsRequest';
import type { ListExecutionsResponse as _flowgate_v1_ListExecutionsResponse, ListExecutionsResponse__Output as _flowgate_v1_ListExecutionsResponse__Output } from '../../flowgate/v1/ListExecutionsResponse';

export interface ExecutionServiceClient extends grpc.Client {
  CancelExecution(argument: _flowgate_v1_GetExecutionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_Execution__Output>): grpc.ClientUnaryCall;
  CancelExecution(argument: _flowgate_v1_GetExecutionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flowgate_v1_Execution__Output>): grpc.ClientUnaryCall;
  CancelExecution(argument: _flowgate_v1_GetExecutionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_Execution__Output>): grpc.ClientUnaryCall;
  CancelExecution(argument: _flowgate_v1_GetExecutionRequest, callback: grpc.requestCallback<_flowgate_v1_Execution__Output>): grpc.ClientUnaryCall;
  cancelExecution(argument: _flowgate_v1_GetExecutionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_Execution__Output>): grpc.ClientUnaryCall;
  cancelExecution(argument: _flowgate_v1_GetExecutionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flowgate_v1_Execution__Output>): grpc.ClientUnaryCall;
  cancelExecution(argument: _flowgate_v1_GetExecutionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_Execution__Output>): grpc.ClientUnaryCall;
  cancelExecution(argument: _flowgate_v1_GetExecutionRequest, callback: grpc.requestCallback<_flowgate_v1_Execution__Output>): grpc.ClientUnaryCall;
  
  GetExecution(argument: _flowgate_v1_GetExecutionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_Execution__Output>): grpc.ClientUnaryCall;
  GetExecution(argument: _flowgate_v1_GetExecutionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flowgate_v1_Execution__Output>): grpc.ClientUnaryCall;
  GetExecution(argument: _flowgate_v1_GetExecutionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_Execution__Output>): grpc.ClientUnaryCall;
  GetExecution(argument: _flowgate_v1_GetExecutionRequest, callback: grpc.requestCallback<_flowgate_v1_Execution__Output>): grpc.ClientUnaryCall;
  getExecution(argument: _flowgate_v1_GetExecutionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_Execution__Output>): grpc.ClientUnaryCall;
  getExecution(argument: _flowgate_v1_GetExecutionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flowgate_v1_Execution__Output>): grpc.ClientUnaryCall;
  getExecution(argument: _flowgate_v1_GetExecutionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_Execution__Output>): grpc.ClientUnaryCall;
  getExecution(argument: _flowgate_v1_GetExecutionRequest, callback: grpc.requestCallback<_flowgate_v1_Execution__Output>): grpc.ClientUnaryCall;
  
  ListExecutions(argument: _flowgate_v1_ListExecutionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_ListExecutionsResponse__Output>): grpc.ClientUnaryCall;
  ListExecutions(argument: _flowgate_v1_ListExecutionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flowgate_v1_ListExecutionsResponse__Output>): grpc.ClientUnaryCall;
  ListExecutions(argument: _flowgate_v1_ListExecutionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_ListExecutionsResponse__Output>): grpc.ClientUnaryCall;
  ListExecutions(argument: _flowgate_v1_ListExecutionsRequest, callback: grpc.requestCallback<_flowgate_v1_ListExecutionsResponse__Output>): grpc.ClientUnaryCall;
  listExecutions(argument: _flowgate_v1_ListExecutionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_ListExecutionsResponse__Output>): grpc.ClientUnaryCall;
  listExecutions(argument: _flowgate_v1_ListExecutionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flowgate_v1_ListExecutionsResponse__Output>): grpc.ClientUnaryCall;
  listExecutions(argument: _flowgate_v1_ListExecutionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flowgate_v1_ListExecutionsResponse__Output>): grpc.ClientUnaryCall;
  listExecutions(argument: _flowgate_v1_ListExecutionsRequest, callback: grpc.requestCallback<_flowgate_v1_ListExecutionsResponse__Output>): grpc.ClientUnaryCall;
  
  WatchExecution(argument: _flowgate_v1_GetExecutionRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flowgate_v1_Execution__Output>;
  WatchExecution(argument: _flowgate_v1_GetExecutionRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flowgate_v1_Execution__Output>;
  watchExecution(argument: _flowgate_v1_GetExecutionRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flowgate_v1_Execution__Output>;
  watchExecution(argument: _flowgate_v1_GetExecutionRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flowgate_v1_Execution__Output>;
  
}

export interface ExecutionServiceHandlers extends grpc.UntypedServiceImplementation {
  CancelExecution: grpc.handleUnaryCall<_flowgate_v1_GetExecutionRequest__Output, _flowgate_v1_Execution>;
  
  GetExecution: grpc.handleUnaryCall<_flowgate_v1_GetExecutionRequest__Output, _flowgate_v1_Execution>;
  
  ListExecutions: grpc.handleUnaryCall<_flowgate_v1_ListExecutionsRequest__Output, _flowgate_v1_ListExecutionsResponse>;
  
  WatchExecution: grpc.handleServerStreamingCall<_flowgate_v1_GetExecutionRequest__Output, _flowgate_v1_Execution>;
  
}

export interface ExecutionServiceDefinition extends grpc.ServiceDefinition {
  CancelExecution: MethodDefinition<_flowgate_v1_GetExecutionRequest, _flowgate_v1_Execution, _flowgate_v1_GetExecutionRequest__Output, _flowgate_v1_Execution__Output>
  GetExecution: MethodDefinition<_flowgate_v1_GetExecutionRequest, _flowgate_v1_Execution, _flowgate_v1_GetExecutionRequest__Output, _flowgate_v1_Execution__Output>
  ListExecutions: MethodDefinition<_flowgate_v1_ListExecutionsRequest, _flowgate_v1_ListExecutionsResponse, _flowgate_v1_ListExecutionsRequest__Output, _flowgate_v1_ListExecutionsResponse__Output>
  WatchExecution: MethodDefinition<_flowgate_v1_GetExecutionRequest, _flowgate_v1_Execution, _flowgate_v1_GetExecutionRequest__Output, _flowgate_v1_Execution__Output>
}
