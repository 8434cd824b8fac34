// Original file: proto/flowgate/v1/scheduler.proto


export interface Schedule {
  'workspaceId'?: (string);
  'workflowId'?: (string);
  'cron'?: (string);
  'timezone'?: (string);
  'overlap'?: (string);
  'missed'?: (string);
  'paused'?: (boolean);
  'nextFireAt'?: (string);
  'lastFireAt'?: (string);
}

export interface Schedule__Output {
  'workspaceId': (string);
  'workflowId': (string);
  'cron': (string);
  'timezone': (string);
  'overlap': (string);
  'missed': (string);
  'paused': (boolean);
  'nextFireAt': (string);
  'lastFireAt': (string);
}
