// Original file: proto/flowgate/v1/execution.proto

import type { Execution as _flowgate_v1_Execution, Execution__Output as _flowgate_v1_Execution__Output } from '../../flowgate/v1/Execution';

export interface ListExecutionsResponse {
  'executions'?: (_flowgate_v1_Execution)[];
  'nextCursor'?: (string);
}

export interface ListExecutionsResponse__Output {
  'executions': (_flowgate_v1_Execution__Output)[];
  'nextCursor': (string);
}
