import { routeAppPerSuite } from '../support/route-app';

/**
 * Retention settings in-process (ADR 0020): the workspace's `retention_days` (its admin through
 * `PATCH /v1/workspace`, the operator through `PATCH /v1/workspaces/{id}`), the workflow's own
 * (`PATCH /v1/workflows/{id}`), the deployment default (FLOWGATE_RETENTION_DAYS) as the effective
 * value, and bad input refused in the one error shape with nothing changed.
 */
describe('retention settings', () => {
  const app = routeAppPerSuite('retention-settings', { FLOWGATE_RETENTION_DAYS: '45' });
  const issuesOf = (res: { body: { error: { details: { issues: { path: string; code: string }[] } } } }) =>
    res.body.error.details.issues.map((i) => [i.path, i.code]);

  it("the workspace's: null shows the deployment default as effective; its admin sets and resets it", async () => {
    expect((await app().call('GET', '/v1/workspace')).body).toMatchObject({ retention_days: null, effective_retention_days: 45 });
    const set = await app().call('PATCH', '/v1/workspace', { body: { retention_days: 7 } });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ retention_days: 7, effective_retention_days: 7 });
    expect((await app().call('GET', '/v1/workspace')).body).toMatchObject({ retention_days: 7, effective_retention_days: 7 });
    // Another field's change leaves it as it is.
    expect((await app().call('PATCH', '/v1/workspace', { body: { anti_enumeration: false } })).body.retention_days).toBe(7);
    const reset = await app().call('PATCH', '/v1/workspace', { body: { retention_days: null } });
    expect(reset.body).toMatchObject({ retention_days: null, effective_retention_days: 45 });
  });

  it('refuses days out of 1–3650, non-integers, strings and unknown fields, naming the field; nothing changes', async () => {
    await app().call('PATCH', '/v1/workspace', { body: { retention_days: 12 } });
    const cases: [unknown, [string, string][]][] = [
      [{ retention_days: 0 }, [['retention_days', 'too_small']]],
      [{ retention_days: 3651 }, [['retention_days', 'too_big']]],
      [{ retention_days: 'x' }, [['retention_days', 'invalid_type']]],
      [{ retention_days: 1.5 }, [['retention_days', 'invalid_type']]],
      [{ retention_days: 3, keep: true }, [['keep', 'unrecognized_keys']]],
    ];
    for (const [body, issues] of cases) {
      const res = await app().call('PATCH', '/v1/workspace', { body });
      expect([JSON.stringify(body), res.status, res.body.error.code]).toEqual([JSON.stringify(body), 400, 'invalid_request']);
      expect(issuesOf(res)).toEqual(issues);
    }
    expect((await app().call('GET', '/v1/workspace')).body.retention_days).toBe(12);
  });

  it("the operator sets any workspace's; a workspace admin cannot use the operator route", async () => {
    const created = await app().call('POST', '/v1/workspaces', { key: app().operatorKey, body: { name: 'tenant', retention_days: 90 } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ retention_days: 90, effective_retention_days: 90 });
    const id = String(created.body.id);
    const changed = await app().call('PATCH', `/v1/workspaces/${id}`, { key: app().operatorKey, body: { retention_days: null } });
    expect(changed.body).toMatchObject({ retention_days: null, effective_retention_days: 45 });
    const bad = await app().call('PATCH', `/v1/workspaces/${id}`, { key: app().operatorKey, body: { retention_days: -3 } });
    expect([bad.status, issuesOf(bad)]).toEqual([400, [['retention_days', 'too_small']]]);
    expect((await app().call('PATCH', `/v1/workspaces/${id}`, { body: { retention_days: 5 } })).status).toBe(403);
    expect((await app().call('GET', `/v1/workspaces/${id}`, { key: app().operatorKey })).body.retention_days).toBeNull();
  });

  it("a workflow's own: shown on the workflow, set and reset by PATCH /v1/workflows/{id}, also once archived", async () => {
    const created = await app().call('POST', '/v1/workflows', {
      body: { name: 'kept-short', steps: [{ id: 't', type: 'transform', expression: '1' }] },
    });
    expect(created.body.retention_days).toBeNull();
    const id = String(created.body.id);
    const set = await app().call('PATCH', `/v1/workflows/${id}`, { body: { retention_days: 3 } });
    expect([set.status, set.body.retention_days, set.body.name]).toEqual([200, 3, 'kept-short']);
    expect((await app().call('GET', `/v1/workflows/${id}`)).body.retention_days).toBe(3);
    // Not part of the definition: a new draft keeps it.
    const replaced = await app().call('PUT', `/v1/workflows/${id}`, {
      body: { name: 'kept-short', steps: [{ id: 't', type: 'transform', expression: '2' }] },
    });
    expect(replaced.body.retention_days).toBe(3);
    for (const body of [{ retention_days: 0 }, { retention_days: 'x' }, { retention_days: 3, definition: {} }]) {
      const bad = await app().call('PATCH', `/v1/workflows/${id}`, { body });
      expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_request']);
    }
    expect((await app().call('GET', `/v1/workflows/${id}`)).body.retention_days).toBe(3);
    expect((await app().call('DELETE', `/v1/workflows/${id}`)).status).toBe(200);
    const archived = await app().call('PATCH', `/v1/workflows/${id}`, { body: { retention_days: null } });
    expect([archived.status, archived.body.retention_days, archived.body.archived_at]).toEqual([200, null, expect.any(String)]);
    expect((await app().call('PATCH', '/v1/workflows/wf_00000000000000000000000000000000', { body: { retention_days: 3 } })).status).toBe(
      404,
    );
    const readOnly = await app().apiKey(['workflows:read']);
    expect((await app().call('PATCH', `/v1/workflows/${id}`, { key: readOnly, body: { retention_days: 3 } })).status).toBe(403);
  });
});
