// Original file: proto/flowgate/v1/execution.proto


export interface ListExecutionsRequest {
  'workspaceId'?: (string);
  'workflowId'?: (string);
  'status'?: (string)[];
  'createdAfter'?: (string);
  'createdBefore'?: (string);
  'limit'?: (number);
  'cursor'?: (string);
}

export interface ListExecutionsRequest__Output {
  'workspaceId': (string);
  'workflowId': (string);
  'status': (string)[];
  'createdAfter': (string);
  'createdBefore': (string);
  'limit': (number);
  'cursor': (string);
}
