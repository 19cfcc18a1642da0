import type { CachedListingEntry, ListingCache } from '../../application/ports/listing-cache.js';
import type { SessionCipher } from '../session/session-cipher.js';
import { guardStore } from '../store-unavailable.js';
import { DEFAULT_LEASE_TERM_MS } from '../lock/kept-lease.js';
import { takeRedisLease } from '../lock/redis-lock.js';
import type { RedisConnection } from '../redis/redis-connection.js';

/**
 * Listings in Redis, shared by every instance and kept across restarts: `<prefix>listing:<key>` holds one
 * listing encrypted with the session cipher (project and space names are the customer's data, like the
 * sessions), bound to its key so a value copied to another key does not decrypt; Redis expires it. The lease is
 * `<prefix>listing-lease:<key>` (takeRedisLease). Every command touches one key, so it runs as is under Cluster.
 */
export class RedisListingCache implements ListingCache {
  constructor(
    private readonly redis: RedisConnection,
    private readonly cipher: SessionCipher,
    private readonly keyPrefix: string,
    private readonly leaseTermMs = DEFAULT_LEASE_TERM_MS,
  ) {}

  async get(key: string): Promise<CachedListingEntry | undefined> {
    const name = this.entryKey(key);
    const sealed = await guardStore(() => this.redis.command<string | null>(name, ['GET', name]));
    return sealed === null ? undefined : this.cipher.openJson<CachedListingEntry>(sealed, name);
  }

  async put(key: string, entry: CachedListingEntry, retainMs: number): Promise<void> {
    const name = this.entryKey(key);
    const sealed = this.cipher.sealJson(entry, name);
    await guardStore(() => this.redis.command(name, ['SET', name, sealed, 'PX', Math.max(1, Math.ceil(retainMs))]));
  }

  async delete(key: string): Promise<void> {
    const name = this.entryKey(key);
    await guardStore(() => this.redis.command(name, ['DEL', name]));
  }

  tryLease(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    return takeRedisLease(this.redis, `${this.keyPrefix}listing-lease:${key}`, ttlMs, this.leaseTermMs);
  }

  private entryKey(key: string): string {
    return `${this.keyPrefix}listing:${key}`;
  }

}
