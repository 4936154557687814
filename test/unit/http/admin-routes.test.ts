import { readFileSync } from 'node:fs';
import { Router } from '@koa/router';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_ASSETS_DIR,
  ADMIN_CSP,
  mountAdminPage,
} from '../../../src/adapters/http/routes/admin-routes.js';
import { startApp, type App } from './harness.js';

const asset = (file: string): string => readFileSync(new URL(file, ADMIN_ASSETS_DIR), 'utf8');

describe('admin page routes', () => {
  let app: App;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it('serves /admin as HTML, without a token, under a strict Content-Security-Policy', async () => {
    const res = await app.call('GET', '/admin', { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(ADMIN_CSP);
    expect(ADMIN_CSP).toContain("default-src 'self'");
    expect(ADMIN_CSP).toContain("script-src 'self'");
    expect(ADMIN_CSP).not.toContain('unsafe-');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.text).toContain('<script type="module" src="/admin/admin.js"></script>');
    expect(res.text).toContain('<link rel="stylesheet" href="/admin/admin.css" />');
  });

  it.each([
    ['/admin/admin.js', 'text/javascript; charset=utf-8', 'admin.js'],
    ['/admin/admin-charts.js', 'text/javascript; charset=utf-8', 'admin-charts.js'],
    ['/admin/admin.css', 'text/css; charset=utf-8', 'admin.css'],
  ])('serves %s as %s', async (path, type, file) => {
    const res = await app.call('GET', path, { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(type);
    expect(res.headers.get('content-security-policy')).toBe(ADMIN_CSP);
    expect(res.text).toBe(asset(file));
  });

  it('answers an unchanged file with 304 to a revalidation', async () => {
    const first = await app.call('GET', '/admin/admin.js', { token: null });
    expect(first.headers.get('cache-control')).toBe('no-cache');
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^".+"$/);
    const again = await app.call('GET', '/admin/admin.js', {
      token: null,
      // What a browser sends on reload; without it, fetch() adds "no-cache", which forbids a 304.
      headers: { 'if-none-match': etag, 'cache-control': 'max-age=0' },
    });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
  });

  it('keeps JSON errors around it: unknown files 404, other methods 405', async () => {
    for (const path of ['/admin/other.js', '/admin/admin.html', '/admin.js', '/ADMIN']) {
      const res = await app.call('GET', path, { token: null });
      expect(res.status, path).toBe(404);
      expect(res.body).toEqual({ success: false, error: 'No route matches this path.' });
    }
    const post = await app.call('POST', '/admin', { token: null });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toContain('GET');
    expect(post.body.success).toBe(false);
  });

  it('still guards the API the page calls', async () => {
    expect((await app.call('GET', '/api/sync/monitoring/status', { token: null })).status).toBe(
      401,
    );
  });

  it('ships nothing the policy would block and nothing from another origin', () => {
    const html = asset('admin.html');
    // Every script has a src (no inline code), no inline handlers or style attributes.
    expect(html.match(/<script\b[^>]*>/g)).toEqual([
      '<script type="module" src="/admin/admin.js">',
    ]);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/<style\b/i);
    for (const file of ['admin.html', 'admin.js', 'admin-charts.js', 'admin.css']) {
      expect(asset(file), file).not.toMatch(/https?:\/\/|@import|url\(/i);
    }
    for (const file of ['admin.js', 'admin-charts.js']) {
      expect(asset(file), file).not.toMatch(/innerHTML|eval\(|new Function/);
    }
    // The charts module is loaded by admin.js (script-src 'self'), not by a tag of its own.
    expect(asset('admin.js')).toContain("from './admin-charts.js'");
  });

  it('is off, with a warning, when the files are missing from the build', () => {
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
    const router = new Router();
    mountAdminPage(router, { logger, dir: new URL('./no-such-folder/', import.meta.url) });
    expect(router.stack).toHaveLength(0);
    expect(warnings.join('')).toContain('admin page files not found');
  });
});
