import { randomBytes } from 'node:crypto';
import type { CachedListingEntry, ListingCache } from '../../application/ports/listing-cache.js';
import type { SessionCipher } from '../session/session-cipher.js';
import { guardStore } from '../store-unavailable.js';
import { redisScript, type RedisConnection } from '../redis/redis-connection.js';

// Deletes the lease only if it is still ours: after expiry another instance may hold it.
const RELEASE = redisScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`);

/**
 * Listings in Redis, shared by every instance and kept across restarts: `<prefix>listing:<key>` holds one
 * listing encrypted with the session cipher (project and space names are the customer's data, like the
 * sessions), bound to its key so a value copied to another key does not decrypt; Redis expires it. The lease is
 * `<prefix>listing-lease:<key>` (SET NX PX). Every command touches one key, so it runs as is under Cluster.
 */
export class RedisListingCache implements ListingCache {
  constructor(
    private readonly redis: RedisConnection,
    private readonly cipher: SessionCipher,
    private readonly keyPrefix: string,
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

  async tryLease(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const name = `${this.keyPrefix}listing-lease:${key}`;
    const owner = randomBytes(16).toString('base64url');
    const taken = await guardStore(() => this.redis.command<string | null>(name, ['SET', name, owner, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX']));
    if (taken !== 'OK') return undefined;
    return async () => {
      // A failed release must not hide the listing it guarded: the lease expires by itself.
      await this.redis.eval(RELEASE, [name], [owner]).catch(() => undefined);
    };
  }

  private entryKey(key: string): string {
    return `${this.keyPrefix}listing:${key}`;
  }

}
