import type { Filter } from 'mongodb';

/** Where a page of a newest-first listing starts: after the item at (time, id), the last of the previous page. */
export interface PageBefore {
  at: Date;
  id: string;
}

/**
 * The filter of a newest-first page (sorted `{[field]: -1, _id: -1}`) after `before`: older, or as
 * old with a smaller id. No condition without a cursor.
 */
export function olderThan<T>(before: PageBefore | undefined, field = 'created_at'): Filter<T>[] {
  if (!before) return [];
  const filter = { $or: [{ [field]: { $lt: before.at } }, { [field]: before.at, _id: { $lt: before.id } }] };
  return [filter as Filter<T>];
}
