import { expect } from 'chai';
import { createPostgresPool } from '../../src/infrastructure/postgres/pg-pool.js';
import { PostgresQuotaBlocks } from '../../src/infrastructure/quota/postgres-quota-blocks.js';
import { FixedClock } from '../support/port-fakes.js';
import { schemaPerSuite } from '../support/postgres.js';
import { quotaBlocksContract } from './quota-blocks.contract.js';

describe('PostgresQuotaBlocks (real PostgreSQL)', function () {

  const schema = schemaPerSuite({ migrated: true });

  quotaBlocksContract('PostgresQuotaBlocks', (clock) => new PostgresQuotaBlocks(schema().pool, clock));

  it('a block written through one pool is seen through another (the instances share it)', async () => {
    const clock = new FixedClock(Date.now());
    const other = createPostgresPool({ url: schema().url, poolSize: 1, timeoutMs: 5_000 });
    try {
      await new PostgresQuotaBlocks(schema().pool, clock).block('global:shared-app', clock.now() + 30_000);
      expect(await new PostgresQuotaBlocks(other, clock).blockedUntil(['global:shared-app'])).to.equal(clock.now() + 30_000);
    } finally {
      await other.end();
    }
  });
});
