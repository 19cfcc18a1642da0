import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Lock } from '../../application/ports/lock.js';
import { storeUnavailable } from '../store-unavailable.js';

// Deletes the lease only if it is still ours: after expiry another instance may hold it.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/** Single-instance Redis lease (SET NX PX), the pattern Redis documents for one primary. */
export class RedisLock implements Lock {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  async tryAcquire(name: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const key = `${this.keyPrefix}lock:${name}`;
    const owner = randomBytes(16).toString('base64url');
    let taken: string | null;
    try {
      taken = await this.redis.set(key, owner, 'PX', ttlMs, 'NX');
    } catch {
      throw storeUnavailable();
    }
    if (taken !== 'OK') return undefined;
    return async () => {
      // A failed release must not hide the refresh it guarded: the lease expires by itself.
      await this.redis.eval(RELEASE, 1, key, owner).catch(() => undefined);
    };
  }
}
