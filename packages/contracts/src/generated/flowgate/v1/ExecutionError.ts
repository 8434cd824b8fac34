// Original file: proto/flowgate/v1/execution.proto


export interface ExecutionError {
  'code'?: (string);
  'message'?: (string);
  'stepId'?: (string);
}

export interface ExecutionError__Output {
  'code': (string);
  'message': (string);
  'stepId': (string);
}
