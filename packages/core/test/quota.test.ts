import { checkQuota, dayWindow, effectiveLimits, monthWindow, retryAfterSeconds, windowStart } from '../src/quota';

const limits = { executionsPerDay: 10, executionsPerMonth: 100, parallelExecutions: 2 };

describe('quota windows', () => {
  it('keys and resets days and months in UTC', () => {
    const now = new Date('2025-12-31T23:59:30.500Z');
    expect(dayWindow(now)).toEqual({ key: '2025-12-31', resetsAt: new Date('2026-01-01T00:00:00Z') });
    expect(monthWindow(now)).toEqual({ key: '2025-12', resetsAt: new Date('2026-01-01T00:00:00Z') });
    expect(windowStart('day', now)).toEqual(new Date('2025-12-31T00:00:00Z'));
    expect(windowStart('month', now)).toEqual(new Date('2025-12-01T00:00:00Z'));
    expect(monthWindow(new Date('2024-02-10T00:00:00Z')).resetsAt).toEqual(new Date('2024-03-01T00:00:00Z'));
  });

  it('rounds Retry-After up and never below 1 s', () => {
    const now = new Date('2025-03-07T23:59:30.500Z');
    expect(retryAfterSeconds(now, dayWindow(now).resetsAt)).toBe(30);
    expect(retryAfterSeconds(now, now)).toBe(1);
  });
});

describe('checkQuota', () => {
  const now = new Date('2025-03-07T12:00:00Z');

  it('admits below every limit and when limits are 0 (unlimited)', () => {
    expect(checkQuota(limits, { day: 9, month: 99, parallel: 1 }, now)).toBeNull();
    expect(
      checkQuota({ executionsPerDay: 0, executionsPerMonth: 0, parallelExecutions: 0 }, { day: 1e9, month: 1e9, parallel: 1e9 }, now),
    ).toBeNull();
  });

  it('refuses the day quota until UTC midnight', () => {
    expect(checkQuota(limits, { day: 10, month: 10, parallel: 0 }, now)).toEqual({
      quota: 'executions_per_day',
      limit: 10,
      retryAfterS: 12 * 3600,
    });
  });

  it('names the month when both are exhausted (it frees up last)', () => {
    const refusal = checkQuota(limits, { day: 10, month: 100, parallel: 5 }, now);
    expect(refusal?.quota).toBe('executions_per_month');
    expect(refusal?.retryAfterS).toBe(retryAfterSeconds(now, new Date('2025-04-01T00:00:00Z')));
  });

  it('refuses parallel executions with a short Retry-After', () => {
    expect(checkQuota(limits, { day: 0, month: 0, parallel: 2 }, now)).toEqual({ quota: 'parallel_executions', limit: 2, retryAfterS: 1 });
  });

  it('merges workspace overrides over the defaults (null = default, 0 = unlimited)', () => {
    expect(effectiveLimits(limits, { executions_per_day: 0, executions_per_month: null })).toEqual({
      executionsPerDay: 0,
      executionsPerMonth: 100,
      parallelExecutions: 2,
    });
    expect(effectiveLimits(limits, undefined)).toEqual(limits);
  });
});
