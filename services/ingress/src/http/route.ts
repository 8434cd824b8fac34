import type { ApiError } from '@flowgate/contracts';
import type { ApiKeyScope } from '@flowgate/core';
import type { Request, Response, Router } from 'express';
import type { z } from 'zod';
import { requireScope } from '../auth';
import { issuesOf } from '@flowgate/core';
import { invalidRequest } from './validation-issues';

/**
 * One declaration per route: method, path, params, query, body, responses and security, as zod
 * schemas. `mount` makes the declaration validate the request (before the handler, unknown fields
 * refused), type the handler and — through openapi.ts — document the operation.
 */
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'options';

/** An API key with a scope (management API), the trigger's own auth (webhooks), or none (the token is the credential). */
export type Security = { apiKey: ApiKeyScope } | 'trigger' | 'none';

export interface ResponseSpec {
  description: string;
  /** The JSON body (application/json). */
  schema?: z.ZodType;
  /** Other media types and their schema (null: anything). */
  content?: Record<string, z.ZodType | null>;
}

export interface HeaderSpec {
  name: string;
  description?: string;
  schema: z.ZodType;
}

export type ParamsSchema = z.ZodType<Record<string, string>, Record<string, string>>;
export type QuerySchema = z.ZodType<Record<string, unknown>, Record<string, unknown>>;
/** No query declared: express's own, unvalidated (a webhook's query is its input). */
type AnyQuery = z.ZodType<Request['query'], Request['query']>;

export interface RouteSpec<P extends ParamsSchema = ParamsSchema, Q extends QuerySchema = AnyQuery, B extends z.ZodType = z.ZodType> {
  /** `all`: every method is routed here (webhook URLs); `documented` lists those the document shows. */
  method: Method | 'all';
  documented?: Method[];
  /** OpenAPI template: `/v1/workflows/{id}`. */
  path: string;
  summary?: string;
  description?: string;
  security: Security;
  params?: P;
  /** A path parameter that does not match its schema names no resource: answered with this error instead of a 400. */
  notFound?: Partial<Record<string, (value: string) => ApiError>>;
  query?: Q;
  /** A JSON body validated here (400 invalid_request on a mismatch). */
  body?: B;
  /** Without a body: `{}` is validated (false, default) or it is a 400 (true). */
  bodyRequired?: boolean;
  /** A body the handler reads itself (a workflow definition → 422, a webhook payload): documented only. */
  rawBody?: { required?: boolean; content: Record<string, z.ZodType | null>; description?: string };
  headers?: HeaderSpec[];
  /** The start of a 400's message: what the input must be. */
  hint?: string;
  responses: Record<string, ResponseSpec>;
}

/** Any declaration, as the document generator and the route tests read it. */
export type AnyRouteSpec = RouteSpec<ParamsSchema, QuerySchema>;

/** A request as the declaration validated it: typed `params`, `query` and `body`. */
export type ValidRequest<P extends ParamsSchema, Q extends QuerySchema, B extends z.ZodType> = Request<
  z.output<P>,
  unknown,
  z.output<B>,
  z.output<Q>
>;

export type RouteHandler<P extends ParamsSchema, Q extends QuerySchema, B extends z.ZodType> = (
  req: ValidRequest<P, Q, B>,
  res: Response,
) => unknown;

/** Declares a route (checked for its types; nothing is mounted yet). */
export const route = <P extends ParamsSchema = ParamsSchema, Q extends QuerySchema = AnyQuery, B extends z.ZodType = z.ZodType>(
  spec: RouteSpec<P, Q, B>,
): RouteSpec<P, Q, B> => spec;

export const expressPath = (template: string): string => template.replace(/\{([^}]+)\}/g, ':$1');

/** The routes a router serves, in mounting order: what the route tests compare with the document. */
export class RouteTable {
  readonly specs: AnyRouteSpec[] = [];
  constructor(readonly router: Router) {}

  mount<P extends ParamsSchema, Q extends QuerySchema, B extends z.ZodType>(
    spec: RouteSpec<P, Q, B>,
    handler: RouteHandler<P, Q, B>,
  ): void {
    this.specs.push(spec);
    const guards = typeof spec.security === 'object' ? [requireScope(spec.security.apiKey)] : [];
    const run = async (req: Request, res: Response) => {
      validate(spec, req);
      await handler(req as unknown as ValidRequest<P, Q, B>, res);
    };
    this.router[spec.method](expressPath(spec.path), ...guards, run);
  }
}

/** Params, then query, then body; the request carries the parsed values from here on. */
function validate(spec: RouteSpec<ParamsSchema, QuerySchema, z.ZodType>, req: Request): void {
  if (spec.params) {
    const parsed = spec.params.safeParse(req.params);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const name = String(issue.path[0] ?? '');
        const notFound = spec.notFound?.[name];
        if (notFound) throw notFound(String(req.params[name]));
      }
      throw invalidRequest(spec.hint ?? 'Invalid path parameter', issuesOf(parsed.error));
    }
    req.params = parsed.data;
  }
  if (spec.query) {
    const parsed = spec.query.safeParse({ ...req.query });
    if (!parsed.success) throw invalidRequest(spec.hint ?? 'Invalid query', issuesOf(parsed.error));
    // express 5 serves req.query from a getter: the parsed value shadows it on this request.
    Object.defineProperty(req, 'query', { value: parsed.data, configurable: true, enumerable: true, writable: true });
  }
  if (spec.body) {
    const input: unknown = req.body === undefined && !spec.bodyRequired ? {} : req.body;
    const parsed = spec.body.safeParse(input);
    if (!parsed.success) throw invalidRequest(spec.hint ?? 'Invalid body', issuesOf(parsed.error));
    req.body = parsed.data;
  }
}
