import { expect } from 'chai';
import { createPostgresPool } from '../../src/infrastructure/postgres/pg-pool.js';
import { migrate } from '../../src/infrastructure/postgres/migrator.js';
import { MIGRATIONS, type Migration } from '../../src/infrastructure/postgres/migrations.js';
import { createTestSchema, requirePostgres, type TestSchema } from '../support/postgres.js';

describe('PostgreSQL migrations (real PostgreSQL)', function () {
  this.timeout(30_000);
  let schema: TestSchema;

  before(async function () {
    await requirePostgres(this);
  });
  beforeEach(async () => {
    schema = await createTestSchema();
  });
  afterEach(async () => {
    await schema?.drop();
  });

  const versions = async () =>
    (await schema.pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows.map((row) => row.version);

  it('creates every table in the schema of the connection, and records each version', async () => {
    expect(await migrate(schema.pool)).to.deep.equal(MIGRATIONS.map((migration) => migration.version));
    const { rows } = await schema.pool.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema.name],
    );
    expect(rows.map((row) => row.table_name)).to.deep.equal([
      'leases', 'listing_cache', 'oauth_completions', 'oauth_states', 'quota_blocks', 'rate_limits', 'schema_migrations', 'sessions',
    ]);
    expect(await versions()).to.deep.equal(MIGRATIONS.map((migration) => migration.version));
  });

  it('is idempotent: a second run applies nothing', async () => {
    await migrate(schema.pool);
    expect(await migrate(schema.pool)).to.deep.equal([]);
  });

  it('two instances starting at once (two pools) serialize: each step is applied exactly once, neither fails', async () => {
    const other = createPostgresPool({ url: schema.url, poolSize: 2, timeoutMs: 5_000 });
    // A slow step widens the window in which an unserialized second run would apply it again and fail.
    const slow: Migration[] = [
      ...MIGRATIONS,
      { version: 1000, name: 'slow step', sql: 'SELECT pg_sleep(0.3); CREATE TABLE slow_step (id integer PRIMARY KEY)' },
    ];
    try {
      const runs = await Promise.all([migrate(schema.pool, slow), migrate(other, slow), migrate(schema.pool, slow), migrate(other, slow)]);
      // Every version was applied by exactly one of the runs.
      expect(runs.flat().sort((x, y) => x - y)).to.deep.equal(slow.map((migration) => migration.version));
      expect(await versions()).to.deep.equal(slow.map((migration) => migration.version));
    } finally {
      await other.end();
    }
  });

  it('a failing step rolls back whole and is not recorded; the steps before it stay', async () => {
    const broken: Migration[] = [...MIGRATIONS, { version: 1001, name: 'broken', sql: 'CREATE TABLE half_done (id integer); SELECT no_such_function()' }];
    const error = await migrate(schema.pool, broken).then(() => undefined, (caught: unknown) => caught);
    expect(error).to.be.instanceOf(Error);
    expect(await versions()).to.deep.equal(MIGRATIONS.map((migration) => migration.version));
    const { rowCount } = await schema.pool.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'half_done'`, [schema.name]);
    expect(rowCount).to.equal(0);
  });
});
