// Original file: proto/flowgate/v1/scheduler.proto

export const PauseChange = {
  PAUSE_CHANGE_KEEP: 'PAUSE_CHANGE_KEEP',
  PAUSE_CHANGE_PAUSE: 'PAUSE_CHANGE_PAUSE',
  PAUSE_CHANGE_RESUME: 'PAUSE_CHANGE_RESUME',
} as const;

export type PauseChange =
  | 'PAUSE_CHANGE_KEEP'
  | 0
  | 'PAUSE_CHANGE_PAUSE'
  | 1
  | 'PAUSE_CHANGE_RESUME'
  | 2

export type PauseChange__Output = typeof PauseChange[keyof typeof PauseChange]
