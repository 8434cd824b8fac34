import { commandSchema, executionEventSchema, messageIds } from '../src/messages';
import { createSubjects, messageKindOfSubject, workspaceOfSubject } from '../src/subjects';

describe('subjects', () => {
  it('derives subjects and stream names from the prefix', () => {
    const s = createSubjects('flowgate');
    expect(s.commandsStream).toBe('FLOWGATE_COMMANDS');
    expect(s.eventsStream).toBe('FLOWGATE_EVENTS');
    expect(s.command('start', 'ws1')).toBe('flowgate.cmd.start.ws1');
    expect(s.executionEvent('ws1', 'succeeded')).toBe('flowgate.evt.execution.ws1.succeeded');
    expect(s.executionEventsFilter()).toBe('flowgate.evt.execution.*.*');
    expect(s.executionEventsFilter('failed')).toBe('flowgate.evt.execution.*.failed');
    expect(createSubjects('t-1').commandsStream).toBe('T_1_COMMANDS');
  });

  it('derives every KV bucket name from the prefix', () => {
    const s = createSubjects('t-1');
    expect([s.liveExecutionsBucket, s.slotsBucket, s.idempotencyBucket, s.ingressReplicasBucket]).toEqual([
      'T_1_EXECUTIONS',
      'T_1_SLOTS',
      'T_1_IDEMPOTENCY',
      'T_1_INGRESS_REPLICAS',
    ]);
    expect([s.quotasBucket, s.rateLimitsBucket, s.leasesBucket]).toEqual(['T_1_QUOTAS', 'T_1_RATELIMITS', 'T_1_LEASES']);
  });

  it('keeps timer schedules in their own subject space, outside the command filter', () => {
    const s = createSubjects('flowgate');
    expect(s.schedulesAll).toBe('flowgate.sched.>');
    expect(s.timerSchedule('ws1', 'ex-1:duration')).toBe('flowgate.sched.timer.ws1.ex-1.duration');
    expect(s.timerSchedule('ws1', 'ex-1:wait:3')).toBe('flowgate.sched.timer.ws1.ex-1.wait.3');
    expect(s.executionTimerSchedules('ws1', 'ex-1')).toBe('flowgate.sched.timer.ws1.ex-1.>');
    expect(s.workspaceTimerSchedules('ws1')).toBe('flowgate.sched.timer.ws1.>');
    expect(s.timerSchedule('ws1', 'ex-1:duration').startsWith(s.commandsAll.slice(0, -1))).toBe(false);
    expect(() => s.timerSchedule('ws1', 'ex.1:duration')).toThrow('invalid NATS subject token');
    expect(() => s.timerSchedule('ws1', 'ex-1::duration')).toThrow('invalid NATS subject token');
  });

  it('keeps debounce windows in their own bucket and schedule subjects, targeting the debounce command subject', () => {
    const s = createSubjects();
    expect(s.debounceBucket).toBe('FLOWGATE_DEBOUNCE');
    expect(s.debounceSchedule('ws1', 'wf_1', 'AbC-_9')).toBe('flowgate.sched.debounce.ws1.wf_1.AbC-_9');
    expect(s.debounceSchedule('ws1', 'wf_1', 'AbC').startsWith(s.schedulesAll.slice(0, -1))).toBe(true);
    expect(s.command('debounce', 'ws1')).toBe('flowgate.cmd.debounce.ws1');
    expect(workspaceOfSubject(s.command('debounce', 'ws1'))).toBe('ws1');
    expect(() => s.debounceSchedule('ws1', 'wf.1', 'tok')).toThrow('invalid NATS subject token');
  });

  it('refuses tokens that would change the subject structure', () => {
    expect(() => createSubjects('a.b')).toThrow('invalid NATS subject token');
    expect(() => createSubjects().command('start', 'ws.*')).toThrow('invalid NATS subject token');
    expect(() => createSubjects().command('start', 'ws >')).toThrow('invalid NATS subject token');
  });
});

describe('message schemas', () => {
  const start = {
    type: 'start',
    execution_id: 'e1',
    workspace_id: 'ws',
    workflow_id: 'wf_1',
    workflow_version: 1,
    trigger_input: { method: 'POST', path: '/hooks/x', query: {}, headers: {}, body: { a: 1 } },
    accepted_at: '2026-11-23T08:00:00.000Z',
  };

  it('accepts a valid start command and rejects a malformed one', () => {
    expect(commandSchema.safeParse(start).success).toBe(true);
    expect(commandSchema.safeParse({ ...start, workflow_version: 'one' }).success).toBe(false);
    expect(commandSchema.safeParse({ ...start, type: 'explode' }).success).toBe(false);
    expect(commandSchema.safeParse({ ...start, accepted_at: 'yesterday' }).success).toBe(false);
  });

  it('accepts a debounce command naming its window only', () => {
    const debounce = { type: 'debounce', workspace_id: 'ws', workflow_id: 'wf_1', key_token: 'tok', due_at: '2026-12-01T10:00:00.000Z' };
    expect(commandSchema.safeParse(debounce).success).toBe(true);
    expect(commandSchema.safeParse({ ...debounce, key_token: '' }).success).toBe(false);
    expect(commandSchema.safeParse({ ...debounce, due_at: 'soon' }).success).toBe(false);
  });

  it('rejects an execution event with an unknown status', () => {
    const event = {
      event_id: 'e1:succeeded',
      execution_id: 'e1',
      workspace_id: 'ws',
      workflow_id: 'wf_1',
      workflow_version: 1,
      status: 'succeeded',
      final_output_json: '1',
      error: null,
      created_at: '2026-11-23T08:00:00.000Z',
      started_at: null,
      finished_at: null,
      on_success_url: null,
      on_failure_url: null,
    };
    expect(executionEventSchema.safeParse(event).success).toBe(true);
    expect(executionEventSchema.safeParse({ ...event, status: 'exploded' }).success).toBe(false);
  });

  it('derives message ids from business keys', () => {
    expect(messageIds.start('e1')).toBe('e1');
    expect(messageIds.timer('t1', '2026-01-01T00:00:00.000Z')).toBe('t1:2026-01-01T00:00:00.000Z');
    expect(messageIds.executionEvent('e1', 'failed')).toBe('e1:failed');
  });

  it('reads the workspace and the kind of message from command, event and delivery-request subjects', () => {
    const s = createSubjects('fg-1');
    const cases: [string, string | null, string | null][] = [
      [s.command('start', 'ws_a'), 'ws_a', 'start'],
      [s.command('resume', 'default'), 'default', 'resume'],
      [s.executionEvent('ws_b', 'succeeded'), 'ws_b', 'execution_event'],
      [s.deliveryRequest('ws_c', 'redeliver'), 'ws_c', 'redeliver'],
      ['fg-1.cmd.start', null, 'start'],
      ['fg-1.cmd.start.ws.extra', null, 'start'],
      [s.configEvent('workflow'), null, null],
      ['elsewhere', null, null],
    ];
    for (const [subject, workspace, kind] of cases)
      expect([subject, workspaceOfSubject(subject), messageKindOfSubject(subject)]).toEqual([subject, workspace, kind]);
  });
});
