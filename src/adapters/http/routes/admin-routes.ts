import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Router } from '@koa/router';
import type { Logger } from 'pino';

/**
 * Where admin.html, .js and .css live. tsc copies no static files into dist/, so the URL goes
 * through the repository root: src/adapters/http/routes/ and dist/adapters/http/routes/ sit at
 * the same depth, and the same relative URL finds the files from tsx and from `node dist/`.
 */
export const ADMIN_ASSETS_DIR = new URL('../../../../src/adapters/http/admin/', import.meta.url);

/** Everything from this origin, nothing inline, no framing, no plugins. */
export const ADMIN_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const ASSETS = [
  { path: '/admin', file: 'admin.html', type: 'text/html; charset=utf-8' },
  { path: '/admin/admin.js', file: 'admin.js', type: 'text/javascript; charset=utf-8' },
  {
    path: '/admin/admin-charts.js',
    file: 'admin-charts.js',
    type: 'text/javascript; charset=utf-8',
  },
  { path: '/admin/admin.css', file: 'admin.css', type: 'text/css; charset=utf-8' },
] as const;

export interface AdminPageOptions {
  readonly logger: Logger;
  readonly dir?: URL;
}

interface Asset {
  readonly body: Buffer;
  readonly etag: string;
}

function load(dir: URL, file: string): Asset {
  const body = readFileSync(new URL(file, dir));
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

/**
 * Serves the admin page's static files, read once at boot. No auth here: the page holds
 * no data; its calls to /api/sync carry the token. A build without the files still boots
 * (the scheduler matters more than its dashboard) and answers /admin with a JSON 404.
 */
export function mountAdminPage(router: Router, options: AdminPageOptions): void {
  const dir = options.dir ?? ADMIN_ASSETS_DIR;
  let assets: Asset[];
  try {
    assets = ASSETS.map(({ file }) => load(dir, file));
  } catch (error) {
    options.logger.warn({ err: error, dir: dir.href }, 'admin page files not found; /admin is off');
    return;
  }
  ASSETS.forEach(({ path, type }, index) => {
    const asset = assets[index] as Asset;
    router.get(path, async (ctx) => {
      ctx.set({
        'Content-Security-Policy': ADMIN_CSP,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        // Revalidate every time, so a deploy is picked up at once; unchanged files are a 304.
        'Cache-Control': 'no-cache',
      });
      ctx.type = type;
      ctx.etag = asset.etag;
      ctx.status = 200;
      if (ctx.fresh) {
        ctx.status = 304;
        return;
      }
      ctx.body = asset.body;
    });
  });
}
