import type { Collection } from 'mongodb';
import type { SourceDoc } from './documents';

/** An event source by the hash of its URL token (by the unique token_hash index; a scan on FerretDB). */
export function findSourceByToken(sources: Collection<SourceDoc>, tokenHash: string): Promise<SourceDoc | null> {
  return sources.findOne({ token_hash: tokenHash });
}
