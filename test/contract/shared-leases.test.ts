import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { RedisListingCache } from '../../src/infrastructure/listing-cache/redis-listing-cache.js';
import { PostgresListingCache } from '../../src/infrastructure/listing-cache/postgres-listing-cache.js';
import { PostgresLock } from '../../src/infrastructure/lock/postgres-lock.js';
import { RedisLock } from '../../src/infrastructure/lock/redis-lock.js';
import { createPostgresPool } from '../../src/infrastructure/postgres/pg-pool.js';
import { SessionCipher } from '../../src/infrastructure/session/session-cipher.js';
import { SystemClock } from '../../src/infrastructure/system-clock.js';
import { connectRedis, redisSuite } from '../support/redis.js';
import { schemaPerSuite } from '../support/postgres.js';
import { until } from '../support/redis-servers.js';

/** Short terms keep these tests short; the TTL is what a listing's lease gets in production (35 s). */
const TERM_MS = 300;
const TTL_MS = 35_000;

type TryLease = (name: string, ttlMs: number) => Promise<(() => Promise<void>) | undefined>;

interface Instance {
  readonly tryLease: TryLease;
  /** Cuts this instance off its store (closes its connection): its renewals and its release fail from now on. */
  readonly cutOff: () => Promise<void>;
}

/**
 * The leases shared across instances (the refresh lock, a listing's fill lease) on Redis and PostgreSQL: a holder
 * keeps its lease as long as it works, and one that is gone — crashed, or its release lost with a failed-over
 * primary — blocks the others for one term, not for the lease's whole TTL.
 */
function keptLeaseTests(title: string, other: () => TryLease, instance: () => Promise<Instance>): void {
  describe(title, () => {
    const name = () => `refresh:${randomBytes(6).toString('hex')}:jira`;
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    it('a live holder keeps the lease past its term, and it is free as soon as it is released', async () => {
      const held = name();
      const live = await instance();
      const release = await live.tryLease(held, TTL_MS);
      expect(release).to.be.a('function');
      await sleep(4 * TERM_MS);
      expect(await other()(held, TTL_MS), 'still held after four terms').to.equal(undefined);
      await release!();
      await live.cutOff();
      const next = await other()(held, TTL_MS);
      expect(next).to.be.a('function');
      await next!();
    });

    it('a holder cut off from the store (its release lost) blocks the others for about a term, not for the TTL', async () => {
      const held = name();
      const gone = await instance();
      const release = await gone.tryLease(held, TTL_MS);
      expect(release).to.be.a('function');
      await gone.cutOff();
      await release!();
      expect(await other()(held, TTL_MS), 'held until the term ends').to.equal(undefined);
      let next: (() => Promise<void>) | undefined;
      // Ten terms is far inside the 35 s TTL: a lease stored for its TTL would fail this.
      await until('the lease to end with its term', async () => (next = await other()(held, TTL_MS)) !== undefined, 10 * TERM_MS, 25);
      await next!();
    });
  });
}

describe('Leases kept in renewed terms (real Redis, real PostgreSQL)', function () {
  this.timeout(20_000);

  describe('on Redis', () => {
    const redis = redisSuite('leases');
    const cipher = new SessionCipher([randomBytes(32).toString('base64')]);
    const redisInstance = async (make: (connection: Awaited<ReturnType<typeof connectRedis>>) => TryLease): Promise<Instance> => {
      const connection = await connectRedis();
      return { tryLease: make(connection), cutOff: () => connection.close() };
    };

    keptLeaseTests(
      'RedisLock',
      () => (n, ttl) => new RedisLock(redis.connection, redis.prefix, TERM_MS).tryAcquire(n, ttl),
      () => redisInstance((connection) => (n, ttl) => new RedisLock(connection, redis.prefix, TERM_MS).tryAcquire(n, ttl)),
    );
    keptLeaseTests(
      'RedisListingCache leases',
      () => (n, ttl) => new RedisListingCache(redis.connection, cipher, redis.prefix, TERM_MS).tryLease(n, ttl),
      () => redisInstance((connection) => (n, ttl) => new RedisListingCache(connection, cipher, redis.prefix, TERM_MS).tryLease(n, ttl)),
    );

    it('the lease is stored for one term at a time, not for its TTL', async () => {
      const held = `refresh:${randomBytes(6).toString('hex')}:jira`;
      const release = await new RedisLock(redis.connection, redis.prefix, TERM_MS).tryAcquire(held, TTL_MS);
      const [key] = await redis.client.keys(`${redis.prefix}lock:*${held.split(':')[1]}*`);
      const pttl = await redis.client.pttl(key!);
      expect(pttl).to.be.within(1, TERM_MS);
      await release!();
    });
  });

  describe('on PostgreSQL', () => {
    const schema = schemaPerSuite({ migrated: true });
    const cipher = new SessionCipher([randomBytes(32).toString('base64')]);
    const pgInstance = async (make: (pool: ReturnType<typeof createPostgresPool>) => TryLease): Promise<Instance> => {
      const pool = createPostgresPool({ url: schema().url, poolSize: 2, timeoutMs: 1_000 });
      return { tryLease: make(pool), cutOff: () => pool.end() };
    };

    keptLeaseTests(
      'PostgresLock',
      () => (n, ttl) => new PostgresLock(schema().pool, 'lock:', TERM_MS).tryAcquire(n, ttl),
      () => pgInstance((pool) => (n, ttl) => new PostgresLock(pool, 'lock:', TERM_MS).tryAcquire(n, ttl)),
    );
    keptLeaseTests(
      'PostgresListingCache leases',
      () => (n, ttl) => new PostgresListingCache(schema().pool, cipher, new SystemClock(), TERM_MS).tryLease(n, ttl),
      () => pgInstance((pool) => (n, ttl) => new PostgresListingCache(pool, cipher, new SystemClock(), TERM_MS).tryLease(n, ttl)),
    );
  });
});
