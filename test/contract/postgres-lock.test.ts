import { expect } from 'chai';
import { createPostgresPool } from '../../src/infrastructure/postgres/pg-pool.js';
import { PostgresLock } from '../../src/infrastructure/lock/postgres-lock.js';
import { createTestSchema, requirePostgres, type TestSchema } from '../support/postgres.js';

/** The refresh lease across instances: two pools stand for two instances. */
describe('PostgresLock (real PostgreSQL)', function () {
  let schema: TestSchema;
  let otherPool: ReturnType<typeof createPostgresPool>;

  before(async function () {
    await requirePostgres(this);
    schema = await createTestSchema({ migrated: true });
    otherPool = createPostgresPool({ url: schema.url, poolSize: 2, timeoutMs: 5_000 });
  });
  after(async () => {
    await otherPool?.end();
    await schema?.drop();
  });

  it('of many instances trying at once, exactly one takes the lease; the others get it after its release', async () => {
    const a = new PostgresLock(schema.pool);
    const b = new PostgresLock(otherPool);
    const tries = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).tryAcquire('refresh:s1:jira', 30_000)));
    const holders = tries.filter((release) => release !== undefined);
    expect(holders).to.have.length(1);
    expect(await b.tryAcquire('refresh:s1:jira', 30_000)).to.equal(undefined);
    await holders[0]!();
    expect(await b.tryAcquire('refresh:s1:jira', 30_000)).to.be.a('function');
  });

  it('a lease ends by itself after its TTL, so a crashed holder blocks no one for longer', async () => {
    const lock = new PostgresLock(schema.pool);
    expect(await lock.tryAcquire('refresh:s2:jira', 30_000)).to.be.a('function');
    // The holder "crashed" long ago: its lease row ended in the past (the database's clock decides).
    await schema.pool.query(`UPDATE leases SET expires_at = expires_at - 60000 WHERE name = 'refresh:s2:jira'`);
    expect(await new PostgresLock(otherPool).tryAcquire('refresh:s2:jira', 30_000)).to.be.a('function');
  });

  it('a late release of an ended lease does not free the lease its successor took', async () => {
    const first = (await new PostgresLock(schema.pool).tryAcquire('refresh:s3:jira', 30_000))!;
    await schema.pool.query(`UPDATE leases SET expires_at = expires_at - 60000 WHERE name = 'refresh:s3:jira'`);
    const second = await new PostgresLock(otherPool).tryAcquire('refresh:s3:jira', 30_000);
    expect(second).to.be.a('function');
    await first();
    expect(await new PostgresLock(schema.pool).tryAcquire('refresh:s3:jira', 30_000)).to.equal(undefined);
  });

  it('names under different prefixes are different leases (a cache lease beside the refresh lease)', async () => {
    expect(await new PostgresLock(schema.pool, 'cache:').tryAcquire('x', 30_000)).to.be.a('function');
    expect(await new PostgresLock(schema.pool, 'refresh:').tryAcquire('x', 30_000)).to.be.a('function');
  });

  it('answers store_unavailable when the database is unreachable', async () => {
    const dead = createPostgresPool({ url: 'postgres://postgres@127.0.0.1:1/test', poolSize: 1, timeoutMs: 500 });
    try {
      const error = await new PostgresLock(dead).tryAcquire('x', 1_000).then(() => undefined, (caught: unknown) => caught);
      expect((error as { code?: string } | undefined)?.code).to.equal('store_unavailable');
    } finally {
      await dead.end();
    }
  });
});
