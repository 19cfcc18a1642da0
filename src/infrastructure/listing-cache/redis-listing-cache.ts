import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { CachedListingEntry, ListingCache } from '../../application/ports/listing-cache.js';
import { AppError } from '../../domain/errors.js';
import type { SessionCipher } from '../session/session-cipher.js';
import { storeUnavailable } from '../store-unavailable.js';

// Deletes the lease only if it is still ours: after expiry another instance may hold it.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * Listings in Redis, shared by every instance and kept across restarts: `<prefix>listing:<key>` holds one
 * listing encrypted with the session cipher (project and space names are the customer's data, like the
 * sessions), bound to its key so a value copied to another key does not decrypt; Redis expires it. The lease is
 * `<prefix>listing-lease:<key>` (SET NX PX).
 */
export class RedisListingCache implements ListingCache {
  constructor(
    private readonly redis: Redis,
    private readonly cipher: SessionCipher,
    private readonly keyPrefix: string,
  ) {}

  async get(key: string): Promise<CachedListingEntry | undefined> {
    const name = this.entryKey(key);
    const sealed = await this.guard(() => this.redis.get(name));
    if (sealed === null) return undefined;
    const plaintext = this.cipher.decrypt(sealed, name);
    if (plaintext === undefined) return undefined;
    try {
      return JSON.parse(plaintext) as CachedListingEntry;
    } catch {
      return undefined;
    }
  }

  async put(key: string, entry: CachedListingEntry, retainMs: number): Promise<void> {
    const name = this.entryKey(key);
    const sealed = this.cipher.encrypt(JSON.stringify(entry), name);
    await this.guard(() => this.redis.set(name, sealed, 'PX', Math.max(1, Math.ceil(retainMs))));
  }

  async delete(key: string): Promise<void> {
    await this.guard(() => this.redis.del(this.entryKey(key)));
  }

  async tryLease(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const name = `${this.keyPrefix}listing-lease:${key}`;
    const owner = randomBytes(16).toString('base64url');
    const taken = await this.guard(() => this.redis.set(name, owner, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX'));
    if (taken !== 'OK') return undefined;
    return async () => {
      // A failed release must not hide the listing it guarded: the lease expires by itself.
      await this.redis.eval(RELEASE, 1, name, owner).catch(() => undefined);
    };
  }

  private entryKey(key: string): string {
    return `${this.keyPrefix}listing:${key}`;
  }

  /** Redis being down is the service's fault, not the client's: 503, never a 500 with a driver message. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw storeUnavailable();
    }
  }
}
