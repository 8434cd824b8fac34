// Original file: proto/flowgate/v1/scheduler.proto


export interface DeleteScheduleRequest {
  'workspaceId'?: (string);
  'workflowId'?: (string);
}

export interface DeleteScheduleRequest__Output {
  'workspaceId': (string);
  'workflowId': (string);
}
