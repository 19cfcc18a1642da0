/**
 * Bytes Redis spends per session and per cached listing (MEMORY USAGE, key included), for the sizing table in
 * docs/scaling.md. Sessions are written by the real RedisSessionStore (encrypted), with tokens the size of
 * Atlassian's; listings are the JSON the service answers for N projects, stored as one string, as a listing cache
 * keeps them. Runs against REDIS_URL (default 6379) under a prefix of its own, deleted at the end.
 *   npx tsx bench/redis-sizing.ts
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ApiTokenConnection, OAuthConnection } from '../src/domain/session.js';
import { sessionIdOf } from '../src/domain/session-token.js';
import { createRedisConnection } from '../src/infrastructure/redis/redis-connection.js';
import { RedisSessionStore } from '../src/infrastructure/session/redis-session-store.js';
import { SessionCipher } from '../src/infrastructure/session/session-cipher.js';
import { SystemClock } from '../src/infrastructure/system-clock.js';

const URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const SAMPLES = 500;
const PREFIX = `bench:sizing:${process.pid}:${Date.now().toString(36)}:`;
const text = (chars: number) => randomBytes(chars).toString('base64url').slice(0, chars);
const oauth = (product: 'jira' | 'confluence'): OAuthConnection => ({
  product,
  method: 'oauth',
  site: { id: '1324a887-45db-1bf4-1e99-ef0ff456d421', url: 'https://bench.atlassian.net', name: 'Bench' },
  connectedAt: Date.now(),
  version: text(22),
  // A JWT access token of a few KB and a long opaque refresh token, as Atlassian issues them.
  accessToken: `${text(36)}.${text(2_520)}.${text(42)}`,
  refreshToken: text(1_600),
  accessTokenExpiresAt: Date.now() + 3_600_000,
  scopes: ['read:jira-work', 'read:jira-user', 'offline_access'],
});
const apiToken = (): ApiTokenConnection => ({
  product: 'confluence',
  method: 'api_token',
  site: { url: 'https://bench.atlassian.net' },
  connectedAt: Date.now(),
  version: text(22),
  email: 'someone@example.com',
  apiToken: text(192),
  route: 'site',
});
const project = (i: number) => ({
  id: String(10_000 + i),
  key: `PRJ${i}`,
  name: `Project number ${i} of the bench site`,
  type: 'software',
  style: 'next-gen',
  avatar_url: `https://bench.atlassian.net/rest/api/3/universal_avatar/view/type/project/avatar/${10_400 + i}`,
  url: `https://bench.atlassian.net/browse/PRJ${i}`,
});

async function main(): Promise<void> {
  const admin = new Redis(URL);
  const connection = createRedisConnection({ kind: 'single', url: URL }, { commandTimeoutMs: 5_000 });
  await connection.connect();
  const store = new RedisSessionStore(connection, new SessionCipher([randomBytes(32).toString('base64')]), new SystemClock(), {
    ttlSeconds: 600,
    keyPrefix: PREFIX,
  });
  const average = async (keys: string[]) => {
    let sum = 0;
    for (const key of keys) sum += Number(await admin.memory('USAGE', key, 'SAMPLES', 0));
    return Math.round(sum / keys.length);
  };
  const sessionsOf = async (fill: (id: string) => Promise<void>) => {
    const ids = Array.from({ length: SAMPLES }, () => sessionIdOf(text(43)));
    for (const id of ids) {
      await store.create(id);
      await fill(id);
    }
    return average(ids.map((id) => `${PREFIX}session:{${id}}`));
  };
  const sessions = {
    empty: await sessionsOf(async () => undefined),
    jiraOAuth: await sessionsOf(async (id) => void (await store.putConnection(id, oauth('jira')))),
    bothOAuth: await sessionsOf(async (id) => {
      await store.putConnection(id, oauth('jira'));
      await store.putConnection(id, oauth('confluence'));
    }),
    apiToken: await sessionsOf(async (id) => void (await store.putConnection(id, apiToken()))),
  };
  const listings: Record<string, number> = {};
  for (const count of [10, 100, 1_000]) {
    const key = `${PREFIX}listing:{${text(43)}}:jira:projects`;
    const body = JSON.stringify({ total: count, items: Array.from({ length: count }, (_, i) => project(i)) });
    await admin.set(key, body, 'PX', 60_000);
    listings[`projects${count}`] = await average([key]);
  }
  console.log(JSON.stringify({ bench: 'redis-sizing', bytesPerSession: sessions, bytesPerListing: listings }));
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1_000);
    if (keys.length > 0) await admin.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await connection.close();
  await admin.quit();
}

await main();
