import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { RedisListingCache } from '../../src/infrastructure/listing-cache/redis-listing-cache.js';
import { SessionCipher } from '../../src/infrastructure/session/session-cipher.js';
import { redisSuite } from '../support/redis.js';
import { createRedisConnection, type RedisConnection } from '../../src/infrastructure/redis/redis-connection.js';
import { listingCacheContract } from './listing-cache.contract.js';

const key = () => randomBytes(32).toString('base64');

describe('RedisListingCache (real Redis)', function () {
  const redis = redisSuite('listing');
  const { prefix } = redis;

  // Redis expires on real time: 200 ms keeps the expiry tests short.
  listingCacheContract('RedisListingCache', async () => ({
    cache: new RedisListingCache(redis.connection, new SessionCipher([key()]), prefix),
    advance: (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)),
    shortMs: 200,
  }));

  describe('at rest', () => {
    const secretKey = key();
    const cache = () => new RedisListingCache(redis.connection, new SessionCipher([secretKey]), prefix);
    const listing = { items: [{ id: '10000', key: 'SECRETKEY', name: 'Secret project name' }], fetchedAt: 1, version: 'v1' };

    it('holds nothing readable: project keys and names are encrypted', async () => {
      await cache().put('k1', listing, 60_000);
      const raw = await redis.client.get(`${prefix}listing:k1`);
      expect(raw).to.be.a('string');
      for (const secret of ['SECRETKEY', 'Secret project', '10000']) expect(raw).not.to.include(secret);
    });

    it('is readable by another instance (or a restarted one) with the same key', async () => {
      await cache().put('k2', listing, 60_000);
      expect(await new RedisListingCache(redis.connection, new SessionCipher([secretKey]), prefix).get('k2')).to.deep.equal(listing);
    });

    it('treats a value copied to another key, or under an unknown key, as absent', async () => {
      await cache().put('k3', listing, 60_000);
      await redis.client.set(`${prefix}listing:k4`, (await redis.client.get(`${prefix}listing:k3`))!);
      expect(await cache().get('k4')).to.equal(undefined);
      expect(await new RedisListingCache(redis.connection, new SessionCipher([key()]), prefix).get('k3')).to.equal(undefined);
    });

    it('sets the retention as the key\'s TTL', async () => {
      await cache().put('k5', listing, 30_000);
      expect(await redis.client.pttl(`${prefix}listing:k5`)).to.be.within(29_000, 30_000);
    });

    it('answers store_unavailable, not a driver error, when Redis is gone', async () => {
      const dead = createRedisConnection({ kind: 'single', url: 'redis://127.0.0.1:1' }, { commandTimeoutMs: 300 });
      const broken = new RedisListingCache(dead, new SessionCipher([key()]), prefix);
      try {
        for (const attempt of [() => broken.get('x'), () => broken.put('x', listing, 1_000), () => broken.tryLease('x', 1_000)]) {
          let caught: unknown;
          await attempt().catch((error: unknown) => (caught = error));
          expect((caught as { code?: string }).code).to.equal('store_unavailable');
        }
      } finally {
        await dead.close();
      }
    });
  });
});
