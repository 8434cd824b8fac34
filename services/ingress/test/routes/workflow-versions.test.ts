import { routeAppPerSuite } from '../support/route-app';

/**
 * `/v1/workflows/{id}/versions…` in-process (answers checked against the document): the single
 * answer lists the newest 10 versions, the versions route pages through all of them; retire and
 * restore refuse what they must; the version URLs answer the retired state at once.
 */
const definition = (tag: string) => ({ name: 'versions', steps: [{ id: 'out', type: 'transform', expression: `"${tag}"` }] });

describe('workflow versions', () => {
  const app = routeAppPerSuite('workflow-versions-routes');

  /** A workflow with `count` published versions (v<n> answers "<n>"). */
  const published = async (count: number): Promise<{ id: string; url: string }> => {
    const created = await app().call('POST', '/v1/workflows', { body: definition('1') });
    const id = String(created.body.id);
    for (let n = 1; n <= count; n++) {
      if (n > 1) expect((await app().call('PUT', `/v1/workflows/${id}`, { body: definition(String(n)) })).status).toBe(200);
      expect((await app().call('POST', `/v1/workflows/${id}/publish`)).status).toBe(201);
    }
    return { id, url: String(created.body.triggers.production.async) };
  };

  it('shows the newest 10 versions in the single answer, none in list pages; the versions route pages through all', async () => {
    const wf = await published(12);
    const single = await app().call('GET', `/v1/workflows/${wf.id}`);
    const shown = single.body.versions as { version: number; url: string; sync_url: string; environments: string[] }[];
    expect(shown.map((v) => v.version)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);
    expect(shown[0]).toEqual({
      version: 12,
      url: `${wf.url}/v12`,
      sync_url: `${wf.url}/v12/sync`,
      retired_at: null,
      environments: ['production'],
    });
    const list = await app().call('GET', '/v1/workflows?limit=100');
    expect((list.body.data as Record<string, unknown>[]).every((w) => !('versions' in w))).toBe(true);

    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await app().call('GET', `/v1/workflows/${wf.id}/versions?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...(page.body.data as { version: number }[]).map((v) => v.version));
      cursor = page.body.next_cursor as string | null;
    } while (cursor);
    expect(seen).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it('lists nothing before the first publish, and answers version routes of it 404 version_not_found', async () => {
    const created = await app().call('POST', '/v1/workflows', { body: definition('draft') });
    const id = String(created.body.id);
    expect(created.body.versions).toEqual([]);
    expect((await app().call('GET', `/v1/workflows/${id}/versions`)).body).toEqual({ data: [], next_cursor: null });
    for (const action of ['retire', 'restore']) {
      const res = await app().call('POST', `/v1/workflows/${id}/versions/1/${action}`);
      expect([action, res.status, res.body.error.code]).toEqual([action, 404, 'version_not_found']);
    }
    // A version that cannot be a number names nothing either; an unknown workflow is workflow_not_found.
    expect((await app().call('POST', `/v1/workflows/${id}/versions/x/retire`)).body.error.code).toBe('version_not_found');
    expect((await app().call('POST', '/v1/workflows/wf_0000000000000000/versions/1/retire')).body.error.code).toBe('workflow_not_found');
  });

  it('retires and restores a version; the one production runs is in use; its URLs answer the state at once', async () => {
    const wf = await published(3);
    const hook = (suffix: string) => app().call('POST', new URL(`${wf.url}${suffix}`).pathname, { key: null, body: {} });
    expect((await hook('/v2')).status).toBe(202);

    const inUse = await app().call('POST', `/v1/workflows/${wf.id}/versions/3/retire`);
    expect([inUse.status, inUse.body.error.code, inUse.body.error.details]).toEqual([
      409,
      'version_in_use',
      { environments: ['production'] },
    ]);

    const retired = await app().call('POST', `/v1/workflows/${wf.id}/versions/2/retire`, { body: {} });
    expect(retired.status).toBe(200);
    expect(retired.body).toMatchObject({ version: 2, url: `${wf.url}/v2`, retired_at: expect.any(String), environments: [] });
    const refused = await hook('/v2');
    expect([refused.status, refused.body.error.code]).toEqual([410, 'version_retired']);
    expect((await hook('/v1')).status).toBe(202);
    expect((await app().call('GET', `/v1/workflows/${wf.id}`)).body.versions[1]).toMatchObject({
      version: 2,
      retired_at: retired.body.retired_at,
    });

    const restored = await app().call('POST', `/v1/workflows/${wf.id}/versions/2/restore`);
    expect([restored.status, restored.body.retired_at]).toEqual([200, null]);
    expect((await hook('/v2')).status).toBe(202);
    // A body field is refused like on every bodiless route.
    expect((await app().call('POST', `/v1/workflows/${wf.id}/versions/2/retire`, { body: { now: true } })).status).toBe(400);
  });
});
