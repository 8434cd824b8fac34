import { Cron } from 'croner';
import { z } from 'zod';

/**
 * Cron schedules: pure decisions, the clock passed in. Patterns have 5 fields (minute precision) or
 * 6 (seconds first), read in an IANA time zone with croner's DST rules: a fixed time that falls in
 * a spring-forward gap fires at the first valid time after it, a time that occurs twice in the
 * autumn fires once.
 */

function cronOf(pattern: string, timezone: string): Cron {
  return new Cron(pattern, { timezone, paused: true, mode: '5-or-6-parts' });
}

export const scheduleSchema = z
  .object({
    cron: z.string().min(1).max(200),
    timezone: z.string().min(1).max(100).default('UTC'),
    /** While an execution of the workflow is active: `skip` the fire, `allow` it, or `queue` one. */
    overlap: z.enum(['skip', 'allow', 'queue']).default('skip'),
    /** Fires missed while the scheduler was down: `skip` them, or `run_once` for all of them. */
    missed: z.enum(['skip', 'run_once']).default('skip'),
  })
  .strict()
  .superRefine((spec, ctx) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: spec.timezone });
    } catch {
      ctx.addIssue({ code: 'custom', path: ['timezone'], message: `unknown IANA time zone "${spec.timezone}"` });
      return;
    }
    try {
      cronOf(spec.cron, spec.timezone);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['cron'], message: `invalid cron pattern: ${(err as Error).message}` });
    }
  });

export type ScheduleSpec = z.infer<typeof scheduleSchema>;

/** The next `count` fire times strictly after `after`. */
export function nextFireTimes(spec: ScheduleSpec, after: Date, count: number): Date[] {
  return cronOf(spec.cron, spec.timezone).nextRuns(count, after);
}

export function nextFireTime(spec: ScheduleSpec, after: Date): Date | null {
  return cronOf(spec.cron, spec.timezone).nextRun(after);
}

/** A fire this late counts as missed (the scheduler was down), not as a slow tick. */
export const MISSED_AFTER_MS = 60_000;

export interface ScheduleState {
  /** Executions of the workflow that are queued, running or waiting. */
  active: number;
  /** Of those, scheduled ones that have not started yet. */
  queuedScheduled: number;
  /** The workspace is suspended: fire times pass without a run (absent: false). */
  suspended?: boolean;
}

export type ScheduleDecision =
  | { action: 'wait' }
  | { action: 'fire'; fireAt: Date; next: Date | null; reason: 'due' | 'missed' }
  | { action: 'skip'; next: Date | null; reason: 'overlap' | 'missed' | 'suspended' };

/** What to do with a schedule whose next fire time is `nextFireAt`, at `now`. */
export function decideSchedule(spec: ScheduleSpec, nextFireAt: Date, now: Date, state: ScheduleState): ScheduleDecision {
  if (nextFireAt.getTime() > now.getTime()) return { action: 'wait' };
  const next = nextFireTime(spec, now);
  if (state.suspended) return { action: 'skip', next, reason: 'suspended' };
  if (now.getTime() - nextFireAt.getTime() > MISSED_AFTER_MS) {
    if (spec.missed === 'skip') return { action: 'skip', next, reason: 'missed' };
    // run_once: one run for everything missed, stamped with the latest missed fire time.
    const latest = cronOf(spec.cron, spec.timezone).previousRuns(1, now)[0] ?? nextFireAt;
    return { action: 'fire', fireAt: latest, next, reason: 'missed' };
  }
  const overlapping = (spec.overlap === 'skip' && state.active > 0) || (spec.overlap === 'queue' && state.queuedScheduled > 0);
  // The next fire counts from now: a slow tick never turns into a burst of catch-up fires.
  if (overlapping) return { action: 'skip', next, reason: 'overlap' };
  return { action: 'fire', fireAt: nextFireAt, next, reason: 'due' };
}
