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
import { loadBodyParser } from './http/json-body.js';
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
import type { PostgresDatabase } from './infrastructure/postgres/postgres-database.js';
import { PostgresLock } from './infrastructure/lock/postgres-lock.js';
import { leaseTermMs } from './infrastructure/lock/kept-lease.js';
import { PostgresSessionStore } from './infrastructure/session/postgres-session-store.js';
import { RATE_LIMIT_BASE_MS } from './infrastructure/atlassian/retry-policy.js';
import type { SiteDirectory } from './application/ports/site-directory.js';
import { CryptoTokenGenerator } from './infrastructure/crypto-token-generator.js';
import { InMemoryLock } from './infrastructure/lock/in-memory-lock.js';
import { InMemoryListingCache } from './infrastructure/listing-cache/in-memory-listing-cache.js';
import { PostgresListingCache } from './infrastructure/listing-cache/postgres-listing-cache.js';
import { RedisListingCache } from './infrastructure/listing-cache/redis-listing-cache.js';
import { NoMetrics, PrometheusMetrics } from './infrastructure/observability/prometheus-metrics.js';
import { OtelTracing } from './infrastructure/observability/otel-tracing.js';
import { TracedMetrics } from './infrastructure/observability/traced-metrics.js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { FlexibleAttemptLimiter, loadRateLimiterLibrary, NoAttemptLimit } from './infrastructure/rate-limit/flexible-attempt-limiter.js';
import { RedisLock } from './infrastructure/lock/redis-lock.js';
import { InMemorySessionStore } from './infrastructure/session/in-memory-session-store.js';
import { RedisSessionStore } from './infrastructure/session/redis-session-store.js';
import { createRedisConnection, type RedisConnection } from './infrastructure/redis/redis-connection.js';
import { SessionCipher } from './infrastructure/session/session-cipher.js';
import { SystemClock } from './infrastructure/system-clock.js';
import { SERVICE_NAME, SERVICE_VERSION } from './version.js';

/**
 * A token names the type it resolves to, so wiring the compiler can check: a factory registered under a token
 * must return that type, and what `resolve` answers has it, so swapping the Jira gateway for the Confluence
 * gateway does not compile. `__type` never exists at run time; it only carries `T`.
 */
export type Token<T> = symbol & { readonly __type?: T };

const token = <T>(name: string): Token<T> => Symbol(name) as Token<T>;

/** What a factory may ask the container for: typed by the token, never by a free type parameter. */
export type Resolver = <T>(token: Token<T>) => T;

/** Registers one instance per container, built on first use by `make`. */
export function register<T>(c: DependencyContainer, token: Token<T>, make: (get: Resolver) => NoInfer<T>): void {
  c.register<T>(token, { useFactory: instanceCachingFactory<T>((r) => make((t) => resolve(r, t))) });
}

/** The one typed way to take an instance out of a container. */
export function resolve<T>(c: DependencyContainer, token: Token<T>): T {
  return c.resolve<T>(token);
}

/** One token per port or shared service, in the order they are wired. */
export const TOKENS = {
  logger: token<Logger>('Logger'),
  clock: token<Clock>('Clock'),
  tokenGenerator: token<TokenGenerator>('TokenGenerator'),
  tracing: token<OtelTracing | null>('OtelTracing'),
  redis: token<RedisConnection | null>('RedisConnection'),
  postgres: token<PostgresDatabase | null>('PostgresDatabase'),
  sessionStore: token<SessionStore>('SessionStore'),
  lock: token<Lock>('Lock'),
  listingCache: token<ListingCache>('ListingCache'),
  prometheusMetrics: token<PrometheusMetrics | null>('PrometheusMetrics'),
  metrics: token<Metrics>('Metrics'),
  authLimiter: token<AttemptLimiter>('AttemptLimiter'),
  oauthStartLimiter: token<AttemptLimiter>('OAuthStartLimiter'),
  atlassianHttp: token<AtlassianHttp>('AtlassianHttp'),
  atlassianUrls: token<AtlassianUrls>('AtlassianUrls'),
  oauthGateway: token<AtlassianOAuthGateway>('AtlassianOAuthGateway'),
  jiraGateway: token<JiraGateway>('JiraGateway'),
  confluenceGateway: token<ConfluenceGateway>('ConfluenceGateway'),
  siteDirectory: token<SiteDirectory>('SiteDirectory'),
  tokenRefresher: token<TokenRefresher>('TokenRefresher'),
  connectionAccess: token<ConnectionAccess>('ConnectionAccess'),
  cachedListings: token<CachedListings>('CachedListings'),
  startOAuth: token<StartOAuth>('StartOAuth'),
  completeOAuth: token<CompleteOAuth>('CompleteOAuth'),
  finishOAuth: token<FinishOAuth>('FinishOAuth'),
  authenticateWithToken: token<AuthenticateWithToken>('AuthenticateWithToken'),
  listProjects: token<ListProjects>('ListProjects'),
  listSpaces: token<ListSpaces>('ListSpaces'),
  getSession: token<GetSession>('GetSession'),
  endSession: token<EndSession>('EndSession'),
  disconnectProduct: token<DisconnectProduct>('DisconnectProduct'),
  readiness: token<Readiness>('Readiness'),
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
 * Wires every adapter to every port, top to bottom in dependency order: configuration, logger, clock and tokens,
 * stores, the Atlassian HTTP client, gateways, the refresher, use-cases, the app's probes. Factories (not
 * decorators) so each `new` is checked by the compiler and the application layer stays free of tsyringe. A child
 * container per call keeps tests independent.
 */
export async function buildContainer(config: Config, logger: Logger, overrides: Overrides = {}): Promise<DependencyContainer> {
  const c = rootContainer.createChildContainer();
  const store = config.sessionStore;

  register(c, TOKENS.logger, () => logger);
  register(c, TOKENS.clock, () => overrides.clock ?? new SystemClock());
  register(c, TOKENS.tokenGenerator, () => overrides.tokenGenerator ?? new CryptoTokenGenerator());
  register(c, TOKENS.tracing, () => {
    const exporting = overrides.spanExporter !== undefined
      ? { exporter: overrides.spanExporter }
      : config.tracing === undefined ? undefined : { endpoint: config.tracing.endpoint };
    if (exporting === undefined) return null;
    return new OtelTracing({ serviceName: config.tracing?.serviceName ?? SERVICE_NAME, serviceVersion: SERVICE_VERSION, export: exporting });
  });

  /** Token writes that no replica acknowledged in time, for the metric. */
  let replicationShortfalls = 0;
  if (store.kind === 'redis') {
    // The command timeout bounds every command, also one sent to a Redis that accepts it and never answers
    // (paused, overloaded) and one queued while disconnected or while a failover is under way.
    register(c, TOKENS.redis, () =>
      createRedisConnection(store.topology, {
        commandTimeoutMs: store.commandTimeoutMs,
        connectTimeoutMs: 5_000,
        onError: (error) => logger.warn({ err: { message: error.message }, topology: store.topology.kind }, 'redis connection error'),
      }),
    );
    // In this branch the token holds the connection registered just above, never null.
    const redis = (get: Resolver): RedisConnection => get(TOKENS.redis)!;
    register(c, TOKENS.sessionStore, (get) =>
      new RedisSessionStore(redis(get), new SessionCipher(store.encryptionKeys), get(TOKENS.clock), {
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
    const termMs = leaseTermMs(store.commandTimeoutMs);
    register(c, TOKENS.lock, (get) => new RedisLock(redis(get), store.keyPrefix, termMs));
    register(c, TOKENS.listingCache, (get) =>
      new RedisListingCache(redis(get), new SessionCipher(store.encryptionKeys), store.keyPrefix, termMs),
    );
  } else if (store.kind === 'postgres') {
    // Imported here, not at the top: it brings pg (about 25 ms of module loading), which an instance on another
    // store never needs. The adapters below import pg's types only.
    const { PostgresDatabase } = await import('./infrastructure/postgres/postgres-database.js');
    register(c, TOKENS.redis, () => null);
    register(c, TOKENS.postgres, (get) =>
      new PostgresDatabase({ url: store.url, poolSize: store.poolSize, timeoutMs: store.timeoutMs }, get(TOKENS.clock), logger),
    );
    // In this branch the token holds the database registered just above, never null.
    const pool = (get: Resolver) => get(TOKENS.postgres)!.pool;
    register(c, TOKENS.sessionStore, (get) =>
      new PostgresSessionStore(pool(get), new SessionCipher(store.encryptionKeys), get(TOKENS.clock), {
        idleTtlSeconds: config.sessionTtlSeconds,
        emptyTtlSeconds: emptySessionTtlSeconds(config),
        maxAgeSeconds: config.sessionMaxAgeSeconds,
      }),
    );
    const termMs = leaseTermMs(store.timeoutMs);
    register(c, TOKENS.lock, (get) => new PostgresLock(pool(get), 'lock:', termMs));
    register(c, TOKENS.listingCache, (get) =>
      new PostgresListingCache(pool(get), new SessionCipher(store.encryptionKeys), get(TOKENS.clock), termMs),
    );
  } else {
    register(c, TOKENS.redis, () => null);
    register(c, TOKENS.sessionStore, (get) =>
      new InMemorySessionStore(get(TOKENS.clock), config.sessionTtlSeconds, {
        emptyTtlSeconds: emptySessionTtlSeconds(config),
        maxAgeSeconds: config.sessionMaxAgeSeconds,
        maxSessions: store.maxSessions,
      }),
    );
    register(c, TOKENS.lock, (get) => new InMemoryLock(get(TOKENS.clock)));
    register(c, TOKENS.listingCache, (get) => new InMemoryListingCache(get(TOKENS.clock), config.listingCache.maxBytes));
  }
  if (store.kind !== 'postgres') register(c, TOKENS.postgres, () => null);
  // The counters and their exposition (GET /metrics): the application sees only the counting Metrics port.
  register(c, TOKENS.prometheusMetrics, (get) => {
    if (!config.metricsEnabled) return null;
    const sessions = get(TOKENS.sessionStore);
    const redis = get(TOKENS.redis);
    const storeGauges = redis === null ? undefined : { topology: redis.topology, up: () => redis.isReady, replicationShortfalls: () => replicationShortfalls };
    return new PrometheusMetrics(sessions instanceof InMemorySessionStore ? () => sessions.size : undefined, storeGauges);
  });
  register(c, TOKENS.metrics, (get) => {
    const tracing = get(TOKENS.tracing);
    const metrics = get(TOKENS.prometheusMetrics) ?? new NoMetrics();
    return tracing === null ? metrics : new TracedMetrics(metrics, tracing);
  });
  const attemptLimiter = (perMinute: number, name: string) => (get: Resolver): AttemptLimiter => {
    if (perMinute === 0) return new NoAttemptLimit();
    const postgres = get(TOKENS.postgres);
    if (postgres !== null) return new FlexibleAttemptLimiter(perMinute, name, { pool: postgres.pool, tableName: 'rate_limits' });
    const redis = get(TOKENS.redis);
    return new FlexibleAttemptLimiter(
      perMinute,
      name,
      redis === null || store.kind !== 'redis' ? undefined : { connection: redis, keyPrefix: store.keyPrefix },
    );
  };
  register(c, TOKENS.authLimiter, attemptLimiter(config.authRateLimitPerMinute, 'auth-fail'));
  register(c, TOKENS.oauthStartLimiter, attemptLimiter(config.oauthStartRateLimitPerMinute, 'oauth-start'));

  register(c, TOKENS.atlassianHttp, (get) => {
    const metrics = get(TOKENS.metrics);
    const clock = get(TOKENS.clock);
    const redis = get(TOKENS.redis);
    // Quota blocks live where sessions do: on Redis every instance sees a block any of them recorded.
    const postgres = get(TOKENS.postgres);
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
        tracing: get(TOKENS.tracing) ?? undefined,
        maxInFlight: config.atlassian.maxInFlight,
        // Deadlines are made on the service's clock (ConnectionAccess), so they are read on it too.
        now: () => clock.now(),
      },
      logger,
      (call) => metrics.upstreamCall(call),
      undefined,
      quota,
    );
  });
  register(c, TOKENS.atlassianUrls, () => new AtlassianUrls(config.atlassian.apiUrl, config.atlassian.siteUrlTemplate));
  register(c, TOKENS.oauthGateway, (get) =>
    new HttpAtlassianOAuthGateway(get(TOKENS.atlassianHttp), get(TOKENS.atlassianUrls), config.atlassian.authUrl, config.oauth),
  );
  register(c, TOKENS.jiraGateway, (get) =>
    new HttpJiraGateway(get(TOKENS.atlassianHttp), get(TOKENS.atlassianUrls), config.atlassian.concurrency, config.atlassian.maxItems),
  );
  register(c, TOKENS.confluenceGateway, (get) =>
    new HttpConfluenceGateway(get(TOKENS.atlassianHttp), get(TOKENS.atlassianUrls), config.atlassian.maxItems),
  );
  register(c, TOKENS.siteDirectory, (get) => new HttpSiteDirectory(get(TOKENS.atlassianHttp), get(TOKENS.atlassianUrls)));

  register(c, TOKENS.tokenRefresher, (get) =>
    new TokenRefresher(
      get(TOKENS.sessionStore),
      get(TOKENS.oauthGateway),
      get(TOKENS.lock),
      get(TOKENS.tokenGenerator),
      get(TOKENS.clock),
      logger,
      refreshSettings(config),
      get(TOKENS.metrics),
    ),
  );
  register(c, TOKENS.connectionAccess, (get) =>
    new ConnectionAccess(get(TOKENS.sessionStore), get(TOKENS.tokenRefresher), get(TOKENS.clock), config.atlassian.deadlineMs),
  );

  register(c, TOKENS.startOAuth, (get) =>
    new StartOAuth(get(TOKENS.sessionStore), get(TOKENS.oauthGateway), get(TOKENS.tokenGenerator), get(TOKENS.clock), {
      stateTtlSeconds: config.oauthStateTtlSeconds,
      pkce: config.oauthPkce,
    }),
  );
  register(c, TOKENS.completeOAuth, (get) =>
    new CompleteOAuth(get(TOKENS.sessionStore), get(TOKENS.oauthGateway), get(TOKENS.tokenGenerator), get(TOKENS.clock), {
      completionTtlSeconds: config.oauthCompletionTtlSeconds,
    }),
  );
  register(c, TOKENS.finishOAuth, (get) => new FinishOAuth(get(TOKENS.sessionStore), get(TOKENS.clock)));
  register(c, TOKENS.authenticateWithToken, (get) =>
    new AuthenticateWithToken(
      get(TOKENS.sessionStore),
      get(TOKENS.jiraGateway),
      get(TOKENS.confluenceGateway),
      get(TOKENS.siteDirectory),
      get(TOKENS.tokenGenerator),
      get(TOKENS.clock),
      { defaultSite: config.atlassian.defaultSite, deadlineMs: config.atlassian.deadlineMs },
    ),
  );
  register(c, TOKENS.cachedListings, (get) =>
    new CachedListings(
      get(TOKENS.sessionStore),
      get(TOKENS.connectionAccess),
      get(TOKENS.listingCache),
      get(TOKENS.clock),
      get(TOKENS.metrics),
      listingSettings(config),
    ),
  );
  register(c, TOKENS.listProjects, (get) => new ListProjects(get(TOKENS.cachedListings), get(TOKENS.jiraGateway)));
  register(c, TOKENS.listSpaces, (get) => new ListSpaces(get(TOKENS.cachedListings), get(TOKENS.confluenceGateway)));
  register(c, TOKENS.getSession, (get) => new GetSession(get(TOKENS.sessionStore)));
  register(c, TOKENS.endSession, (get) => new EndSession(get(TOKENS.sessionStore), get(TOKENS.listingCache)));
  register(c, TOKENS.disconnectProduct, (get) => new DisconnectProduct(get(TOKENS.sessionStore), get(TOKENS.listingCache)));

  register(c, TOKENS.readiness, (get) => {
    const redis = get(TOKENS.redis);
    const postgres = get(TOKENS.postgres);
    return new Readiness(
      { session_store: () => (redis !== null ? redis.ping() : postgres !== null ? postgres.ping() : Promise.resolve()) },
      undefined,
      redis === null ? {} : { session_store: () => `redis ${redis.topology}, ${redis.isReady ? 'connected' : 'not connected'}` },
    );
  });

  // Resolve everything once: a missing registration fails at start, not on the first request.
  const every: readonly Token<unknown>[] = Object.values(TOKENS);
  for (const token of every) resolve(c, token);
  return c;
}

/** What the HTTP adapter needs, resolved from the container. */
export function appDependencies(c: DependencyContainer): AppDependencies {
  return {
    startOAuth: resolve(c, TOKENS.startOAuth),
    completeOAuth: resolve(c, TOKENS.completeOAuth),
    finishOAuth: resolve(c, TOKENS.finishOAuth),
    authenticateWithToken: resolve(c, TOKENS.authenticateWithToken),
    listProjects: resolve(c, TOKENS.listProjects),
    listSpaces: resolve(c, TOKENS.listSpaces),
    getSession: resolve(c, TOKENS.getSession),
    endSession: resolve(c, TOKENS.endSession),
    disconnectProduct: resolve(c, TOKENS.disconnectProduct),
    metrics: resolve(c, TOKENS.metrics),
    metricsEndpoint: metricsEndpointOf(resolve(c, TOKENS.prometheusMetrics)),
    authLimiter: resolve(c, TOKENS.authLimiter),
    oauthStartLimiter: resolve(c, TOKENS.oauthStartLimiter),
    logger: resolve(c, TOKENS.logger),
    readiness: resolve(c, TOKENS.readiness),
    tracing: resolve(c, TOKENS.tracing) ?? undefined,
  };
}

function metricsEndpointOf(prometheus: PrometheusMetrics | null): MetricsEndpoint | undefined {
  return prometheus === null ? undefined : () => prometheus.render();
}

/** The service as server.ts and the integration tests run it: container plus Koa app, not yet listening. */
export async function buildService(
  config: Config,
  logger: Logger,
  overrides: Overrides = {},
): Promise<{ app: Koa; container: DependencyContainer; readiness: Readiness }> {
  const container = await buildContainer(config, logger, overrides);
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

/**
 * Loads the libraries that the service imports on first use instead of at start (the JSON body parser, the rate
 * limiter when a limit is on). server.ts calls it once it listens: the loading runs while the service already
 * answers, and the first request that needs one rarely waits for it.
 */
export async function loadDeferredModules(config: Config): Promise<void> {
  const limited = config.authRateLimitPerMinute > 0 || config.oauthStartRateLimitPerMinute > 0;
  await Promise.all([loadBodyParser(), limited ? loadRateLimiterLibrary() : undefined]);
}

/** Connects what must be reachable before the service takes requests; fails fast when it is not. */
export async function openContainer(c: DependencyContainer): Promise<void> {
  const redis = resolve(c, TOKENS.redis);
  if (redis !== null) {
    await redis.connect();
    await redis.ping();
  }
  // Migrates before the service listens; an unreachable database fails the start like an unreachable Redis.
  await resolve(c, TOKENS.postgres)?.open();
}

/** Releases what the container opened (sockets, connections). */
export async function closeContainer(c: DependencyContainer): Promise<void> {
  // Before Redis closes: the refresher may hold rotated tokens that the store has not taken yet.
  await resolve(c, TOKENS.tokenRefresher).close();
  resolve(c, TOKENS.atlassianHttp).close();
  await resolve(c, TOKENS.tracing)?.shutdown().catch(() => undefined);
  await resolve(c, TOKENS.redis)?.close();
  await resolve(c, TOKENS.postgres)?.close().catch(() => undefined);
}
