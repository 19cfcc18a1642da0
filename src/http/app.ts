import cors from '@koa/cors';
import Router from '@koa/router';
import Koa from 'koa';
import type { AttemptLimiter } from '../application/ports/attempt-limiter.js';
import type { Logger } from '../application/ports/logger.js';
import type { Metrics } from '../application/ports/metrics.js';
import type { AuthenticateWithToken } from '../application/use-cases/authenticate-with-token.js';
import type { CompleteOAuth } from '../application/use-cases/complete-oauth.js';
import type { FinishOAuth } from '../application/use-cases/finish-oauth.js';
import type { ListProjects } from '../application/use-cases/list-projects.js';
import type { ListSpaces } from '../application/use-cases/list-spaces.js';
import type { DisconnectProduct } from '../application/use-cases/disconnect-product.js';
import type { EndSession } from '../application/use-cases/end-session.js';
import type { GetSession } from '../application/use-cases/get-session.js';
import type { StartOAuth } from '../application/use-cases/start-oauth.js';
import { AppError } from '../domain/errors.js';
import { docsMiddleware } from './docs.js';
import { errorMiddleware } from './error-middleware.js';
import { jsonBodyParser } from './json-body.js';
import { countShed, inFlightPerSession } from './load-shedding.js';
import { observabilityMiddleware } from './observability-middleware.js';
import type { MetricsEndpoint } from './metrics-endpoint.js';
import type { Readiness } from './readiness.js';
import { tracingMiddleware, type RequestTracing } from './request-tracing.js';
import { securityHeaders } from './security-middleware.js';
import { buildOpenApiDocument } from './openapi.js';
import { authRoutes } from './routes/auth-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { listingRoutes } from './routes/listing-routes.js';
import { sessionRoutes } from './routes/session-routes.js';
import { SESSION_HEADER } from './session-header.js';

export interface AppDependencies {
  readonly startOAuth: StartOAuth;
  readonly completeOAuth: CompleteOAuth;
  readonly finishOAuth: FinishOAuth;
  readonly authenticateWithToken: AuthenticateWithToken;
  readonly listProjects: ListProjects;
  readonly listSpaces: ListSpaces;
  readonly getSession: GetSession;
  readonly endSession: EndSession;
  readonly disconnectProduct: DisconnectProduct;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Renders GET /metrics; absent when metrics are off. */
  readonly metricsEndpoint?: MetricsEndpoint;
  /** Failed API-token logins per client. */
  readonly authLimiter: AttemptLimiter;
  readonly readiness: Readiness;
  /** Present only when tracing is on. */
  readonly tracing?: RequestTracing;
  /** OAuth starts per client: each may end in a token request that carries the client secret. */
  readonly oauthStartLimiter: AttemptLimiter;
}

export interface HttpSettings {
  readonly version: string;
  /** Allowed browser origins; undefined allows any origin. */
  readonly frontendOrigins?: readonly string[];
  readonly oauthReturnUrl?: string;
  readonly maxBodyBytes?: number;
  /** Proxy hops to trust: the client address is the X-Forwarded-For entry this many from the right; 0 ignores it. */
  readonly trustProxy?: number;
  readonly docsEnabled?: boolean;
  readonly metricsEnabled?: boolean;
  /** Listings of one session running at once before `503 overloaded`; 0 or unset: no limit. */
  readonly maxInflightListingsPerSession?: number;
}

const DEFAULT_MAX_BODY_BYTES = 100 * 1024;

/** The Koa application, not listening: tests start it on port 0, server.ts on the configured port. */
export function createApp(deps: AppDependencies, settings: HttpSettings): Koa {
  const app = new Koa();
  app.silent = true;
  // Koa keeps the right-most maxIpsCount entries of X-Forwarded-For and takes the first of them: exactly the entry
  // `hops` from the right, so entries a client wrote further left are never read.
  const hops = settings.trustProxy ?? 0;
  app.proxy = hops > 0;
  app.maxIpsCount = hops;
  app.on('error', (error: unknown, ctx?: Koa.Context) => {
    // Only chosen fields: Node's parser errors carry the raw bytes of the request (headers, tokens included).
    const { name, message, code, stack } = (error ?? {}) as { name?: string; message?: string; code?: unknown; stack?: string };
    deps.logger.error({ err: { name, message, errorCode: code, stack }, method: ctx?.method, route: ctx?._matchedRoute }, 'request failed');
  });

  // One router: every request is matched against the route table once.
  const router = new Router();
  healthRoutes(router, settings.version, deps.readiness);
  // Before the auth routes: `/auth/session` must not be read as `/auth/:product`.
  sessionRoutes(router, deps);
  // Only the route that reads a body parses one: every other request skips the parser.
  const jsonBody = jsonBodyParser(settings.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
  authRoutes(router, { ...deps, oauthReturnUrl: settings.oauthReturnUrl, jsonBody });
  router.use(['/jira/projects', '/confluence/spaces'], inFlightPerSession(settings.maxInflightListingsPerSession ?? 0));
  listingRoutes(router, deps);
  const renderMetrics = deps.metricsEndpoint;
  if ((settings.metricsEnabled ?? true) && renderMetrics !== undefined) {
    router.get('/metrics', async (ctx) => {
      const { contentType, body } = await renderMetrics();
      ctx.type = contentType;
      ctx.body = body;
    });
  }

  app.use(observabilityMiddleware(deps.logger, deps.metrics));
  if (deps.tracing !== undefined) app.use(tracingMiddleware(deps.tracing));
  app.use(securityHeaders());
  app.use(errorMiddleware());
  app.use(notFoundMiddleware());
  app.use(countShed(deps.metrics));
  app.use(
    cors({
      origin: (ctx) => allowedOrigin(ctx.get('Origin'), settings.frontendOrigins),
      allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
      allowHeaders: ['Content-Type', SESSION_HEADER, 'If-None-Match', 'X-Request-Id', 'Cache-Control'],
      exposeHeaders: [SESSION_HEADER, 'Retry-After', 'X-Request-Id', 'ETag', 'Age', 'X-Listing-Stale'],
      maxAge: 600,
    }),
  );
  if (settings.docsEnabled ?? true) app.use(docsMiddleware(() => buildOpenApiDocument(settings.version)));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

/**
 * Turns "nothing answered" into the JSON error contract: 404 when no route has this path, 405 (with the `Allow`
 * header the router set) when the path exists for other methods.
 */
function notFoundMiddleware(): Koa.Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.body !== undefined && ctx.body !== null) return;
    if (ctx.status === 405 || ctx.status === 501) {
      throw new AppError('method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}.`);
    }
    if (ctx.status === 404) throw new AppError('not_found', `No endpoint at ${ctx.method} ${ctx.path}.`);
  };
}

function allowedOrigin(origin: string, allowed: readonly string[] | undefined): string {
  if (origin === '') return '';
  if (allowed === undefined) return origin;
  return allowed.includes(origin) ? origin : '';
}
