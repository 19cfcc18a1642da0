/**
 * (c) Memory per idle session. Run with --expose-gc (bench/run.ts does). Prints one JSON line.
 * Each session holds one Jira OAuth connection with tokens the size of Atlassian's (JWT access token of a few KB,
 * long refresh token), so the figure that matters is the overhead beyond the token bytes.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { OAuthConnection } from '../src/domain/session.js';
import { sessionIdOf } from '../src/domain/session-token.js';
import { InMemorySessionStore } from '../src/infrastructure/session/in-memory-session-store.js';
import { RedisSessionStore } from '../src/infrastructure/session/redis-session-store.js';
import { SessionCipher } from '../src/infrastructure/session/session-cipher.js';
import { SystemClock } from '../src/infrastructure/system-clock.js';
import { createRedisConnection } from '../src/infrastructure/redis/redis-connection.js';

const SESSIONS = 10_000;
const ACCESS_TOKEN_CHARS = 2_600;
const REFRESH_TOKEN_CHARS = 1_600;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const text = (chars: number) => randomBytes(chars).toString('base64url').slice(0, chars);
const jwtLike = () => `${text(36)}.${text(ACCESS_TOKEN_CHARS - 80)}.${text(42)}`;
const connection = (): OAuthConnection => ({
  product: 'jira',
  method: 'oauth',
  site: { id: '1324a887-45db-1bf4-1e99-ef0ff456d421', url: 'https://bench.atlassian.net', name: 'Bench' },
  connectedAt: Date.now(),
  version: text(22),
  accessToken: jwtLike(),
  refreshToken: text(REFRESH_TOKEN_CHARS),
  accessTokenExpiresAt: Date.now() + 3_600_000,
  scopes: ['read:jira-work', 'read:jira-user', 'offline_access'],
});
const tokenBytes = ACCESS_TOKEN_CHARS + REFRESH_TOKEN_CHARS;

async function memory(): Promise<{ bytesPerSession: number; overheadPerSession: number }> {
  const store = new InMemorySessionStore(new SystemClock(), 86_400);
  const ids = Array.from({ length: SESSIONS }, () => sessionIdOf(text(43)));
  gc!();
  const before = process.memoryUsage().heapUsed;
  // Each connection is built here and dropped after the put: the store keeps its own copy, which is what counts.
  for (const id of ids) {
    await store.create(id);
    await store.putConnection(id, connection());
  }
  gc!();
  const after = process.memoryUsage().heapUsed;
  // `ids` are alive in both measurements, so the key strings are not counted (they are the same objects).
  const bytesPerSession = (after - before) / SESSIONS;
  if (store.size !== SESSIONS) throw new Error('store lost sessions');
  return { bytesPerSession, overheadPerSession: bytesPerSession - tokenBytes };
}

async function redis(): Promise<{ bytesPerSession: number; overheadPerSession: number } | { skipped: string }> {
  const client = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch {
    return { skipped: 'no Redis reachable' };
  }
  const prefix = `bench:${process.pid}:`;
  const redisConnection = createRedisConnection({ kind: 'single', url: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379' }, { commandTimeoutMs: 5_000 });
  await redisConnection.connect();
  const store = new RedisSessionStore(redisConnection, new SessionCipher([randomBytes(32).toString('base64')]), new SystemClock(), { ttlSeconds: 600, keyPrefix: prefix });
  const ids = Array.from({ length: SESSIONS }, () => sessionIdOf(text(43)));
  const connect = async (id: string) => {
    await store.create(id);
    await store.putConnection(id, connection());
  };
  for (let i = 0; i < ids.length; i += 500) await Promise.all(ids.slice(i, i + 500).map(connect));
  const pipeline = client.pipeline();
  for (const id of ids) pipeline.memory('USAGE', `${prefix}session:{${id}}`);
  const sizes = ((await pipeline.exec()) ?? []).map(([, size]) => Number(size));
  const bytesPerSession = sizes.reduce((sum, size) => sum + size, 0) / sizes.length;
  for (let i = 0; i < ids.length; i += 1000) await client.del(...ids.slice(i, i + 1000).map((id) => `${prefix}session:{${id}}`));
  client.disconnect();
  await redisConnection.close();
  return { bytesPerSession, overheadPerSession: bytesPerSession - tokenBytes };
}

process.stdout.write(`${JSON.stringify({ sessions: SESSIONS, tokenBytes, memory: await memory(), redis: await redis() })}\n`);
