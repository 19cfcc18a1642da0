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
import { docsMiddleware } from './docs.js';
import { jsonBodyParser } from './json-body.js';
import { edgeMiddleware } from './edge-middleware.js';
import { inFlightPerSession } from './load-shedding.js';
import type { MetricsEndpoint } from './metrics-endpoint.js';
import type { Readiness } from './readiness.js';
import type { RequestTracing } from './request-tracing.js';
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
  const maxInflightListings = settings.maxInflightListingsPerSession ?? 0;
  // Off (0), it is not installed at all: a layer that only passes on still costs every listing its frame.
  if (maxInflightListings > 0) router.use(['/jira/projects', '/confluence/spaces'], inFlightPerSession(maxInflightListings));
  listingRoutes(router, deps);
  const renderMetrics = deps.metricsEndpoint;
  if ((settings.metricsEnabled ?? true) && renderMetrics !== undefined) {
    router.get('/metrics', async (ctx) => {
      const { contentType, body } = await renderMetrics();
      ctx.type = contentType;
      ctx.body = body;
    });
  }

  app.use(edgeMiddleware(deps.logger, deps.metrics, deps.tracing));
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

function allowedOrigin(origin: string, allowed: readonly string[] | undefined): string {
  if (origin === '') return '';
  if (allowed === undefined) return origin;
  return allowed.includes(origin) ? origin : '';
}
