import type { Collection } from 'mongodb';
import type { WorkflowContextDoc } from './documents';

/**
 * The persisted workflow context (string → string): one document per key, so concurrent writers of
 * different keys never overwrite each other, and keys may hold any character (`.`, `$`).
 */
export const contextDocId = (workflowId: string, key: string) => `${workflowId}:${key}`;

export async function readContext(context: Collection<WorkflowContextDoc>, workflowId: string): Promise<Record<string, string>> {
  const docs = await context.find({ workflow_id: workflowId }).toArray();
  const out: Record<string, string> = {};
  for (const doc of docs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) out[doc.key] = doc.value;
  return out;
}

/** Sets each key to its string, or deletes it for null. */
export async function writeContext(
  context: Collection<WorkflowContextDoc>,
  owner: { workspaceId: string; workflowId: string },
  changes: Record<string, string | null>,
  now: Date,
): Promise<void> {
  await Promise.all(
    Object.entries(changes).map(([key, value]) => {
      const _id = contextDocId(owner.workflowId, key);
      if (value === null) return context.deleteOne({ _id });
      return context.replaceOne(
        { _id },
        { workspace_id: owner.workspaceId, workflow_id: owner.workflowId, key, value, updated_at: now },
        { upsert: true },
      );
    }),
  );
}

/**
 * Whose persisted context a run reads and writes (the `workflow_id` of its context documents): the
 * workflow's own, or for a run started through a share (ADR 0017) the receiver's own context of that
 * workflow, `<workflow id>@<receiver workspace>`: a shared run never sees the owner's context.
 */
export function contextKeyOf(run: { workflow_id: string; workspace_id: string; share_id?: string | null }): string {
  return run.share_id ? `${run.workflow_id}@${run.workspace_id}` : run.workflow_id;
}
