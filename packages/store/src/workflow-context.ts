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
