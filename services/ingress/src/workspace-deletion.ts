import { ApiError } from '@flowgate/contracts';
import { BackgroundPasses, type Logger } from '@flowgate/kit';
import {
  deleteOwnedBatch,
  finishWorkspaceDeletion,
  OWNED_COLLECTIONS,
  recordDeletionProgress,
  revokeSharesReceived,
  workspacesBeingDeleted,
  type Collections,
  type LiveExecutions,
} from '@flowgate/store';

/**
 * Deleting a workspace, in the background (ADR 0016). `DELETE /v1/workspaces/{id}` only marks it
 * `deleting` (its keys stop working, its webhooks answer like unknown tokens, nothing starts);
 * this job then, in every ingress replica under one lease:
 *   1. cancels the workspace's live executions (NATS KV) through the execution service, and waits
 *      until none is left (an ending execution's last group commit must not re-insert documents
 *      after they were deleted);
 *   2. deletes every document the workspace owns, collection by collection, in batches, adding each
 *      batch to the workspace's `deletion.removed` progress;
 *   3. marks the workspace `deleted`: a tombstone that keeps its id and the final counts.
 * Each step is idempotent, so a replica that dies mid-way leaves the rest to the next pass (any
 * replica, within `intervalMs`). Without the lease (another replica holds it) a pass does nothing.
 */
export interface DeletionDeps {
  store: Collections;
  live: Pick<LiveExecutions, 'liveIds'>;
  /** Cancels one execution (the execution service's Cancel). */
  cancel(workspaceId: string, executionId: string): Promise<unknown>;
  logger: Logger;
  /** Whether this replica may run deletions now (the lease); absent: always. */
  leading?: () => boolean;
  batch: number;
  intervalMs: number;
  /** How often an idle replica looks for deletions it was not told of (kicks come from config events). */
  idleMs?: number;
}

/** How often an idle replica looks for a deletion it was not told of. */
const IDLE_MS = 60_000;
/** Executions cancelled per pass before documents are deleted. */
const CANCEL_BATCH = 200;

export class WorkspaceDeletions extends BackgroundPasses {
  constructor(private readonly deps: DeletionDeps) {
    super({
      leading: deps.leading,
      intervalMs: deps.intervalMs,
      idleMs: deps.idleMs ?? IDLE_MS,
      onError: (err) => deps.logger.warn({ err }, 'workspace deletion pass failed; retried on the next one'),
    });
  }

  protected async look(): Promise<boolean> {
    const doomed = await workspacesBeingDeleted(this.deps.store.workspaces);
    for (const workspace of doomed) await this.deleteOne(workspace._id);
    return doomed.length > 0;
  }

  /** Runs one workspace's deletion to its end, or until a step must wait for the next pass. */
  private async deleteOne(workspaceId: string): Promise<void> {
    const { store, logger } = this.deps;
    if (!(await this.cancelLive(workspaceId))) return;
    // Shares it received end with it (its own shares, and the URLs they gave others, go with its documents).
    await revokeSharesReceived(store.shares, workspaceId, new Date());
    for (const name of OWNED_COLLECTIONS) {
      for (;;) {
        const removed = await deleteOwnedBatch(store, name, workspaceId, this.deps.batch);
        if (removed === 0) break;
        await recordDeletionProgress(store.workspaces, workspaceId, { collection: name, removed });
      }
    }
    // An execution that ended while documents were deleted could have written once more.
    if ((await this.deps.live.liveIds(workspaceId, 1)).length > 0) return;
    await finishWorkspaceDeletion(store.workspaces, workspaceId, new Date());
    logger.info({ workspace_id: workspaceId }, 'workspace deleted');
  }

  /** Cancels what is live; true once nothing is (the documents may go). */
  private async cancelLive(workspaceId: string): Promise<boolean> {
    const ids = await this.deps.live.liveIds(workspaceId, CANCEL_BATCH);
    if (ids.length === 0) return true;
    let cancelled = 0;
    for (const id of ids) {
      try {
        await this.deps.cancel(workspaceId, id);
        cancelled++;
      } catch (err) {
        // Ended meanwhile, or its live state is already gone: nothing to cancel.
        if (!(err instanceof ApiError && err.code === 'execution_not_found'))
          this.deps.logger.warn(
            { err, workspace_id: workspaceId, execution_id: id },
            'could not cancel an execution of a deleted workspace',
          );
      }
    }
    await recordDeletionProgress(this.deps.store.workspaces, workspaceId, { cancelled });
    return false;
  }
}
