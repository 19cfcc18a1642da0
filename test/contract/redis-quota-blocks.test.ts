import { expect } from 'chai';
import { Redis } from 'ioredis';
import { RedisQuotaBlocks } from '../../src/infrastructure/quota/redis-quota-blocks.js';
import { FixedClock } from '../support/port-fakes.js';
import { deleteKeys, REDIS_URL, requireRedis, uniquePrefix } from '../support/redis.js';
import { quotaBlocksContract } from './quota-blocks.contract.js';

describe('RedisQuotaBlocks (real Redis)', function () {
  let client: Redis;
  const prefix = uniquePrefix('quota');

  before(async function () {
    await requireRedis(this);
    client = new Redis(REDIS_URL);
  });
  after(async () => {
    if (client === undefined) return;
    await deleteKeys(client, prefix);
    client.disconnect();
  });

  quotaBlocksContract('RedisQuotaBlocks', (clock) => new RedisQuotaBlocks(client, prefix, clock));

  it('a block written by one client is seen by another (the instances share it), under the key prefix, expiring with it', async () => {
    const clock = new FixedClock(Date.now());
    const other = new Redis(REDIS_URL);
    try {
      await new RedisQuotaBlocks(client, prefix, clock).block('global:shared-app', clock.now() + 30_000);
      expect(await new RedisQuotaBlocks(other, prefix, clock).blockedUntil(['global:shared-app'])).to.equal(clock.now() + 30_000);
      const ttl = await client.pttl(`${prefix}quota-block:global:shared-app`);
      expect(ttl).to.be.within(1, 30_000);
    } finally {
      other.disconnect();
    }
  });
});
