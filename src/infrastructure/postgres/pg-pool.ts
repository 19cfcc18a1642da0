import pg from 'pg';

export interface PostgresPoolOptions {
  readonly url: string;
  readonly poolSize: number;
  /** Bound on getting a connection and on one statement: a stopped or stalled database answers 503, never a hang. */
  readonly timeoutMs: number;
  /** Called for errors of idle pooled connections (the database restarted); the pool replaces them by itself. */
  readonly onIdleError?: (error: Error) => void;
}

/**
 * The one pool the PostgreSQL adapters share. Each bound is set twice on purpose: `statement_timeout` lets the
 * server cancel a slow statement and keep the connection usable, `query_timeout` covers a server that stopped
 * answering at all, and `connectionTimeoutMillis` a server that does not accept connections.
 */
export function createPostgresPool(options: PostgresPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    connectionTimeoutMillis: options.timeoutMs,
    query_timeout: options.timeoutMs,
    statement_timeout: options.timeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'atlassian-connector',
  });
  // Without a listener an idle connection dropped by the server (restart, failover) would crash the process.
  pool.on('error', (error) => options.onIdleError?.(error));
  return pool;
}
