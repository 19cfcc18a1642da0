import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { AttemptLimiter } from '../../application/ports/attempt-limiter.js';

/**
 * Failed attempts per key in a one-minute window, on rate-limiter-flexible: in memory for one instance, in
 * Redis when instances share sessions, so a client cannot spread its guesses across instances.
 */
export class FlexibleAttemptLimiter implements AttemptLimiter {
  private readonly limiter: RateLimiterAbstract;

  constructor(perMinute: number, redis?: { client: Redis; keyPrefix: string }) {
    const options = { points: perMinute, duration: 60 };
    this.limiter =
      redis === undefined
        ? new RateLimiterMemory({ ...options, keyPrefix: 'auth-fail' })
        : new RateLimiterRedis({ ...options, storeClient: redis.client, keyPrefix: `${redis.keyPrefix}auth-fail` });
  }

  async blockedFor(key: string): Promise<number | undefined> {
    const state = await this.limiter.get(key);
    if (state === null || state.remainingPoints > 0) return undefined;
    return Math.max(1, Math.ceil(state.msBeforeNext / 1000));
  }

  async recordFailure(key: string): Promise<void> {
    try {
      await this.limiter.consume(key);
    } catch (error) {
      // Out of points: the next attempt is refused by blockedFor. Anything else (Redis down) propagates.
      if (!(error instanceof RateLimiterRes)) throw error;
    }
  }
}

/** For AUTH_RATE_LIMIT_PER_MINUTE=0. */
export class NoAttemptLimit implements AttemptLimiter {
  async blockedFor(): Promise<undefined> {
    return undefined;
  }
  async recordFailure(): Promise<void> {}
}
