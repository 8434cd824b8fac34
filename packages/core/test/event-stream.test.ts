import { finishedStepCount, formatEventId, parseEventId, planEvents, START_CURSOR } from '../src/event-stream';

describe('SSE event cursors', () => {
  it('parses and formats ids; foreign ids start over', () => {
    expect(parseEventId('7.3')).toEqual({ revision: 7, steps: 3 });
    expect(formatEventId({ revision: 7, steps: 3 })).toBe('7.3');
    expect(parseEventId(undefined)).toEqual(START_CURSOR);
    expect(parseEventId('abc')).toEqual(START_CURSOR);
    expect(parseEventId('1.2.3')).toEqual(START_CURSOR);
  });

  it('counts finished attempts as a prefix', () => {
    expect(finishedStepCount(['succeeded', 'failed', 'running'])).toBe(2);
    expect(finishedStepCount(['succeeded', 'waiting'])).toBe(1);
    expect(finishedStepCount(['succeeded', 'interrupted', 'succeeded'])).toBe(3);
  });

  it('sends new finished steps, then a newer snapshot; nothing twice', () => {
    const a = planEvents(START_CURSOR, 2, ['succeeded', 'running']);
    expect(a.events).toEqual([
      { kind: 'step', index: 0, id: '-1.1' },
      { kind: 'execution', id: '2.1' },
    ]);
    expect(planEvents(a.cursor, 2, ['succeeded', 'running']).events).toEqual([]);
    const b = planEvents(a.cursor, 5, ['succeeded', 'succeeded', 'succeeded']);
    expect(b.events.map((e) => e.id)).toEqual(['2.2', '2.3', '5.3']);
    // reconnecting after the second step event resumes right there
    const resumed = planEvents(parseEventId('2.2'), 5, ['succeeded', 'succeeded', 'succeeded']);
    expect(resumed.events.map((e) => e.id)).toEqual(['2.3', '5.3']);
    // a stale snapshot sends nothing
    expect(planEvents(b.cursor, 4, ['succeeded', 'succeeded', 'succeeded']).events).toEqual([]);
  });
});
