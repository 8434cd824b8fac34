// Original file: proto/flowgate/v1/scheduler.proto


export interface Timer {
  'id'?: (string);
  'workspaceId'?: (string);
  'executionId'?: (string);
  'kind'?: (string);
  'dueAt'?: (string);
  'status'?: (string);
}

export interface Timer__Output {
  'id': (string);
  'workspaceId': (string);
  'executionId': (string);
  'kind': (string);
  'dueAt': (string);
  'status': (string);
}
