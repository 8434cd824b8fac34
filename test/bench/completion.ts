import type { Db } from 'mongodb';
import { sleep, TERMINAL } from '../support/stack';
import { round } from './load';

/**
 * End-to-end completion: after the load stops, polls MongoDB until every execution of the workflow
 * is terminal (and at least as many as were accepted), then derives completed executions per second
 * from the load start until the last `finished_at`.
 */
export interface Completion {
  /** Every accepted execution (and any late one) reached a terminal status before the timeout. */
  drained: boolean;
  /** Executions that must exist: the 2xx responses. */
  accepted: number;
  /** Executions recorded for the workflow (may exceed `accepted`: requests cut off by the end of the load). */
  recorded: number;
  completed: number;
  succeeded: number;
  /** Terminal but not succeeded (failed, cancelled, timed_out). */
  failed: number;
  by_status: Record<string, number>;
  last_finished_at: string | null;
  /** From the load start to the last finished execution, seconds. */
  window_s: number;
  completed_per_s: number;
  /** From the end of the load until the last execution finished, seconds. */
  drain_after_load_s: number;
}

export interface CompletionOptions {
  workflowId: string;
  accepted: number;
  loadStartedAt: Date;
  loadFinishedAt: Date;
  timeoutMs: number;
  pollMs?: number;
  progress?: (line: string) => void;
}

export async function waitForCompletion(db: Db, opts: CompletionOptions): Promise<Completion> {
  const executions = db.collection('executions');
  const terminal = { workflow_id: opts.workflowId, status: { $in: TERMINAL } };
  const pending = { workflow_id: opts.workflowId, status: { $nin: TERMINAL } };
  const deadline = Date.now() + opts.timeoutMs;
  let nextProgress = Date.now() + 5_000;
  let settledPolls = 0;
  let open = 0;
  // One count per poll (FerretDB filters a collection scan), the second only once nothing is open;
  // done after two satisfied polls in a row, so an execution recorded just after the load is seen.
  for (;;) {
    open = await executions.countDocuments(pending);
    const done = open === 0 ? await executions.countDocuments(terminal) : -1;
    settledPolls = done >= opts.accepted ? settledPolls + 1 : 0;
    if (settledPolls >= 2 || Date.now() >= deadline) break;
    if (opts.progress && Date.now() >= nextProgress) {
      opts.progress(`  … ${open} executions still open`);
      nextProgress = Date.now() + 5_000;
    }
    await sleep(opts.pollMs ?? 1_000);
  }
  const observedAt = new Date();

  const byStatus: Record<string, number> = {};
  for (const status of TERMINAL) {
    const n = await executions.countDocuments({ workflow_id: opts.workflowId, status });
    if (n > 0) byStatus[status] = n;
  }
  if (open > 0) byStatus.open = open;
  const completed = TERMINAL.reduce((sum, s) => sum + (byStatus[s] ?? 0), 0);
  const last = await executions
    .find(terminal, { projection: { finished_at: 1 } })
    .sort({ finished_at: -1 })
    .limit(1)
    .next();
  const lastFinished = last?.finished_at instanceof Date ? last.finished_at : completed > 0 ? observedAt : null;
  const windowS = lastFinished ? Math.max(0.001, (lastFinished.getTime() - opts.loadStartedAt.getTime()) / 1000) : 0;
  return {
    drained: settledPolls >= 2,
    accepted: opts.accepted,
    recorded: completed + open,
    completed,
    succeeded: byStatus.succeeded ?? 0,
    failed: completed - (byStatus.succeeded ?? 0),
    by_status: byStatus,
    last_finished_at: lastFinished?.toISOString() ?? null,
    window_s: round(windowS, 3),
    completed_per_s: windowS > 0 ? round(completed / windowS, 1) : 0,
    drain_after_load_s: lastFinished ? round(Math.max(0, lastFinished.getTime() - opts.loadFinishedAt.getTime()) / 1000, 3) : 0,
  };
}
