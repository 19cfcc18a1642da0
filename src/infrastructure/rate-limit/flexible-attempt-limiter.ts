import type pg from 'pg';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { AttemptLimiter, Reservation } from '../../application/ports/attempt-limiter.js';
import { redisScript, type RedisConnection, type RedisScript } from '../redis/redis-connection.js';

type RateLimiterLibrary = typeof import('rate-limiter-flexible');

let library: Promise<RateLimiterLibrary> | undefined;

/**
 * rate-limiter-flexible, imported once for every limiter on the first call, not at start: its module loading (about
 * 20 ms) stays off the cold start. The service also calls this in the background once it listens, so the first
 * attempt rarely waits.
 */
export function loadRateLimiterLibrary(): Promise<RateLimiterLibrary> {
  // Node's import() of this CommonJS package answers its exports by name (and all of them as `default`); the
  // bundle's lazy chunk of it answers `default` only (dist/bundle/, scripts/build.mjs). Both hold module.exports.
  return (library ??= import('rate-limiter-flexible').then((loaded) => (loaded as { default?: RateLimiterLibrary }).default ?? loaded));
}

/**
 * Attempts per key in a one-minute window, on rate-limiter-flexible: in memory for one instance, in Redis when
 * instances share sessions, so a client cannot spread its attempts across instances. `name` keeps the counts of
 * different limits apart.
 */
export class FlexibleAttemptLimiter implements AttemptLimiter {
  private made: Promise<{ limiter: RateLimiterAbstract; lib: RateLimiterLibrary }> | undefined;

  constructor(
    private readonly perMinute: number,
    private readonly name: string,
    private readonly redis?: { connection: RedisConnection; keyPrefix: string } | PostgresLimitStore,
  ) {}

  /** The limiter, built on first use, once the library is loaded. */
  private limiter(): Promise<{ limiter: RateLimiterAbstract; lib: RateLimiterLibrary }> {
    return (this.made ??= loadRateLimiterLibrary().then((lib) => ({ limiter: this.build(lib), lib })));
  }

  private build(lib: RateLimiterLibrary): RateLimiterAbstract {
    const { name, redis } = this;
    const options = { points: this.perMinute, duration: 60 };
    return redis === undefined
      ? new lib.RateLimiterMemory({ ...options, keyPrefix: name })
      : 'pool' in redis
        ? // The table comes from the service's migrations (tableCreated): the library would otherwise create it
          // from its constructor, where a failure is an unhandled rejection. The pool's timeouts bound each query.
          new lib.RateLimiterPostgres({ ...options, storeClient: redis.pool, storeType: 'pool', tableName: redis.tableName, tableCreated: true, keyPrefix: `${redis.keyPrefix ?? ''}${name}` })
        : // rejectIfRedisNotReady: while Redis is down, refuse at once instead of queueing behind reconnects.
          new lib.RateLimiterRedis({
            ...options,
            storeClient: nodeRedisFacade(redis.connection),
            useRedisPackage: true,
            keyPrefix: `${redis.keyPrefix}${name}`,
            rejectIfRedisNotReady: true,
          });
  }

  async reserve(key: string): Promise<Reservation> {
    const { limiter, lib } = await this.limiter();
    try {
      await limiter.consume(key);
    } catch (error) {
      // Anything but the limiter's own "out of points" answer (Redis down) propagates: the caller refuses.
      if (!(error instanceof lib.RateLimiterRes)) throw error;
      // The refused attempt stays counted: it cannot lengthen the window, which starts at the first attempt.
      return { granted: false, retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)) };
    }
    let released = false;
    return {
      granted: true,
      release: async () => {
        if (released) return;
        released = true;
        const after = await limiter.reward(key, 1);
        // The window ended between reserve and release: the reward opened a new one below zero, which would be a
        // free attempt. Take it back.
        if (after.consumedPoints < 0) await limiter.penalty(key, 1);
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

/**
 * What RateLimiterRedis calls on a node-redis client for consume, reward and penalty (`isReady`, and `eval` of
 * its one-key script), served by our connection: the counter runs on the same topology, with the same bounded
 * command time, as the sessions. Its script is sent by SHA after the first use.
 */
function nodeRedisFacade(connection: RedisConnection): object {
  const scripts = new Map<string, RedisScript>();
  return {
    get isReady() {
      return connection.isReady;
    },
    eval(source: string, call: { keys: string[]; arguments: string[] }) {
      let script = scripts.get(source);
      if (script === undefined) scripts.set(source, (script = redisScript(source)));
      return connection.eval(script, call.keys, call.arguments);
    },
  };
}
