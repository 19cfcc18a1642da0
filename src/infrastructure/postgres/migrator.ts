import type pg from 'pg';
import { MIGRATIONS, type Migration } from './migrations.js';

/** How long one step may wait for another instance's migration, and run; far above the per-request bound. */
const MIGRATION_TIMEOUT_MS = 60_000;

/**
 * Brings the schema of the connection's `search_path` up to date. Safe when several instances start at once:
 * each step takes a transaction-scoped advisory lock named after the schema before it looks at
 * `schema_migrations`, so the others wait and then find the step done. A step that fails rolls back whole.
 * Returns the versions this call applied.
 */
export async function migrate(pool: pg.Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  let broken: Error | undefined;
  // node-postgres honours a per-query query_timeout (over the pool's short one) but its types do not declare it.
  const run = (text: string, values?: unknown[]) =>
    client.query({ text, values, query_timeout: MIGRATION_TIMEOUT_MS } as pg.QueryConfig);
  try {
    for (const migration of migrations) {
      await run('BEGIN');
      try {
        await run(`SET LOCAL statement_timeout = ${MIGRATION_TIMEOUT_MS}`);
        await run(`SELECT pg_advisory_xact_lock(hashtext('atlassian-connector:migrate:' || current_schema()))`);
        await run(
          'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
        );
        const done = await run('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
        if (done.rowCount === 0) {
          await run(migration.sql);
          await run('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
          applied.push(migration.version);
        }
        await run('COMMIT');
      } catch (error) {
        // A connection whose ROLLBACK failed is not handed back to the pool.
        await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
        throw error;
      }
    }
  } finally {
    client.release(broken);
  }
  return applied;
}
