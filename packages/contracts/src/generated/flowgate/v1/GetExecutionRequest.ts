// Original file: proto/flowgate/v1/execution.proto


export interface GetExecutionRequest {
  'workspaceId'?: (string);
  'executionId'?: (string);
}

export interface GetExecutionRequest__Output {
  'workspaceId': (string);
  'executionId': (string);
}
