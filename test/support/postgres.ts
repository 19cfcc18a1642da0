import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPostgresPool } from '../../src/infrastructure/postgres/pg-pool.js';
import { migrate } from '../../src/infrastructure/postgres/migrator.js';

/** The machine's shared PostgreSQL. Tests work only in schemas of their own (testSchema) and drop them after. */
export const POSTGRES_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: Promise<boolean> | undefined;

function probe(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 1_000 });
  return client
    .connect()
    .then(() => client.query('SELECT 1'))
    .then(() => true, () => false)
    .finally(() => client.end().catch(() => undefined));
}

/**
 * Call in a `before` of every suite that needs PostgreSQL. In CI a missing server fails the suite; elsewhere the
 * suite is skipped, and says so loudly so nobody mistakes the skip for a pass.
 */
export async function requirePostgres(context: Mocha.Context): Promise<void> {
  reachable ??= probe();
  if (await reachable) return;
  if (process.env['CI']) throw new Error(`PostgreSQL is required in CI but ${POSTGRES_URL} cannot be reached`);
  const banner = '!'.repeat(100);
  console.warn(`\n${banner}\n!!! SKIPPED: "${context.test?.parent?.fullTitle() ?? 'a PostgreSQL suite'}" — no PostgreSQL at ${POSTGRES_URL}.`);
  console.warn(`!!! These tests did NOT run. Start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n${banner}\n`);
  context.skip();
}

/** A connection URL whose sessions work in `schema` (search_path), as an operator would set DATABASE_URL. */
export function urlWithSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

export interface TestSchema {
  readonly name: string;
  /** DATABASE_URL for a service that should work in this schema. */
  readonly url: string;
  /** A pool on the schema, with the service's bounds; migrated when asked. */
  readonly pool: pg.Pool;
  /** Drops the schema with everything in it and ends the pool. */
  drop(): Promise<void>;
}

/** A schema no other test run shares (`test_<pid>_<random>`), created now; `migrated` also runs the migrations. */
export async function createTestSchema(options: { migrated?: boolean; baseUrl?: string } = {}): Promise<TestSchema> {
  const baseUrl = options.baseUrl ?? POSTGRES_URL;
  const name = `test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${name}`);
  } finally {
    await admin.end();
  }
  const url = urlWithSchema(baseUrl, name);
  const pool = createPostgresPool({ url, poolSize: 5, timeoutMs: 5_000 });
  if (options.migrated === true) await migrate(pool);
  return {
    name,
    url,
    pool,
    async drop() {
      await pool.end().catch(() => undefined);
      const cleaner = new pg.Client({ connectionString: baseUrl });
      await cleaner.connect();
      try {
        await cleaner.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      } finally {
        await cleaner.end();
      }
    },
  };
}

/**
 * A schema for the tests of the `describe` this is called in: registers the hooks that require PostgreSQL (a loud
 * skip without it), create the schema before the tests and drop it after them. Answers a getter for it.
 */
export function schemaPerSuite(options: { migrated?: boolean } = {}): () => TestSchema {
  let schema: TestSchema | undefined;
  before(async function () {
    await requirePostgres(this);
    schema = await createTestSchema(options);
  });
  after(async () => schema?.drop());
  return () => schema!;
}
