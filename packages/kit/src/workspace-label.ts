import { env } from './config';

/**
 * The `workspace_id` label of per-tenant metrics, bounded: the first `max` distinct workspaces a
 * process sees keep their own id as the value, every later one counts as `_other`, and a request
 * that names no workspace (an unknown webhook token) as `_none`. So a metric with this label has at
 * most (max + 2) × its other label combinations series per process, whatever the number of tenants;
 * which workspaces get a value of their own depends on the order a replica sees them (replicas may
 * differ, and a restart starts over). `max` = 0 labels everything `_other` / `_none`.
 *
 * The hot path pays one Map lookup (a miss past the bound is a lookup and a size check) and no
 * allocation: the value returned is the id string itself or a constant.
 */
export const WORKSPACE_LABEL_OTHER = '_other';
export const WORKSPACE_LABEL_NONE = '_none';

/** FLOWGATE_METRICS_MAX_WORKSPACES: every service whose metrics carry `workspace_id` spreads this into its config. */
export const DEFAULT_METRICS_MAX_WORKSPACES = 100;
export const MAX_METRICS_MAX_WORKSPACES = 10_000;
export const workspaceLabelConfigShape = {
  /** Workspaces that get a `workspace_id` label value of their own, per process (the rest: `_other`); 0 = none. */
  FLOWGATE_METRICS_MAX_WORKSPACES: env.int(DEFAULT_METRICS_MAX_WORKSPACES, 0, MAX_METRICS_MAX_WORKSPACES),
};

export class WorkspaceLabels {
  private readonly values = new Map<string, string>();

  constructor(readonly max: number = DEFAULT_METRICS_MAX_WORKSPACES) {
    if (!Number.isInteger(max) || max < 0) throw new RangeError(`max must be a non-negative integer, got ${max}`);
  }

  /** The label value of a workspace id (`_none` for none). */
  of(workspaceId: string | null | undefined): string {
    if (!workspaceId) return WORKSPACE_LABEL_NONE;
    const value = this.values.get(workspaceId);
    if (value !== undefined) return value;
    if (this.values.size >= this.max) return WORKSPACE_LABEL_OTHER;
    // A workspace literally named like a reserved value is not told apart from it.
    this.values.set(workspaceId, workspaceId);
    return workspaceId;
  }

  /** Workspaces with a value of their own so far (≤ max). */
  get size(): number {
    return this.values.size;
  }
}
