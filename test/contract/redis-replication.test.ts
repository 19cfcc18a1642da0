import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { createRedisConnection, type RedisConnection } from '../../src/infrastructure/redis/redis-connection.js';
import { RedisSessionStore } from '../../src/infrastructure/session/redis-session-store.js';
import { SessionCipher } from '../../src/infrastructure/session/session-cipher.js';
import { SystemClock } from '../../src/infrastructure/system-clock.js';
import { apiTokenConnection, oauthConnection } from '../support/connections.js';
import { redisCli, requireRedisServer, startPrimaryWithReplica, startRedisServer, stopAllRedisServers, type Replicated } from '../support/redis-servers.js';

/** WAIT after a write of OAuth tokens (issue 15 point 3), on a primary and replica of this test's own. */
describe('RedisSessionStore: token writes wait for a replica', function () {
  this.timeout(20_000);
  let servers: Replicated;
  let connection: RedisConnection;
  const shortfalls: Array<{ wanted: number; acknowledged: number }> = [];
  const store = (redis: RedisConnection) =>
    new RedisSessionStore(redis, new SessionCipher([randomBytes(32).toString('base64')]), new SystemClock(), {
      ttlSeconds: 60,
      keyPrefix: 'wait-test:',
      replication: { replicas: 1, timeoutMs: 200, onShortfall: (shortfall) => shortfalls.push(shortfall) },
    });

  before(async function () {
    await requireRedisServer(this);
    servers = await startPrimaryWithReplica();
    connection = createRedisConnection({ kind: 'single', url: servers.primary.url }, { commandTimeoutMs: 1_000 });
    await connection.connect();
  });
  beforeEach(() => {
    shortfalls.length = 0;
  });
  after(async () => {
    servers?.replica.resume();
    await connection?.close();
    await stopAllRedisServers();
  });

  it('returns once the replica holds the OAuth tokens: the replica has the new version', async () => {
    const sessions = store(connection);
    await sessions.create('s1');
    const connected = oauthConnection('jira', { version: 'v-rotated' });
    expect(await sessions.putConnection('s1', connected)).to.equal(true);
    expect(await redisCli(servers.replica.port, 'HGET', 'wait-test:session:{s1}', 'jira:version')).to.equal('v-rotated');
    expect(shortfalls).to.deep.equal([]);
  });

  it('a replica that does not acknowledge in time: the write stands on the primary and the shortfall is reported', async () => {
    const sessions = store(connection);
    await sessions.create('s2');
    servers.replica.pause();
    try {
      expect(await sessions.putConnection('s2', oauthConnection('jira', { version: 'v-alone' }))).to.equal(true);
    } finally {
      servers.replica.resume();
    }
    expect(shortfalls).to.deep.equal([{ wanted: 1, acknowledged: 0 }]);
    expect(await redisCli(servers.primary.port, 'HGET', 'wait-test:session:{s2}', 'jira:version')).to.equal('v-alone');
  });

  it('API-token connections and primaries without replicas do not wait', async () => {
    servers.replica.pause();
    try {
      const sessions = store(connection);
      await sessions.create('s3');
      expect(await sessions.putConnection('s3', apiTokenConnection('confluence'))).to.equal(true);
    } finally {
      servers.replica.resume();
    }
    const lonely = await startRedisServer();
    const alone = createRedisConnection({ kind: 'single', url: lonely.url }, { commandTimeoutMs: 1_000 });
    await alone.connect();
    try {
      const sessions = store(alone);
      await sessions.create('s4');
      expect(await sessions.putConnection('s4', oauthConnection('jira'))).to.equal(true);
    } finally {
      await alone.close();
    }
    expect(shortfalls).to.deep.equal([]);
  });
});
