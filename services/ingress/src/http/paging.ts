import { decodeCursor, encodeCursor } from '@flowgate/core';
import type { PageBefore } from '@flowgate/store';
import { invalidRequest } from './validation-issues';

/**
 * Cursor pagination of the list routes (`?limit=&cursor=`, http/schemas.ts `pagination`): every
 * list is newest first by (created_at, _id); a cursor is the last item of the previous page
 * (core's cursor.ts). A route asks its store function for `limit + 1` items: one more than shown
 * says another page follows.
 */

/** Where the page after `cursor` starts; undefined for the first page; 400 invalid_request for a cursor not made here. */
export function pageStart(cursor: string | undefined): PageBefore | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const decoded = decodeCursor(cursor);
  if (!decoded) throw invalidRequest('Invalid query', [{ path: 'cursor', message: 'not a cursor from next_cursor', code: 'custom' }]);
  return { at: new Date(decoded.at), id: decoded.id };
}

/** The items shown of `limit + 1` read, and the cursor of the next page (null on the last). */
export function pageOf<T extends { _id: string; created_at: Date }>(docs: T[], limit: number): { items: T[]; nextCursor: string | null } {
  const items = docs.slice(0, limit);
  const last = items[items.length - 1];
  const nextCursor = docs.length > limit && last ? encodeCursor({ at: last.created_at.toISOString(), id: last._id }) : null;
  return { items, nextCursor };
}
