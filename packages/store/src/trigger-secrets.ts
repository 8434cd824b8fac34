import type { Collection, Filter } from 'mongodb';
import type { SourceDoc, TriggerDoc, TriggerSecretEntry } from './documents';

/**
 * Secrets of auth methods, held by a trigger (webhook auth) or an event source (its own auth). Adding one keeps it beside the newest previous secret of the
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

/** A document that holds auth secrets: a trigger or a source. */
type SecretHolder = Pick<TriggerDoc, '_id' | 'workspace_id' | 'auth_secrets' | 'auth_secrets_revision'>;

async function updateSecrets<T extends SecretHolder>(
  holders: Collection<T>,
  holder: { _id: string; workspace_id: string },
  change: (current: TriggerSecretEntry[]) => TriggerSecretEntry[] | null,
  touch: Partial<T> = {},
): Promise<TriggerSecretEntry[] | null> {
  const filter = { _id: holder._id, workspace_id: holder.workspace_id };
  for (let attempt = 0; attempt < 5; attempt++) {
    const doc = await holders.findOne(filter as Filter<T>);
    if (!doc) return null;
    const next = change(doc.auth_secrets ?? []);
    if (next === null) return null;
    const revision = doc.auth_secrets_revision ?? 0;
    const guard = revision === 0 ? { auth_secrets_revision: { $exists: false } } : { auth_secrets_revision: revision };
    const set = { ...touch, auth_secrets: next, auth_secrets_revision: revision + 1 };
    const updated = await holders.findOneAndUpdate(
      { ...filter, ...guard } as Filter<T>,
      { $set: set },
      {
        returnDocument: 'after',
      },
    );
    if (updated) return updated.auth_secrets ?? [];
  }
  throw new TriggerSecretsConflictError(filter._id);
}

/** Keeps `entry` as its method's newest secret beside the newest previous one. */
function withSecret(current: TriggerSecretEntry[], entry: TriggerSecretEntry): TriggerSecretEntry[] {
  const same = current.filter((s) => s.method === entry.method);
  const keep = new Set(same.slice(-(ACTIVE_SECRETS_PER_METHOD - 1)).map((s) => s.id));
  return [...current.filter((s) => s.method !== entry.method || keep.has(s.id)), entry];
}

function withoutSecret(current: TriggerSecretEntry[], secretId: string): TriggerSecretEntry[] | null {
  return current.some((s) => s.id === secretId) ? current.filter((s) => s.id !== secretId) : null;
}

/** Adds `entry` as its method's newest secret; returns every secret of the trigger (null: no such trigger). */
export function addTriggerSecret(
  triggers: Collection<TriggerDoc>,
  trigger: { _id: string; workspace_id: string },
  entry: TriggerSecretEntry,
): Promise<TriggerSecretEntry[] | null> {
  return updateSecrets(triggers, trigger, (current) => withSecret(current, entry));
}

/** Removes one secret; null when the trigger or the secret does not exist. */
export function removeTriggerSecret(
  triggers: Collection<TriggerDoc>,
  trigger: { _id: string; workspace_id: string },
  secretId: string,
): Promise<TriggerSecretEntry[] | null> {
  return updateSecrets(triggers, trigger, (current) => withoutSecret(current, secretId));
}

/** Adds `entry` as its method's newest secret of a source (stamps `updated_at`); every secret of the source (null: no such source). */
export function addSourceSecret(
  sources: Collection<SourceDoc>,
  source: Pick<SourceDoc, '_id' | 'workspace_id'>,
  entry: TriggerSecretEntry,
  now: Date,
): Promise<TriggerSecretEntry[] | null> {
  return updateSecrets(sources, source, (current) => withSecret(current, entry), { updated_at: now });
}

/** Removes one secret of a source; null when the source or the secret does not exist. */
export function removeSourceSecret(
  sources: Collection<SourceDoc>,
  source: Pick<SourceDoc, '_id' | 'workspace_id'>,
  secretId: string,
  now: Date,
): Promise<TriggerSecretEntry[] | null> {
  return updateSecrets(sources, source, (current) => withoutSecret(current, secretId), { updated_at: now });
}
