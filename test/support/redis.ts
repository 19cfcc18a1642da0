import { Redis } from 'ioredis';
import { createRedisConnection, type RedisConnection } from '../../src/infrastructure/redis/redis-connection.js';

export const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

let reachable: Promise<boolean> | undefined;

function probe(): Promise<boolean> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1_000, retryStrategy: () => null });
  return client
    .connect()
    .then(() => client.ping())
    .then(() => true)
    .catch(() => false)
    .finally(() => client.disconnect());
}

/**
 * Call in a `before` of every suite that needs Redis. In CI a missing Redis fails the suite; elsewhere the suite
 * is skipped, and says so loudly so nobody mistakes the skip for a pass.
 */
export async function requireRedis(context: Mocha.Context): Promise<void> {
  reachable ??= probe();
  if (await reachable) return;
  if (process.env['CI']) throw new Error(`Redis is required in CI but ${REDIS_URL} cannot be reached`);
  const banner = '!'.repeat(100);
  console.warn(`\n${banner}\n!!! SKIPPED: "${context.test?.parent?.fullTitle() ?? 'a Redis suite'}" — no Redis at ${REDIS_URL}.`);
  console.warn(`!!! These tests did NOT run. Start one: redis-server --daemonize yes --port 6379 --save ""\n${banner}\n`);
  context.skip();
}

/** A key prefix no other test run shares, so suites can run side by side and clean up after themselves. */
export function uniquePrefix(label: string): string {
  return `test:${label}:${process.pid}:${Date.now().toString(36)}:${Math.random().toString(36).slice(2, 8)}:`;
}

export async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** The service's own kind of connection (node-redis), to hand to the Redis adapters under test. */
export async function connectRedis(url = REDIS_URL, commandTimeoutMs = 1_000): Promise<RedisConnection> {
  const connection = createRedisConnection({ kind: 'single', url }, { commandTimeoutMs });
  await connection.connect();
  return connection;
}

export interface RedisSuite {
  /** Keys this suite writes start with it; they are deleted after the suite. */
  readonly prefix: string;
  /** An ioredis client for looking inside Redis independently of the code under test. */
  readonly client: Redis;
  /** The service's own connection, as the adapters under test use it. */
  readonly connection: RedisConnection;
}

/**
 * Call inside a `describe`: requires Redis (loud skip outside CI), opens an inspection client and a service
 * connection before the suite, and deletes the suite's keys and closes both after it.
 */
export function redisSuite(label: string): RedisSuite {
  const prefix = uniquePrefix(label);
  let client: Redis | undefined;
  let connection: RedisConnection | undefined;
  before(async function () {
    await requireRedis(this);
    client = new Redis(REDIS_URL);
    await client.ping();
    connection = await connectRedis();
  });
  after(async () => {
    if (client === undefined) return;
    await deleteKeys(client, prefix);
    client.disconnect();
    await connection?.close();
  });
  return {
    prefix,
    get client() {
      return client!;
    },
    get connection() {
      return connection!;
    },
  };
}
