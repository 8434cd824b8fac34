import type { Collection } from 'mongodb';
import type { CallbackSecretEntry, CallbackSecretsDoc } from './documents';
import { insertIfAbsent } from './insert-if-absent';

/**
 * Per-workspace callback signing secrets. A workspace without a document signs with the
 * deployment-wide FLOWGATE_CALLBACK_SIGNING_SECRET (entry id `default`). A rotation puts a new
 * secret first and keeps the earlier ones valid until their `expires_at`; while more than one is
 * valid, callbacks carry one `v1,` signature per valid secret (Standard Webhooks allows several).
 */
export const DEFAULT_CALLBACK_SECRET_ID = 'default';

const defaultEntry = (): CallbackSecretEntry => ({ id: DEFAULT_CALLBACK_SECRET_ID, sealed: null, created_at: null, expires_at: null });

/** A workspace's callback secrets document (its `_id` is the workspace id), or null: it signs with the default. */
export function findCallbackSecrets(secrets: Collection<CallbackSecretsDoc>, workspaceId: string): Promise<CallbackSecretsDoc | null> {
  return secrets.findOne({ _id: workspaceId });
}

/** The secrets to sign with at `now`, current first. */
export function validCallbackSecrets(doc: CallbackSecretsDoc | null, now: Date): CallbackSecretEntry[] {
  if (!doc) return [defaultEntry()];
  const valid = doc.secrets.filter((s) => s.expires_at === null || s.expires_at.getTime() > now.getTime());
  return valid.length > 0 ? valid : [defaultEntry()];
}

export class RotationConflictError extends Error {
  constructor(workspaceId: string) {
    super(`callback secrets of workspace ${workspaceId} changed concurrently`);
    this.name = 'RotationConflictError';
  }
}

/**
 * Makes `next` the current secret; every secret valid until now stays valid for `previousValidMs`
 * more (or until its own earlier expiry); expired ones are dropped. Revision-guarded: a concurrent
 * rotation makes this retry, and after a few lost races it throws RotationConflictError.
 */
export async function rotateCallbackSecret(
  secrets: Collection<CallbackSecretsDoc>,
  workspaceId: string,
  next: { id: string; sealed: string },
  previousValidMs: number,
  now: Date,
): Promise<CallbackSecretsDoc> {
  const until = new Date(now.getTime() + previousValidMs);
  for (let attempt = 0; attempt < 5; attempt++) {
    const doc = await secrets.findOne({ _id: workspaceId });
    const previous = validCallbackSecrets(doc, now)
      .map((s) => ({ ...s, expires_at: s.expires_at === null || s.expires_at > until ? until : s.expires_at }))
      .filter((s) => s.expires_at.getTime() > now.getTime());
    const list: CallbackSecretEntry[] = [{ id: next.id, sealed: next.sealed, created_at: now, expires_at: null }, ...previous];
    if (!doc) {
      const created: CallbackSecretsDoc = { _id: workspaceId, workspace_id: workspaceId, secrets: list, revision: 1, updated_at: now };
      if (await insertIfAbsent(secrets, created)) return created;
      continue;
    }
    const updated = await secrets.findOneAndUpdate(
      { _id: workspaceId, revision: doc.revision },
      { $set: { secrets: list, updated_at: now }, $inc: { revision: 1 } },
      { returnDocument: 'after' },
    );
    if (updated) return updated;
  }
  throw new RotationConflictError(workspaceId);
}
