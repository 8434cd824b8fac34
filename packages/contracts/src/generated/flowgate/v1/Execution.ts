// Original file: proto/flowgate/v1/execution.proto

import type { StepExecution as _flowgate_v1_StepExecution, StepExecution__Output as _flowgate_v1_StepExecution__Output } from '../../flowgate/v1/StepExecution';
import type { ExecutionError as _flowgate_v1_ExecutionError, ExecutionError__Output as _flowgate_v1_ExecutionError__Output } from '../../flowgate/v1/ExecutionError';

export interface Execution {
  'id'?: (string);
  'workspaceId'?: (string);
  'workflowId'?: (string);
  'workflowVersion'?: (number);
  'status'?: (string);
  'triggerInputJson'?: (string);
  'stepExecutions'?: (_flowgate_v1_StepExecution)[];
  'finalOutputJson'?: (string);
  'error'?: (_flowgate_v1_ExecutionError | null);
  'outputsJson'?: (string);
  'stepOrder'?: (string)[];
  'responseJson'?: (string);
  'createdAt'?: (string);
  'startedAt'?: (string);
  'finishedAt'?: (string);
  'replayOf'?: (string);
  'waitingReason'?: (string);
  'waitingPayloadJson'?: (string);
  'waitingExpiresAt'?: (string);
  'environment'?: (string);
  'testRun'?: (boolean);
  'revision'?: (number);
  'triggerInputRef'?: (string);
  'replayFromStep'?: (string);
  'concurrencyKeys'?: (string)[];
}

export interface Execution__Output {
  'id': (string);
  'workspaceId': (string);
  'workflowId': (string);
  'workflowVersion': (number);
  'status': (string);
  'triggerInputJson': (string);
  'stepExecutions': (_flowgate_v1_StepExecution__Output)[];
  'finalOutputJson': (string);
  'error': (_flowgate_v1_ExecutionError__Output | null);
  'outputsJson': (string);
  'stepOrder': (string)[];
  'responseJson': (string);
  'createdAt': (string);
  'startedAt': (string);
  'finishedAt': (string);
  'replayOf': (string);
  'waitingReason': (string);
  'waitingPayloadJson': (string);
  'waitingExpiresAt': (string);
  'environment': (string);
  'testRun': (boolean);
  'revision': (number);
  'triggerInputRef': (string);
  'replayFromStep': (string);
  'concurrencyKeys': (string)[];
}
