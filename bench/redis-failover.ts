/**
 * What a Sentinel failover costs, measured on servers of this script's own (never the Redis on 6379): a primary
 * with one replica and three sentinels (down after 1 s), writes through the real RedisSessionStore from 16
 * concurrent writers, the primary SIGKILLed mid-traffic. Per round it reports:
 * - recoveryMs: from the kill to the first write that succeeds again (on the promoted replica);
 * - failedWrites: writes refused meanwhile (503 store_unavailable in the service);
 * - lost: writes acknowledged before the kill but missing on the new primary, for plain writes (session
 *   creation, no WAIT) and for OAuth token writes (WAIT for one replica);
 * - write latency before the kill, median, for both kinds (what WAIT adds).
 *   npx tsx bench/redis-failover.ts [rounds]
 */
import { randomBytes } from 'node:crypto';
import { sessionIdOf } from '../src/domain/session-token.js';
import type { OAuthConnection } from '../src/domain/session.js';
import { createRedisConnection } from '../src/infrastructure/redis/redis-connection.js';
import { RedisSessionStore } from '../src/infrastructure/session/redis-session-store.js';
import { SessionCipher } from '../src/infrastructure/session/session-cipher.js';
import { SystemClock } from '../src/infrastructure/system-clock.js';
import { redisCli, sentinelPrimaryPort, startPrimaryWithReplica, startSentinels, stopAllRedisServers } from '../test/support/redis-servers.js';

const ROUNDS = Number(process.argv[2] ?? 3);
const WRITERS = 16;
const NAME = 'bench';
const text = (chars: number) => randomBytes(chars).toString('base64url').slice(0, chars);
const oauth = (version: string): OAuthConnection => ({
  product: 'jira',
  method: 'oauth',
  site: { id: 'bench-cloud', url: 'https://bench.atlassian.net', name: 'Bench' },
  connectedAt: Date.now(),
  version,
  accessToken: text(2_600),
  refreshToken: text(1_600),
  accessTokenExpiresAt: Date.now() + 3_600_000,
  scopes: ['read:jira-work', 'offline_access'],
});
const median = (values: number[]) => (values.length === 0 ? NaN : [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!);

async function round(): Promise<Record<string, number>> {
  const { primary, replica } = await startPrimaryWithReplica();
  const sentinels = await startSentinels(NAME, primary.port);
  const connection = createRedisConnection(
    { kind: 'sentinel', name: NAME, sentinels: sentinels.map((sentinel) => ({ host: '127.0.0.1', port: sentinel.port })) },
    { commandTimeoutMs: 500 },
  );
  await connection.connect();
  const store = new RedisSessionStore(connection, new SessionCipher([randomBytes(32).toString('base64')]), new SystemClock(), {
    ttlSeconds: 600,
    keyPrefix: 'failover:',
    replication: { replicas: 1, timeoutMs: 250 },
  });
  const created: Array<{ id: string; at: number }> = [];
  const tokens: Array<{ id: string; version: string; at: number }> = [];
  const latency = { create: [] as number[], tokens: [] as number[] };
  let killedAt = Infinity;
  /** When the primary has exited: a write begun after it went to the promoted replica. */
  let deadAt = Infinity;
  let recoveredAt = Infinity;
  let failedWrites = 0;
  let stop = false;
  const writer = async () => {
    while (!stop) {
      const began = Date.now();
      const id = sessionIdOf(text(43));
      const version = text(12);
      try {
        let started = performance.now();
        await store.create(id);
        const createdAt = Date.now();
        if (createdAt < killedAt) latency.create.push(performance.now() - started);
        created.push({ id, at: createdAt });
        started = performance.now();
        await store.putConnection(id, oauth(version));
        const storedAt = Date.now();
        if (storedAt < killedAt) latency.tokens.push(performance.now() - started);
        tokens.push({ id, version, at: storedAt });
        if (began > deadAt && recoveredAt === Infinity) recoveredAt = storedAt;
      } catch {
        failedWrites++;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  };
  const writers = Array.from({ length: WRITERS }, writer);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  killedAt = Date.now();
  await primary.kill();
  deadAt = Date.now();
  while (recoveredAt === Infinity && Date.now() - killedAt < 30_000) await new Promise((resolve) => setTimeout(resolve, 50));
  stop = true;
  await Promise.all(writers);
  const newPrimary = await sentinelPrimaryPort(sentinels[0]!, NAME);
  if (newPrimary !== replica.port) throw new Error('the replica was not promoted');
  let lostCreates = 0;
  for (const { id } of created.filter((write) => write.at < killedAt)) {
    if ((await redisCli(replica.port, 'EXISTS', `failover:session:{${id}}`)) !== '1') lostCreates++;
  }
  let lostTokens = 0;
  for (const { id, version } of tokens.filter((write) => write.at < killedAt)) {
    if ((await redisCli(replica.port, 'HGET', `failover:session:{${id}}`, 'jira:version')) !== version) lostTokens++;
  }
  await connection.close();
  await stopAllRedisServers();
  return {
    recoveryMs: recoveredAt - killedAt,
    failedWrites,
    createsBeforeKill: created.filter((write) => write.at < killedAt).length,
    lostCreates,
    tokenWritesBeforeKill: tokens.filter((write) => write.at < killedAt).length,
    lostTokenWrites: lostTokens,
    createMedianMs: Number(median(latency.create).toFixed(2)),
    tokenWriteMedianMs: Number(median(latency.tokens).toFixed(2)),
  };
}

const results: Array<Record<string, number>> = [];
try {
  for (let i = 0; i < ROUNDS; i++) results.push(await round());
} finally {
  await stopAllRedisServers();
}
for (const result of results) console.log(JSON.stringify(result));
console.log(JSON.stringify({ bench: 'redis-failover', rounds: ROUNDS, recoveryMsMedian: median(results.map((r) => r.recoveryMs!)) }));
process.exit(0);
