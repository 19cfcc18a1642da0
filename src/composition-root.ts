import { container as rootContainer, instanceCachingFactory, type DependencyContainer } from 'tsyringe';
import { CachedListings } from './application/cached-listings.js';
import { ConnectionAccess } from './application/connection-access.js';
import type { AtlassianOAuthGateway } from './application/ports/atlassian-oauth-gateway.js';
import type { Clock } from './application/ports/clock.js';
import type { ConfluenceGateway } from './application/ports/confluence-gateway.js';
import type { JiraGateway } from './application/ports/jira-gateway.js';
import type { Logger } from './application/ports/logger.js';
import type { SessionStore } from './application/ports/session-store.js';
import type { AttemptLimiter } from './application/ports/attempt-limiter.js';
import type { Lock } from './application/ports/lock.js';
import type { ListingCache } from './application/ports/listing-cache.js';
import type { Metrics } from './application/ports/metrics.js';
import type { TokenGenerator } from './application/ports/token-generator.js';
import { TokenRefresher } from './application/token-refresher.js';
import { DisconnectProduct } from './application/use-cases/disconnect-product.js';
import { EndSession } from './application/use-cases/end-session.js';
import { GetSession } from './application/use-cases/get-session.js';
import { AuthenticateWithToken } from './application/use-cases/authenticate-with-token.js';
import { CompleteOAuth } from './application/use-cases/complete-oauth.js';
import { FinishOAuth } from './application/use-cases/finish-oauth.js';
import { ListProjects } from './application/use-cases/list-projects.js';
import { ListSpaces } from './application/use-cases/list-spaces.js';
import { StartOAuth } from './application/use-cases/start-oauth.js';
import type { Config } from './config.js';
import type Koa from 'koa';
import { createApp, type AppDependencies } from './http/app.js';
import type { MetricsEndpoint } from './http/metrics-endpoint.js';
import { Readiness } from './http/readiness.js';
import { AtlassianHttp } from './infrastructure/atlassian/atlassian-http.js';
import { AtlassianUrls } from './infrastructure/atlassian/atlassian-urls.js';
import { HttpAtlassianOAuthGateway } from './infrastructure/atlassian/http-atlassian-oauth-gateway.js';
import { HttpConfluenceGateway } from './infrastructure/atlassian/http-confluence-gateway.js';
import { HttpJiraGateway } from './infrastructure/atlassian/http-jira-gateway.js';
import { HttpSiteDirectory } from './infrastructure/atlassian/http-site-directory.js';
import { QuotaGuard } from './infrastructure/atlassian/quota-guard.js';
import { InMemoryQuotaBlocks } from './infrastructure/quota/in-memory-quota-blocks.js';
import { RedisQuotaBlocks } from './infrastructure/quota/redis-quota-blocks.js';
import { PostgresQuotaBlocks } from './infrastructure/quota/postgres-quota-blocks.js';
import { PostgresDatabase } from './infrastructure/postgres/postgres-database.js';
import { PostgresLock } from './infrastructure/lock/postgres-lock.js';
import { PostgresSessionStore } from './infrastructure/session/postgres-session-store.js';
import { RATE_LIMIT_BASE_MS } from './infrastructure/atlassian/retry-policy.js';
import type { SiteDirectory } from './application/ports/site-directory.js';
import { CryptoTokenGenerator } from './infrastructure/crypto-token-generator.js';
import { InMemoryLock } from './infrastructure/lock/in-memory-lock.js';
import { InMemoryListingCache } from './infrastructure/listing-cache/in-memory-listing-cache.js';
import { PostgresListingCache } from './infrastructure/listing-cache/postgres-listing-cache.js';
import { RedisListingCache } from './infrastructure/listing-cache/redis-listing-cache.js';
import { NoMetrics, PrometheusMetrics } from './infrastructure/observability/prometheus-metrics.js';
import { createRedisConnection, type RedisConnection } from './infrastructure/redis/redis-connection.js';
import { OtelTracing } from './infrastructure/observability/otel-tracing.js';
import { TracedMetrics } from './infrastructure/observability/traced-metrics.js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { FlexibleAttemptLimiter, NoAttemptLimit } from './infrastructure/rate-limit/flexible-attempt-limiter.js';
import { RedisLock } from './infrastructure/lock/redis-lock.js';
import { InMemorySessionStore } from './infrastructure/session/in-memory-session-store.js';
import { RedisSessionStore } from './infrastructure/session/redis-session-store.js';
import { SessionCipher } from './infrastructure/session/session-cipher.js';
import { SystemClock } from './infrastructure/system-clock.js';
import { SERVICE_NAME, SERVICE_VERSION } from './version.js';

/** One token per port or shared service. */
export const TOKENS = {
  config: Symbol('Config'),
  logger: Symbol('Logger'),
  clock: Symbol('Clock'),
  tokenGenerator: Symbol('TokenGenerator'),
  redis: Symbol('Redis'),
  postgres: Symbol('PostgresDatabase'),
  sessionStore: Symbol('SessionStore'),
  lock: Symbol('Lock'),
  tokenRefresher: Symbol('TokenRefresher'),
  atlassianHttp: Symbol('AtlassianHttp'),
  atlassianUrls: Symbol('AtlassianUrls'),
  oauthGateway: Symbol('AtlassianOAuthGateway'),
  jiraGateway: Symbol('JiraGateway'),
  confluenceGateway: Symbol('ConfluenceGateway'),
  siteDirectory: Symbol('SiteDirectory'),
  connectionAccess: Symbol('ConnectionAccess'),
  startOAuth: Symbol('StartOAuth'),
  completeOAuth: Symbol('CompleteOAuth'),
  finishOAuth: Symbol('FinishOAuth'),
  authenticateWithToken: Symbol('AuthenticateWithToken'),
  listProjects: Symbol('ListProjects'),
  listSpaces: Symbol('ListSpaces'),
  getSession: Symbol('GetSession'),
  endSession: Symbol('EndSession'),
  disconnectProduct: Symbol('DisconnectProduct'),
  metrics: Symbol('Metrics'),
  prometheusMetrics: Symbol('PrometheusMetrics'),
  authLimiter: Symbol('AttemptLimiter'),
  readiness: Symbol('Readiness'),
  tracing: Symbol('OtelTracing'),
  oauthStartLimiter: Symbol('OAuthStartLimiter'),
  listingCache: Symbol('ListingCache'),
  cachedListings: Symbol('CachedListings'),
} as const;

/**
 * A session without a connection exists only for an OAuth flow: it lives as long as the flow's state plus the
 * window in which a callback that took the state may still be completing.
 */
const emptySessionTtlSeconds = (config: Config) => config.oauthStateTtlSeconds + config.oauthCompletionTtlSeconds;

/** A refresh lease outlives the slowest token call (the upstream timeout) so it cannot lapse mid-refresh. */
const refreshSettings = (config: Config) => ({
  lockTtlMs: config.atlassian.timeoutMs + 5_000,
  waitTimeoutMs: config.atlassian.timeoutMs + 5_000,
  pollIntervalMs: 50,
  retryDelaysMs: config.oauthRefreshRetryDelaysMs,
});

/** A listing lease outlives the slowest listing (the upstream deadline), as the refresh lease does the token call. */
const listingSettings = (config: Config) => ({
  ttlMs: config.listingCache.ttlSeconds * 1000,
  staleMs: config.listingCache.staleSeconds * 1000,
  leaseTtlMs: config.atlassian.deadlineMs + 5_000,
  waitTimeoutMs: config.atlassian.deadlineMs + 5_000,
  pollIntervalMs: 25,
});

export interface Overrides {
  readonly clock?: Clock;
  readonly tokenGenerator?: TokenGenerator;
  /** Turns tracing on with this exporter instead of OTLP (tests read spans from an in-memory exporter). */
  readonly spanExporter?: SpanExporter;
}

/**
 * Wires every adapter to every port. Factories (not decorators) so each `new` is checked by the compiler and
 * the application layer stays free of tsyringe. A child container per call keeps tests independent.
 */
export function buildContainer(config: Config, logger: Logger, overrides: Overrides = {}): DependencyContainer {
  const c = rootContainer.createChildContainer();
  const single = <T>(token: symbol, make: (c: DependencyContainer) => T): void => {
    c.register<T>(token, { useFactory: instanceCachingFactory<T>(make) });
  };

  c.register(TOKENS.config, { useValue: config });
  c.register(TOKENS.logger, { useValue: logger });
  single<Clock>(TOKENS.clock, () => overrides.clock ?? new SystemClock());
  single<TokenGenerator>(TOKENS.tokenGenerator, () => overrides.tokenGenerator ?? new CryptoTokenGenerator());
  const store = config.sessionStore;
  /** Token writes that no replica acknowledged in time, for the metric. */
  let replicationShortfalls = 0;
  single<OtelTracing | null>(TOKENS.tracing, () => {
    const exporting = overrides.spanExporter !== undefined
      ? { exporter: overrides.spanExporter }
      : config.tracing === undefined ? undefined : { endpoint: config.tracing.endpoint };
    if (exporting === undefined) return null;
    return new OtelTracing({ serviceName: config.tracing?.serviceName ?? SERVICE_NAME, serviceVersion: SERVICE_VERSION, export: exporting });
  });
  // The counters and their exposition (GET /metrics): the application sees only the counting Metrics port.
  single<PrometheusMetrics | null>(TOKENS.prometheusMetrics, (r) => {
    if (!config.metricsEnabled) return null;
    const sessions = r.resolve<SessionStore>(TOKENS.sessionStore);
    const redis = r.resolve<RedisConnection | null>(TOKENS.redis);
    const storeGauges = redis === null ? undefined : { topology: redis.topology, up: () => redis.isReady, replicationShortfalls: () => replicationShortfalls };
    return new PrometheusMetrics(sessions instanceof InMemorySessionStore ? () => sessions.size : undefined, storeGauges);
  });
  single<Metrics>(TOKENS.metrics, (r) => {
    const tracing = r.resolve<OtelTracing | null>(TOKENS.tracing);
    const metrics = r.resolve<PrometheusMetrics | null>(TOKENS.prometheusMetrics) ?? new NoMetrics();
    return tracing === null ? metrics : new TracedMetrics(metrics, tracing);
  });
  const attemptLimiter = (perMinute: number, name: string) => (r: DependencyContainer): AttemptLimiter => {
    if (perMinute === 0) return new NoAttemptLimit();
    const postgres = r.resolve<PostgresDatabase | null>(TOKENS.postgres);
    if (postgres !== null) return new FlexibleAttemptLimiter(perMinute, name, { pool: postgres.pool, tableName: 'rate_limits' });
    const redis = r.resolve<RedisConnection | null>(TOKENS.redis);
    return new FlexibleAttemptLimiter(
      perMinute,
      name,
      redis === null || store.kind !== 'redis' ? undefined : { connection: redis, keyPrefix: store.keyPrefix },
    );
  };
  single<AttemptLimiter>(TOKENS.authLimiter, attemptLimiter(config.authRateLimitPerMinute, 'auth-fail'));
  single<AttemptLimiter>(TOKENS.oauthStartLimiter, attemptLimiter(config.oauthStartRateLimitPerMinute, 'oauth-start'));
  if (store.kind === 'redis') {
    // The command timeout bounds every command, also one sent to a Redis that accepts it and never answers
    // (paused, overloaded) and one queued while disconnected or while a failover is under way.
    single<RedisConnection>(TOKENS.redis, () =>
      createRedisConnection(store.topology, {
        commandTimeoutMs: store.commandTimeoutMs,
        connectTimeoutMs: 5_000,
        onError: (error) => logger.warn({ err: { message: error.message }, topology: store.topology.kind }, 'redis connection error'),
      }),
    );
    single<SessionStore>(TOKENS.sessionStore, (r) =>
      new RedisSessionStore(r.resolve(TOKENS.redis), new SessionCipher(store.encryptionKeys), r.resolve(TOKENS.clock), {
        ttlSeconds: config.sessionTtlSeconds,
        keyPrefix: store.keyPrefix,
        emptyTtlSeconds: emptySessionTtlSeconds(config),
        maxAgeSeconds: config.sessionMaxAgeSeconds,
        replication: {
          ...store.replication,
          onShortfall: ({ wanted, acknowledged }) => {
            replicationShortfalls++;
            logger.warn({ wanted, acknowledged, timeoutMs: store.replication.timeoutMs }, 'token write not acknowledged by a replica in time; it stands on the primary');
          },
        },
      }),
    );
    single<Lock>(TOKENS.lock, (r) => new RedisLock(r.resolve(TOKENS.redis), store.keyPrefix));
    single<ListingCache>(TOKENS.listingCache, (r) =>
      new RedisListingCache(r.resolve(TOKENS.redis), new SessionCipher(store.encryptionKeys), store.keyPrefix),
    );
  } else if (store.kind === 'postgres') {
    c.register(TOKENS.redis, { useFactory: () => null });
    single(TOKENS.postgres, (r) =>
      new PostgresDatabase({ url: store.url, poolSize: store.poolSize, timeoutMs: store.timeoutMs }, r.resolve(TOKENS.clock), logger),
    );
    single<SessionStore>(TOKENS.sessionStore, (r) =>
      new PostgresSessionStore(r.resolve<PostgresDatabase>(TOKENS.postgres).pool, new SessionCipher(store.encryptionKeys), r.resolve(TOKENS.clock), {
        idleTtlSeconds: config.sessionTtlSeconds,
        emptyTtlSeconds: emptySessionTtlSeconds(config),
        maxAgeSeconds: config.sessionMaxAgeSeconds,
      }),
    );
    single<Lock>(TOKENS.lock, (r) => new PostgresLock(r.resolve<PostgresDatabase>(TOKENS.postgres).pool, 'lock:'));
    single<ListingCache>(TOKENS.listingCache, (r) =>
      new PostgresListingCache(r.resolve<PostgresDatabase>(TOKENS.postgres).pool, new SessionCipher(store.encryptionKeys), r.resolve(TOKENS.clock)),
    );
  } else {
    c.register(TOKENS.redis, { useFactory: () => null });
    single<SessionStore>(TOKENS.sessionStore, (r) =>
      new InMemorySessionStore(r.resolve(TOKENS.clock), config.sessionTtlSeconds, {
        emptyTtlSeconds: emptySessionTtlSeconds(config),
        maxAgeSeconds: config.sessionMaxAgeSeconds,
        maxSessions: store.maxSessions,
      }),
    );
    single<Lock>(TOKENS.lock, (r) => new InMemoryLock(r.resolve(TOKENS.clock)));
    single<ListingCache>(TOKENS.listingCache, (r) => new InMemoryListingCache(r.resolve(TOKENS.clock), config.listingCache.maxBytes));
  }

  if (store.kind !== 'postgres') c.register(TOKENS.postgres, { useFactory: () => null });

  single(TOKENS.atlassianHttp, (r) => {
    const metrics = r.resolve<Metrics>(TOKENS.metrics);
    const clock = r.resolve<Clock>(TOKENS.clock);
    const redis = r.resolve<RedisConnection | null>(TOKENS.redis);
    // Quota blocks live where sessions do: on Redis every instance sees a block any of them recorded.
    const postgres = r.resolve<PostgresDatabase | null>(TOKENS.postgres);
    const blocks = redis !== null && store.kind === 'redis'
      ? new RedisQuotaBlocks(redis, store.keyPrefix, clock)
      : postgres !== null ? new PostgresQuotaBlocks(postgres.pool, clock) : new InMemoryQuotaBlocks(clock);
    const clientIds = Object.fromEntries(Object.entries(config.oauth).map(([product, client]) => [product, client.clientId]));
    const quota = new QuotaGuard(blocks, clock, logger, metrics, { clientIds, maxBurstWaitMs: config.atlassian.maxRetryWaitMs });
    return new AtlassianHttp(
      {
        timeoutMs: config.atlassian.timeoutMs,
        deadlineMs: config.atlassian.deadlineMs,
        retry: {
          maxRetries: config.atlassian.maxRetries,
          maxRetryWaitMs: config.atlassian.maxRetryWaitMs,
          baseDelayMs: config.atlassian.retryBaseMs,
          rateLimitBaseMs: RATE_LIMIT_BASE_MS,
        },
        userAgent: `${SERVICE_NAME}/${SERVICE_VERSION} (+Atlassian connector)`,
        tracing: r.resolve<OtelTracing | null>(TOKENS.tracing) ?? undefined,
        maxInFlight: config.atlassian.maxInFlight,
      },
      logger,
      (call) => metrics.upstreamCall(call),
      undefined,
      quota,
    );
  });
  single(TOKENS.atlassianUrls, () => new AtlassianUrls(config.atlassian.apiUrl, config.atlassian.siteUrlTemplate));
  single<AtlassianOAuthGateway>(TOKENS.oauthGateway, (r) =>
    new HttpAtlassianOAuthGateway(r.resolve(TOKENS.atlassianHttp), r.resolve(TOKENS.atlassianUrls), config.atlassian.authUrl, config.oauth),
  );
  single<JiraGateway>(TOKENS.jiraGateway, (r) =>
    new HttpJiraGateway(r.resolve(TOKENS.atlassianHttp), r.resolve(TOKENS.atlassianUrls), config.atlassian.concurrency, config.atlassian.maxItems),
  );
  single<ConfluenceGateway>(TOKENS.confluenceGateway, (r) =>
    new HttpConfluenceGateway(r.resolve(TOKENS.atlassianHttp), r.resolve(TOKENS.atlassianUrls), config.atlassian.maxItems),
  );

  single<SiteDirectory>(TOKENS.siteDirectory, (r) => new HttpSiteDirectory(r.resolve(TOKENS.atlassianHttp), r.resolve(TOKENS.atlassianUrls)));
  single(TOKENS.tokenRefresher, (r) =>
    new TokenRefresher(
      r.resolve(TOKENS.sessionStore),
      r.resolve(TOKENS.oauthGateway),
      r.resolve(TOKENS.lock),
      r.resolve(TOKENS.tokenGenerator),
      r.resolve(TOKENS.clock),
      logger,
      refreshSettings(config),
      r.resolve(TOKENS.metrics),
    ),
  );
  single(TOKENS.connectionAccess, (r) =>
    new ConnectionAccess(r.resolve(TOKENS.sessionStore), r.resolve(TOKENS.tokenRefresher), r.resolve(TOKENS.clock)),
  );
  single(TOKENS.startOAuth, (r) =>
    new StartOAuth(r.resolve(TOKENS.sessionStore), r.resolve(TOKENS.oauthGateway), r.resolve(TOKENS.tokenGenerator), r.resolve(TOKENS.clock), {
      stateTtlSeconds: config.oauthStateTtlSeconds,
      pkce: config.oauthPkce,
    }),
  );
  single(TOKENS.completeOAuth, (r) =>
    new CompleteOAuth(r.resolve(TOKENS.sessionStore), r.resolve(TOKENS.oauthGateway), r.resolve(TOKENS.tokenGenerator), r.resolve(TOKENS.clock), {
      completionTtlSeconds: config.oauthCompletionTtlSeconds,
    }),
  );
  single(TOKENS.finishOAuth, (r) => new FinishOAuth(r.resolve(TOKENS.sessionStore), r.resolve(TOKENS.clock)));
  single(TOKENS.authenticateWithToken, (r) =>
    new AuthenticateWithToken(
      r.resolve(TOKENS.sessionStore),
      r.resolve(TOKENS.jiraGateway),
      r.resolve(TOKENS.confluenceGateway),
      r.resolve(TOKENS.siteDirectory),
      r.resolve(TOKENS.tokenGenerator),
      r.resolve(TOKENS.clock),
      { defaultSite: config.atlassian.defaultSite },
    ),
  );
  single(TOKENS.cachedListings, (r) =>
    new CachedListings(
      r.resolve(TOKENS.sessionStore),
      r.resolve(TOKENS.connectionAccess),
      r.resolve(TOKENS.listingCache),
      r.resolve(TOKENS.clock),
      r.resolve(TOKENS.metrics),
      listingSettings(config),
    ),
  );
  single(TOKENS.listProjects, (r) => new ListProjects(r.resolve(TOKENS.cachedListings), r.resolve(TOKENS.jiraGateway)));
  single(TOKENS.listSpaces, (r) => new ListSpaces(r.resolve(TOKENS.cachedListings), r.resolve(TOKENS.confluenceGateway)));
  single(TOKENS.getSession, (r) => new GetSession(r.resolve(TOKENS.sessionStore)));
  single(TOKENS.endSession, (r) => new EndSession(r.resolve(TOKENS.sessionStore), r.resolve(TOKENS.listingCache)));
  single(TOKENS.disconnectProduct, (r) => new DisconnectProduct(r.resolve(TOKENS.sessionStore), r.resolve(TOKENS.listingCache)));
  single(TOKENS.readiness, (r) => {
    const redis = r.resolve<RedisConnection | null>(TOKENS.redis);
    const postgres = r.resolve<PostgresDatabase | null>(TOKENS.postgres);
    return new Readiness(
      { session_store: () => (redis !== null ? redis.ping() : postgres !== null ? postgres.ping() : Promise.resolve()) },
      undefined,
      redis === null ? {} : { session_store: () => `redis ${redis.topology}, ${redis.isReady ? 'connected' : 'not connected'}` },
    );
  });

  // Resolve everything once: a missing registration fails at start, not on the first request.
  for (const token of Object.values(TOKENS)) c.resolve(token);
  return c;
}

/** What the HTTP adapter needs, resolved from the container. */
export function appDependencies(c: DependencyContainer): AppDependencies {
  return {
    startOAuth: c.resolve(TOKENS.startOAuth),
    completeOAuth: c.resolve(TOKENS.completeOAuth),
    finishOAuth: c.resolve(TOKENS.finishOAuth),
    authenticateWithToken: c.resolve(TOKENS.authenticateWithToken),
    listProjects: c.resolve(TOKENS.listProjects),
    listSpaces: c.resolve(TOKENS.listSpaces),
    getSession: c.resolve(TOKENS.getSession),
    endSession: c.resolve(TOKENS.endSession),
    disconnectProduct: c.resolve(TOKENS.disconnectProduct),
    metrics: c.resolve(TOKENS.metrics),
    metricsEndpoint: metricsEndpointOf(c.resolve<PrometheusMetrics | null>(TOKENS.prometheusMetrics)),
    authLimiter: c.resolve(TOKENS.authLimiter),
    oauthStartLimiter: c.resolve(TOKENS.oauthStartLimiter),
    logger: c.resolve(TOKENS.logger),
    readiness: c.resolve(TOKENS.readiness),
    tracing: c.resolve<OtelTracing | null>(TOKENS.tracing) ?? undefined,
  };
}

function metricsEndpointOf(prometheus: PrometheusMetrics | null): MetricsEndpoint | undefined {
  return prometheus === null ? undefined : () => prometheus.render();
}

/** The service as main.ts and the integration tests run it: container plus Koa app, not yet listening. */
export function buildService(
  config: Config,
  logger: Logger,
  overrides: Overrides = {},
): { app: Koa; container: DependencyContainer; readiness: Readiness } {
  const container = buildContainer(config, logger, overrides);
  const dependencies = appDependencies(container);
  const app = createApp(dependencies, {
    version: SERVICE_VERSION,
    frontendOrigins: config.frontendOrigins,
    oauthReturnUrl: config.oauthReturnUrl,
    maxBodyBytes: config.maxBodyBytes,
    trustProxy: config.trustProxy,
    docsEnabled: config.docsEnabled,
    metricsEnabled: config.metricsEnabled,
    maxInflightListingsPerSession: config.maxInflightListingsPerSession,
  });
  return { app, container, readiness: dependencies.readiness };
}

/** Connects what must be reachable before the service takes requests; fails fast when it is not. */
export async function openContainer(c: DependencyContainer): Promise<void> {
  const redis = c.resolve<RedisConnection | null>(TOKENS.redis);
  if (redis !== null) {
    await redis.connect();
    await redis.ping();
  }
  // Migrates before the service listens; an unreachable database fails the start like an unreachable Redis.
  await c.resolve<PostgresDatabase | null>(TOKENS.postgres)?.open();
}

/** Releases what the container opened (sockets, connections). */
export async function closeContainer(c: DependencyContainer): Promise<void> {
  // Before Redis closes: the refresher may hold rotated tokens that the store has not taken yet.
  await c.resolve<TokenRefresher>(TOKENS.tokenRefresher).close();
  c.resolve<AtlassianHttp>(TOKENS.atlassianHttp).close();
  await c.resolve<OtelTracing | null>(TOKENS.tracing)?.shutdown().catch(() => undefined);
  await c.resolve<RedisConnection | null>(TOKENS.redis)?.close();
  await c.resolve<PostgresDatabase | null>(TOKENS.postgres)?.close().catch(() => undefined);
}
