import { isTerminal, TERMINAL_STATUSES, type ExecutionStatus } from './execution';

/**
 * Retention (ADR 0020): how long the history of ended executions is kept. A workspace has a number
 * of days (absent: the deployment's default), a workflow may override it for its own executions in
 * its own workspace. An execution is due once it ENDED (a terminal status) longer ago than the
 * retention that applies to it; live executions are never due. Pure: the settings and `now` in,
 * the cutoffs out; the sweeper (services/scheduler) turns them into bounded store filters.
 */
export const DEFAULT_RETENTION_DAYS = 30;
export const MIN_RETENTION_DAYS = 1;
export const MAX_RETENTION_DAYS = 3650;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionWorkspace {
  id: string;
  /** The workspace's own setting; null / absent: the deployment's default. */
  retentionDays?: number | null;
}

export interface RetentionOverride {
  workspaceId: string;
  workflowId: string;
  retentionDays: number;
}

/**
 * One sweep filter: the ended executions of a workspace that finished before `cutoff` — of one
 * workflow (`workflowId`), or of every workflow but the overridden ones (`exceptWorkflowIds`).
 */
export interface RetentionTarget {
  workspaceId: string;
  workflowId: string | null;
  exceptWorkflowIds: string[];
  days: number;
  cutoff: Date;
}

/** Whether a value is a retention in days (an integer 1–3650). */
export function isRetentionDays(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= MIN_RETENTION_DAYS && value <= MAX_RETENTION_DAYS;
}

/** The workspace's retention in days: its own setting, else the deployment's default (a bad stored value: the default). */
export function workspaceRetentionDays(setting: number | null | undefined, defaultDays: number): number {
  return isRetentionDays(setting) ? setting : defaultDays;
}

/** Executions that finished before this instant are due. */
export function retentionCutoff(days: number, now: Date): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

/**
 * The sweep targets of every workspace: one per workflow with its own retention (in the workflow's
 * workspace; overrides of unknown workspaces are dropped), then one for the rest of the workspace.
 * Deterministic order (as given), so a sweep is repeatable.
 */
export function retentionTargets(
  workspaces: readonly RetentionWorkspace[],
  overrides: readonly RetentionOverride[],
  defaultDays: number,
  now: Date,
): RetentionTarget[] {
  const byWorkspace = new Map<string, RetentionOverride[]>();
  for (const o of overrides) {
    if (!isRetentionDays(o.retentionDays)) continue;
    const list = byWorkspace.get(o.workspaceId) ?? [];
    if (!list.some((x) => x.workflowId === o.workflowId)) list.push(o);
    byWorkspace.set(o.workspaceId, list);
  }
  const targets: RetentionTarget[] = [];
  for (const ws of workspaces) {
    const own = byWorkspace.get(ws.id) ?? [];
    for (const o of own)
      targets.push({
        workspaceId: ws.id,
        workflowId: o.workflowId,
        exceptWorkflowIds: [],
        days: o.retentionDays,
        cutoff: retentionCutoff(o.retentionDays, now),
      });
    const days = workspaceRetentionDays(ws.retentionDays, defaultDays);
    targets.push({
      workspaceId: ws.id,
      workflowId: null,
      exceptWorkflowIds: own.map((o) => o.workflowId),
      days,
      cutoff: retentionCutoff(days, now),
    });
  }
  return targets;
}

export interface RetainedExecution {
  workspaceId: string;
  workflowId: string;
  status: ExecutionStatus;
  finishedAt: Date | null;
}

/** The retention in days that applies to an execution (its workflow's override in its own workspace, else its workspace's). */
export function retentionDaysOf(
  execution: Pick<RetainedExecution, 'workspaceId' | 'workflowId'>,
  workspaceDays: number | null | undefined,
  overrides: readonly RetentionOverride[],
  defaultDays: number,
): number {
  const own = overrides.find(
    (o) => o.workspaceId === execution.workspaceId && o.workflowId === execution.workflowId && isRetentionDays(o.retentionDays),
  );
  return own ? own.retentionDays : workspaceRetentionDays(workspaceDays, defaultDays);
}

/** Whether the sweeper removes an execution now: it ended, and longer ago than its retention. */
export function isDueForRemoval(
  execution: RetainedExecution,
  workspaceDays: number | null | undefined,
  overrides: readonly RetentionOverride[],
  defaultDays: number,
  now: Date,
): boolean {
  if (!isTerminal(execution.status) || !execution.finishedAt) return false;
  const days = retentionDaysOf(execution, workspaceDays, overrides, defaultDays);
  return execution.finishedAt.getTime() < retentionCutoff(days, now).getTime();
}

/** What a sweep filter matches: the statuses of executions that ended. */
export const RETAINED_STATUSES: readonly ExecutionStatus[] = TERMINAL_STATUSES;
