import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { CONSOLE_CSP, consoleRouter } from '../src/console';

/** /console: the built files, index.html for client-side routes, cache headers, CSP; 503 without a build. */
describe('console router', () => {
  const built = mkdtempSync(join(tmpdir(), 'flowgate-console-'));
  mkdirSync(join(built, 'assets'));
  writeFileSync(join(built, 'index.html'), '<!doctype html><title>Flowgate console</title>');
  writeFileSync(join(built, 'assets', 'index-abc123.js'), 'console.log(1)');
  const app = express().use(consoleRouter(built));

  it('redirects /, /ui and /dashboard to /console/', async () => {
    for (const path of ['/', '/ui', '/dashboard']) {
      const res = await request(app).get(path);
      expect([path, res.status, res.headers.location]).toEqual([path, 302, '/console/']);
    }
  });

  it('answers index.html, never cached, with the CSP for /console/ and any page under it', async () => {
    for (const path of ['/console/', '/console/executions/ex_1', '/console/workflows']) {
      const res = await request(app).get(path);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.text).toContain('Flowgate console');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
      expect(res.headers['x-frame-options']).toBe('DENY');
    }
    expect((await request(app).get('/console')).headers.location).toBe('/console/');
  });

  it('serves hashed assets as immutable; a missing one is a 404, not index.html', async () => {
    const asset = await request(app).get('/console/assets/index-abc123.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-security-policy']).toBe(CONSOLE_CSP);
    const missing = await request(app).get('/console/assets/index-gone.js');
    expect(missing.status).toBe(404);
    expect(missing.text).not.toContain('Flowgate console');
  });

  it('the CSP allows this origin only: no external source, no inline script', () => {
    expect(CONSOLE_CSP).toContain("default-src 'none'");
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
    expect(CONSOLE_CSP).not.toMatch(/https?:|unsafe-inline|unsafe-eval|\*/);
  });

  it('without a build, /console answers 503 console_not_built saying how to build it', async () => {
    const res = await request(express().use(consoleRouter(join(built, 'nothing-here')))).get('/console/executions');
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('console_not_built');
    expect(res.body.error.message).toContain('pnpm build');
  });
});
