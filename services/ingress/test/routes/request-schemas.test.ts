import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../../src/app';
import type { AnyRouteSpec } from '../../src/http/route';
import { managementSpecs } from '../../src/management-api';
import { webhookEdgeSpecs } from '../../src/webhook-edge';
import { RouteApp } from '../support/route-app';

/**
 * Each route's document and its validation are one schema: a body or query with an unknown field
 * is refused by the route (400, one issue per unknown field) and by the documented schema alike.
 */
const DOC_ID = 'https://flowgate.invalid/openapi.json';
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ ...openApiDocument, $id: DOC_ID });
const pointer = (...parts: string[]) =>
  `${DOC_ID}#/${parts.map((p) => encodeURIComponent(p.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/')}`;

/** Path parameter values the declaration accepts (well-formed ids of nothing), so the body is what is judged. */
const CANDIDATES = [
  'wf_aaaaaaaaaaaaaaaa',
  '00000000-0000-4000-8000-000000000000',
  '00000000-0000-4000-8000-000000000000.execution.succeeded',
  'key_aaaaaaaa',
  'src_aaaaaaaaaaaa',
  `wt_${'x'.repeat(40)}`,
  'approve',
  'pause',
  'sec_aaaaaaaa',
  'dl_execution_1',
  // A published version number (/v1/workflows/{id}/versions/{version}/…).
  '1',
];
function concretePath(spec: AnyRouteSpec): string {
  const names = [...spec.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '');
  const values: Record<string, string> = Object.fromEntries(names.map((n) => [n, 'x']));
  for (const name of names) {
    const ok = CANDIDATES.find((candidate) => {
      const result = spec.params?.safeParse({ ...values, [name]: candidate });
      return !result || result.success || !result.error.issues.some((i) => i.path[0] === name);
    });
    values[name] = ok ?? 'x';
  }
  return spec.path.replace(/\{([^}]+)\}/g, (_p, name: string) => values[name] ?? 'x');
}

/** The key a route's scope asks for: the operator's for operator routes, else the workspace admin's. */
const keyFor = (spec: AnyRouteSpec) =>
  typeof spec.security === 'object' && spec.security.apiKey === 'operator' ? { key: routes.operatorKey } : {};

const methodOf = (spec: AnyRouteSpec) => (spec.method === 'all' ? (spec.documented?.[0] ?? 'post') : spec.method);
const bodySchemaOf = (spec: AnyRouteSpec) =>
  ajv.getSchema(pointer('paths', spec.path, methodOf(spec), 'requestBody', 'content', 'application/json', 'schema'))?.schema;
const all = [...webhookEdgeSpecs, ...managementSpecs];
const strictBodies = all.filter((spec) => {
  const schema = bodySchemaOf(spec);
  return (
    spec.body !== undefined && typeof schema === 'object' && (schema as { additionalProperties?: unknown }).additionalProperties === false
  );
});
const queries = all.filter((spec) => spec.query !== undefined);
/** Routes that take a JSON body (all but the raw ones: definitions, webhook and resume bodies). */
const jsonWrites = all.filter((spec) => ['post', 'put', 'patch'].includes(methodOf(spec)) && spec.rawBody === undefined);
const named = (spec: AnyRouteSpec) => `${methodOf(spec).toUpperCase()} ${spec.path}`;
/** Bodies that are maps by design: any key is data (context keys, a sample object), none is a field. */
const OPEN_MAPS = ['PATCH /v1/workflows/{id}/context', 'PATCH /v1/shared-workflows/{share_id}/context', 'POST /v1/parameters/infer'];
let routes: RouteApp;

describe('request schemas: the route and its document agree', () => {
  beforeAll(async () => {
    routes = await RouteApp.start('request-schemas');
  });
  afterAll(async () => {
    await routes?.stop();
  });

  it('covers the strict bodies and declared queries', () => {
    expect(strictBodies.length).toBeGreaterThanOrEqual(12);
    expect(queries.map((s) => s.path).sort()).toEqual([
      '/v1/api-keys',
      '/v1/dead-letters',
      '/v1/deliveries',
      '/v1/executions',
      '/v1/shared-workflows',
      '/v1/sources',
      '/v1/sources/{id}/subscriptions',
      '/v1/triggers',
      '/v1/workflows',
      '/v1/workflows',
      '/v1/workflows/{id}/shares',
      '/v1/workflows/{id}/versions',
      '/v1/workspaces',
    ]);
  });

  it('every POST, PUT and PATCH route with a JSON body has a strict one (no body: an empty strict one), so none ignores a field', () => {
    const loose = jsonWrites.filter((spec) => !strictBodies.includes(spec));
    expect(loose.map(named).sort()).toEqual([...OPEN_MAPS].sort());
    // The maps declare what a value is: `additionalProperties` is a schema, not `true`.
    for (const spec of loose) expect(bodySchemaOf(spec)).toMatchObject({ type: 'object', additionalProperties: expect.any(Object) });
    expect(strictBodies.map(named)).toEqual(
      expect.arrayContaining([
        'POST /v1/executions/{id}/replay',
        'POST /v1/executions/{id}/cancel',
        'POST /v1/workflows/{id}/publish',
        ...all
          .filter((spec) => spec.method === 'patch')
          .map(named)
          .filter((name) => !OPEN_MAPS.includes(name)),
      ]),
    );
    expect(all.filter((spec) => spec.method === 'patch').length).toBeGreaterThanOrEqual(6);
  });

  it.each(strictBodies.map((spec) => [named(spec), spec] as const))(
    '%s refuses an unknown body field, in the document and at the route',
    async (_name, spec) => {
      const method = methodOf(spec);
      const body = { not_a_field: 1 };
      const validate = ajv.getSchema(pointer('paths', spec.path, method, 'requestBody', 'content', 'application/json', 'schema'));
      expect(validate?.(body)).toBe(false);
      const res = await routes.call(method, concretePath(spec), { ...keyFor(spec), body });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'invalid_request' });
      expect(res.body.error.details.issues).toContainEqual({ path: 'not_a_field', message: 'unknown field', code: 'unrecognized_keys' });
    },
  );

  it.each(queries.map((spec) => [`${methodOf(spec).toUpperCase()} ${spec.path}`, spec] as const))(
    '%s refuses an unknown query parameter, which the document does not list',
    async (_name, spec) => {
      const method = methodOf(spec);
      const documented = (
        (openApiDocument.paths as Record<string, Record<string, { parameters?: { name: string }[] }>>)[spec.path]?.[method]?.parameters ??
        []
      ).map((p) => p.name);
      expect(documented).not.toContain('not_a_parameter');
      const res = await routes.call(method, `${concretePath(spec)}?not_a_parameter=1`, {
        ...keyFor(spec),
        body: method === 'post' ? {} : undefined,
      });
      expect(res.status).toBe(400);
      expect(res.body.error.details.issues).toContainEqual({
        path: 'not_a_parameter',
        message: 'unknown field',
        code: 'unrecognized_keys',
      });
    },
  );

  it('answered in the documented shapes', () => {
    expect(routes.problems).toEqual([]);
  });
});
