import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DIST } from '../scripts/local-servers';

/** The console `pnpm build` made (jest's global setup runs it): self-contained and under 300 KB gzipped. */
describe('console bundle', () => {
  const dir = join(DIST, 'console');
  const files = (d: string): string[] =>
    readdirSync(d).flatMap((name) => (statSync(join(d, name)).isDirectory() ? files(join(d, name)) : [join(d, name)]));

  it('is under 300 KB gzipped', () => {
    const all = files(dir);
    expect(all.some((f) => f.endsWith('.js'))).toBe(true);
    const gzipped = all.reduce((sum, f) => sum + gzipSync(readFileSync(f), { level: 9 }).length, 0);
    expect(gzipped).toBeGreaterThan(10 * 1024);
    expect(gzipped).toBeLessThan(300 * 1024);
  });

  it('loads nothing from elsewhere and has no inline script', () => {
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    for (const f of files(dir).filter((f) => f.endsWith('.css')))
      expect(readFileSync(f, 'utf8')).not.toMatch(/@import|url\(\s*['"]?https?:/);
  });
});
