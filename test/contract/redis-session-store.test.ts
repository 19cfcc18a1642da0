import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { RedisSessionStore } from '../../src/infrastructure/session/redis-session-store.js';
import { SessionCipher } from '../../src/infrastructure/session/session-cipher.js';
import { SystemClock } from '../../src/infrastructure/system-clock.js';
import { completionIdOf, sessionIdOf } from '../../src/domain/session-token.js';
import { connectRedis, deleteKeys, REDIS_URL, requireRedis, uniquePrefix } from '../support/redis.js';
import { createRedisConnection, type RedisConnection } from '../../src/infrastructure/redis/redis-connection.js';
import { FixedClock } from '../support/port-fakes.js';
import { SECRET_OAUTH_CONNECTION } from '../support/connections.js';
import { sessionStoreContract } from './session-store.contract.js';

const key = () => randomBytes(32).toString('base64');

/** What `ms` of elapsed time does to the keys under `prefix`: each TTL shrinks by `ms`; a key whose TTL runs out is gone. */
async function shortenTtls(client: Redis, prefix: string, ms: number): Promise<void> {
  for await (const keys of client.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<string[]>) {
    for (const name of keys) {
      const ttl = await client.pttl(name);
      if (ttl < 0) continue; // no TTL (-1) or already gone (-2)
      if (ttl <= ms) await client.del(name);
      else await client.pexpire(name, ttl - ms);
    }
  }
}

describe('RedisSessionStore (real Redis)', function () {
  let client: Redis;
  let redisConn: RedisConnection;
  const prefix = uniquePrefix('store');

  before(async function () {
    await requireRedis(this);
    client = new Redis(REDIS_URL);
    redisConn = await connectRedis();
  });
  after(async () => {
    if (client === undefined) return;
    await deleteKeys(client, prefix);
    client.disconnect();
    await redisConn.close();
  });

  // Time passes without sleeping: the store's clock moves, and every key of this suite loses as much of its TTL
  // (Redis counts TTLs on its own clock, and the store sets them relative to its clock, so both agree).
  sessionStoreContract('RedisSessionStore', async () => {
    const clock = new FixedClock(Date.now());
    const limits = { ttlSeconds: 1, emptyTtlSeconds: 0.5, maxAgeSeconds: 2.5 };
    return {
      store: new RedisSessionStore(redisConn, new SessionCipher([key()]), clock, { ...limits, keyPrefix: prefix }),
      clock,
      advance: async (ms: number) => {
        clock.advance(ms);
        await shortenTtls(client, prefix, ms);
      },
      ...limits,
    };
  });

  describe('at rest', () => {
    const secretKey = key();
    const store = () => new RedisSessionStore(redisConn, new SessionCipher([secretKey]), new SystemClock(), { ttlSeconds: 60, keyPrefix: prefix });
    const connection = SECRET_OAUTH_CONNECTION;

    it('keys sessions by the hash of the token, never the token', async () => {
      const token = randomBytes(32).toString('base64url');
      await store().create(sessionIdOf(token));
      await store().putConnection(sessionIdOf(token), connection);
      const keys = await client.keys(`${prefix}*`);
      expect(keys.some((k) => k.includes(token))).to.equal(false);
      expect(keys).to.include(`${prefix}session:{${sessionIdOf(token)}}`);
    });

    it('holds nothing readable without the key', async () => {
      const id = sessionIdOf(randomBytes(32).toString('base64url'));
      await store().create(id);
      await store().putConnection(id, connection);
      const raw = JSON.stringify(await client.hgetall(`${prefix}session:{${id}}`));
      for (const secret of ['SECRET', 'acme', 'read:jira-work', 'cloud-1']) expect(raw).not.to.include(secret);
    });

    it('keeps an OAuth completion encrypted, under the hash of its value, for its TTL only', async () => {
      const value = randomBytes(32).toString('base64url');
      const site = { id: 'cloud-1', url: 'https://acme.atlassian.net', name: 'Acme' };
      await store().putCompletion({
        completionId: completionIdOf(value), sessionId: 'session-1', connection, site, sites: [site], expiresAt: Date.now() + 120_000,
      });
      const redisKey = `${prefix}completion:${completionIdOf(value)}`;
      expect((await client.keys(`${prefix}*`)).some((k) => k.includes(value))).to.equal(false);
      const raw = (await client.get(redisKey)) ?? '';
      expect(raw).not.to.equal('');
      for (const secret of ['SECRET', 'acme', 'read:jira-work', 'cloud-1', value]) expect(raw).not.to.include(secret);
      expect(await client.pttl(redisKey)).to.be.within(118_000, 120_000);
      expect((await store().takeCompletion(completionIdOf(value)))?.connection.accessToken).to.equal(connection.accessToken);
      expect(await client.exists(redisKey)).to.equal(0);
    });

    it('sets a TTL equal to the idle timeout and extends it on read', async () => {
      const id = sessionIdOf(randomBytes(32).toString('base64url'));
      await store().create(id);
      await store().putConnection(id, connection);
      await client.pexpire(`${prefix}session:{${id}}`, 5_000);
      await store().get(id);
      expect(await client.pttl(`${prefix}session:{${id}}`)).to.be.within(59_000, 60_000);
    });

    it('rotation: reads under an older key, rewrites under the newest, so the old key can be retired', async () => {
      const id = sessionIdOf(randomBytes(32).toString('base64url'));
      await store().create(id);
      await store().putConnection(id, connection);
      const newKey = key();
      const onlyNew = () => new RedisSessionStore(redisConn, new SessionCipher([newKey]), new SystemClock(), { ttlSeconds: 60, keyPrefix: prefix });
      // Before any read under the new key ring, the record depends on the old key.
      expect(new SessionCipher([newKey]).isCurrent((await client.hget(`${prefix}session:{${id}}`, 'meta'))!)).to.equal(false);

      const rotated = new RedisSessionStore(redisConn, new SessionCipher([newKey, secretKey]), new SystemClock(), { ttlSeconds: 60, keyPrefix: prefix });
      expect((await rotated.get(id))?.connections.jira).to.deep.equal(connection);

      // That read re-encrypted meta and connection: the session survives retiring the old key.
      const session = await onlyNew().get(id);
      expect(session?.connections.jira).to.deep.equal(connection);
    });

    it('treats a record under an unknown key as no session, and deletes it rather than failing every read', async () => {
      const id = sessionIdOf(randomBytes(32).toString('base64url'));
      await store().create(id);
      await store().putConnection(id, connection);
      const stranger = new RedisSessionStore(redisConn, new SessionCipher([key()]), new SystemClock(), { ttlSeconds: 60, keyPrefix: prefix });
      expect(await stranger.get(id)).to.equal(undefined);
      expect(await client.exists(`${prefix}session:{${id}}`)).to.equal(0);
    });

    it('deletes a corrupt record on read', async () => {
      const id = sessionIdOf(randomBytes(32).toString('base64url'));
      await store().create(id);
      await store().putConnection(id, connection);
      await client.hset(`${prefix}session:{${id}}`, 'jira', 'v1.garbage');
      expect(await store().get(id)).to.equal(undefined);
      expect(await client.exists(`${prefix}session:{${id}}`)).to.equal(0);
    });

    it('a logout between a read and its key-rotation rewrite stays a logout: no key without TTL comes back', async () => {
      const rotated = new RedisSessionStore(redisConn, new SessionCipher([key(), secretKey]), new SystemClock(), { ttlSeconds: 60, keyPrefix: prefix });
      for (let run = 0; run < 50; run++) {
        const id = sessionIdOf(randomBytes(32).toString('base64url'));
        await store().create(id);
        await store().putConnection(id, connection);
        // One connection, so commands run in the order sent: the read, then the logout, then the rewrite.
        await Promise.all([rotated.get(id), client.del(`${prefix}session:{${id}}`)]);
        expect(await client.exists(`${prefix}session:{${id}}`), `run ${run}`).to.equal(0);
        expect(await rotated.get(id), `run ${run}`).to.equal(undefined);
      }
    });

    it('a key-rotation rewrite keeps the TTL', async () => {
      const id = sessionIdOf(randomBytes(32).toString('base64url'));
      await store().create(id);
      await store().putConnection(id, connection);
      const rotated = new RedisSessionStore(redisConn, new SessionCipher([key(), secretKey]), new SystemClock(), { ttlSeconds: 60, keyPrefix: prefix });
      await rotated.get(id);
      expect(await client.pttl(`${prefix}session:{${id}}`)).to.be.within(59_000, 60_000);
    });

    it('never sets a TTL past the absolute end, and reports that end', async () => {
      const short = new RedisSessionStore(redisConn, new SessionCipher([secretKey]), new SystemClock(), { ttlSeconds: 60, maxAgeSeconds: 10, keyPrefix: prefix });
      const id = sessionIdOf(randomBytes(32).toString('base64url'));
      const created = await short.create(id);
      await short.putConnection(id, connection);
      const read = await short.get(id);
      expect(await client.pttl(`${prefix}session:{${id}}`)).to.be.within(9_000, 10_000);
      expect(read?.endsAt).to.equal(created.createdAt + 10_000);
      expect(read?.expiresAt).to.be.at.most(read!.endsAt);
    });

    it('an empty session has the short TTL in Redis, and a read does not extend it', async () => {
      const withEmpty = new RedisSessionStore(redisConn, new SessionCipher([secretKey]), new SystemClock(), { ttlSeconds: 60, emptyTtlSeconds: 5, keyPrefix: prefix });
      const id = sessionIdOf(randomBytes(32).toString('base64url'));
      await withEmpty.create(id);
      expect(await client.pttl(`${prefix}session:{${id}}`)).to.be.within(4_000, 5_000);
      await client.pexpire(`${prefix}session:{${id}}`, 2_000);
      await withEmpty.get(id);
      expect(await client.pttl(`${prefix}session:{${id}}`)).to.be.at.most(2_000);
    });

    it('rejects a record copied from another session', async () => {
      const a = sessionIdOf(randomBytes(32).toString('base64url'));
      const b = sessionIdOf(randomBytes(32).toString('base64url'));
      await store().create(a);
      await store().putConnection(a, connection);
      await store().create(b);
      await store().putConnection(b, { ...connection, accessToken: 'other' });
      const stolen = await client.hget(`${prefix}session:{${a}}`, 'jira');
      await client.hset(`${prefix}session:{${b}}`, 'jira', stolen!);
      expect(await store().get(b)).to.equal(undefined);
    });

    it('a session stored before the hash tags (session:<id>) is moved to session:{<id>} on first read, with its connection and TTL', async () => {
      const id = sessionIdOf(randomBytes(32).toString('base64url'));
      const untagged = `${prefix}session:${id}`;
      const cipher = new SessionCipher([secretKey]);
      const createdAt = Date.now();
      await client.hset(untagged, {
        meta: cipher.encrypt(JSON.stringify({ createdAt }), `${untagged}#meta`),
        end: String(createdAt + 30 * 24 * 3600 * 1000),
        jira: cipher.encrypt(JSON.stringify(connection), `${untagged}#jira`),
        'jira:version': connection.version,
      });
      await client.pexpire(untagged, 50_000);

      const session = await store().get(id);
      expect(session?.connections.jira).to.deep.equal(connection);
      expect(await client.exists(untagged)).to.equal(0);
      expect(await client.pttl(`${prefix}session:{${id}}`)).to.be.within(49_000, 60_000);
      expect(await store().get(id), 'read again from the tagged key').to.not.equal(undefined);
    });

    it('answers store_unavailable, not a driver error, when Redis is gone', async () => {
      const dead = createRedisConnection({ kind: 'single', url: 'redis://127.0.0.1:1' }, { commandTimeoutMs: 300 });
      const broken = new RedisSessionStore(dead, new SessionCipher([key()]), new SystemClock(), { ttlSeconds: 60, keyPrefix: prefix });
      try {
        await broken.get('x');
        expect.fail('get should have thrown');
      } catch (error) {
        expect((error as { code?: string }).code).to.equal('store_unavailable');
      } finally {
        await dead.close();
      }
    });
  });
});
