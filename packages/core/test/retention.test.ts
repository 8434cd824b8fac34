import {
  DEFAULT_RETENTION_DAYS,
  isDueForRemoval,
  isRetentionDays,
  retentionCutoff,
  retentionDaysOf,
  retentionTargets,
  workspaceRetentionDays,
  type RetentionOverride,
} from '../src/retention';

const DAY = 24 * 60 * 60 * 1000;
const now = new Date('2026-06-30T12:00:00.000Z');
const daysAgo = (d: number, extraMs = 0) => new Date(now.getTime() - d * DAY - extraMs);

describe('retention', () => {
  it('accepts whole days 1–3650 only', () => {
    for (const ok of [1, 30, 3650]) expect(isRetentionDays(ok)).toBe(true);
    for (const bad of [0, -1, 3651, 1.5, Number.NaN, '30', null, undefined]) expect(isRetentionDays(bad)).toBe(false);
  });

  it("a workspace's own days, else the default (also for a stored value out of range)", () => {
    expect(DEFAULT_RETENTION_DAYS).toBe(30);
    expect(workspaceRetentionDays(7, 30)).toBe(7);
    expect(workspaceRetentionDays(null, 30)).toBe(30);
    expect(workspaceRetentionDays(undefined, 90)).toBe(90);
    expect(workspaceRetentionDays(0, 30)).toBe(30);
  });

  it('the cutoff is now minus the days', () => {
    expect(retentionCutoff(30, now)).toEqual(daysAgo(30));
    expect(retentionCutoff(1, now).toISOString()).toBe('2026-06-29T12:00:00.000Z');
  });

  it('one target per overridden workflow, then the rest of the workspace without them', () => {
    const overrides: RetentionOverride[] = [
      { workspaceId: 'a', workflowId: 'wf_short', retentionDays: 2 },
      { workspaceId: 'a', workflowId: 'wf_long', retentionDays: 400 },
      { workspaceId: 'gone', workflowId: 'wf_x', retentionDays: 5 },
      { workspaceId: 'a', workflowId: 'wf_bad', retentionDays: 0 },
    ];
    const targets = retentionTargets([{ id: 'a', retentionDays: 10 }, { id: 'b' }], overrides, 30, now);
    expect(targets).toEqual([
      { workspaceId: 'a', workflowId: 'wf_short', exceptWorkflowIds: [], days: 2, cutoff: daysAgo(2) },
      { workspaceId: 'a', workflowId: 'wf_long', exceptWorkflowIds: [], days: 400, cutoff: daysAgo(400) },
      { workspaceId: 'a', workflowId: null, exceptWorkflowIds: ['wf_short', 'wf_long'], days: 10, cutoff: daysAgo(10) },
      { workspaceId: 'b', workflowId: null, exceptWorkflowIds: [], days: 30, cutoff: daysAgo(30) },
    ]);
  });

  it('an override counts once per workflow (the first)', () => {
    const targets = retentionTargets(
      [{ id: 'a' }],
      [
        { workspaceId: 'a', workflowId: 'w', retentionDays: 3 },
        { workspaceId: 'a', workflowId: 'w', retentionDays: 9 },
      ],
      30,
      now,
    );
    expect(targets.map((t) => [t.workflowId, t.days])).toEqual([
      ['w', 3],
      [null, 30],
    ]);
  });

  it("a workflow's override applies in its own workspace only (a receiver's runs of a shared workflow keep the receiver's)", () => {
    const overrides = [{ workspaceId: 'owner', workflowId: 'wf', retentionDays: 1 }];
    expect(retentionDaysOf({ workspaceId: 'owner', workflowId: 'wf' }, 30, overrides, 30)).toBe(1);
    expect(retentionDaysOf({ workspaceId: 'receiver', workflowId: 'wf' }, 60, overrides, 30)).toBe(60);
    expect(retentionDaysOf({ workspaceId: 'receiver', workflowId: 'wf' }, null, overrides, 30)).toBe(30);
  });

  describe('isDueForRemoval', () => {
    const ended = (status: 'succeeded' | 'failed' | 'cancelled' | 'timed_out', finishedAt: Date | null) => ({
      workspaceId: 'a',
      workflowId: 'wf',
      status,
      finishedAt,
    });

    it('every terminal status ended longer ago than the retention is due; just inside it is not', () => {
      for (const status of ['succeeded', 'failed', 'cancelled', 'timed_out'] as const) {
        expect(isDueForRemoval(ended(status, daysAgo(30, 1)), null, [], 30, now)).toBe(true);
        expect(isDueForRemoval(ended(status, daysAgo(30)), null, [], 30, now)).toBe(false);
        expect(isDueForRemoval(ended(status, daysAgo(29)), null, [], 30, now)).toBe(false);
      }
    });

    it('live executions are never due, however old', () => {
      for (const status of ['queued', 'running', 'waiting'] as const)
        expect(isDueForRemoval({ workspaceId: 'a', workflowId: 'wf', status, finishedAt: daysAgo(9_999) }, 1, [], 1, now)).toBe(false);
    });

    it('an ended execution without an end time is kept (nothing to measure its age by)', () => {
      expect(isDueForRemoval(ended('succeeded', null), 1, [], 1, now)).toBe(false);
    });

    it("the workspace's days beat the default; the workflow's override beats both, shorter or longer", () => {
      const e = ended('succeeded', daysAgo(8));
      expect(isDueForRemoval(e, null, [], 30, now)).toBe(false);
      expect(isDueForRemoval(e, 7, [], 30, now)).toBe(true);
      expect(isDueForRemoval(e, 7, [{ workspaceId: 'a', workflowId: 'wf', retentionDays: 90 }], 30, now)).toBe(false);
      expect(isDueForRemoval(e, 90, [{ workspaceId: 'a', workflowId: 'wf', retentionDays: 1 }], 30, now)).toBe(true);
      expect(isDueForRemoval(e, 90, [{ workspaceId: 'a', workflowId: 'other', retentionDays: 1 }], 30, now)).toBe(false);
    });

    it('agrees with the targets: an execution is due exactly when a target of its workspace matches it', () => {
      const overrides = [{ workspaceId: 'a', workflowId: 'wf_short', retentionDays: 2 }];
      const targets = retentionTargets([{ id: 'a', retentionDays: 10 }], overrides, 30, now);
      const matches = (e: { workflowId: string; finishedAt: Date }) =>
        targets.some(
          (t) =>
            (t.workflowId === null ? !t.exceptWorkflowIds.includes(e.workflowId) : t.workflowId === e.workflowId) &&
            e.finishedAt < t.cutoff,
        );
      for (const workflowId of ['wf_short', 'wf_other'])
        for (const age of [1, 2.5, 9, 11, 400]) {
          const e = { workspaceId: 'a', workflowId, status: 'succeeded' as const, finishedAt: daysAgo(age) };
          expect([workflowId, age, matches(e)]).toEqual([workflowId, age, isDueForRemoval(e, 10, overrides, 30, now)]);
        }
    });
  });
});
