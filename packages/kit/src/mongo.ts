import {
  MongoClient,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  type CommandStartedEvent,
  type Db,
  type Document,
} from 'mongodb';
import type { Registry } from 'prom-client';
import { storeCommandMetrics } from './metrics';

/**
 * Connects to MongoDB (or a MongoDB-wire server such as FerretDB); the database comes from the URL path.
 * With a registry, every command is counted by the driver's command monitoring (storeCommandMetrics).
 * The connection string's options are honoured (`w=majority`, `readPreference`, `retryWrites`, …);
 * retryable writes are off only when it does not say (FerretDB 1.x has no retryable writes).
 */
export async function connectMongo(url: string, appName: string, registry?: Registry): Promise<{ client: MongoClient; db: Db }> {
  const client = new MongoClient(url, {
    appName,
    serverSelectionTimeoutMS: 5_000,
    connectTimeoutMS: 5_000,
    ...(urlSetsOption(url, 'retryWrites') ? {} : { retryWrites: false }),
    monitorCommands: registry !== undefined,
  });
  if (registry) {
    const metrics = storeCommandMetrics(registry);
    client.on('commandStarted', (event: CommandStartedEvent) => {
      metrics.roundTrips.inc({ command: event.commandName });
      for (const { shape, count } of classifyStoreCommand(event.commandName, event.command))
        metrics.statements.inc({ command: event.commandName, shape }, count);
    });
  }
  await client.connect();
  return { client, db: client.db() };
}

/** Whether a connection string sets an option itself (options in code would override it). */
export function urlSetsOption(url: string, option: string): boolean {
  const query = url.split('?')[1] ?? '';
  return query.split('&').some((pair) => pair.split('=')[0]?.toLowerCase() === option.toLowerCase());
}

/** MongoDB unreachable (server selection, network, closed pool): the dependency is down (a 503), not a bug. */
export function isStoreUnavailable(err: unknown): boolean {
  return (
    err instanceof MongoServerSelectionError ||
    err instanceof MongoNetworkError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoTopologyClosedError
  );
}

export function mongoReady(db: Db): () => Promise<boolean> {
  return async () => {
    const res = await db.command({ ping: 1 }, { timeoutMS: 1_000 });
    return res.ok === 1;
  };
}

/**
 * How a store statement finds its documents: `insert` (a document inserted), `by_id` (the filter is
 * exactly `{_id: <scalar>}` or `{_id: {$in: [<scalars>]}}`), `scan` (any other filter, none included:
 * FerretDB's SQLite backend scans the collection for it), `other` (no filter: getMore, ping, indexes …).
 */
export type StoreShape = 'insert' | 'by_id' | 'scan' | 'other';

/** Commands whose statements write (an insert, update, delete or findAndModify statement is one store write). */
export const STORE_WRITE_COMMANDS: ReadonlySet<string> = new Set(['insert', 'update', 'delete', 'findAndModify']);

function isScalar(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return typeof value !== 'function' && value !== undefined;
  // Dates and BSON values (ObjectId, Long, Binary, Decimal128, …) are single values, not operators.
  return value instanceof Date || '_bsontype' in value;
}

/** `by_id` when a filter names documents by `_id` alone (one value or an `$in` list of values), else `scan`. */
export function filterShape(filter: unknown): 'by_id' | 'scan' {
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) return 'scan';
  const keys = Object.keys(filter);
  if (keys.length !== 1 || keys[0] !== '_id') return 'scan';
  const id: unknown = (filter as { _id: unknown })._id;
  if (isScalar(id)) return 'by_id';
  if (typeof id !== 'object' || id === null || Array.isArray(id)) return 'scan';
  const ops = Object.keys(id);
  const list: unknown = (id as { $in?: unknown }).$in;
  return ops.length === 1 && ops[0] === '$in' && Array.isArray(list) && list.every(isScalar) ? 'by_id' : 'scan';
}

/**
 * The statements of one command by shape: each inserted document and each statement of a bulk
 * update / delete counts on its own; find, findAndModify, count, distinct and aggregate (by its first
 * `$match` stage) count once; anything else is one `other`.
 */
export function classifyStoreCommand(commandName: string, command: Document): { shape: StoreShape; count: number }[] {
  const list = (key: string): unknown[] => {
    const value: unknown = command[key];
    return Array.isArray(value) ? (value as unknown[]) : [];
  };
  const statements = (key: string, filterKey: string) => {
    const counts = { by_id: 0, scan: 0 };
    for (const s of list(key)) counts[filterShape(typeof s === 'object' && s !== null ? (s as Document)[filterKey] : undefined)]++;
    return (['by_id', 'scan'] as const).filter((shape) => counts[shape] > 0).map((shape) => ({ shape, count: counts[shape] }));
  };
  switch (commandName) {
    case 'insert': {
      const n = list('documents').length;
      return n > 0 ? [{ shape: 'insert', count: n }] : [];
    }
    case 'update':
      return statements('updates', 'q');
    case 'delete':
      return statements('deletes', 'q');
    case 'find':
      return [{ shape: filterShape(command.filter ?? {}), count: 1 }];
    case 'findAndModify':
    case 'count':
    case 'distinct':
      return [{ shape: filterShape(command.query ?? {}), count: 1 }];
    case 'aggregate': {
      const first: unknown = list('pipeline')[0];
      const match: unknown = typeof first === 'object' && first !== null ? (first as Document).$match : undefined;
      return [{ shape: filterShape(match ?? {}), count: 1 }];
    }
    default:
      return [{ shape: 'other', count: 1 }];
  }
}
