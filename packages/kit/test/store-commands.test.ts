import { ObjectId } from 'mongodb';
import { classifyStoreCommand, filterShape } from '../src/mongo';

describe('filterShape', () => {
  it('is by_id only for a filter that is _id alone: one value or an $in list of values', () => {
    expect(filterShape({ _id: 'e-1' })).toBe('by_id');
    expect(filterShape({ _id: 7 })).toBe('by_id');
    expect(filterShape({ _id: new ObjectId() })).toBe('by_id');
    expect(filterShape({ _id: new Date(0) })).toBe('by_id');
    expect(filterShape({ _id: { $in: ['a', 'b'] } })).toBe('by_id');
    expect(filterShape({ _id: { $in: [] } })).toBe('by_id');
  });

  it('is scan for anything else, an empty or missing filter included', () => {
    expect(filterShape({})).toBe('scan');
    expect(filterShape(undefined)).toBe('scan');
    expect(filterShape({ _id: 'e-1', revision: 3 })).toBe('scan');
    expect(filterShape({ workflow_id: 'w', status: 'queued' })).toBe('scan');
    expect(filterShape({ _id: { $gt: 'a' } })).toBe('scan');
    expect(filterShape({ _id: { $in: ['a'], $nin: ['b'] } })).toBe('scan');
    expect(filterShape({ _id: { $in: [{ $gt: 1 }] } })).toBe('scan');
    expect(filterShape({ _id: { $in: 'a' } })).toBe('scan');
    expect(filterShape({ $or: [{ _id: 'a' }] })).toBe('scan');
  });
});

describe('classifyStoreCommand', () => {
  it('counts each inserted document and each statement of a bulk update or delete', () => {
    expect(classifyStoreCommand('insert', { insert: 'executions', documents: [{ _id: 1 }, { _id: 2 }, { _id: 3 }] })).toEqual([
      { shape: 'insert', count: 3 },
    ]);
    expect(
      classifyStoreCommand('update', {
        update: 'executions',
        updates: [
          { q: { _id: 'a' }, u: {} },
          { q: { _id: 'b', revision: 1 }, u: {} },
          { q: { _id: 'c' }, u: {} },
        ],
      }),
    ).toEqual([
      { shape: 'by_id', count: 2 },
      { shape: 'scan', count: 1 },
    ]);
    expect(classifyStoreCommand('delete', { delete: 'timers', deletes: [{ q: { execution_id: 'e' }, limit: 0 }] })).toEqual([
      { shape: 'scan', count: 1 },
    ]);
  });

  it('reads the filter of find, findAndModify, count, distinct and aggregate', () => {
    expect(classifyStoreCommand('find', { find: 'executions', filter: { _id: 'e' }, limit: 1 })).toEqual([{ shape: 'by_id', count: 1 }]);
    expect(classifyStoreCommand('find', { find: 'executions' })).toEqual([{ shape: 'scan', count: 1 }]);
    expect(classifyStoreCommand('findAndModify', { findAndModify: 'executions', query: { _id: 'e', revision: 2 } })).toEqual([
      { shape: 'scan', count: 1 },
    ]);
    expect(classifyStoreCommand('count', { count: 'executions' })).toEqual([{ shape: 'scan', count: 1 }]);
    expect(classifyStoreCommand('aggregate', { aggregate: 'x', pipeline: [{ $match: { _id: { $in: ['a'] } } }] })).toEqual([
      { shape: 'by_id', count: 1 },
    ]);
    expect(classifyStoreCommand('aggregate', { aggregate: 'x', pipeline: [{ $group: { _id: null } }] })).toEqual([
      { shape: 'scan', count: 1 },
    ]);
  });

  it('files commands without a filter under other', () => {
    expect(classifyStoreCommand('getMore', { getMore: 1, collection: 'executions' })).toEqual([{ shape: 'other', count: 1 }]);
    expect(classifyStoreCommand('ping', { ping: 1 })).toEqual([{ shape: 'other', count: 1 }]);
  });
});
