import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ListTimersRequest as _flowgate_v1_ListTimersRequest, ListTimersRequest__Output as _flowgate_v1_ListTimersRequest__Output } from './flowgate/v1/ListTimersRequest';
import type { ListTimersResponse as _flowgate_v1_ListTimersResponse, ListTimersResponse__Output as _flowgate_v1_ListTimersResponse__Output } from './flowgate/v1/ListTimersResponse';
import type { SchedulerServiceClient as _flowgate_v1_SchedulerServiceClient, SchedulerServiceDefinition as _flowgate_v1_SchedulerServiceDefinition } from './flowgate/v1/SchedulerService';
import type { Timer as _flowgate_v1_Timer, Timer__Output as _flowgate_v1_Timer__Output } from './flowgate/v1/Timer';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  flowgate: {
    v1: {
      ListTimersRequest: MessageTypeDefinition<_flowgate_v1_ListTimersRequest, _flowgate_v1_ListTimersRequest__Output>
      ListTimersResponse: MessageTypeDefinition<_flowgate_v1_ListTimersResponse, _flowgate_v1_ListTimersResponse__Output>
      SchedulerService: SubtypeConstructor<typeof grpc.Client, _flowgate_v1_SchedulerServiceClient> & { service: _flowgate_v1_SchedulerServiceDefinition }
      Timer: MessageTypeDefinition<_flowgate_v1_Timer, _flowgate_v1_Timer__Output>
    }
  }
}

