import { expect } from 'chai';
import { Redis } from 'ioredis';
import { RedisQuotaBlocks } from '../../src/infrastructure/quota/redis-quota-blocks.js';
import { FixedClock } from '../support/port-fakes.js';
import { connectRedis, redisSuite } from '../support/redis.js';
import { quotaBlocksContract } from './quota-blocks.contract.js';

describe('RedisQuotaBlocks (real Redis)', function () {
  const redis = redisSuite('quota');
  const { prefix } = redis;

  quotaBlocksContract('RedisQuotaBlocks', (clock) => new RedisQuotaBlocks(redis.connection, prefix, clock));

  it('a block written by one client is seen by another (the instances share it), under the key prefix, expiring with it', async () => {
    const clock = new FixedClock(Date.now());
    const other = await connectRedis();
    try {
      await new RedisQuotaBlocks(redis.connection, prefix, clock).block('global:shared-app', clock.now() + 30_000);
      expect(await new RedisQuotaBlocks(other, prefix, clock).blockedUntil(['global:shared-app'])).to.equal(clock.now() + 30_000);
      const ttl = await redis.client.pttl(`${prefix}quota-block:global:shared-app`);
      expect(ttl).to.be.within(1, 30_000);
    } finally {
      await other.close();
    }
  });
});
