import { randomUUID } from 'node:crypto';
import type { Context, Middleware, Next } from 'koa';
import type { Logger } from '../application/ports/logger.js';
import type { Metrics } from '../application/ports/metrics.js';
import { AppError } from '../domain/errors.js';
import { logScope } from '../logger.js';
import { answerError } from './error-answers.js';
import type { RequestTracing } from './request-tracing.js';
import { setSecurityHeaders } from './security-middleware.js';

/** Short, and of an alphabet that cannot break a log line, a header or a log query. */
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Outermost, and what every request gets, in one middleware rather than a stack of five (each Koa layer is one
 * more async frame and promise per request, on the path whose CPU docs/performance.md counts). In order:
 * - an id (the caller's X-Request-Id when it is a sane token, a new UUID otherwise), returned, and scoping every
 *   log line written while serving the request;
 * - the security headers, so errors carry them too;
 * - the request span when tracing is on, inside the log scope and around the error answer, so it sees the final
 *   status;
 * - every failure answered as `{"error":{"code","message"}}`, "nothing answered" included (404, or 405 with the
 *   `Allow` header the router set), and the `overloaded` refusals counted;
 * - one access log line and one metric when it ends.
 * The route is the matched template (`/auth/:product/api-token`), never the raw path, so logs and metric labels
 * carry no user input.
 */
export function edgeMiddleware(logger: Logger, metrics: Metrics, tracing?: RequestTracing): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    const offered = ctx.get('X-Request-Id');
    const requestId = REQUEST_ID.test(offered) ? offered : randomUUID();
    ctx.res.setHeader('X-Request-Id', requestId);
    setSecurityHeaders(ctx);
    const handle = () => answer(ctx, next, metrics);
    try {
      await logScope.run(
        { requestId },
        tracing === undefined
          ? handle
          : () => tracing.inRequest({ method: ctx.method, headers: ctx.headers }, handle, () => ({ route: routeOf(ctx), status: ctx.status })),
      );
    } finally {
      const durationMs = performance.now() - started;
      const route = routeOf(ctx);
      metrics.requestFinished({ method: ctx.method, route, status: ctx.status, durationMs });
      // The id is at hand: entering the scope again only to write this line would cost a context switch per request.
      logger.info({ requestId, method: ctx.method, route, status: ctx.status, ms: Math.round(durationMs * 10) / 10 }, 'request');
    }
  };
}

async function answer(ctx: Context, next: Next, metrics: Metrics): Promise<void> {
  try {
    await next();
    refuseUnanswered(ctx);
  } catch (thrown) {
    const error = answerError(ctx, thrown);
    // Whichever bound refused it: the per-session listings, or the calls to Atlassian in flight.
    if (error.code === 'overloaded') metrics.requestShed(routeOf(ctx));
  }
}

/** Nothing answered: 404 when no route has this path, 405 when the path exists for other methods. */
function refuseUnanswered(ctx: Context): void {
  if (ctx.body !== undefined && ctx.body !== null) return;
  if (ctx.status === 405 || ctx.status === 501) {
    throw new AppError('method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}.`);
  }
  if (ctx.status === 404) throw new AppError('not_found', `No endpoint at ${ctx.method} ${ctx.path}.`);
}

/** The matched route template, or `unmatched`. */
function routeOf(ctx: Context): string {
  const route = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  return typeof route === 'string' ? route : 'unmatched';
}
