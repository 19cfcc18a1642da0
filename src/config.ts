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
  OAUTH_RETURN_URL: optionalHttpUrl,
  SESSION_TTL_SECONDS: positiveInt(86_400),
  SESSION_STORE: z.enum(['memory', 'redis']).default('memory'),
  REDIS_URL: z
    .string()
    .trim()
    .default('redis://127.0.0.1:6379')
    .refine((value) => /^rediss?:\/\//.test(value), 'must be a redis:// or rediss:// URL'),
  REDIS_KEY_PREFIX: z.string().trim().default('atlassian-connector:'),
  SESSION_ENCRYPTION_KEY: optionalText,
  UPSTREAM_TIMEOUT_MS: positiveInt(10_000),
  UPSTREAM_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
  UPSTREAM_MAX_RETRY_WAIT_MS: positiveInt(5_000),
  UPSTREAM_RETRY_BASE_MS: positiveInt(250),
  UPSTREAM_DEADLINE_MS: positiveInt(30_000),
  UPSTREAM_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(6),
  LISTING_CACHE_TTL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
  LISTING_STALE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(600),
  LISTING_CACHE_MAX_BYTES: positiveInt(64 * 1024 * 1024),
  SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
  MAX_BODY_BYTES: positiveInt(100 * 1024),
  AUTH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(10),
  TRUST_PROXY: booleanFlag(false),
  DOCS_ENABLED: booleanFlag(true),
  METRICS_ENABLED: booleanFlag(true),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

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
  };
  /** Listings kept per connection; `ttlSeconds` 0 turns caching off. The store follows `sessionStore`. */
  readonly listingCache: {
    readonly ttlSeconds: number;
    readonly staleSeconds: number;
    /** Bound of the memory cache (estimated bytes); Redis is bounded by its own maxmemory. */
    readonly maxBytes: number;
  };
  readonly oauthStateTtlSeconds: number;
  readonly oauthReturnUrl?: string;
  readonly sessionTtlSeconds: number;
  readonly sessionStore:
    | { readonly kind: 'memory' }
    | { readonly kind: 'redis'; readonly url: string; readonly keyPrefix: string; readonly encryptionKeys: readonly string[] };
  /** How long a shutdown waits for in-flight requests before closing their connections. */
  readonly shutdownTimeoutMs: number;
  readonly maxBodyBytes: number;
  /** Failed API-token logins per client per minute before 429; 0 turns the limit off. */
  readonly authRateLimitPerMinute: number;
  /** Read the client address from X-Forwarded-For (only behind a proxy that sets it). */
  readonly trustProxy: boolean;
  readonly docsEnabled: boolean;
  readonly metricsEnabled: boolean;
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
  const encryptionKeys = e.SESSION_ENCRYPTION_KEY?.split(',').map((key) => key.trim()).filter(Boolean) ?? [];
  if (e.SESSION_STORE === 'redis') {
    const problems = encryptionKeyProblems(encryptionKeys);
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
    },
    listingCache: {
      ttlSeconds: e.LISTING_CACHE_TTL_SECONDS,
      staleSeconds: e.LISTING_STALE_SECONDS,
      maxBytes: e.LISTING_CACHE_MAX_BYTES,
    },
    oauthStateTtlSeconds: e.OAUTH_STATE_TTL_SECONDS,
    ...(e.OAUTH_RETURN_URL === undefined ? {} : { oauthReturnUrl: e.OAUTH_RETURN_URL }),
    sessionTtlSeconds: e.SESSION_TTL_SECONDS,
    sessionStore:
      e.SESSION_STORE === 'redis'
        ? { kind: 'redis', url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX, encryptionKeys }
        : { kind: 'memory' },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    maxBodyBytes: e.MAX_BODY_BYTES,
    authRateLimitPerMinute: e.AUTH_RATE_LIMIT_PER_MINUTE,
    trustProxy: e.TRUST_PROXY,
    docsEnabled: e.DOCS_ENABLED,
    metricsEnabled: e.METRICS_ENABLED,
    logLevel: e.LOG_LEVEL,
  });
}

/** Keys are 32 random bytes in base64 (`openssl rand -base64 32`); several are comma-separated, newest first. */
function encryptionKeyProblems(keys: readonly string[]): string[] {
  if (keys.length === 0) return ['required when SESSION_STORE=redis (generate one with: openssl rand -base64 32)'];
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
