import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { RedisListingCache } from '../../src/infrastructure/listing-cache/redis-listing-cache.js';
import { SessionCipher } from '../../src/infrastructure/session/session-cipher.js';
import { deleteKeys, REDIS_URL, requireRedis, uniquePrefix } from '../support/redis.js';
import { listingCacheContract } from './listing-cache.contract.js';

const key = () => randomBytes(32).toString('base64');

describe('RedisListingCache (real Redis)', function () {
  let client: Redis;
  const prefix = uniquePrefix('listing');

  before(async function () {
    await requireRedis(this);
    client = new Redis(REDIS_URL);
  });
  after(async () => {
    if (client === undefined) return;
    await deleteKeys(client, prefix);
    client.disconnect();
  });

  // Redis expires on real time: 200 ms keeps the expiry tests short.
  listingCacheContract('RedisListingCache', async () => ({
    cache: new RedisListingCache(client, new SessionCipher([key()]), prefix),
    advance: (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)),
    shortMs: 200,
  }));

  describe('at rest', () => {
    const secretKey = key();
    const cache = () => new RedisListingCache(client, new SessionCipher([secretKey]), prefix);
    const listing = { items: [{ id: '10000', key: 'SECRETKEY', name: 'Secret project name' }], fetchedAt: 1, version: 'v1' };

    it('holds nothing readable: project keys and names are encrypted', async () => {
      await cache().put('k1', listing, 60_000);
      const raw = await client.get(`${prefix}listing:k1`);
      expect(raw).to.be.a('string');
      for (const secret of ['SECRETKEY', 'Secret project', '10000']) expect(raw).not.to.include(secret);
    });

    it('is readable by another instance (or a restarted one) with the same key', async () => {
      await cache().put('k2', listing, 60_000);
      expect(await new RedisListingCache(client, new SessionCipher([secretKey]), prefix).get('k2')).to.deep.equal(listing);
    });

    it('treats a value copied to another key, or under an unknown key, as absent', async () => {
      await cache().put('k3', listing, 60_000);
      await client.set(`${prefix}listing:k4`, (await client.get(`${prefix}listing:k3`))!);
      expect(await cache().get('k4')).to.equal(undefined);
      expect(await new RedisListingCache(client, new SessionCipher([key()]), prefix).get('k3')).to.equal(undefined);
    });

    it('sets the retention as the key\'s TTL', async () => {
      await cache().put('k5', listing, 30_000);
      expect(await client.pttl(`${prefix}listing:k5`)).to.be.within(29_000, 30_000);
    });

    it('answers store_unavailable, not a driver error, when Redis is gone', async () => {
      const dead = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      dead.on('error', () => undefined);
      const broken = new RedisListingCache(dead, new SessionCipher([key()]), prefix);
      try {
        for (const attempt of [() => broken.get('x'), () => broken.put('x', listing, 1_000), () => broken.tryLease('x', 1_000)]) {
          let caught: unknown;
          await attempt().catch((error: unknown) => (caught = error));
          expect((caught as { code?: string }).code).to.equal('store_unavailable');
        }
      } finally {
        dead.disconnect();
      }
    });
  });
});
