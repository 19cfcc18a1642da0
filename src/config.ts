import { z } from 'zod';
import { PRODUCTS, type Product } from './domain/product.js';
import { normaliseSite } from './domain/site.js';
import { isValidEncryptionKey } from './infrastructure/session/session-cipher.js';
import { deepFreeze } from './infrastructure/deep-freeze.js';

const DEFAULT_SCOPES: Readonly<Record<Product, string>> = {
  // read:jira-work covers project search; read:jira-user the identity call; offline_access brings a refresh token.
  jira: 'read:jira-work read:jira-user offline_access',
  // Spaces are listed through Confluence's v2 API, which takes granular scopes only.
  confluence: 'read:space:confluence offline_access',
};

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();
const httpUrl = z
  .string()
  .trim()
  .url()
  .refine((value) => /^https?:\/\//.test(value), 'must be an http(s) URL')
  .transform((value) => value.replace(/\/+$/, ''));
const optionalHttpUrl = z.preprocess((value) => (value === '' ? undefined : value), httpUrl.optional());
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const PROXY_FLAG_WORDS: ReadonlyMap<string, string> = new Map([['true', '1'], ['yes', '1'], ['false', '0'], ['no', '0']]);

function booleanFlag(fallback: boolean) {
  return z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((value) => ['true', '1', 'yes'].includes(value));
}

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  FRONTEND_ORIGIN: optionalText,
  JIRA_OAUTH_CLIENT_ID: optionalText,
  JIRA_OAUTH_CLIENT_SECRET: optionalText,
  JIRA_OAUTH_REDIRECT_URI: optionalHttpUrl,
  JIRA_OAUTH_SCOPES: optionalText,
  CONFLUENCE_OAUTH_CLIENT_ID: optionalText,
  CONFLUENCE_OAUTH_CLIENT_SECRET: optionalText,
  CONFLUENCE_OAUTH_REDIRECT_URI: optionalHttpUrl,
  CONFLUENCE_OAUTH_SCOPES: optionalText,
  ATLASSIAN_AUTH_URL: httpUrl.default('https://auth.atlassian.com'),
  ATLASSIAN_API_URL: httpUrl.default('https://api.atlassian.com'),
  ATLASSIAN_SITE_URL_TEMPLATE: z
    .string()
    .trim()
    .default('https://{site}')
    .refine((value) => value.includes('{site}'), 'must contain {site}')
    .refine((value) => /^https?:\/\//.test(value), 'must be an http(s) URL'),
  ATLASSIAN_DEFAULT_SITE: optionalText.refine(
    (value) => value === undefined || isSite(value),
    'must be an Atlassian Cloud site such as acme or acme.atlassian.net',
  ),
  OAUTH_STATE_TTL_SECONDS: positiveInt(600),
  OAUTH_COMPLETION_TTL_SECONDS: positiveInt(120),
  OAUTH_RETURN_URL: optionalHttpUrl,
  OAUTH_PKCE: booleanFlag(true),
  SESSION_TTL_SECONDS: positiveInt(86_400),
  SESSION_MAX_AGE_SECONDS: positiveInt(2_592_000),
  MEMORY_STORE_MAX_SESSIONS: positiveInt(100_000),
  SESSION_STORE: z.enum(['memory', 'redis', 'postgres']).default('memory'),
  REDIS_URL: z
    .string()
    .trim()
    .default('redis://127.0.0.1:6379')
    .refine((value) => /^rediss?:\/\//.test(value), 'must be a redis:// or rediss:// URL'),
  REDIS_KEY_PREFIX: z.string().trim().default('atlassian-connector:'),
  REDIS_COMMAND_TIMEOUT_MS: positiveInt(1_000),
  DATABASE_URL: optionalText.refine(
    (value) => value === undefined || /^postgres(ql)?:\/\//.test(value),
    'must be a postgres:// or postgresql:// URL',
  ),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1_000).default(10),
  DATABASE_TIMEOUT_MS: positiveInt(1_000),
  SESSION_ENCRYPTION_KEY: optionalText,
  UPSTREAM_TIMEOUT_MS: positiveInt(10_000),
  UPSTREAM_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
  UPSTREAM_MAX_RETRY_WAIT_MS: positiveInt(5_000),
  UPSTREAM_RETRY_BASE_MS: positiveInt(250),
  UPSTREAM_DEADLINE_MS: positiveInt(30_000),
  UPSTREAM_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(6),
  UPSTREAM_MAX_ITEMS: z.coerce.number().int().min(1).max(1_000_000).default(100_000),
  OAUTH_REFRESH_RETRY_DELAYS_MS: z
    .string()
    .trim()
    .default('5000,15000,40000')
    .transform((value) => value.split(',').map((part) => Number(part.trim())))
    .refine((delays) => delays.length <= 10 && delays.every((delay) => Number.isInteger(delay) && delay > 0), 'must be 1 to 10 positive integers separated by commas')
    // Atlassian honours a rotated refresh token for 10 minutes; every attempt must be sent well inside that.
    .refine((delays) => delays.reduce((sum, delay) => sum + delay, 0) <= 300_000, 'must add up to at most 300000 (half of Atlassian\'s 10-minute reuse leeway)'),
  LISTING_CACHE_TTL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
  LISTING_STALE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(600),
  LISTING_CACHE_MAX_BYTES: positiveInt(64 * 1024 * 1024),
  SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
  SHUTDOWN_DRAIN_DELAY_MS: z.coerce.number().int().min(0).default(0),
  MAX_INFLIGHT_UPSTREAM: z.coerce.number().int().min(0).default(256),
  HTTP_HEADERS_TIMEOUT_MS: positiveInt(10_000),
  HTTP_REQUEST_TIMEOUT_MS: positiveInt(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: positiveInt(5_000),
  MAX_BODY_BYTES: positiveInt(100 * 1024),
  AUTH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(10),
  OAUTH_START_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(30),
  MAX_INFLIGHT_LISTINGS_PER_SESSION: z.coerce.number().int().min(0).default(4),
  // Hops, not a flag: with one proxy the client is the right-most X-Forwarded-For entry, and anything left of it
  // is whatever the client sent. true/yes and false/no remain as the old flag's words for 1 and 0.
  TRUST_PROXY: z
    .string()
    .default('0')
    .transform((value) => PROXY_FLAG_WORDS.get(value) ?? value)
    .pipe(z.string().regex(/^\d{1,2}$/, 'must be the number of trusted proxy hops (0, 1, 2, …), or true (1) or false (0)'))
    .transform(Number),
  DOCS_ENABLED: booleanFlag(true),
  METRICS_ENABLED: booleanFlag(true),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalHttpUrl,
  OTEL_SERVICE_NAME: z.string().trim().min(1).default('atlassian-connector'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Every environment variable the service reads: the docs test checks each is documented, and the reverse. */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze(Object.keys(schema.shape));

export interface OAuthClientConfig {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
}

export interface Config {
  readonly port: number;
  readonly host: string;
  /** Allowed browser origins; undefined means any origin (development only). */
  readonly frontendOrigins?: readonly string[];
  /** Per product; absent when any of client id, secret or redirect URI is missing. */
  readonly oauth: Readonly<Partial<Record<Product, OAuthClientConfig>>>;
  readonly atlassian: {
    readonly authUrl: string;
    readonly apiUrl: string;
    readonly siteUrlTemplate: string;
    readonly defaultSite?: string;
    readonly timeoutMs: number;
    readonly deadlineMs: number;
    readonly maxRetries: number;
    readonly maxRetryWaitMs: number;
    readonly retryBaseMs: number;
    readonly concurrency: number;
    /** Items one listing may hold; a page claiming a larger total is refused before more is fetched. */
    readonly maxItems: number;
    /** Requests in flight to Atlassian at once in this instance before `503 overloaded`; 0 = no bound. */
    readonly maxInFlight: number;
  };
  /** Listings kept per connection; `ttlSeconds` 0 turns caching off. The store follows `sessionStore`. */
  readonly listingCache: {
    readonly ttlSeconds: number;
    readonly staleSeconds: number;
    /** Bound of the memory cache (estimated bytes); Redis is bounded by its own maxmemory. */
    readonly maxBytes: number;
  };
  readonly oauthStateTtlSeconds: number;
  /** How long after its state expires a started flow may still be completing (code exchange, site lookup). */
  readonly oauthCompletionTtlSeconds: number;
  readonly oauthReturnUrl?: string;
  /** Waits before each background attempt of a refresh that lost its answer, or of storing refreshed tokens. */
  readonly oauthRefreshRetryDelaysMs: readonly number[];
  /** Send a PKCE challenge (S256) with every authorization request. */
  readonly oauthPkce: boolean;
  readonly sessionTtlSeconds: number;
  /** Absolute lifetime of a session from its creation, however active. */
  readonly sessionMaxAgeSeconds: number;
  readonly sessionStore:
    | { readonly kind: 'memory'; readonly maxSessions: number }
    | {
        readonly kind: 'redis';
        readonly url: string;
        readonly keyPrefix: string;
        readonly encryptionKeys: readonly string[];
        /** Bound on one Redis command, so a stalled Redis answers 503 instead of hanging requests. */
        readonly commandTimeoutMs: number;
      }
    | {
        readonly kind: 'postgres';
        readonly url: string;
        readonly encryptionKeys: readonly string[];
        /** Connections in this instance's pool. */
        readonly poolSize: number;
        /** Bound on getting a connection and on one statement: a stopped or stalled database answers 503. */
        readonly timeoutMs: number;
      };
  /** How long a shutdown waits for in-flight requests before closing their connections. */
  readonly shutdownTimeoutMs: number;
  /** How long the instance keeps serving after SIGTERM with readiness at 503, before it stops accepting. */
  readonly shutdownDrainDelayMs: number;
  /** Node's server timeouts: slow clients cannot hold connections for Node's defaults (60 s headers, 300 s request). */
  readonly http: { readonly headersTimeoutMs: number; readonly requestTimeoutMs: number; readonly keepAliveTimeoutMs: number };
  readonly maxBodyBytes: number;
  /** Failed API-token logins per client per minute before 429; 0 turns the limit off. */
  readonly authRateLimitPerMinute: number;
  /** OAuth starts per client per minute before 429 (each may end in a token request with the client secret); 0 = off. */
  readonly oauthStartRateLimitPerMinute: number;
  /** Listings of one session running at once in this instance before `503 overloaded`; 0 = no bound. */
  readonly maxInflightListingsPerSession: number;
  /**
   * Trusted proxy hops in front of the service: the client address is the X-Forwarded-For entry this many places
   * from the right; 0 ignores the header and uses the socket address.
   */
  readonly trustProxy: number;
  readonly docsEnabled: boolean;
  readonly metricsEnabled: boolean;
  /** OpenTelemetry traces over OTLP/HTTP; absent (tracing off) unless OTEL_EXPORTER_OTLP_ENDPOINT is set. */
  readonly tracing?: { readonly endpoint: string; readonly serviceName: string };
  readonly logLevel: z.infer<typeof schema>['LOG_LEVEL'];
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The only reader of environment variables. Pure: tests pass literals. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  // `KEY=` in a .env file means "not set", as it would for a shell user: defaults apply.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
    // Node's http server refuses this combination: the headers are part of the request.
    throw new ConfigError([`HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS (${e.HTTP_REQUEST_TIMEOUT_MS})`]);
  }
  const encryptionKeys = e.SESSION_ENCRYPTION_KEY?.split(',').map((key) => key.trim()).filter(Boolean) ?? [];
  if (e.SESSION_STORE === 'postgres' && e.DATABASE_URL === undefined) {
    throw new ConfigError(['DATABASE_URL: required when SESSION_STORE=postgres (postgres://USER:PASSWORD@HOST:5432/DATABASE)']);
  }
  if (e.SESSION_STORE !== 'memory') {
    const problems = encryptionKeyProblems(encryptionKeys, e.SESSION_STORE);
    if (problems.length > 0) throw new ConfigError(problems.map((problem) => `SESSION_ENCRYPTION_KEY: ${problem}`));
  }
  const oauth: Partial<Record<Product, OAuthClientConfig>> = {};
  for (const product of PRODUCTS) {
    const prefix = product.toUpperCase() as 'JIRA' | 'CONFLUENCE';
    const clientId = e[`${prefix}_OAUTH_CLIENT_ID`];
    const clientSecret = e[`${prefix}_OAUTH_CLIENT_SECRET`];
    const redirectUri = e[`${prefix}_OAUTH_REDIRECT_URI`];
    if (clientId === undefined || clientSecret === undefined || redirectUri === undefined) continue;
    const scopes = (e[`${prefix}_OAUTH_SCOPES`] ?? DEFAULT_SCOPES[product]).split(/[\s,]+/).filter(Boolean);
    oauth[product] = Object.freeze({ clientId, clientSecret, redirectUri, scopes: Object.freeze(scopes) });
  }
  const origins = e.FRONTEND_ORIGIN?.split(',').map((origin) => origin.trim().replace(/\/+$/, '')).filter(Boolean);

  return deepFreeze({
    port: e.PORT,
    host: e.HOST,
    ...(origins === undefined || origins.length === 0 ? {} : { frontendOrigins: origins }),
    oauth,
    atlassian: {
      authUrl: e.ATLASSIAN_AUTH_URL,
      apiUrl: e.ATLASSIAN_API_URL,
      siteUrlTemplate: e.ATLASSIAN_SITE_URL_TEMPLATE,
      ...(e.ATLASSIAN_DEFAULT_SITE === undefined ? {} : { defaultSite: normaliseSite(e.ATLASSIAN_DEFAULT_SITE) }),
      timeoutMs: e.UPSTREAM_TIMEOUT_MS,
      deadlineMs: e.UPSTREAM_DEADLINE_MS,
      maxRetries: e.UPSTREAM_MAX_RETRIES,
      maxRetryWaitMs: e.UPSTREAM_MAX_RETRY_WAIT_MS,
      retryBaseMs: e.UPSTREAM_RETRY_BASE_MS,
      concurrency: e.UPSTREAM_CONCURRENCY,
      maxItems: e.UPSTREAM_MAX_ITEMS,
      maxInFlight: e.MAX_INFLIGHT_UPSTREAM,
    },
    listingCache: {
      ttlSeconds: e.LISTING_CACHE_TTL_SECONDS,
      staleSeconds: e.LISTING_STALE_SECONDS,
      maxBytes: e.LISTING_CACHE_MAX_BYTES,
    },
    oauthStateTtlSeconds: e.OAUTH_STATE_TTL_SECONDS,
    oauthRefreshRetryDelaysMs: e.OAUTH_REFRESH_RETRY_DELAYS_MS,
    oauthCompletionTtlSeconds: e.OAUTH_COMPLETION_TTL_SECONDS,
    ...(e.OAUTH_RETURN_URL === undefined ? {} : { oauthReturnUrl: e.OAUTH_RETURN_URL }),
    oauthPkce: e.OAUTH_PKCE,
    sessionTtlSeconds: e.SESSION_TTL_SECONDS,
    sessionMaxAgeSeconds: e.SESSION_MAX_AGE_SECONDS,
    sessionStore:
      e.SESSION_STORE === 'redis'
        ? { kind: 'redis', url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX, encryptionKeys, commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS }
        : e.SESSION_STORE === 'postgres'
          ? { kind: 'postgres', url: e.DATABASE_URL!, encryptionKeys, poolSize: e.DATABASE_POOL_SIZE, timeoutMs: e.DATABASE_TIMEOUT_MS }
          : { kind: 'memory', maxSessions: e.MEMORY_STORE_MAX_SESSIONS },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    shutdownDrainDelayMs: e.SHUTDOWN_DRAIN_DELAY_MS,
    http: { headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS, requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS, keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS },
    maxBodyBytes: e.MAX_BODY_BYTES,
    authRateLimitPerMinute: e.AUTH_RATE_LIMIT_PER_MINUTE,
    oauthStartRateLimitPerMinute: e.OAUTH_START_RATE_LIMIT_PER_MINUTE,
    maxInflightListingsPerSession: e.MAX_INFLIGHT_LISTINGS_PER_SESSION,
    trustProxy: e.TRUST_PROXY,
    docsEnabled: e.DOCS_ENABLED,
    metricsEnabled: e.METRICS_ENABLED,
    ...(e.OTEL_EXPORTER_OTLP_ENDPOINT === undefined
      ? {}
      : { tracing: { endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: e.OTEL_SERVICE_NAME } }),
    logLevel: e.LOG_LEVEL,
  });
}

/** Keys are 32 random bytes in base64 (`openssl rand -base64 32`); several are comma-separated, newest first. */
function encryptionKeyProblems(keys: readonly string[], store: string): string[] {
  if (keys.length === 0) return [`required when SESSION_STORE=${store} (generate one with: openssl rand -base64 32)`];
  return keys.flatMap((key, index) =>
    isValidEncryptionKey(key)
      ? []
      : [`key ${index + 1} is not 32 bytes written as base64 (generate one with: openssl rand -base64 32)`],
  );
}

function isSite(value: string): boolean {
  try {
    normaliseSite(value);
    return true;
  } catch {
    return false;
  }
}
