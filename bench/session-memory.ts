/**
 * (c) Memory per idle session, and the latency of one session read, in each store: memory, Redis, PostgreSQL.
 * Run with --expose-gc (bench/run.ts does). Prints one JSON line. PostgreSQL works in a schema of its own on
 * BENCH_DATABASE_URL (default: the local test database) and drops it after.
 * Each session holds one Jira OAuth connection with tokens the size of Atlassian's (JWT access token of a few KB,
 * long refresh token), so the figure that matters is the overhead beyond the token bytes.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { OAuthConnection } from '../src/domain/session.js';
import { sessionIdOf } from '../src/domain/session-token.js';
import { InMemorySessionStore } from '../src/infrastructure/session/in-memory-session-store.js';
import { RedisSessionStore } from '../src/infrastructure/session/redis-session-store.js';
import { PostgresSessionStore } from '../src/infrastructure/session/postgres-session-store.js';
import { migrate } from '../src/infrastructure/postgres/migrator.js';
import { createPostgresPool } from '../src/infrastructure/postgres/pg-pool.js';
import type { SessionStore } from '../src/application/ports/session-store.js';
import { SessionCipher } from '../src/infrastructure/session/session-cipher.js';
import { SystemClock } from '../src/infrastructure/system-clock.js';

const SESSIONS = 10_000;
/** Reads timed per store, one at a time, of random sessions. */
const READS = 2_000;
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

interface ReadLatency {
  medianMs: number;
  p99Ms: number;
}

/** One `get` at a time, so the figure is the latency of a read, not the throughput of many. */
async function readLatency(store: SessionStore, ids: readonly string[]): Promise<ReadLatency> {
  const times: number[] = [];
  for (let i = 0; i < READS; i++) {
    const id = ids[Math.floor(Math.random() * ids.length)]!;
    const started = performance.now();
    const session = await store.get(id);
    times.push(performance.now() - started);
    if (session === undefined) throw new Error('a session went missing');
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)]!, p99Ms: times[Math.floor(times.length * 0.99)]! };
}

async function memory(): Promise<{ bytesPerSession: number; overheadPerSession: number; read: ReadLatency }> {
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
  return { bytesPerSession, overheadPerSession: bytesPerSession - tokenBytes, read: await readLatency(store, ids) };
}

async function redis(): Promise<{ bytesPerSession: number; overheadPerSession: number; read: ReadLatency } | { skipped: string }> {
  const client = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch {
    return { skipped: 'no Redis reachable' };
  }
  const prefix = `bench:${process.pid}:`;
  const store = new RedisSessionStore(client, new SessionCipher([randomBytes(32).toString('base64')]), new SystemClock(), { ttlSeconds: 600, keyPrefix: prefix });
  const ids = Array.from({ length: SESSIONS }, () => sessionIdOf(text(43)));
  const connect = async (id: string) => {
    await store.create(id);
    await store.putConnection(id, connection());
  };
  for (let i = 0; i < ids.length; i += 500) await Promise.all(ids.slice(i, i + 500).map(connect));
  const pipeline = client.pipeline();
  for (const id of ids) pipeline.memory('USAGE', `${prefix}session:${id}`);
  const sizes = ((await pipeline.exec()) ?? []).map(([, size]) => Number(size));
  const bytesPerSession = sizes.reduce((sum, size) => sum + size, 0) / sizes.length;
  const read = await readLatency(store, ids);
  for (let i = 0; i < ids.length; i += 1000) await client.del(...ids.slice(i, i + 1000).map((id) => `${prefix}session:${id}`));
  client.disconnect();
  return { bytesPerSession, overheadPerSession: bytesPerSession - tokenBytes, read };
}

interface PostgresFigures {
  /** Average size of one live row as stored (pg_column_size of the row, TOASTed values at their stored size). */
  rowBytes: number;
  /** Table, TOAST and indexes on disk per session right after the sessions were created and connected. */
  diskBytesPerSession: number;
  /** The same after VACUUM FULL: without the dead row versions each create-then-connect leaves behind. */
  compactBytesPerSession: number;
  overheadPerSession: number;
  read: ReadLatency;
  /** Reads that also extend the idle expiry (at most one a minute per session, see PostgresSessionStore). */
  readExtending: ReadLatency;
}

async function postgres(): Promise<PostgresFigures | { skipped: string }> {
  const url = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await admin.connect();
  } catch {
    return { skipped: 'no PostgreSQL reachable' };
  }
  await admin.query(`CREATE SCHEMA ${schema}`);
  const withSchema = new URL(url);
  withSchema.searchParams.set('options', `-c search_path=${schema}`);
  const pool = createPostgresPool({ url: withSchema.toString(), poolSize: 10, timeoutMs: 10_000 });
  try {
    await migrate(pool);
    // The service's defaults: a day idle, 30 days at most.
    const lifetimes = { idleTtlSeconds: 86_400, emptyTtlSeconds: 720, maxAgeSeconds: 2_592_000 };
    // Moved forward for the second series of reads, so that each of them extends its session's expiry.
    let offsetMs = 0;
    const clock = { now: () => Date.now() + offsetMs };
    const store = new PostgresSessionStore(pool, new SessionCipher([randomBytes(32).toString('base64')]), clock, lifetimes);
    const ids = Array.from({ length: SESSIONS }, () => sessionIdOf(text(43)));
    const connect = async (id: string) => {
      await store.create(id);
      await store.putConnection(id, connection());
    };
    for (let i = 0; i < ids.length; i += 100) await Promise.all(ids.slice(i, i + 100).map(connect));
    const size = async () => Number((await pool.query<{ n: string }>(`SELECT pg_total_relation_size('sessions') AS n`)).rows[0]!.n) / SESSIONS;
    const diskBytesPerSession = await size();
    await pool.query({ text: 'VACUUM FULL sessions', query_timeout: 120_000 } as pg.QueryConfig);
    const compactBytesPerSession = await size();
    const { rows } = await pool.query<{ n: string }>('SELECT avg(pg_column_size(sessions.*)) AS n FROM sessions');
    const rowBytes = Number(rows[0]!.n);
    // Reads within a minute of the last write of their session: a SELECT, nothing written.
    const read = await readLatency(store, ids);
    // An hour later, each first read of a session moves its expiry: an UPDATE and its commit.
    offsetMs = 3_600_000;
    const readExtending = await readLatency(store, ids);
    return { rowBytes, diskBytesPerSession, compactBytesPerSession, overheadPerSession: compactBytesPerSession - tokenBytes, read, readExtending };
  } finally {
    await pool.end();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

process.stdout.write(
  `${JSON.stringify({ sessions: SESSIONS, reads: READS, tokenBytes, memory: await memory(), redis: await redis(), postgres: await postgres() })}\n`,
);
