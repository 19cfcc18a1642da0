/**
 * ioredis against node-redis (`redis`) on the store's hot path, against the Redis on REDIS_URL (default 6379),
 * under a prefix no one else uses, deleted at the end. The same four operations run with both clients,
 * interleaved round by round so a busy machine slows both alike:
 * - read: the session read script (HGETALL + PEXPIRE to the idle TTL), as the store runs it;
 * - cas: the compare-and-set write of a connection (version check + HSET + PEXPIRE);
 * - lease: SET NX PX, then the owner-checked release script;
 * - counter: one failed-login attempt through rate-limiter-flexible's RateLimiterRedis (its INCR + TTL script).
 * Each operation runs CONCURRENCY at a time, as requests of one instance do. Prints a table and one JSON line.
 *   npx tsx bench/redis-clients.ts [rounds]
 */
import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { RateLimiterRedis } from 'rate-limiter-flexible';

const URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const ROUNDS = Number(process.argv[2] ?? 6);
const OPS_PER_ROUND = 4_000;
const CONCURRENCY = 32;
const SESSIONS = 200;
const PREFIX = `bench:clients:${process.pid}:${Date.now().toString(36)}:`;

const READ = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
if redis.call('HEXISTS', KEYS[1], 'jira:version') == 1 then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1])) end
return {redis.call('PTTL', KEYS[1]), redis.call('HGETALL', KEYS[1])}`;
const CAS = `
if redis.call('HGET', KEYS[1], ARGV[1] .. ':version') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3], ARGV[1] .. ':version', ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
return 1`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const sha = (script: string) => createHash('sha1').update(script).digest('hex');

/** What one client must do for the four operations. */
interface Ops {
  read(key: string): Promise<unknown>;
  cas(key: string, sealed: string): Promise<unknown>;
  lease(key: string, owner: string): Promise<unknown>;
  counter(key: string): Promise<unknown>;
  close(): Promise<void>;
}

const sealed = randomBytes(3_000).toString('base64');
const sessionKey = (i: number) => `${PREFIX}session:{${i}}`;

async function ioredisOps(): Promise<Ops> {
  const redis = new Redis(URL, { commandTimeout: 1_000, maxRetriesPerRequest: 2 });
  redis.on('error', () => undefined);
  const limiter = new RateLimiterRedis({ storeClient: redis, points: 1e9, duration: 60, keyPrefix: `${PREFIX}io-auth` });
  return {
    // EVALSHA as ioredis's defineCommand would; the scripts are loaded once below.
    read: (key) => redis.evalsha(sha(READ), 1, key, 86_400_000),
    cas: (key, value) => redis.evalsha(sha(CAS), 1, key, 'jira', 'v1', value, 86_400_000),
    lease: async (key, owner) => {
      await redis.set(key, owner, 'PX', 5_000, 'NX');
      await redis.evalsha(sha(RELEASE), 1, key, owner);
    },
    counter: (key) => limiter.consume(key),
    close: async () => {
      await redis.quit();
    },
  };
}

async function nodeRedisOps(): Promise<Ops> {
  const redis = createClient({ url: URL, commandOptions: { timeout: 1_000 } });
  redis.on('error', () => undefined);
  await redis.connect();
  const limiter = new RateLimiterRedis({ storeClient: redis, useRedisPackage: true, points: 1e9, duration: 60, keyPrefix: `${PREFIX}nr-auth` });
  return {
    read: (key) => redis.evalSha(sha(READ), { keys: [key], arguments: ['86400000'] }),
    cas: (key, value) => redis.evalSha(sha(CAS), { keys: [key], arguments: ['jira', 'v1', value, '86400000'] }),
    lease: async (key, owner) => {
      await redis.set(key, owner, { PX: 5_000, NX: true });
      await redis.evalSha(sha(RELEASE), { keys: [key], arguments: [owner] });
    },
    counter: (key) => limiter.consume(key),
    close: async () => {
      await redis.close();
    },
  };
}

async function run(op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < OPS_PER_ROUND) await op(next++);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return OPS_PER_ROUND / seconds;
}

async function main(): Promise<void> {
  const admin = new Redis(URL);
  for (const script of [READ, CAS, RELEASE]) await admin.script('LOAD', script);
  for (let i = 0; i < SESSIONS; i++) {
    await admin.hset(sessionKey(i), 'meta', sealed.slice(0, 200), 'jira', sealed, 'jira:version', 'v1');
    await admin.pexpire(sessionKey(i), 600_000);
  }
  const clients: Record<string, Ops> = { ioredis: await ioredisOps(), 'node-redis': await nodeRedisOps() };
  const operations: Record<string, (ops: Ops) => (i: number) => Promise<unknown>> = {
    read: (ops) => (i) => ops.read(sessionKey(i % SESSIONS)),
    cas: (ops) => (i) => ops.cas(sessionKey(i % SESSIONS), sealed),
    lease: (ops) => (i) => ops.lease(`${PREFIX}lock:{${i % SESSIONS}}`, String(i)),
    counter: (ops) => (i) => ops.counter(`ip-${i % SESSIONS}`),
  };
  const samples: Record<string, Record<string, number[]>> = {};
  // Warm-up round, not counted: JIT, connections, script cache.
  for (let round = -1; round < ROUNDS; round++) {
    for (const [opName, make] of Object.entries(operations)) {
      // Alternate which client goes first, so neither always runs on a warmer Redis.
      const order = round % 2 === 0 ? Object.keys(clients) : Object.keys(clients).reverse();
      for (const client of order) {
        const rate = await run(make(clients[client]!));
        if (round < 0) continue;
        ((samples[opName] ??= {})[client] ??= []).push(rate);
      }
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const result: Record<string, { ioredis: number; nodeRedis: number; ratio: number }> = {};
  for (const [opName, byClient] of Object.entries(samples)) {
    const io = median(byClient['ioredis']!);
    const nr = median(byClient['node-redis']!);
    result[opName] = { ioredis: Math.round(io), nodeRedis: Math.round(nr), ratio: Number((nr / io).toFixed(2)) };
  }
  console.log(`median ops/s over ${ROUNDS} rounds of ${OPS_PER_ROUND} ops, ${CONCURRENCY} in flight`);
  console.log('op       ioredis  node-redis  node-redis/ioredis');
  for (const [opName, r] of Object.entries(result)) {
    console.log(`${opName.padEnd(8)} ${String(r.ioredis).padStart(7)}  ${String(r.nodeRedis).padStart(10)}  ${r.ratio}`);
  }
  console.log(JSON.stringify({ bench: 'redis-clients', rounds: ROUNDS, result }));
  for (const ops of Object.values(clients)) await ops.close();
  let cursor = '0';
  do {
    const [nextCursor, keys] = await admin.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 500);
    if (keys.length > 0) await admin.del(...keys);
    cursor = nextCursor;
  } while (cursor !== '0');
  await admin.quit();
}

await main();
