import { decideSchedule, MISSED_AFTER_MS, nextFireTimes, scheduleSchema, type ScheduleSpec } from '../src/schedule';
import { validateDefinition } from '../src/definition';

const spec = (input: Record<string, unknown>): ScheduleSpec => scheduleSchema.parse(input);
const iso = (dates: Date[]) => dates.map((d) => d.toISOString());
const idle = { active: 0, queuedScheduled: 0 };

describe('cron schedules', () => {
  it('5-field patterns fire on the minute; 6-field ones take seconds first', () => {
    const after = new Date('2026-03-01T10:07:30Z');
    expect(iso(nextFireTimes(spec({ cron: '*/15 * * * *' }), after, 3))).toEqual([
      '2026-03-01T10:15:00.000Z',
      '2026-03-01T10:30:00.000Z',
      '2026-03-01T10:45:00.000Z',
    ]);
    expect(iso(nextFireTimes(spec({ cron: '*/20 * * * * *' }), after, 2))).toEqual([
      '2026-03-01T10:07:40.000Z',
      '2026-03-01T10:08:00.000Z',
    ]);
  });

  it('reads the pattern in its time zone', () => {
    const s = spec({ cron: '0 9 * * *', timezone: 'Europe/Berlin' });
    // Winter: UTC+1; summer: UTC+2.
    expect(iso(nextFireTimes(s, new Date('2026-01-10T00:00:00Z'), 1))).toEqual(['2026-01-10T08:00:00.000Z']);
    expect(iso(nextFireTimes(s, new Date('2026-07-10T00:00:00Z'), 1))).toEqual(['2026-07-10T07:00:00.000Z']);
  });

  it('DST: a time in the spring-forward gap fires once right after it; a repeated autumn time fires once', () => {
    // Europe/Berlin 2026-03-29: 02:00 → 03:00 local. 02:30 does not exist.
    const spring = spec({ cron: '30 2 * * *', timezone: 'Europe/Berlin' });
    expect(iso(nextFireTimes(spring, new Date('2026-03-28T12:00:00Z'), 3))).toEqual([
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:30:00.000Z',
      '2026-03-31T00:30:00.000Z',
    ]);
    // 2026-10-25: 03:00 → 02:00 local. 02:30 happens twice: fired once.
    const autumn = spec({ cron: '30 2 * * *', timezone: 'Europe/Berlin' });
    const fires = nextFireTimes(autumn, new Date('2026-10-24T12:00:00Z'), 2);
    expect(fires).toHaveLength(2);
    expect(fires[1]!.getTime() - fires[0]!.getTime()).toBeGreaterThanOrEqual(24 * 3_600_000);
  });

  it('rejects bad patterns and unknown time zones, naming the field', () => {
    const result = validateDefinition({
      name: 'wf',
      trigger: { schedule: { cron: '61 * * * *', timezone: 'Mars/Olympus' } },
      steps: [{ id: 'a', type: 'transform', expression: '1' }],
    });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.issues).toEqual([
        { path: 'trigger.schedule.timezone', message: 'unknown IANA time zone "Mars/Olympus"', code: 'custom' },
      ]);
    const badCron = validateDefinition({
      name: 'wf',
      trigger: { schedule: { cron: '61 * * * *' } },
      steps: [{ id: 'a', type: 'transform', expression: '1' }],
    });
    expect(badCron.ok).toBe(false);
    if (!badCron.ok) expect(badCron.issues[0]?.path).toBe('trigger.schedule.cron');
  });

  describe('decideSchedule', () => {
    const every5 = spec({ cron: '*/5 * * * *' });
    const due = new Date('2026-05-01T12:05:00Z');

    it('waits until due; fires when due and schedules the next fire from now', () => {
      expect(decideSchedule(every5, due, new Date('2026-05-01T12:04:59Z'), idle)).toEqual({ action: 'wait' });
      expect(decideSchedule(every5, due, new Date('2026-05-01T12:05:00.300Z'), idle)).toEqual({
        action: 'fire',
        fireAt: due,
        next: new Date('2026-05-01T12:10:00Z'),
        reason: 'due',
      });
    });

    it('overlap: skip while one is active, allow always, queue at most one waiting', () => {
      const now = new Date('2026-05-01T12:05:01Z');
      const busy = { active: 1, queuedScheduled: 0 };
      expect(decideSchedule(every5, due, now, busy)).toMatchObject({ action: 'skip', reason: 'overlap' });
      expect(decideSchedule(spec({ cron: '*/5 * * * *', overlap: 'allow' }), due, now, { active: 3, queuedScheduled: 2 })).toMatchObject({
        action: 'fire',
      });
      const queue = spec({ cron: '*/5 * * * *', overlap: 'queue' });
      expect(decideSchedule(queue, due, now, busy)).toMatchObject({ action: 'fire' });
      expect(decideSchedule(queue, due, now, { active: 2, queuedScheduled: 1 })).toMatchObject({ action: 'skip', reason: 'overlap' });
    });

    it("a suspended workspace's fire times pass without a run, counted from now", () => {
      const now = new Date(due.getTime() + 3 * 3_600_000 + 60_000); // 15:06
      expect(decideSchedule(every5, due, now, { ...idle, suspended: true })).toEqual({
        action: 'skip',
        next: new Date('2026-05-01T15:10:00Z'),
        reason: 'suspended',
      });
      expect(decideSchedule(every5, due, due, { ...idle, suspended: false })).toMatchObject({ action: 'fire' });
    });

    it('missed fires after downtime: skip them, or run once for all of them', () => {
      const now = new Date(due.getTime() + 3 * 3_600_000 + 60_000); // 15:06
      expect(decideSchedule(every5, due, now, idle)).toEqual({ action: 'skip', next: new Date('2026-05-01T15:10:00Z'), reason: 'missed' });
      expect(decideSchedule(spec({ cron: '*/5 * * * *', missed: 'run_once' }), due, now, idle)).toEqual({
        action: 'fire',
        fireAt: new Date('2026-05-01T15:05:00Z'),
        next: new Date('2026-05-01T15:10:00Z'),
        reason: 'missed',
      });
      // Just late (a slow tick), not missed.
      expect(decideSchedule(every5, due, new Date(due.getTime() + MISSED_AFTER_MS - 1), idle)).toMatchObject({
        action: 'fire',
        reason: 'due',
      });
    });
  });
});
