import { randomBytes } from 'node:crypto';
import type { Lock } from '../../application/ports/lock.js';
import { redisScript, type RedisConnection } from '../redis/redis-connection.js';
import { guardStore } from '../store-unavailable.js';
import { DEFAULT_LEASE_TERM_MS, firstTermMs, keepLease } from './kept-lease.js';

// Both only if the lease is still ours: after it ended another instance may hold it.
const RENEW = redisScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`);
const RELEASE = redisScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`);

/**
 * One lease on the Redis key `key` (SET NX PX, the pattern Redis documents for one primary), kept in terms of
 * `termMs` (kept-lease.ts) so that a release lost with a failed-over primary blocks others for one term at most.
 * Answers the release function, or undefined while another holder has it; `store_unavailable` when Redis fails.
 */
export async function takeRedisLease(redis: RedisConnection, key: string, ttlMs: number, termMs: number): Promise<(() => Promise<void>) | undefined> {
  const owner = randomBytes(16).toString('base64url');
  const taken = await guardStore(() => redis.command<string | null>(key, ['SET', key, owner, 'PX', firstTermMs(ttlMs, termMs), 'NX']));
  if (taken !== 'OK') return undefined;
  return keepLease(
    {
      renew: async (ms) => Number(await redis.eval<number>(RENEW, [key], [owner, ms])) === 1,
      release: async () => {
        await redis.eval(RELEASE, [key], [owner]);
      },
    },
    ttlMs,
    termMs,
  );
}

/**
 * The refresh lock in Redis. Names are `<purpose>:<owner id>:<rest>` (`refresh:<session id>:<product>`): the
 * owner id becomes the hash tag, so a session's lease sits in its session's Cluster slot.
 */
export class RedisLock implements Lock {
  constructor(
    private readonly redis: RedisConnection,
    private readonly keyPrefix: string,
    private readonly termMs = DEFAULT_LEASE_TERM_MS,
  ) {}

  tryAcquire(name: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    return takeRedisLease(this.redis, `${this.keyPrefix}lock:${tagged(name)}`, ttlMs, this.termMs);
  }
}

function tagged(name: string): string {
  const [purpose, owner, ...rest] = name.split(':');
  if (owner === undefined || owner === '' || owner.includes('{') || owner.includes('}')) return name;
  return [purpose, `{${owner}}`, ...rest].join(':');
}
