import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Execution as _flowgate_v1_Execution, Execution__Output as _flowgate_v1_Execution__Output } from './flowgate/v1/Execution';
import type { ExecutionError as _flowgate_v1_ExecutionError, ExecutionError__Output as _flowgate_v1_ExecutionError__Output } from './flowgate/v1/ExecutionError';
import type { ExecutionServiceClient as _flowgate_v1_ExecutionServiceClient, ExecutionServiceDefinition as _flowgate_v1_ExecutionServiceDefinition } from './flowgate/v1/ExecutionService';
import type { GetExecutionRequest as _flowgate_v1_GetExecutionRequest, GetExecutionRequest__Output as _flowgate_v1_GetExecutionRequest__Output } from './flowgate/v1/GetExecutionRequest';
import type { ListExecutionsRequest as _flowgate_v1_ListExecutionsRequest, ListExecutionsRequest__Output as _flowgate_v1_ListExecutionsRequest__Output } from './flowgate/v1/ListExecutionsRequest';
import type { ListExecutionsResponse as _flowgate_v1_ListExecutionsResponse, ListExecutionsResponse__Output as _flowgate_v1_ListExecutionsResponse__Output } from './flowgate/v1/ListExecutionsResponse';
import type { StepExecution as _flowgate_v1_StepExecution, StepExecution__Output as _flowgate_v1_StepExecution__Output } from './flowgate/v1/StepExecution';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  flowgate: {
    v1: {
      Execution: MessageTypeDefinition<_flowgate_v1_Execution, _flowgate_v1_Execution__Output>
      ExecutionError: MessageTypeDefinition<_flowgate_v1_ExecutionError, _flowgate_v1_ExecutionError__Output>
      ExecutionService: SubtypeConstructor<typeof grpc.Client, _flowgate_v1_ExecutionServiceClient> & { service: _flowgate_v1_ExecutionServiceDefinition }
      GetExecutionRequest: MessageTypeDefinition<_flowgate_v1_GetExecutionRequest, _flowgate_v1_GetExecutionRequest__Output>
      ListExecutionsRequest: MessageTypeDefinition<_flowgate_v1_ListExecutionsRequest, _flowgate_v1_ListExecutionsRequest__Output>
      ListExecutionsResponse: MessageTypeDefinition<_flowgate_v1_ListExecutionsResponse, _flowgate_v1_ListExecutionsResponse__Output>
      StepExecution: MessageTypeDefinition<_flowgate_v1_StepExecution, _flowgate_v1_StepExecution__Output>
    }
  }
}

