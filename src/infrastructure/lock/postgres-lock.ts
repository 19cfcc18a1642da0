import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Lock } from '../../application/ports/lock.js';
import { storeUnavailable } from '../store-unavailable.js';
import { DEFAULT_LEASE_TERM_MS, firstTermMs, keepLease } from './kept-lease.js';

/** Now on the database's clock, in epoch ms: every instance measures a lease on the same clock. */
const NOW = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/**
 * A lease row (name, owner, end) in the `leases` table, shared by every instance on the database. Not an advisory
 * lock: those belong to one pooled connection and end with it, not after a TTL. Taking is one statement: insert,
 * or take over a row whose lease has ended; a live row of another owner makes it answer nothing. `namePrefix`
 * keeps users apart (the refresh lock, a cache's fill lease) in the one table. A lease is kept in terms of
 * `termMs` (kept-lease.ts): a holder that is gone blocks the others for one term at most.
 */
export class PostgresLock implements Lock {
  constructor(
    private readonly pool: pg.Pool,
    private readonly namePrefix = '',
    private readonly termMs = DEFAULT_LEASE_TERM_MS,
  ) {}

  async tryAcquire(name: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const lease = `${this.namePrefix}${name}`;
    const owner = randomBytes(16).toString('base64url');
    let taken: boolean;
    try {
      const { rowCount } = await this.pool.query(
        `INSERT INTO leases (name, owner, expires_at) VALUES ($1, $2, ${NOW} + $3::bigint)
         ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
          WHERE leases.expires_at <= ${NOW}`,
        [lease, owner, firstTermMs(ttlMs, this.termMs)],
      );
      taken = rowCount === 1;
    } catch {
      throw storeUnavailable();
    }
    if (!taken) return undefined;
    // Both only if the lease is still ours: after it ended another instance may hold it.
    return keepLease(
      {
        renew: async (ms) => {
          const { rowCount } = await this.pool.query(`UPDATE leases SET expires_at = ${NOW} + $3::bigint WHERE name = $1 AND owner = $2`, [lease, owner, ms]);
          return rowCount === 1;
        },
        release: async () => {
          await this.pool.query('DELETE FROM leases WHERE name = $1 AND owner = $2', [lease, owner]);
        },
      },
      ttlMs,
      this.termMs,
    );
  }
}
