import { z } from 'zod';
import type { AnyRouteSpec, Method } from './route';
import { errorBody } from './schemas';

/**
 * `/openapi.json` (OpenAPI 3.1, JSON Schema 2020-12), generated from the route declarations:
 * each route's params, query, body and responses through `z.toJSONSchema`; schemas with a
 * `.meta({ id })` become `components.schemas` and are referenced. Responses every operation can
 * give (limits enforced before any route runs) are added unless a route documents them itself.
 */
type Json = Record<string, unknown>;

const COMPONENT = '#/components/schemas/';
const ERROR_RESPONSE = { $ref: '#/components/responses/Error' };
const WITH_BODY = new Set<string>(['post', 'put', 'patch']);

class SchemaWriter {
  readonly components: Record<string, unknown> = {};

  /** The JSON Schema of `schema`; named sub-schemas land in components, referenced. */
  write(schema: z.ZodType, io: 'input' | 'output'): Json {
    const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
    const { $schema: _schema, $defs, ...rest } = json;
    const defs = Object.entries(($defs ?? {}) as Json);
    // A schema whose input differs from its output (defaults, transforms) gets a second component, `<id>Input`.
    const names = new Map(defs.map(([id]) => [id, id]));
    const link = (node: unknown) => relink(node, names);
    for (let pass = 0; pass < 2; pass++)
      for (const [id, def] of defs) {
        const text = JSON.stringify(link(def));
        const existing = this.components[names.get(id) ?? id];
        if (existing !== undefined && JSON.stringify(existing) !== text && io === 'input') names.set(id, `${id}Input`);
      }
    for (const [id, def] of defs) this.components[names.get(id) ?? id] = link(def);
    return link(rest) as Json;
  }

  /** Parameters `in` path / query from an object schema: one per property. */
  parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): Json[] {
    if (!schema) return [];
    const json = this.write(schema, 'input');
    const properties = (json.properties ?? {}) as Record<string, Json>;
    const required = new Set((json.required ?? []) as string[]);
    return Object.entries(properties).map(([name, property]) => {
      const { description, ...rest } = property;
      return {
        name,
        in: where,
        required: where === 'path' || required.has(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
      };
    });
  }
}

/** JSON Schema 2020-12's formats; zod's own (`starts_with`, `cidrv4`, …) go, their `pattern` stays. */
const FORMATS = new Set([
  'date-time',
  'date',
  'time',
  'duration',
  'email',
  'idn-email',
  'hostname',
  'idn-hostname',
  'ipv4',
  'ipv6',
  'uri',
  'uri-reference',
  'iri',
  'iri-reference',
  'uuid',
  'uri-template',
  'json-pointer',
  'relative-json-pointer',
  'regex',
]);

/** `#/$defs/X` (zod's) → `#/components/schemas/<name of X>`; non-standard formats dropped. */
function relink(node: unknown, names: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(node)) return node.map((n) => relink(n, names));
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === 'format' && typeof value === 'string' && !FORMATS.has(value)) continue;
    const id = key === '$ref' && typeof value === 'string' && value.startsWith('#/$defs/') ? value.slice('#/$defs/'.length) : undefined;
    out[key] = id === undefined ? relink(value, names) : `${COMPONENT}${names.get(id) ?? id}`;
  }
  return out;
}

function commonResponses(spec: AnyRouteSpec, method: string): Record<string, unknown> {
  const apiKey = typeof spec.security === 'object';
  // A raw body is read whatever the method (webhook URLs); JSON bodies with POST, PUT, PATCH.
  const body = spec.rawBody !== undefined || WITH_BODY.has(method);
  return {
    '400': { description: 'Malformed request: HTTP syntax, JSON (or nested deeper than the limit), UTF-8', ...ERROR_RESPONSE },
    '408': { description: 'The request was not received within the server request timeout (connection closed)', ...ERROR_RESPONSE },
    '431': { description: 'Too many request headers, or a header block larger than the limit', ...ERROR_RESPONSE },
    '500': { description: 'A bug (never a stack trace)', ...ERROR_RESPONSE },
    '503': { description: 'A dependency (MongoDB, NATS, execution service) is unavailable; nothing was changed', ...ERROR_RESPONSE },
    ...(apiKey
      ? {
          '401': { description: 'Missing, unknown or revoked API key', ...ERROR_RESPONSE },
          '403': { description: 'The API key lacks the scope this route needs (forbidden)', ...ERROR_RESPONSE },
        }
      : {}),
    ...(body ? { '413': { description: 'Request body larger than the limit', ...ERROR_RESPONSE } } : {}),
    ...(body && apiKey ? { '415': { description: 'Unsupported content type', ...ERROR_RESPONSE } } : {}),
  };
}

function content(writer: SchemaWriter, media: Record<string, z.ZodType | null>, io: 'input' | 'output'): Json {
  return Object.fromEntries(Object.entries(media).map(([type, schema]) => [type, { schema: schema ? writer.write(schema, io) : {} }]));
}

function operation(writer: SchemaWriter, spec: AnyRouteSpec, method: Method): Json {
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(spec.responses)) {
    const media = { ...(response.schema ? { 'application/json': response.schema } : {}), ...response.content };
    responses[status] = {
      description: response.description,
      ...(Object.keys(media).length > 0 ? { content: content(writer, media, 'output') } : {}),
    };
  }
  const requestBody = spec.body
    ? { required: spec.bodyRequired ?? false, content: content(writer, { 'application/json': spec.body }, 'input') }
    : spec.rawBody
      ? {
          required: spec.rawBody.required ?? false,
          ...(spec.rawBody.description ? { description: spec.rawBody.description } : {}),
          content: content(writer, spec.rawBody.content, 'input'),
        }
      : undefined;
  const headers = (spec.headers ?? []).map((h) => ({
    name: h.name,
    in: 'header',
    required: false,
    ...(h.description ? { description: h.description } : {}),
    schema: writer.write(h.schema, 'input'),
  }));
  const parameters = [...writer.parameters(spec.params, 'path'), ...writer.parameters(spec.query, 'query'), ...headers];
  return {
    ...(spec.summary ? { summary: spec.summary } : {}),
    ...(spec.description ? { description: spec.description } : {}),
    ...(typeof spec.security === 'object' ? { security: [{ apiKey: [spec.security.apiKey] }] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: { ...commonResponses(spec, method), ...responses },
  };
}

export function openApiDocumentOf(specs: readonly AnyRouteSpec[]): Json {
  const writer = new SchemaWriter();
  writer.write(errorBody, 'output');
  const paths: Record<string, Record<string, Json>> = {};
  for (const spec of specs) {
    const methods = spec.method === 'all' ? (spec.documented ?? ['post']) : [spec.method];
    const item = (paths[spec.path] ??= {});
    for (const method of methods) item[method] = operation(writer, spec, method);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Flowgate',
      version: '0.1.0',
      description:
        'Webhook-triggered durable workflows. Workspaces: every object belongs to one workspace; an API key acts only inside ' +
        "its own, and another workspace's ids answer 404 exactly like ids that do not exist. The installation's operator " +
        '(scope operator, the bootstrap key alone) manages workspaces under /v1/workspaces and sets their limits (quotas, ' +
        'egress allow-list, webhook rate limit); a workspace admin (scope admin) manages everything inside its workspace.',
    },
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description:
            "Flowgate API key of one workspace; an operation's security names the scope it needs (admin covers every scope but operator)",
        },
      },
      schemas: writer.components,
      responses: { Error: { description: 'Error', content: { 'application/json': { schema: { $ref: `${COMPONENT}Error` } } } } },
    },
    paths,
  };
}
