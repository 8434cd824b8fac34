// Original file: proto/flowgate/v1/scheduler.proto


export interface DeleteScheduleResponse {
  'deleted'?: (boolean);
}

export interface DeleteScheduleResponse__Output {
  'deleted': (boolean);
}
