import type pg from 'pg';
import type { Clock } from '../../application/ports/clock.js';
import type { Logger } from '../../application/ports/logger.js';
import { ExpirySweeper } from './expiry-sweeper.js';
import { migrate } from './migrator.js';
import { createPostgresPool } from './pg-pool.js';

/** A sweep a minute: enough to keep tables small, rare enough to cost nothing. */
const SWEEP = { intervalMs: 60_000, batchSize: 500, maxBatches: 20 } as const;

/**
 * The database behind SESSION_STORE=postgres, as one instance sees it: the shared pool, the schema (migrated by
 * `open`, before the service listens) and the background sweep of expired rows. Every PostgreSQL adapter takes
 * its `pool`.
 */
export class PostgresDatabase {
  readonly pool: pg.Pool;
  private readonly sweeper: ExpirySweeper;

  constructor(options: { url: string; poolSize: number; timeoutMs: number }, clock: Clock, logger: Logger) {
    this.pool = createPostgresPool({
      ...options,
      // The error names the failure (connection reset, server shutting down); it never holds the URL's password.
      onIdleError: (error) => logger.warn({ err: { message: error.message } }, 'postgres connection error'),
    });
    this.sweeper = new ExpirySweeper(this.pool, clock, SWEEP, (error) =>
      logger.warn({ err: { message: error.message } }, 'postgres expiry sweep failed'),
    );
  }

  /** Connects and migrates; throws when the database cannot be reached, so the service does not start. */
  async open(): Promise<void> {
    await migrate(this.pool);
    this.sweeper.start();
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.sweeper.stop();
    await this.pool.end();
  }
}
