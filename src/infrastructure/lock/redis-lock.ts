import { randomBytes } from 'node:crypto';
import type { Lock } from '../../application/ports/lock.js';
import { redisScript, type RedisConnection } from '../redis/redis-connection.js';
import { storeUnavailable } from '../store-unavailable.js';

// Deletes the lease only if it is still ours: after expiry another instance may hold it.
const RELEASE = redisScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`);

/**
 * Redis lease (SET NX PX) on the primary that holds the key, the pattern Redis documents for one primary. Names
 * are `<purpose>:<owner id>:<rest>` (`refresh:<session id>:<product>`): the owner id becomes the hash tag, so
 * a session's lease sits in its session's Cluster slot.
 */
export class RedisLock implements Lock {
  constructor(
    private readonly redis: RedisConnection,
    private readonly keyPrefix: string,
  ) {}

  async tryAcquire(name: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const key = `${this.keyPrefix}lock:${tagged(name)}`;
    const owner = randomBytes(16).toString('base64url');
    let taken: string | null;
    try {
      taken = await this.redis.command<string | null>(key, ['SET', key, owner, 'PX', ttlMs, 'NX']);
    } catch {
      throw storeUnavailable();
    }
    if (taken !== 'OK') return undefined;
    return async () => {
      // A failed release must not hide the refresh it guarded: the lease expires by itself.
      await this.redis.eval(RELEASE, [key], [owner]).catch(() => undefined);
    };
  }
}

function tagged(name: string): string {
  const [purpose, owner, ...rest] = name.split(':');
  if (owner === undefined || owner === '' || owner.includes('{') || owner.includes('}')) return name;
  return [purpose, `{${owner}}`, ...rest].join(':');
}
