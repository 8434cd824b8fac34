import type { Execution } from '@flowgate/client';
import { durationText, renderTimeline } from '../src/timeline';

/** describe execution's timeline rendering. */
const base: Execution = {
  id: 'ex_1',
  workflow_id: 'wf_1',
  workflow_version: 3,
  status: 'failed',
  status_url: 'http://x/v1/executions/ex_1',
  trigger_input: {},
  trigger_input_ref: null,
  trigger_input_url: 'http://x/v1/executions/ex_1/input',
  final_output: null,
  error: { code: 'http_error', message: 'HTTP 500', step_id: 'call' },
  replay_of: null,
  replay_from_step: null,
  concurrency_keys: [],
  environment: 'production',
  test_run: false,
  waiting_reason: null,
  waiting_payload: null,
  waiting_expires_at: null,
  created_at: '2026-01-01T00:00:00.000Z',
  started_at: '2026-01-01T00:00:00.000Z',
  finished_at: '2026-01-01T00:00:02.500Z',
  step_executions: [
    {
      step_id: 'shape',
      type: 'transform',
      attempt: 1,
      status: 'succeeded',
      input: null,
      output: 1,
      error: null,
      started_at: '2026-01-01T00:00:00.010Z',
      finished_at: '2026-01-01T00:00:00.030Z',
    },
    {
      step_id: 'call',
      type: 'http',
      attempt: 2,
      status: 'failed',
      input: null,
      output: null,
      error: { code: 'http_error', message: 'HTTP 500' },
      started_at: '2026-01-01T00:00:01.000Z',
      finished_at: '2026-01-01T00:00:02.500Z',
    },
  ],
};

describe('renderTimeline', () => {
  it('lists each step attempt with its offset, status, attempt, duration and error', () => {
    expect(renderTimeline(base).split('\n')).toEqual([
      'Execution ex_1  FAILED',
      '  workflow wf_1 v3 (production)',
      '  created 2026-01-01T00:00:00.000Z  started 2026-01-01T00:00:00.000Z  finished 2026-01-01T00:00:02.500Z  (2.5s)',
      'Steps:',
      '     +10ms  succeeded     shape (transform)  20ms',
      '     +1.0s  failed        call (http)  attempt 2  1.5s',
      '            error http_error: HTTP 500',
      'Error: http_error: HTTP 500 (step call)',
    ]);
  });

  it('shows what a waiting execution waits for, and a running step so far', () => {
    const waiting: Execution = {
      ...base,
      status: 'waiting',
      error: null,
      finished_at: null,
      waiting_reason: 'delay',
      waiting_payload: { resume_at: '2026-01-01T00:01:00.000Z' },
      waiting_expires_at: '2026-01-01T00:01:00.000Z',
      step_executions: [{ ...base.step_executions[0]!, step_id: 'pause', type: 'delay', status: 'waiting', finished_at: null }],
    };
    const text = renderTimeline(waiting, new Date('2026-01-01T00:00:05.010Z'));
    expect(text).toContain('waiting       pause (delay)  5.0s so far');
    expect(text).toContain('Waiting: delay until 2026-01-01T00:01:00.000Z  resume_at=2026-01-01T00:01:00.000Z');
  });
});

describe('durationText', () => {
  it('picks a unit', () => {
    expect([durationText(250), durationText(1_500), durationText(125_000), durationText(7_500_000)]).toEqual([
      '250ms',
      '1.5s',
      '2m5s',
      '2h5m',
    ]);
  });
});
