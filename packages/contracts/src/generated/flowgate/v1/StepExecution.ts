// Original file: proto/flowgate/v1/execution.proto

import type { ExecutionError as _flowgate_v1_ExecutionError, ExecutionError__Output as _flowgate_v1_ExecutionError__Output } from '../../flowgate/v1/ExecutionError';

export interface StepExecution {
  'stepId'?: (string);
  'type'?: (string);
  'attempt'?: (number);
  'status'?: (string);
  'inputJson'?: (string);
  'outputJson'?: (string);
  'error'?: (_flowgate_v1_ExecutionError | null);
  'startedAt'?: (string);
  'finishedAt'?: (string);
}

export interface StepExecution__Output {
  'stepId': (string);
  'type': (string);
  'attempt': (number);
  'status': (string);
  'inputJson': (string);
  'outputJson': (string);
  'error': (_flowgate_v1_ExecutionError__Output | null);
  'startedAt': (string);
  'finishedAt': (string);
}
