import { routeAppPerSuite } from '../support/route-app';

/**
 * Every list route pages (`?limit=&cursor=`, answers `{data, next_cursor}`): each walked with
 * limit 1 through 3+ items of a workspace of its own shows every item once, newest first, and a
 * cursor that is not one of next_cursor is refused 400.
 */
const definition = (name: string) => ({ name, steps: [{ id: 'echo', type: 'transform', expression: '{"got": trigger.body}' }] });

describe('pagination of the list routes', () => {
  const app = routeAppPerSuite('pagination-routes');

  /** A new workspace (the operator's route) and an admin key of it. */
  const workspace = async (name: string): Promise<{ id: string; key: string }> => {
    const created = await app().call('POST', '/v1/workspaces', { key: app().operatorKey, body: { name } });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    return { id, key: await app().apiKey(['admin'], id) };
  };

  const workflowIn = async (key: string, name: string, publish = false): Promise<string> => {
    const created = await app().call('POST', `/v1/workflows${publish ? '?publish=true' : ''}`, { key, body: definition(name) });
    expect(created.status).toBe(201);
    return String(created.body.id);
  };

  /** Every page of `path` with limit 1: the ids (by `idOf`) in the order shown, and how many pages it took. */
  const walk = async (path: string, key: string, idOf: (item: Record<string, unknown>) => unknown = (i) => i.id) => {
    const ids: unknown[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const query: string = cursor ? `${sep}limit=1&cursor=${encodeURIComponent(cursor)}` : `${sep}limit=1`;
      const res = await app().call('GET', `${path}${query}`, { key });
      expect(res.status).toBe(200);
      const data = res.body.data as Record<string, unknown>[];
      expect(data.length).toBeLessThanOrEqual(1);
      ids.push(...data.map(idOf));
      cursor = res.body.next_cursor as string | null;
      pages += 1;
      expect(pages).toBeLessThan(50);
    } while (cursor);
    return { ids, pages };
  };

  /** The whole list in one page (limit 100), its ids; next_cursor null. */
  const all = async (path: string, key: string, idOf: (item: Record<string, unknown>) => unknown = (i) => i.id) => {
    const sep = path.includes('?') ? '&' : '?';
    const res = await app().call('GET', `${path}${sep}limit=100`, { key });
    expect(res.status).toBe(200);
    expect(res.body.next_cursor).toBeNull();
    return (res.body.data as Record<string, unknown>[]).map(idOf);
  };

  it('GET /v1/workflows: limit 1 walks every workflow once, newest first; the default page is 20', async () => {
    const ws = await workspace('paged workflows');
    const made: string[] = [];
    for (let i = 0; i < 22; i += 1) made.push(await workflowIn(ws.key, `wf-${i}`));
    const first = await app().call('GET', '/v1/workflows', { key: ws.key });
    expect(first.body.data).toHaveLength(20);
    expect(typeof first.body.next_cursor).toBe('string');
    const expected = await all('/v1/workflows', ws.key);
    expect([...expected].sort()).toEqual([...made].sort());
    const two = await app().call('GET', '/v1/workflows?limit=2', { key: ws.key });
    expect((two.body.data as { id: string }[]).map((w) => w.id)).toEqual(expected.slice(0, 2));

    const { ids, pages } = await walk('/v1/workflows', ws.key);
    expect(ids).toEqual(expected);
    expect(new Set(ids).size).toBe(22);
    expect(pages).toBeGreaterThanOrEqual(22);
  });

  it('GET /v1/api-keys: limit 1 walks every key once', async () => {
    const ws = await workspace('paged keys');
    for (const name of ['a', 'b', 'c']) {
      expect((await app().call('POST', '/v1/api-keys', { key: ws.key, body: { name, scopes: ['workflows:read'] } })).status).toBe(201);
    }
    const expected = await all('/v1/api-keys', ws.key);
    expect(expected).toHaveLength(4); // the admin key and three
    const { ids } = await walk('/v1/api-keys', ws.key);
    expect(ids).toEqual(expected);
  });

  it('GET /v1/sources: limit 1 walks every source once', async () => {
    const ws = await workspace('paged sources');
    const made: string[] = [];
    for (const name of ['s1', 's2', 's3']) {
      const created = await app().call('POST', '/v1/sources', { key: ws.key, body: { name } });
      expect(created.status).toBe(201);
      made.push(String(created.body.id));
    }
    const expected = await all('/v1/sources', ws.key);
    expect([...expected].sort()).toEqual([...made].sort());
    expect((await walk('/v1/sources', ws.key)).ids).toEqual(expected);
  });

  it('GET /v1/workflows/{id}/shares and GET /v1/shared-workflows: limit 1 walks every share once', async () => {
    const owner = await workspace('paged owner');
    const receivers = [await workspace('r1'), await workspace('r2'), await workspace('r3')];
    const wf = await workflowIn(owner.key, 'shared', true);
    const shares: string[] = [];
    for (const r of receivers) {
      const shared = await app().call('POST', `/v1/workflows/${wf}/shares`, { key: owner.key, body: { workspace_id: r.id } });
      expect(shared.status).toBe(201);
      shares.push(String(shared.body.id));
    }
    const sharesListed = await all(`/v1/workflows/${wf}/shares`, owner.key);
    expect([...sharesListed].sort()).toEqual([...shares].sort());
    expect((await walk(`/v1/workflows/${wf}/shares`, owner.key)).ids).toEqual(sharesListed);

    // One receiver given three workflows.
    const receiver = receivers[0];
    if (!receiver) throw new Error('no receiver');
    const received: string[] = [];
    for (const name of ['x', 'y', 'z']) {
      const id = await workflowIn(owner.key, name, true);
      const shared = await app().call('POST', `/v1/workflows/${id}/shares`, { key: owner.key, body: { workspace_id: receiver.id } });
      expect(shared.status).toBe(201);
      received.push(String(shared.body.id));
    }
    const receivedListed = await all('/v1/shared-workflows', receiver.key, (i) => i.share_id);
    expect([...receivedListed].sort()).toEqual([...received, shares[0]].sort());
    expect((await walk('/v1/shared-workflows', receiver.key, (i) => i.share_id)).ids).toEqual(receivedListed);
  });

  it('refuses a cursor not made by next_cursor, and a limit out of 1–100, 400 naming the field', async () => {
    for (const path of ['/v1/workflows', '/v1/api-keys', '/v1/sources', '/v1/shared-workflows']) {
      const bad = await app().call('GET', `${path}?cursor=nope`);
      expect([bad.status, bad.body.error.code, bad.body.error.details.issues[0].path]).toEqual([400, 'invalid_request', 'cursor']);
      const big = await app().call('GET', `${path}?limit=101`);
      expect([big.status, big.body.error.details.issues[0].path]).toEqual([400, 'limit']);
    }
  });
});
