import type pg from 'pg';
import type { Clock } from '../../application/ports/clock.js';
import type { QuotaBlocks } from './quota-blocks.js';

/**
 * Blocks shared by every instance on one database, like RedisQuotaBlocks: one row per scope holding the end of the
 * block. Ended rows are ignored by every read and deleted by the background sweep (ExpirySweeper).
 */
export class PostgresQuotaBlocks implements QuotaBlocks {
  constructor(
    private readonly pool: pg.Pool,
    private readonly clock: Clock,
  ) {}

  async block(scope: string, until: number): Promise<void> {
    if (until <= this.clock.now()) return;
    await this.pool.query(
      'INSERT INTO quota_blocks (scope, until) VALUES ($1, $2) ON CONFLICT (scope) DO UPDATE SET until = EXCLUDED.until',
      [scope, Math.ceil(until)],
    );
  }

  async blockedUntil(scopes: readonly string[]): Promise<number | undefined> {
    if (scopes.length === 0) return undefined;
    const { rows } = await this.pool.query<{ latest: string | null }>(
      'SELECT max(until) AS latest FROM quota_blocks WHERE scope = ANY($1::text[]) AND until > $2',
      [scopes, this.clock.now()],
    );
    const latest = rows[0]?.latest;
    return latest === null || latest === undefined ? undefined : Number(latest);
  }
}
