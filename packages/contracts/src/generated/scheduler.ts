import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { DeleteScheduleRequest as _flowgate_v1_DeleteScheduleRequest, DeleteScheduleRequest__Output as _flowgate_v1_DeleteScheduleRequest__Output } from './flowgate/v1/DeleteScheduleRequest';
import type { DeleteScheduleResponse as _flowgate_v1_DeleteScheduleResponse, DeleteScheduleResponse__Output as _flowgate_v1_DeleteScheduleResponse__Output } from './flowgate/v1/DeleteScheduleResponse';
import type { ListTimersRequest as _flowgate_v1_ListTimersRequest, ListTimersRequest__Output as _flowgate_v1_ListTimersRequest__Output } from './flowgate/v1/ListTimersRequest';
import type { ListTimersResponse as _flowgate_v1_ListTimersResponse, ListTimersResponse__Output as _flowgate_v1_ListTimersResponse__Output } from './flowgate/v1/ListTimersResponse';
import type { Schedule as _flowgate_v1_Schedule, Schedule__Output as _flowgate_v1_Schedule__Output } from './flowgate/v1/Schedule';
import type { SchedulerServiceClient as _flowgate_v1_SchedulerServiceClient, SchedulerServiceDefinition as _flowgate_v1_SchedulerServiceDefinition } from './flowgate/v1/SchedulerService';
import type { Timer as _flowgate_v1_Timer, Timer__Output as _flowgate_v1_Timer__Output } from './flowgate/v1/Timer';
import type { UpsertScheduleRequest as _flowgate_v1_UpsertScheduleRequest, UpsertScheduleRequest__Output as _flowgate_v1_UpsertScheduleRequest__Output } from './flowgate/v1/UpsertScheduleRequest';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  flowgate: {
    v1: {
      DeleteScheduleRequest: MessageTypeDefinition<_flowgate_v1_DeleteScheduleRequest, _flowgate_v1_DeleteScheduleRequest__Output>
      DeleteScheduleResponse: MessageTypeDefinition<_flowgate_v1_DeleteScheduleResponse, _flowgate_v1_DeleteScheduleResponse__Output>
      ListTimersRequest: MessageTypeDefinition<_flowgate_v1_ListTimersRequest, _flowgate_v1_ListTimersRequest__Output>
      ListTimersResponse: MessageTypeDefinition<_flowgate_v1_ListTimersResponse, _flowgate_v1_ListTimersResponse__Output>
      PauseChange: EnumTypeDefinition
      Schedule: MessageTypeDefinition<_flowgate_v1_Schedule, _flowgate_v1_Schedule__Output>
      SchedulerService: SubtypeConstructor<typeof grpc.Client, _flowgate_v1_SchedulerServiceClient> & { service: _flowgate_v1_SchedulerServiceDefinition }
      Timer: MessageTypeDefinition<_flowgate_v1_Timer, _flowgate_v1_Timer__Output>
      UpsertScheduleRequest: MessageTypeDefinition<_flowgate_v1_UpsertScheduleRequest, _flowgate_v1_UpsertScheduleRequest__Output>
    }
  }
}

