import type { Collection } from 'mongodb';
import type { ApiKeyDoc } from './documents';
import { insertIfAbsent } from './insert-if-absent';
import { findOwned } from './owned';
import { olderThan, type PageBefore } from './page';

/** API keys (only the SHA-256 of a key is stored). */

/** The key with this hash, unless revoked (by the unique key_hash index). */
export function findActiveApiKey(apiKeys: Collection<ApiKeyDoc>, keyHash: string): Promise<ApiKeyDoc | null> {
  return apiKeys.findOne({ key_hash: keyHash, revoked_at: null });
}

/**
 * Records when a key was last used, only on a key not revoked (FerretDB applies an update as
 * read, change, replace: callers must not run it alongside another write to the same key).
 */
export async function touchApiKey(apiKeys: Collection<ApiKeyDoc>, id: string, now: Date): Promise<void> {
  await apiKeys.updateOne({ _id: id, revoked_at: null }, { $set: { last_used_at: now } });
}

/** Inserts a key unless one with its `_id` exists; true if it inserted. */
export function createApiKey(apiKeys: Collection<ApiKeyDoc>, doc: ApiKeyDoc): Promise<boolean> {
  return insertIfAbsent(apiKeys, doc);
}

/** Replaces the stored key `id` with `key` only if its hash differs (the same value does not undo a revocation). */
export async function replaceApiKeyIfChanged(
  apiKeys: Collection<ApiKeyDoc>,
  id: string,
  key: Pick<ApiKeyDoc, 'key_hash' | 'key_prefix' | 'revoked_at' | 'scopes' | 'created_at'>,
): Promise<void> {
  await apiKeys.updateOne({ _id: id, key_hash: { $ne: key.key_hash } }, { $set: key });
}

/** Whether any API key exists. */
export async function anyApiKey(apiKeys: Collection<ApiKeyDoc>): Promise<boolean> {
  return (await apiKeys.countDocuments({}, { limit: 1 })) > 0;
}

/** A workspace's key (read by `_id`, the owner checked in code), revoked or not. */
export function findOwnedApiKey(apiKeys: Collection<ApiKeyDoc>, workspaceId: string, id: string): Promise<ApiKeyDoc | null> {
  return findOwned(apiKeys, workspaceId, id);
}

/** A workspace's keys, newest first (from `before` on), without their hashes. */
export function listApiKeys(
  apiKeys: Collection<ApiKeyDoc>,
  workspaceId: string,
  limit: number,
  before?: PageBefore,
): Promise<Omit<ApiKeyDoc, 'key_hash'>[]> {
  return apiKeys
    .find({ $and: [{ workspace_id: workspaceId }, ...olderThan<ApiKeyDoc>(before)] }, { projection: { key_hash: 0 } })
    .sort({ created_at: -1, _id: -1 })
    .limit(limit)
    .toArray();
}

/** Revokes a key still active at `at`; the revoked key, or null when it was revoked already (concurrently). */
export function revokeApiKey(
  apiKeys: Collection<ApiKeyDoc>,
  key: Pick<ApiKeyDoc, '_id' | 'workspace_id'>,
  at: Date,
): Promise<ApiKeyDoc | null> {
  return apiKeys.findOneAndUpdate(
    { _id: key._id, workspace_id: key.workspace_id, revoked_at: null },
    { $set: { revoked_at: at } },
    { returnDocument: 'after' },
  );
}

/** Undoes the revocation made at `revokedAt` (only that one). */
export async function undoApiKeyRevocation(apiKeys: Collection<ApiKeyDoc>, id: string, revokedAt: Date): Promise<void> {
  await apiKeys.updateOne({ _id: id, revoked_at: revokedAt }, { $set: { revoked_at: null } });
}

/** Whether the workspace has an active key that carries admin (keys made before scopes count as admin). */
export async function hasActiveAdminKey(apiKeys: Collection<ApiKeyDoc>, workspaceId: string): Promise<boolean> {
  const filter = { workspace_id: workspaceId, revoked_at: null, $or: [{ scopes: 'admin' }, { scopes: { $exists: false } }] };
  return (await apiKeys.countDocuments(filter, { limit: 1 })) > 0;
}

/** Stores a new key (a duplicate id or hash is an error, never a silent no-op). */
export async function insertApiKey(apiKeys: Collection<ApiKeyDoc>, doc: ApiKeyDoc): Promise<void> {
  await apiKeys.insertOne(doc);
}

/** Adds scopes to a key that lacks them (the bootstrap key of an older installation gains `operator`). */
export async function grantBootstrapScopes(apiKeys: Collection<ApiKeyDoc>, id: string, scopes: readonly string[]): Promise<void> {
  await apiKeys.updateOne({ _id: id }, { $addToSet: { scopes: { $each: [...scopes] } } });
}
