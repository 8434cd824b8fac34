import type { Collection } from 'mongodb';
import type { TriggerDoc, TriggerSecretEntry } from './documents';

/**
 * Secrets of a trigger's auth methods. Adding one keeps it beside the newest previous secret of the
 * same method (both valid during a rotation); older ones are dropped, so at most two are active per
 * method. Revision-guarded read-modify-write (no `$push` with `$slice` on FerretDB 1.x).
 */
export const ACTIVE_SECRETS_PER_METHOD = 2;

export class TriggerSecretsConflictError extends Error {
  constructor(triggerId: string) {
    super(`secrets of trigger ${triggerId.slice(0, 8)}… changed concurrently`);
    this.name = 'TriggerSecretsConflictError';
  }
}

async function updateSecrets(
  triggers: Collection<TriggerDoc>,
  trigger: { _id: string; workspace_id: string },
  change: (current: TriggerSecretEntry[]) => TriggerSecretEntry[] | null,
): Promise<TriggerSecretEntry[] | null> {
  const filter = { _id: trigger._id, workspace_id: trigger.workspace_id };
  for (let attempt = 0; attempt < 5; attempt++) {
    const doc = await triggers.findOne(filter);
    if (!doc) return null;
    const next = change(doc.auth_secrets ?? []);
    if (next === null) return null;
    const revision = doc.auth_secrets_revision ?? 0;
    const updated = await triggers.findOneAndUpdate(
      { ...filter, ...(revision === 0 ? { auth_secrets_revision: { $exists: false } } : { auth_secrets_revision: revision }) },
      { $set: { auth_secrets: next, auth_secrets_revision: revision + 1 } },
      { returnDocument: 'after' },
    );
    if (updated) return updated.auth_secrets ?? [];
  }
  throw new TriggerSecretsConflictError(filter._id);
}

/** Adds `entry` as its method's newest secret; returns every secret of the trigger (null: no such trigger). */
export function addTriggerSecret(
  triggers: Collection<TriggerDoc>,
  trigger: { _id: string; workspace_id: string },
  entry: TriggerSecretEntry,
): Promise<TriggerSecretEntry[] | null> {
  return updateSecrets(triggers, trigger, (current) => {
    const same = current.filter((s) => s.method === entry.method);
    const keep = new Set(same.slice(-(ACTIVE_SECRETS_PER_METHOD - 1)).map((s) => s.id));
    return [...current.filter((s) => s.method !== entry.method || keep.has(s.id)), entry];
  });
}

/** Removes one secret; null when the trigger or the secret does not exist. */
export function removeTriggerSecret(
  triggers: Collection<TriggerDoc>,
  trigger: { _id: string; workspace_id: string },
  secretId: string,
): Promise<TriggerSecretEntry[] | null> {
  return updateSecrets(triggers, trigger, (current) =>
    current.some((s) => s.id === secretId) ? current.filter((s) => s.id !== secretId) : null,
  );
}
