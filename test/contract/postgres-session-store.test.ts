import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { completionIdOf, sessionIdOf, stateIdOf } from '../../src/domain/session-token.js';
import { createPostgresPool } from '../../src/infrastructure/postgres/pg-pool.js';
import { PostgresSessionStore } from '../../src/infrastructure/session/postgres-session-store.js';
import { SessionCipher } from '../../src/infrastructure/session/session-cipher.js';
import { FixedClock } from '../support/port-fakes.js';
import { schemaPerSuite } from '../support/postgres.js';
import { SECRET_OAUTH_CONNECTION } from '../support/connections.js';
import { sessionStoreContract } from './session-store.contract.js';

const key = () => randomBytes(32).toString('base64');
const newId = () => sessionIdOf(randomBytes(32).toString('base64url'));

describe('PostgresSessionStore (real PostgreSQL)', function () {

  const schema = schemaPerSuite({ migrated: true });

  // Expiry is decided on the service's clock in SQL, so a fixed clock drives it: no sleeping.
  sessionStoreContract('PostgresSessionStore', async () => {
    const clock = new FixedClock(Date.now());
    const limits = { ttlSeconds: 60, emptyTtlSeconds: 20, maxAgeSeconds: 200 };
    return {
      store: new PostgresSessionStore(schema().pool, new SessionCipher([key()]), clock, {
        idleTtlSeconds: limits.ttlSeconds,
        emptyTtlSeconds: limits.emptyTtlSeconds,
        maxAgeSeconds: limits.maxAgeSeconds,
      }),
      clock,
      advance: async (ms: number) => clock.advance(ms),
      ...limits,
    };
  });

  describe('at rest', () => {
    const secretKey = key();
    const clock = new FixedClock(Date.now());
    const lifetimes = { idleTtlSeconds: 60, emptyTtlSeconds: 5, maxAgeSeconds: 3600 };
    const storeWith = (keys: string[], overrides: Partial<typeof lifetimes> = {}) =>
      new PostgresSessionStore(schema().pool, new SessionCipher(keys), clock, { ...lifetimes, ...overrides });
    const store = () => storeWith([secretKey]);
    const row = async (id: string) =>
      (await schema().pool.query<Record<string, string | null>>('SELECT * FROM sessions WHERE id = $1', [id])).rows[0];
    const connection = SECRET_OAUTH_CONNECTION;
    async function connected(): Promise<string> {
      const id = newId();
      await store().create(id);
      expect(await store().putConnection(id, connection)).to.equal(true);
      return id;
    }

    it('keys sessions by the hash of the token, never the token', async () => {
      const token = randomBytes(32).toString('base64url');
      await store().create(sessionIdOf(token));
      const { rows } = await schema().pool.query<{ id: string }>('SELECT id FROM sessions');
      expect(rows.some((r) => r.id.includes(token))).to.equal(false);
      expect(rows.map((r) => r.id)).to.include(sessionIdOf(token));
    });

    it('holds nothing readable without the key: sessions, pending flows and completions', async () => {
      const id = await connected();
      const stateValue = randomBytes(32).toString('base64url');
      await store().putPendingOAuth({
        stateId: stateIdOf(stateValue), product: 'jira', sessionId: id, sessionToken: 'TOKEN-SECRET', codeVerifier: 'VERIFIER-SECRET', expiresAt: clock.now() + 60_000,
      });
      const site = { id: 'cloud-1', url: 'https://acme.atlassian.net', name: 'Acme' };
      await store().putCompletion({ completionId: completionIdOf('c-1'), sessionId: id, connection, site, sites: [site], expiresAt: clock.now() + 60_000 });
      const raw = JSON.stringify([
        await row(id),
        (await schema().pool.query('SELECT * FROM oauth_states')).rows,
        (await schema().pool.query('SELECT * FROM oauth_completions')).rows,
      ]);
      for (const secret of ['SECRET', 'acme', 'read:jira-work', 'cloud-1', stateValue]) expect(raw).not.to.include(secret);
    });

    it('rotation: reads under an older key, rewrites under the newest keeping the expiry, so the old key can be retired', async () => {
      const id = await connected();
      const before = await row(id);
      const newKey = key();
      expect(new SessionCipher([newKey]).isCurrent(before!['meta']!)).to.equal(false);

      expect((await storeWith([newKey, secretKey]).get(id))?.connections.jira).to.deep.equal(connection);

      const after = await row(id);
      expect(new SessionCipher([newKey]).isCurrent(after!['meta']!)).to.equal(true);
      expect(new SessionCipher([newKey]).isCurrent(after!['jira']!)).to.equal(true);
      expect(after!['expires_at']).to.equal(String(clock.now() + 60_000));
      expect((await storeWith([newKey]).get(id))?.connections.jira).to.deep.equal(connection);
    });

    it('a logout between a read and its key-rotation rewrite stays a logout', async () => {
      const rotated = storeWith([key(), secretKey]);
      for (let run = 0; run < 20; run++) {
        const id = await connected();
        await Promise.all([rotated.get(id), schema().pool.query('DELETE FROM sessions WHERE id = $1', [id])]);
        expect(await row(id), `run ${run}`).to.equal(undefined);
      }
    });

    it('treats a record under an unknown key as no session, and deletes it rather than failing every read', async () => {
      const id = await connected();
      expect(await storeWith([key()]).get(id)).to.equal(undefined);
      expect(await row(id)).to.equal(undefined);
    });

    it('deletes a corrupt record on read', async () => {
      const id = await connected();
      await schema().pool.query(`UPDATE sessions SET jira = 'v1.garbage' WHERE id = $1`, [id]);
      expect(await store().get(id)).to.equal(undefined);
      expect(await row(id)).to.equal(undefined);
    });

    it('rejects a record copied from another session', async () => {
      const a = await connected();
      const b = await connected();
      await schema().pool.query('UPDATE sessions SET jira = (SELECT jira FROM sessions WHERE id = $1) WHERE id = $2', [a, b]);
      expect(await store().get(b)).to.equal(undefined);
    });

    it('never sets an expiry past the absolute end, and reports that end', async () => {
      const short = storeWith([secretKey], { maxAgeSeconds: 10 });
      const id = newId();
      const created = await short.create(id);
      await short.putConnection(id, connection);
      const read = await short.get(id);
      expect(Number((await row(id))!['expires_at'])).to.equal(created.createdAt + 10_000);
      expect(read?.endsAt).to.equal(created.createdAt + 10_000);
      expect(read?.expiresAt).to.equal(read!.endsAt);
    });

    it('an empty session has the short expiry in the row, and a read does not extend it', async () => {
      const id = newId();
      const created = await store().create(id);
      expect(Number((await row(id))!['expires_at'])).to.equal(created.createdAt + 5_000);
      clock.advance(2_000);
      await store().get(id);
      expect(Number((await row(id))!['expires_at'])).to.equal(created.createdAt + 5_000);
    });

    it('a read writes only when it moves the idle expiry by more than 1% of the idle TTL (no write per read)', async () => {
      const id = await connected();
      const version = async () => (await schema().pool.query<{ xmin: string }>('SELECT xmin FROM sessions WHERE id = $1', [id])).rows[0]!.xmin;
      const written = await version();
      clock.advance(500);
      expect((await store().get(id))?.expiresAt).to.equal(clock.now() - 500 + 60_000);
      expect(await version(), 'a read 0.5 s later rewrote the row').to.equal(written);
      clock.advance(200);
      expect((await store().get(id))?.expiresAt).to.equal(clock.now() + 60_000);
      expect(await version(), 'a read 0.7 s later (past 600 ms) left the expiry behind').to.not.equal(written);
    });

    it('a pending flow and a completion are taken by exactly one of many concurrent takers', async () => {
      const stateId = stateIdOf(randomBytes(16).toString('hex'));
      await store().putPendingOAuth({ stateId, product: 'jira', sessionId: newId(), sessionToken: 't', expiresAt: clock.now() + 60_000 });
      const states = await Promise.all(Array.from({ length: 8 }, () => store().takePendingOAuth(stateId)));
      expect(states.filter((state) => state !== undefined)).to.have.length(1);

      const site = { id: 'cloud-1', url: 'https://acme.atlassian.net', name: 'Acme' };
      const completionId = completionIdOf(randomBytes(16).toString('hex'));
      await store().putCompletion({ completionId, sessionId: 's', connection, site, sites: [site], expiresAt: clock.now() + 60_000 });
      const completions = await Promise.all(Array.from({ length: 8 }, () => store().takeCompletion(completionId)));
      expect(completions.filter((completion) => completion !== undefined)).to.have.length(1);
    });

    it('compare-and-set: of concurrent writers expecting the same version, exactly one wins', async () => {
      const id = await connected();
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store().putConnection(id, { ...connection, version: `v2-${i}` }, { expectedVersion: 'v1' })),
      );
      expect(results.filter(Boolean)).to.have.length(1);
      const winner = results.indexOf(true);
      expect((await store().get(id))?.connections.jira?.version).to.equal(`v2-${winner}`);
    });

    it('answers store_unavailable within the bound when a statement does not finish, and the pool recovers', async () => {
      const id = await connected();
      const bounded = createPostgresPool({ url: schema().url, poolSize: 2, timeoutMs: 300 });
      const blocker = await schema().pool.connect();
      try {
        // Another transaction holds the table: the store's UPDATE waits, until the statement timeout cuts it.
        await blocker.query('BEGIN');
        await blocker.query('LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE');
        const store = new PostgresSessionStore(bounded, new SessionCipher([secretKey]), clock, lifetimes);
        const error = await store.get(id).then(() => undefined, (caught: unknown) => caught);
        expect((error as { code?: string } | undefined)?.code).to.equal('store_unavailable');
        await blocker.query('ROLLBACK');
        expect((await store.get(id))?.connections.jira).to.deep.equal(connection);
      } finally {
        blocker.release();
        await bounded.end();
      }
    });

    it('answers store_unavailable, not a driver error, when the database is unreachable', async () => {
      const dead = createPostgresPool({ url: 'postgres://postgres@127.0.0.1:1/test', poolSize: 1, timeoutMs: 500 });
      const broken = new PostgresSessionStore(dead, new SessionCipher([key()]), clock, lifetimes);
      try {
        for (const attempt of [() => broken.get('x'), () => broken.create('x'), () => broken.takeCompletion('x')]) {
          const error = await attempt().then(() => undefined, (caught: unknown) => caught);
          expect((error as { code?: string } | undefined)?.code).to.equal('store_unavailable');
        }
      } finally {
        await dead.end();
      }
    });
  });
});
