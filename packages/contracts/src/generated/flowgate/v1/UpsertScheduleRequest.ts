// Original file: proto/flowgate/v1/scheduler.proto

import type { PauseChange as _flowgate_v1_PauseChange, PauseChange__Output as _flowgate_v1_PauseChange__Output } from '../../flowgate/v1/PauseChange';

export interface UpsertScheduleRequest {
  'workspaceId'?: (string);
  'workflowId'?: (string);
  'cron'?: (string);
  'timezone'?: (string);
  'overlap'?: (string);
  'missed'?: (string);
  'pause'?: (_flowgate_v1_PauseChange);
}

export interface UpsertScheduleRequest__Output {
  'workspaceId': (string);
  'workflowId': (string);
  'cron': (string);
  'timezone': (string);
  'overlap': (string);
  'missed': (string);
  'pause': (_flowgate_v1_PauseChange__Output);
}
