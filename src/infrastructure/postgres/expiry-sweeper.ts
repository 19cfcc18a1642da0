import type pg from 'pg';
import type { Clock } from '../../application/ports/clock.js';

/** A table whose rows end at a time in one indexed column. */
export interface ExpiringTable {
  readonly table: string;
  readonly column: string;
  /** Which clock wrote the column: the service's (sessions, flows, quota blocks) or the database's (leases). */
  readonly clock: 'service' | 'database';
}

/** Everything the PostgreSQL adapters write with an end. A shared cache adds its own table here. */
export const EXPIRING_TABLES: readonly ExpiringTable[] = [
  { table: 'sessions', column: 'expires_at', clock: 'service' },
  { table: 'oauth_states', column: 'expires_at', clock: 'service' },
  { table: 'oauth_completions', column: 'expires_at', clock: 'service' },
  { table: 'quota_blocks', column: 'until', clock: 'service' },
  { table: 'listing_cache', column: 'expires_at', clock: 'service' },
  { table: 'leases', column: 'expires_at', clock: 'database' },
  // rate-limiter-flexible compares `expire` with Date.now() in this process.
  { table: 'rate_limits', column: 'expire', clock: 'service' },
];

const DATABASE_NOW = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;

export interface SweeperOptions {
  /** Time between sweeps. */
  readonly intervalMs: number;
  /** Rows deleted per statement, so one sweep never holds locks on a large part of a table. */
  readonly batchSize: number;
  /** Statements per table per sweep: with the batch, the bound on one sweep's work. */
  readonly maxBatches: number;
}

/**
 * Deletes expired rows in the background. Readers never depend on it (every read checks the end itself); it only
 * keeps the tables from growing with rows no one will read. Bounded: at most `batchSize × maxBatches` rows per
 * table per sweep, each batch found through the expiry index. Several instances may sweep at once: a row
 * deleted by one is simply not found by the other.
 */
export class ExpirySweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly clock: Clock,
    private readonly options: SweeperOptions,
    private readonly onError: (error: Error) => void = () => undefined,
    private readonly tables: readonly ExpiringTable[] = EXPIRING_TABLES,
  ) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      if (this.running !== undefined) return;
      this.running = this.sweep()
        .catch((error: Error) => {
          this.onError(error);
          return 0;
        })
        .finally(() => (this.running = undefined));
    }, this.options.intervalMs);
    // A sweep is never a reason to keep the process alive.
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One bounded sweep of every table; answers how many rows it deleted. */
  async sweep(): Promise<number> {
    let deleted = 0;
    for (const { table, column, clock } of this.tables) {
      const now = clock === 'database' ? DATABASE_NOW : '$1::bigint';
      for (let batch = 0; batch < this.options.maxBatches; batch++) {
        const result = await this.pool.query(
          // The end is tested again outside the subquery: a row rewritten meanwhile (a session created anew
          // under the same id) is checked in its new version, and kept.
          `DELETE FROM ${table} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${table} WHERE ${column} <= ${now} LIMIT ${this.options.batchSize}))
             AND ${column} <= ${now}`,
          clock === 'database' ? [] : [this.clock.now()],
        );
        deleted += result.rowCount ?? 0;
        if ((result.rowCount ?? 0) < this.options.batchSize) break;
      }
    }
    return deleted;
  }
}
