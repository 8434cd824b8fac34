import type { Subjects } from '@flowgate/contracts';
import type { JetStreamClient, Logger, SecretBox } from '@flowgate/kit';
import type { Collections } from '@flowgate/store';
import express, { type Express } from 'express';
import { requireApiKey } from './auth';
import { errorHandler, notFound } from './errors';
import type { ExecutionClient } from './execution-client';
import type { IngressMetrics } from './metrics';
import { openApiDocument } from './openapi';
import { ExecutionStarter } from './starter';
import { executionRoutes } from './routes/executions';
import { hookRoutes } from './routes/hooks';
import { workflowRoutes } from './routes/workflows';

export interface AppDeps {
  store: Collections;
  js: JetStreamClient;
  subjects: Subjects;
  executions: ExecutionClient;
  box: SecretBox;
  publicUrl: string;
  maxBodyBytes: number;
  publishTimeoutMs: number;
  metrics: IngressMetrics;
  logger: Logger;
}

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

export function createApp(deps: AppDeps): Express {
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

  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });

  const starter = new ExecutionStarter(deps);
  app.use('/hooks', express.raw({ type: () => true, limit: deps.maxBodyBytes }));
  app.use(hookRoutes({ ...deps, starter }));

  app.use('/v1', express.json({ limit: '1mb' }), express.text({ type: YAML_TYPES, limit: '1mb' }), requireApiKey(deps.store));
  app.use(workflowRoutes(deps));
  app.use(executionRoutes({ ...deps, starter }));

  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
