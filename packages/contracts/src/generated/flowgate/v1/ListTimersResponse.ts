// Original file: proto/flowgate/v1/scheduler.proto

import type { Timer as _flowgate_v1_Timer, Timer__Output as _flowgate_v1_Timer__Output } from '../../flowgate/v1/Timer';

export interface ListTimersResponse {
  'timers'?: (_flowgate_v1_Timer)[];
}

export interface ListTimersResponse__Output {
  'timers': (_flowgate_v1_Timer__Output)[];
}
