import type { Collection } from 'mongodb';
import type { SourceDoc } from './documents';
import { findOwned } from './owned';
import { olderThan, type PageBefore } from './page';

/** Fan-out event sources (`_id` = `src_…`); the public URL finds its source by the hash of its token. */

/** An event source by the hash of its URL token (by the unique token_hash index; a scan on FerretDB). */
export function findSourceByToken(sources: Collection<SourceDoc>, tokenHash: string): Promise<SourceDoc | null> {
  return sources.findOne({ token_hash: tokenHash });
}

/** Stores a new source (a duplicate id or token hash is an error, never a silent no-op). */
export async function createSource(sources: Collection<SourceDoc>, doc: SourceDoc): Promise<void> {
  await sources.insertOne(doc);
}

/** A workspace's source (read by `_id`, the owner checked in code). */
export function findOwnedSource(sources: Collection<SourceDoc>, workspaceId: string, id: string): Promise<SourceDoc | null> {
  return findOwned(sources, workspaceId, id);
}

/** A workspace's sources, newest first (from `before` on). */
export function listSources(sources: Collection<SourceDoc>, workspaceId: string, limit: number, before?: PageBefore): Promise<SourceDoc[]> {
  return sources
    .find({ $and: [{ workspace_id: workspaceId }, ...olderThan<SourceDoc>(before)] })
    .sort({ created_at: -1, _id: -1 })
    .limit(limit)
    .toArray();
}

/** What PATCH /v1/sources/{id} may change: its name, its auth methods (null = none: token only). */
export type SourceChanges = Partial<Pick<SourceDoc, 'name' | 'auth'>>;

/** Changes a source (one found through findOwnedSource) and stamps `updated_at`; the changed source, or null if it is gone. */
export function updateSource(
  sources: Collection<SourceDoc>,
  source: Pick<SourceDoc, '_id' | 'workspace_id'>,
  changes: SourceChanges,
  now: Date,
): Promise<SourceDoc | null> {
  return sources.findOneAndUpdate(
    { _id: source._id, workspace_id: source.workspace_id },
    { $set: { ...changes, updated_at: now } },
    { returnDocument: 'after' },
  );
}

/** Deletes a source (its URL answers 404 from then on). */
export async function deleteSource(sources: Collection<SourceDoc>, source: Pick<SourceDoc, '_id' | 'workspace_id'>): Promise<void> {
  await sources.deleteOne({ _id: source._id, workspace_id: source.workspace_id });
}
