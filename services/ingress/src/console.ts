import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router, type Response } from 'express';
import { ApiError } from '@flowgate/contracts';

/**
 * The web console (apps/console, built by `pnpm build` into dist/console) at `/console`, on the
 * management side: its hashed assets with a year's immutable cache, index.html (never cached) for
 * `/console` and every client-side route under it, and `/`, `/ui`, `/dashboard` redirecting there. A strict CSP: only
 * this origin's scripts, styles, images and connections, no framing. Without a build, `/console`
 * answers 503 console_not_built with how to build it, and the API is unaffected.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const HARDENING = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

export function consoleRouter(dir: string): Router {
  const router = Router();
  // Where people look for a UI first: all lead to the console.
  router.get(['/', '/ui', '/dashboard'], (_req, res) => res.redirect(302, '/console/'));
  const indexFile = join(dir, 'index.html');
  if (!existsSync(indexFile)) {
    router.use('/console', (_req, res) => {
      res.status(503).json({
        error: {
          code: 'console_not_built',
          message: `The console is not built (no ${indexFile}): run pnpm build, then restart the ingress`,
        },
      });
    });
    return router;
  }
  const index = readFileSync(indexFile);
  const sendIndex = (res: Response) => {
    res
      .set({ ...HARDENING, 'cache-control': 'no-cache' })
      .type('html')
      .send(index);
  };
  router.use(
    '/console/assets',
    express.static(join(dir, 'assets'), {
      index: false,
      immutable: true,
      maxAge: '365d',
      setHeaders: (res) => res.set(HARDENING),
    }),
  );
  // A missing asset is a 404 (the API's not_found), never index.html served as a script.
  router.use('/console/assets', (req, _res, next) => next(new ApiError('not_found', `No console asset ${req.path}`)));
  router.get(['/console', '/console/{*path}'], (req, res) => {
    // Relative asset URLs need the trailing slash; express's loose routing matches /console for both.
    if (req.path === '/console') res.redirect(301, '/console/');
    else sendIndex(res);
  });
  return router;
}
