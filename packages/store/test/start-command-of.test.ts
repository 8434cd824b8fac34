import { startCommand } from '@flowgate/contracts';
import { newExecutionOf, queuedExecution, startCommandOf } from '../src/executions';

const fields = {
  execution_id: 'ex-1',
  workspace_id: 'ws1',
  workflow_id: 'wf1',
  workflow_version: 0,
  trigger_input: { method: 'POST', path: '/hooks/t', query: { a: 'b' }, headers: { 'x-k': 'v' }, body: { 'a.b': { $c: [1] } } },
  accepted_at: new Date('2026-01-02T03:04:05.678Z'),
};

describe('start command ↔ new execution', () => {
  it.each([
    ['a production webhook', {}],
    ['a development run of a draft', { environment: 'development' as const, draft_id: 'd1', test_run: true }],
    ['a replay of an offloaded input', { replay_of: 'ex-0', trigger_input_ref: 'ex-1' }],
    ['a cron fire', { source: 'schedule' as const }],
    ['a run through a share', { share_id: 'shr_1' }],
    ['a replay from a chosen step', { replay_of: 'ex-0', replay_from_step: 'b' }],
  ])('the executor re-sends exactly the command %s was recorded from', (_name, extra) => {
    const cmd = startCommand({ ...fields, ...extra });
    expect(startCommandOf(queuedExecution(newExecutionOf(cmd)))).toEqual(cmd);
  });
});
