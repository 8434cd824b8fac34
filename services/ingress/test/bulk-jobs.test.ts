import { bulkReplayId } from '../src/bulk-jobs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('bulkReplayId', () => {
  it('is an execution id (a UUID, version 5 layout), the same for the same job and original', () => {
    const id = bulkReplayId('bulk_1', '8c1b4a4e-0000-4000-8000-000000000001');
    expect(id).toMatch(UUID);
    expect(id[14]).toBe('5');
    expect('89ab').toContain(id[19]);
    expect(bulkReplayId('bulk_1', '8c1b4a4e-0000-4000-8000-000000000001')).toBe(id);
  });

  it('differs per job and per original', () => {
    const ids = new Set([bulkReplayId('bulk_1', 'a'), bulkReplayId('bulk_2', 'a'), bulkReplayId('bulk_1', 'b')]);
    expect(ids.size).toBe(3);
  });
});
