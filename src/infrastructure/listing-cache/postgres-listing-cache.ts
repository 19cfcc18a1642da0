import type pg from 'pg';
import type { Clock } from '../../application/ports/clock.js';
import type { CachedListingEntry, ListingCache } from '../../application/ports/listing-cache.js';
import { DEFAULT_LEASE_TERM_MS } from '../lock/kept-lease.js';
import { PostgresLock } from '../lock/postgres-lock.js';
import type { SessionCipher } from '../session/session-cipher.js';
import { storeUnavailable } from '../store-unavailable.js';

/**
 * Listings in PostgreSQL (`listing_cache`), shared by every instance and kept across restarts, encrypted with the
 * session cipher and bound to their key like the Redis adapter's. An expired row is never answered; the expiry
 * sweep deletes it. The fill lease is a row of the shared `leases` table (PostgresLock), on the database's clock.
 */
export class PostgresListingCache implements ListingCache {
  private readonly leases: PostgresLock;

  constructor(
    private readonly pool: pg.Pool,
    private readonly cipher: SessionCipher,
    private readonly clock: Clock,
    leaseTermMs = DEFAULT_LEASE_TERM_MS,
  ) {
    this.leases = new PostgresLock(pool, 'listing-lease:', leaseTermMs);
  }

  async get(key: string): Promise<CachedListingEntry | undefined> {
    const { rows } = await this.query<{ sealed: string }>(
      'SELECT sealed FROM listing_cache WHERE key = $1 AND expires_at > $2',
      [key, this.clock.now()],
    );
    const sealed = rows[0]?.sealed;
    return sealed === undefined ? undefined : this.cipher.openJson<CachedListingEntry>(sealed, recordName(key));
  }

  async put(key: string, entry: CachedListingEntry, retainMs: number): Promise<void> {
    const sealed = this.cipher.sealJson(entry, recordName(key));
    await this.query(
      `INSERT INTO listing_cache (key, sealed, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET sealed = EXCLUDED.sealed, expires_at = EXCLUDED.expires_at`,
      [key, sealed, this.clock.now() + Math.max(1, Math.ceil(retainMs))],
    );
  }

  async delete(key: string): Promise<void> {
    await this.query('DELETE FROM listing_cache WHERE key = $1', [key]);
  }

  tryLease(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    return this.leases.tryAcquire(key, ttlMs);
  }

  private async query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, values);
    } catch {
      throw storeUnavailable();
    }
  }
}

/** The cipher's additional data: a value copied to another key does not decrypt. */
function recordName(key: string): string {
  return `listing_cache#${key}`;
}
