import { requiredScope } from '@flowgate/core';
import { openApiDocument } from '../../src/app';
import { expressPath } from '../../src/http/route';
import { managementSpecs } from '../../src/management-api';
import { webhookEdgeSpecs } from '../../src/webhook-edge';
import { RouteApp } from '../support/route-app';

/**
 * `/openapi.json` is generated from the route declarations: it lists exactly the mounted routes,
 * never loses an operation the hand-written document had, and names each route's scope as the
 * API-key check enforces it.
 */
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'];

/** The operations of the hand-written document this one replaced (none may be lost). */
const BEFORE = `DELETE /sources/{token}, DELETE /v1/api-keys/{id}, DELETE /v1/sources/{id},
DELETE /v1/workflows/{id}/trigger/secrets/{secret_id}, GET /approvals/{token}, GET /sources/{token}, GET /v1/api-keys,
GET /v1/api-keys/{id}, GET /v1/callback-secret, GET /v1/deliveries, GET /v1/deliveries/{id}, GET /v1/executions,
GET /v1/executions/{id}, GET /v1/executions/{id}/events, GET /v1/sources, GET /v1/sources/{id}, GET /v1/triggers,
GET /v1/workflows, GET /v1/workflows/{id}, GET /v1/workflows/{id}/context, GET /v1/workflows/{id}/parameters/capture,
GET /v1/workflows/{id}/schedule, GET /v1/workflows/{id}/trigger/secrets, GET /v1/workspace/egress, GET /v1/workspace/quotas,
OPTIONS /hooks/{token}, OPTIONS /hooks/{token}/sync, PATCH /sources/{token}, PATCH /v1/sources/{id},
PATCH /v1/workflows/{id}/context, PATCH /v1/workflows/{id}/trigger, POST /approvals/{token}/{decision}, POST /hooks/{token},
POST /hooks/{token}/sync, POST /resume/{token}, POST /sources/{token}, POST /v1/api-keys, POST /v1/callback-secret/rotate,
POST /v1/deliveries/{id}/redeliver, POST /v1/executions/{id}/cancel, POST /v1/executions/{id}/replay, POST /v1/parameters/infer,
POST /v1/sources, POST /v1/workflows, POST /v1/workflows/{id}/parameters/capture, POST /v1/workflows/{id}/publish,
POST /v1/workflows/{id}/schedule/{action}, POST /v1/workflows/{id}/test, POST /v1/workflows/{id}/trigger/secrets,
PUT /sources/{token}, PUT /v1/workflows/{id}, PUT /v1/workflows/{id}/environments/staging, PUT /v1/workspace/egress,
PUT /v1/workspace/quotas`
  .split(',')
  .map((op) => op.trim());

type Operation = { security?: { apiKey?: string[] }[]; responses: Record<string, unknown> };
const paths = openApiDocument.paths as Record<string, Record<string, Operation>>;
const operations = Object.entries(paths).flatMap(([path, item]) =>
  METHODS.filter((m) => item[m]).map((m) => ({ name: `${m.toUpperCase()} ${path}`, path, method: m, operation: item[m] as Operation })),
);

describe('the generated OpenAPI document', () => {
  let routes: RouteApp;
  beforeAll(async () => {
    routes = await RouteApp.start('openapi-document');
  });
  afterAll(async () => {
    await routes?.stop();
  });

  it('keeps every operation of the hand-written document', () => {
    expect(BEFORE).toHaveLength(54);
    expect(BEFORE.filter((op) => !operations.some((o) => o.name === op))).toEqual([]);
  });

  it('documents exactly the routes the two sub-apps mount, each once', async () => {
    const mounted = [...routes.edgeTable.specs, ...routes.managementTable.specs];
    expect(new Set(mounted)).toEqual(new Set([...webhookEdgeSpecs, ...managementSpecs]));
    expect(mounted).toHaveLength(webhookEdgeSpecs.length + managementSpecs.length);
    const documented = mounted.flatMap((s) =>
      (s.method === 'all' ? (s.documented ?? ['post']) : [s.method]).map((m) => `${m.toUpperCase()} ${s.path}`),
    );
    expect(documented.sort()).toEqual(operations.map((o) => o.name).sort());
    // Every documented operation is served: a request to it reaches its route (never the app's 404 "No route").
    for (const { path, method } of operations) {
      const concrete = path.replace(/\{([^}]+)\}/g, (_p, name: string) =>
        name === 'decision' ? 'approve' : name === 'action' ? 'pause' : 'x',
      );
      const res = await routes.call(method, concrete);
      expect([method, path, res.body?.error?.message ?? '']).not.toEqual([method, path, expect.stringMatching(/^No route/)]);
    }
    expect(routes.problems).toEqual([]);
  });

  it("names each management route's scope as the path table of core would (admin covers all)", () => {
    for (const spec of managementSpecs) {
      expect(typeof spec.security).toBe('object');
      const declared = typeof spec.security === 'object' ? spec.security.apiKey : null;
      const method = spec.method === 'all' ? 'POST' : spec.method.toUpperCase();
      expect([method, spec.path, declared]).toEqual([method, spec.path, requiredScope(method, expressPath(spec.path))]);
    }
    for (const { path, operation } of operations)
      if (path.startsWith('/v1/')) expect(operation.security?.[0]?.apiKey).toHaveLength(1);
      else expect(operation.security).toBeUndefined();
  });

  it('shows the workflow definition schema, not an untyped object', () => {
    const schemas = (openApiDocument.components as { schemas: Record<string, { properties?: Record<string, unknown> }> }).schemas;
    expect(Object.keys(schemas.WorkflowDefinition?.properties ?? {})).toEqual(expect.arrayContaining(['name', 'trigger', 'steps']));
    expect(JSON.stringify(paths['/v1/workflows']?.post)).toContain('#/components/schemas/WorkflowDefinition');
    expect(JSON.stringify(schemas.Workflow)).toContain('#/components/schemas/WorkflowDefinition');
  });
});
