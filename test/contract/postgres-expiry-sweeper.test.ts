import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ExpirySweeper } from '../../src/infrastructure/postgres/expiry-sweeper.js';
import { PostgresSessionStore } from '../../src/infrastructure/session/postgres-session-store.js';
import { SessionCipher } from '../../src/infrastructure/session/session-cipher.js';
import { sessionIdOf } from '../../src/domain/session-token.js';
import { FixedClock } from '../support/port-fakes.js';
import { schemaPerSuite } from '../support/postgres.js';

describe('ExpirySweeper (real PostgreSQL)', function () {
  const clock = new FixedClock(Date.now());

  const schema = schemaPerSuite({ migrated: true });

  const count = async (table: string) => Number((await schema().pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);

  it('deletes expired rows of every table, keeps live ones, and works in bounded batches', async () => {
    const store = new PostgresSessionStore(schema().pool, new SessionCipher([randomBytes(32).toString('base64')]), clock, {
      idleTtlSeconds: 60, emptyTtlSeconds: 10, maxAgeSeconds: 3600,
    });
    for (let i = 0; i < 25; i++) await store.create(sessionIdOf(`old-${i}`));
    await schema().pool.query(`INSERT INTO oauth_states (id, sealed, expires_at) VALUES ('s-old', 'x', $1)`, [clock.now() + 1_000]);
    await schema().pool.query(`INSERT INTO quota_blocks (scope, until) VALUES ('q-old', $1)`, [clock.now() + 1_000]);
    // A lease runs on the database's clock: one that ended a minute ago.
    await schema().pool.query(`INSERT INTO leases (name, owner, expires_at) VALUES ('l-old', 'o', (extract(epoch from now()) * 1000)::bigint - 60000)`);
    clock.advance(10_001);
    await store.create(sessionIdOf('young'));

    const sweeper = new ExpirySweeper(schema().pool, clock, { intervalMs: 60_000, batchSize: 10, maxBatches: 2 });
    // Bounded: 2 batches of 10 of the 25 expired sessions in the first sweep, the rest in the next.
    expect(await sweeper.sweep()).to.equal(20 + 3);
    expect(await count('sessions')).to.equal(6);
    expect(await sweeper.sweep()).to.equal(5);
    expect(await count('sessions')).to.equal(1);
    expect(await store.get(sessionIdOf('young'))).to.not.equal(undefined);
    expect(await count('oauth_states') + await count('quota_blocks') + await count('leases')).to.equal(0);
  });

  it('finds expired rows through the expiry index, not a scan of the table', async () => {
    // With sequential scans priced out, a plan that can use the index shows it.
    const client = await schema().pool.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>('EXPLAIN SELECT ctid FROM sessions WHERE expires_at <= 1 LIMIT 10');
      expect(rows.map((row) => row['QUERY PLAN']).join('\n')).to.include('sessions_expires_at');
    } finally {
      await client.query('RESET enable_seqscan');
      client.release();
    }
  });
});
