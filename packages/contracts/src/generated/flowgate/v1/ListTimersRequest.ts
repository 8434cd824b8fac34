// Original file: proto/flowgate/v1/scheduler.proto


export interface ListTimersRequest {
  'workspaceId'?: (string);
  'executionId'?: (string);
  'limit'?: (number);
}

export interface ListTimersRequest__Output {
  'workspaceId': (string);
  'executionId': (string);
  'limit': (number);
}
