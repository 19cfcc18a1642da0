import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Middleware } from 'koa';
import { AppError } from '../domain/errors.js';

const ASSETS_PREFIX = '/docs-assets/local/';
// koa2-swagger-ui links swagger-ui from a CDN; this service may run offline, so the files come from swagger-ui-dist.
const ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  'swagger-ui.min.css': { file: 'swagger-ui.css', type: 'text/css' },
  'swagger-ui-bundle.js': { file: 'swagger-ui-bundle.js', type: 'application/javascript' },
  'swagger-ui-standalone-preset.js': { file: 'swagger-ui-standalone-preset.js', type: 'application/javascript' },
  'favicon-32x32.png': { file: 'favicon-32x32.png', type: 'image/png' },
};
const FAVICON = `${ASSETS_PREFIX}favicon-32x32.png`;
/** A tag that loads from another origin: koa2-swagger-ui's template links Google Fonts. */
const EXTERNAL_LINK = /<link\b[^>]*\bhref=["']?(?:https?:)?\/\/[^>]*>\s*/gi;
const distDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/**
 * Serves `/openapi.json`, the Swagger UI at `/docs`, and the UI's assets — for GET and HEAD only. The document is
 * built, and koa2-swagger-ui (with its template engine) loaded, on the first request that needs them: neither
 * belongs on the start-up path of every instance, most of which never serve a page of documentation.
 */
export function docsMiddleware(document: () => object): Middleware {
  let body: string | undefined;
  let ui: Promise<Middleware> | undefined;
  const swaggerUi = (): Promise<Middleware> =>
    (ui ??= import('koa2-swagger-ui').then(({ koaSwagger }) =>
      koaSwagger({
        routePrefix: '/docs',
        title: 'Atlassian connector API',
        // validatorUrl null: swagger-ui would otherwise load a badge from validator.swagger.io.
        swaggerOptions: { url: '/openapi.json', validatorUrl: null },
        swaggerCdnUrl: '/docs-assets',
        swaggerVersion: 'local',
        hideTopbar: true,
        favicon: FAVICON,
      }),
    ));
  const serve: Middleware = async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      ctx.set('Allow', 'GET, HEAD');
      throw new AppError('method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}.`);
    }
    if (ctx.path === '/openapi.json') {
      ctx.type = 'application/json';
      ctx.body = body ??= JSON.stringify(document());
      return;
    }
    if (ctx.path === '/docs' || ctx.path === '/docs/') {
      await (await swaggerUi())(ctx, next);
      // The page loads nothing from outside the service: it may run offline, and a CDN would see who reads it.
      const html = String(ctx.body).replace(EXTERNAL_LINK, '');
      ctx.body = html;
      ctx.set('Content-Security-Policy', docsPolicy(html));
      return;
    }
    const asset = ctx.path.startsWith(ASSETS_PREFIX) ? ASSETS[ctx.path.slice(ASSETS_PREFIX.length)] : undefined;
    if (asset !== undefined) {
      ctx.type = asset.type;
      ctx.set('Cache-Control', 'public, max-age=86400');
      ctx.body = createReadStream(path.join(distDir, asset.file));
      return;
    }
    throw new AppError('not_found', 'No such documentation file.');
  };
  // Not async itself: every other request passes straight on, without a frame and a promise of its own.
  return (ctx, next) => (isDocsPath(ctx.path) ? serve(ctx, next) : next());
}

function isDocsPath(urlPath: string): boolean {
  return urlPath === '/openapi.json' || urlPath === '/docs' || urlPath === '/docs/' || urlPath.startsWith(ASSETS_PREFIX);
}

/**
 * The Swagger UI page runs one inline script (its configuration); it is allowed by its hash, not by
 * 'unsafe-inline'. Styles stay inline-capable because swagger-ui sets element styles at run time.
 */
function docsPolicy(html: string): string {
  const hashes = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
    (match) => `'sha256-${createHash('sha256').update(match[1] ?? '').digest('base64')}'`,
  );
  return [
    "default-src 'none'",
    `script-src 'self' ${hashes.join(' ')}`,
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}
