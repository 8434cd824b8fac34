import type { Collection, Filter, FindOptions, WithId } from 'mongodb';

/** A document that belongs to one workspace. */
export interface Owned {
  _id: string;
  workspace_id: string;
}

/**
 * The one owner check of every collection: read by `_id` alone (the one filter FerretDB answers
 * without a scan; `{_id, workspace_id}` scans the whole collection there), then check the workspace
 * here. A document of another workspace is not found. A projection always keeps `workspace_id`.
 */
export async function findOwned<T extends Owned>(
  collection: Collection<T>,
  workspaceId: string,
  id: string,
  options?: FindOptions,
): Promise<WithId<T> | null> {
  const projection = options?.projection ? { ...options.projection, workspace_id: 1 } : undefined;
  const doc: WithId<T> | null = await collection.findOne({ _id: id } as Filter<T>, projection ? { ...options, projection } : options);
  const owner: string | undefined = doc?.workspace_id;
  return owner === workspaceId ? doc : null;
}
