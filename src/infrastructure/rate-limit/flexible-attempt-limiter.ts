import type { Redis } from 'ioredis';
import type pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { AttemptLimiter, Reservation } from '../../application/ports/attempt-limiter.js';

/**
 * Attempts per key in a one-minute window, on rate-limiter-flexible: in memory for one instance, in Redis when
 * instances share sessions, so a client cannot spread its attempts across instances. `name` keeps the counts of
 * different limits apart.
 */
export class FlexibleAttemptLimiter implements AttemptLimiter {
  private readonly limiter: RateLimiterAbstract;

  constructor(perMinute: number, name: string, redis?: { client: Redis; keyPrefix: string } | PostgresLimitStore) {
    const options = { points: perMinute, duration: 60 };
    this.limiter =
      redis === undefined
        ? new RateLimiterMemory({ ...options, keyPrefix: name })
        : 'pool' in redis
          ? // The table comes from the service's migrations (tableCreated): the library would otherwise create it
            // from its constructor, where a failure is an unhandled rejection. The pool's timeouts bound each query.
            new RateLimiterPostgres({ ...options, storeClient: redis.pool, storeType: 'pool', tableName: redis.tableName, tableCreated: true, keyPrefix: `${redis.keyPrefix ?? ''}${name}` })
          : // rejectIfRedisNotReady: while Redis is down, refuse at once instead of queueing behind reconnects.
            new RateLimiterRedis({ ...options, storeClient: redis.client, keyPrefix: `${redis.keyPrefix}${name}`, rejectIfRedisNotReady: true });
  }

  async reserve(key: string): Promise<Reservation> {
    try {
      await this.limiter.consume(key);
    } catch (error) {
      // Anything but the limiter's own "out of points" answer (Redis down) propagates: the caller refuses.
      if (!(error instanceof RateLimiterRes)) throw error;
      // The refused attempt stays counted: it cannot lengthen the window, which starts at the first attempt.
      return { granted: false, retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)) };
    }
    let released = false;
    return {
      granted: true,
      release: async () => {
        if (released) return;
        released = true;
        const after = await this.limiter.reward(key, 1);
        // The window ended between reserve and release: the reward opened a new one below zero, which would be a
        // free attempt. Take it back.
        if (after.consumedPoints < 0) await this.limiter.penalty(key, 1);
      },
    };
  }
}

/** The PostgreSQL backend: the service's pool and the table its migrations create (`rate_limits`). */
export interface PostgresLimitStore {
  readonly pool: pg.Pool;
  readonly tableName: string;
  /** Keeps the counts of services (or test runs) that share the table apart. */
  readonly keyPrefix?: string;
}

/** For a limit of 0 (turned off). */
export class NoAttemptLimit implements AttemptLimiter {
  async reserve(): Promise<Reservation> {
    return { granted: true, release: async () => undefined };
  }
}
