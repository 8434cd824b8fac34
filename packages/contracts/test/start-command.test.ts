import { startCommand, startCommandSchema } from '../src/messages';

const input = { method: 'POST', path: '/hooks/t', query: {}, headers: {}, body: { a: 1 } };
const base = {
  execution_id: 'ex-1',
  workspace_id: 'ws1',
  workflow_id: 'wf1',
  workflow_version: 3,
  trigger_input: input,
  accepted_at: new Date('2026-01-02T03:04:05.678Z'),
};

describe('startCommand', () => {
  it('fills every optional field with its default, so any two writers agree on a command', () => {
    expect(startCommand(base)).toEqual({
      type: 'start',
      ...base,
      accepted_at: '2026-01-02T03:04:05.678Z',
      trigger_input_ref: null,
      replay_of: null,
      source: 'webhook',
      environment: 'production',
      draft_id: null,
      test_run: false,
    });
  });

  it('carries a share id only for a start through a share (every other command stays as it was)', () => {
    expect(startCommand(base)).not.toHaveProperty('share_id');
    const shared = startCommand({ ...base, share_id: 'shr_1' });
    expect(shared.share_id).toBe('shr_1');
    expect(startCommandSchema.parse(shared)).toEqual(shared);
  });

  it('carries a resume point only for a replay from a chosen step (the outputs it keeps are not in the command)', () => {
    expect(startCommand({ ...base, replay_of: 'ex-0' })).not.toHaveProperty('replay_from_step');
    const resumed = startCommand({ ...base, replay_of: 'ex-0', replay_from_step: 'b' });
    expect(resumed).toMatchObject({ replay_of: 'ex-0', replay_from_step: 'b' });
    expect(startCommandSchema.parse(resumed)).toEqual(resumed);
    expect(startCommandSchema.safeParse({ ...resumed, replay_from_step: '' }).success).toBe(false);
  });

  it('keeps what it is given', () => {
    const given = {
      trigger_input_ref: 'ex-1',
      replay_of: 'ex-0',
      source: 'schedule',
      environment: 'development',
      draft_id: 'd1',
      test_run: true,
    } as const;
    expect(startCommand({ ...base, ...given })).toMatchObject(given);
  });

  it('builds what the command schema accepts unchanged', () => {
    const cmd = startCommand({ ...base, environment: 'staging' });
    expect(startCommandSchema.parse(cmd)).toEqual(cmd);
  });
});
