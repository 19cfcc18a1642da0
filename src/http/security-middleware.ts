import type { Context, Middleware } from 'koa';
import { AppError } from '../domain/errors.js';

/** API answers are data, never documents: nothing may load, frame or run in their context. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * Headers on every answer, errors included (set by the edge middleware before anything else runs): no MIME
 * sniffing, no referrer, and `no-store` because answers carry session tokens or account data. The docs handler
 * replaces CSP and caching for its own pages and assets.
 */
export function setSecurityHeaders(ctx: Context): void {
  // On Node's response directly: Koa's `ctx.set` builds two arrays and a closure per call, and every request
  // sets these five before anything else has run, so nothing has been sent that Koa's check would guard.
  const res = ctx.res;
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Security-Policy', API_CSP);
  res.setHeader('Cross-Origin-Resource-Policy', 'same-site');
}

/** For routes that read a body: the only bodies this API reads are JSON; anything else is refused. */
export function jsonOnly(): Middleware {
  return async (ctx, next) => {
    if (!ctx.is('application/json')) {
      throw new AppError('unsupported_media_type', 'The request body must be JSON, sent with Content-Type: application/json.');
    }
    await next();
  };
}
