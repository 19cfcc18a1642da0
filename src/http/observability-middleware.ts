import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../application/ports/logger.js';
import type { Metrics } from '../application/ports/metrics.js';
import { logScope } from '../logger.js';

/** Short, and of an alphabet that cannot break a log line, a header or a log query. */
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Outermost: gives the request an id (the caller's X-Request-Id when it is a sane token, a new UUID otherwise),
 * returns it, scopes every log line written while serving it, and writes one line and one metric when it ends.
 * The route is the matched template (`/auth/:product/api-token`), never the raw path, so logs and metric labels
 * carry no user input.
 */
export function observabilityMiddleware(logger: Logger, metrics: Metrics): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    const offered = ctx.get('X-Request-Id');
    const requestId = REQUEST_ID.test(offered) ? offered : randomUUID();
    ctx.set('X-Request-Id', requestId);
    try {
      await logScope.run({ requestId }, next);
    } finally {
      const durationMs = performance.now() - started;
      const route = (ctx as { _matchedRoute?: unknown })._matchedRoute;
      const label = typeof route === 'string' ? route : 'unmatched';
      metrics.requestFinished({ method: ctx.method, route: label, status: ctx.status, durationMs });
      // The id is at hand: entering the scope again only to write this line would cost a context switch per request.
      logger.info({ requestId, method: ctx.method, route: label, status: ctx.status, ms: Math.round(durationMs * 10) / 10 }, 'request');
    }
  };
}
