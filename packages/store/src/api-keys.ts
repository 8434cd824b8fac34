import type { Collection } from 'mongodb';
import type { ApiKeyDoc } from './documents';
import { insertIfAbsent } from './insert-if-absent';

/** API keys (only the SHA-256 of a key is stored). */

/** The key with this hash, unless revoked (by the unique key_hash index). */
export function findActiveApiKey(apiKeys: Collection<ApiKeyDoc>, keyHash: string): Promise<ApiKeyDoc | null> {
  return apiKeys.findOne({ key_hash: keyHash, revoked_at: null });
}

/** Records when a key was last used. */
export async function touchApiKey(apiKeys: Collection<ApiKeyDoc>, id: string, now: Date): Promise<void> {
  await apiKeys.updateOne({ _id: id }, { $set: { last_used_at: now } });
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
