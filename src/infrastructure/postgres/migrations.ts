/**
 * The schema, as versioned steps. A step is never edited once released: a change is a new step. Each runs in
 * its own transaction (src/infrastructure/postgres/migrator.ts). Times are epoch milliseconds in `bigint`, as the
 * service's clock gives them.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'sessions, oauth flows, leases, quota blocks, attempt limits',
    sql: `
      -- One row per session, keyed by the hash of its token. Each product's connection is its own encrypted
      -- column, so writes to Jira and Confluence never overwrite each other; versions stay plain for the
      -- compare-and-set. expires_at is never after ends_at (the adapter writes LEAST of the two).
      CREATE TABLE sessions (
        id text PRIMARY KEY,
        meta text NOT NULL,
        ends_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        jira text,
        jira_version text,
        confluence text,
        confluence_version text
      );
      CREATE INDEX sessions_expires_at ON sessions (expires_at);

      CREATE TABLE oauth_states (id text PRIMARY KEY, sealed text NOT NULL, expires_at bigint NOT NULL);
      CREATE INDEX oauth_states_expires_at ON oauth_states (expires_at);

      CREATE TABLE oauth_completions (id text PRIMARY KEY, sealed text NOT NULL, expires_at bigint NOT NULL);
      CREATE INDEX oauth_completions_expires_at ON oauth_completions (expires_at);

      -- Leases of any kind (the refresh lock; a shared cache's fill lease), on the database's clock.
      CREATE TABLE leases (name text PRIMARY KEY, owner text NOT NULL, expires_at bigint NOT NULL);
      CREATE INDEX leases_expires_at ON leases (expires_at);

      CREATE TABLE quota_blocks (scope text PRIMARY KEY, until bigint NOT NULL);
      CREATE INDEX quota_blocks_until ON quota_blocks (until);

      -- rate-limiter-flexible's own layout (RateLimiterPostgres), created here rather than by the library at
      -- construction, where a failure would be an unhandled rejection and two instances would race.
      CREATE TABLE rate_limits (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint);
      CREATE INDEX rate_limits_expire ON rate_limits (expire);
    `,
  },
  {
    version: 2,
    name: 'listing cache',
    sql: `
      -- One encrypted listing per key (a hash of session, product, connection version and site); the fill lease
      -- is a row of leases.
      CREATE TABLE listing_cache (key text PRIMARY KEY, sealed text NOT NULL, expires_at bigint NOT NULL);
      CREATE INDEX listing_cache_expires_at ON listing_cache (expires_at);
    `,
  },
];
