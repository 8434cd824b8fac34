import express, { type Express } from 'express';
import { consoleRouter } from './console';
import { errorHandler, notFound } from './errors';
import { openApiDocumentOf } from './http/openapi';
import type { RouteTable } from './http/route';
import { managementApi, managementSpecs, type ManagementDeps } from './management-api';
import type { IngressMetrics } from './metrics';
import { headerCountLimit } from './request-limits';
import { webhookEdge, webhookEdgeSpecs, type WebhookEdgeDeps } from './webhook-edge';
import type { Logger } from '@flowgate/kit';

/**
 * One express app mounting the ingress's two sub-apps: the public webhook edge and the management
 * API. By default one listener serves both; with FLOWGATE_MANAGEMENT_PORT, main.ts builds one app
 * per listener (`edge` only, `management` only). `/openapi.json` describes both on either.
 */
export interface AppDeps {
  metrics: IngressMetrics;
  logger: Logger;
  maxHeaderCount: number;
  edge?: WebhookEdgeDeps;
  management?: ManagementDeps;
  /** The built console's folder (dist/console): served at `/console` next to the management API. */
  consoleDir?: string;
}

export const openApiDocument = openApiDocumentOf([...webhookEdgeSpecs, ...managementSpecs]);

/** The app, and the route tables of the sub-apps it mounts (what the route tests compare with the document). */
export interface IngressApp {
  app: Express;
  edge?: RouteTable;
  management?: RouteTable;
}

export function createApp(deps: AppDeps): IngressApp {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    const end = deps.metrics.http.startTimer({ method: req.method });
    res.on('finish', () => {
      const matched = req.route as { path?: unknown } | undefined;
      const route = matched ? `${req.baseUrl}${String(matched.path)}` : 'unmatched';
      end({ route, status_code: String(res.statusCode) });
    });
    next();
  });
  app.use(headerCountLimit(deps.maxHeaderCount));

  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  const edge = deps.edge && webhookEdge(deps.edge);
  const management = deps.management && managementApi(deps.management);
  if (edge) app.use(edge.router);
  if (management) app.use(management.router);
  if (management && deps.consoleDir !== undefined) app.use(consoleRouter(deps.consoleDir));

  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return { app, edge, management };
}
