import type { Clock } from '../../application/ports/clock.js';
import type { SessionStore } from '../../application/ports/session-store.js';
import { PRODUCTS, type Product } from '../../domain/product.js';
import { guardStore } from '../store-unavailable.js';
import { redisScript, type RedisConnection } from '../redis/redis-connection.js';
import type { Connection, OAuthCompletion, PendingOAuth, Session } from '../../domain/session.js';
import type { SessionCipher } from './session-cipher.js';

/**
 * Shared by the scripts below. A session is connected while any `<product>:version` field exists. `ttlUntil`
 * cuts a TTL at the session's absolute end (plain field `end`, epoch ms), so no TTL outlives it.
 */
const PRELUDE = `
local function hasConnection(key)
  for _, field in ipairs({${PRODUCTS.map((product) => `'${product}:version'`).join(', ')}}) do
    if redis.call('HEXISTS', key, field) == 1 then return true end
  end
  return false
end
local function ttlUntil(key, now, ttl)
  local ends = tonumber(redis.call('HGET', key, 'end'))
  if ends ~= nil and ends - now < ttl then return ends - now end
  return ttl
end
`;

/**
 * Reads a session and, when it is connected, extends it to the idle TTL; an empty session keeps its short TTL.
 * Answers {pttl, fields} or nil. KEYS[1] session hash; ARGV: now, idle ttl ms.
 */
const GET_SESSION = redisScript(`${PRELUDE}
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
if hasConnection(KEYS[1]) then
  local ttl = ttlUntil(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
  if ttl <= 0 then redis.call('DEL', KEYS[1]) return false end
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return {redis.call('PTTL', KEYS[1]), redis.call('HGETALL', KEYS[1])}`);

/**
 * Writes one product's connection and its version, and gives the session the idle TTL; with an expected
 * version, only if the stored one matches. Never on an absent session: HSET would recreate a deleted one,
 * without a TTL. ARGV: product, expected version ('' for none), encrypted connection, new version, now, ttl ms.
 */
const PUT_CONNECTION = redisScript(`${PRELUDE}
if redis.call('HEXISTS', KEYS[1], 'meta') == 0 then return 0 end
if ARGV[2] ~= '' and redis.call('HGET', KEYS[1], ARGV[1] .. ':version') ~= ARGV[2] then return 0 end
local ttl = ttlUntil(KEYS[1], tonumber(ARGV[5]), tonumber(ARGV[6]))
if ttl <= 0 then redis.call('DEL', KEYS[1]) return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3], ARGV[1] .. ':version', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ttl)
return 1`);

/**
 * Removes one product's connection, with the same optional version check; a session left without a connection
 * falls back to the short TTL. ARGV: product, expected version, now, empty-session ttl ms.
 */
const REMOVE_CONNECTION = redisScript(`${PRELUDE}
local current = redis.call('HGET', KEYS[1], ARGV[1] .. ':version')
if not current or (ARGV[2] ~= '' and current ~= ARGV[2]) then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1], ARGV[1] .. ':version')
if not hasConnection(KEYS[1]) then
  local ttl = ttlUntil(KEYS[1], tonumber(ARGV[3]), tonumber(ARGV[4]))
  if ttl <= 0 then redis.call('DEL', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ttl) end
end
return 1`);

/** Lets an empty session live the short TTL from now, for a new flow; never creates one. ARGV: now, ttl ms. */
const REARM_EMPTY = redisScript(`${PRELUDE}
if redis.call('EXISTS', KEYS[1]) == 0 or hasConnection(KEYS[1]) then return 0 end
local ttl = ttlUntil(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
if ttl > redis.call('PTTL', KEYS[1]) then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1`);

/**
 * Rewrites `meta` and `end` of a live session and keeps its TTL (cut at the new end). Does nothing when the key
 * is gone: a logout between the read and this write must stay a logout. ARGV: now, encrypted meta, end.
 */
const RESEAL_META = redisScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'meta', ARGV[2], 'end', ARGV[3])
local left = tonumber(ARGV[3]) - tonumber(ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if left <= 0 then redis.call('DEL', KEYS[1]) elseif ttl < 0 or ttl > left then redis.call('PEXPIRE', KEYS[1], left) end
return 1`);

/** A new session replaces whatever the key held: one script, so no other write lands between its steps. */
const CREATE = redisScript(`
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'meta', ARGV[1], 'end', ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1`);

/** A session as stored before keys carried the hash tag: {pttl, fields} or nil. KEYS[1] the untagged key. */
const READ_UNTAGGED = redisScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return {redis.call('PTTL', KEYS[1]), redis.call('HGETALL', KEYS[1])}`);

/** Writes a moved session under its tagged key, unless one exists there already. ARGV: pttl, then field/value pairs. */
const ADOPT = redisScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1`);

/** Deletes a session whose field still holds the value we could not read (not one rewritten meanwhile). */
const DISCARD_UNREADABLE = redisScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('DEL', KEYS[1]) end
return 0`);

interface Meta {
  createdAt: number;
}

export interface RedisSessionStoreOptions {
  /** Idle lifetime of a session with a connection. */
  readonly ttlSeconds: number;
  readonly keyPrefix: string;
  /** Lifetime of a session without a connection; defaults to `ttlSeconds`. */
  readonly emptyTtlSeconds?: number;
  /** Absolute lifetime from creation; defaults to 30 days. */
  readonly maxAgeSeconds?: number;
  /** After a write of OAuth tokens, WAIT for this many replicas (when the primary has any), at most timeoutMs. */
  readonly replication?: {
    readonly replicas: number;
    readonly timeoutMs: number;
    readonly onShortfall?: (shortfall: { wanted: number; acknowledged: number }) => void;
  };
}

/**
 * Sessions in Redis, shared by every instance. One hash per session (`<prefix>session:{<hash of token>}`) with an
 * encrypted field per product, so writes to Jira and Confluence never overwrite each other. The key's TTL is the
 * idle timeout while the session has a connection (every read extends it), the short empty-session TTL while it
 * has none, and never runs past the absolute end. Versions and the end sit in plain fields so the scripts can
 * run inside Redis; versions are random ids and reveal nothing, the end reveals when the session was created.
 * Every write to an existing session is a script that does nothing when the key is gone, so nothing but
 * `create` brings a session into existence.
 */
export class RedisSessionStore implements SessionStore {
  private readonly ttlMs: number;
  private readonly emptyTtlMs: number;
  private readonly maxAgeMs: number;

  constructor(
    private readonly redis: RedisConnection,
    private readonly cipher: SessionCipher,
    private readonly clock: Clock,
    private readonly options: RedisSessionStoreOptions,
  ) {
    this.ttlMs = Math.round(options.ttlSeconds * 1000);
    this.emptyTtlMs = Math.round((options.emptyTtlSeconds ?? options.ttlSeconds) * 1000);
    this.maxAgeMs = Math.round((options.maxAgeSeconds ?? 30 * 24 * 3600) * 1000);
  }

  async get(id: string): Promise<Session | undefined> {
    return guardStore(async () => {
      const key = this.sessionKey(id);
      const now = this.clock.now();
      let reply = await this.redis.eval<[number, string[]] | null>(GET_SESSION, [key], [now, this.ttlMs]);
      if (reply === null && (await this.adoptUntagged(id))) reply = await this.redis.eval<[number, string[]] | null>(GET_SESSION, [key], [now, this.ttlMs]);
      if (reply === null) return undefined;
      const [pttl, flat] = reply;
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
      const sealedMeta = fields['meta'];
      if (sealedMeta === undefined) return this.discard(key, 'end', fields['end']);
      const meta = this.open<Meta>(key, 'meta', sealedMeta);
      if (meta === undefined) return this.discard(key, 'meta', sealedMeta);
      const endsAt = meta.createdAt + this.maxAgeMs;
      if (endsAt <= now) {
        await this.redis.command(key, ['DEL', key]);
        return undefined;
      }
      const connections: Partial<Record<Product, Connection>> = {};
      const stale: Connection[] = [];
      for (const product of PRODUCTS) {
        const sealed = fields[product];
        if (sealed === undefined) continue;
        const connection = this.open<Connection>(key, product, sealed);
        // A record we cannot read is no session at all, never a half-trusted one.
        if (connection === undefined) return this.discard(key, product, sealed);
        connections[product] = connection;
        if (!this.cipher.isCurrent(sealed)) stale.push(connection);
      }
      if (!this.cipher.isCurrent(sealedMeta) || fields['end'] !== String(endsAt)) {
        await this.redis.eval(RESEAL_META, [key], [now, this.seal(key, 'meta', meta), endsAt]);
      }
      for (const connection of stale) await this.putConnection(id, connection, { expectedVersion: connection.version });
      const expiresAt = Math.min(pttl >= 0 ? now + pttl : now + this.ttlMs, endsAt);
      return { id, createdAt: meta.createdAt, expiresAt, endsAt, connections };
    });
  }

  async create(id: string): Promise<Session> {
    return guardStore(async () => {
      const key = this.sessionKey(id);
      const createdAt = this.clock.now();
      const endsAt = createdAt + this.maxAgeMs;
      const ttl = Math.min(this.emptyTtlMs, this.maxAgeMs);
      await this.redis.eval(CREATE, [key], [this.seal(key, 'meta', { createdAt }), endsAt, ttl]);
      return { id, createdAt, expiresAt: createdAt + ttl, endsAt, connections: {} };
    });
  }

  async putConnection(id: string, connection: Connection, options: { expectedVersion?: string } = {}): Promise<boolean> {
    return guardStore(async () => {
      const key = this.sessionKey(id);
      const written = await this.redis.eval(PUT_CONNECTION, [key], [
        connection.product,
        options.expectedVersion ?? '',
        this.seal(key, connection.product, connection),
        connection.version,
        this.clock.now(),
        this.ttlMs,
      ]);
      if (written !== 1) return false;
      if (connection.method === 'oauth') await this.replicate(key);
      return true;
    });
  }

  async removeConnection(id: string, product: Product, options: { expectedVersion?: string } = {}): Promise<boolean> {
    return guardStore(async () => {
      const key = this.sessionKey(id);
      const removed = await this.redis.eval(REMOVE_CONNECTION, [key], [product, options.expectedVersion ?? '', this.clock.now(), this.emptyTtlMs]);
      return removed === 1;
    });
  }

  async delete(id: string): Promise<void> {
    return guardStore(async () => {
      const key = this.sessionKey(id);
      await this.redis.command(key, ['DEL', key]);
    });
  }

  async putPendingOAuth(pending: PendingOAuth): Promise<void> {
    return guardStore(async () => {
      const now = this.clock.now();
      const ttl = pending.expiresAt - now;
      if (ttl <= 0) return;
      const key = this.stateKey(pending.stateId);
      await this.redis.command(key, ['SET', key, this.seal(key, 'state', pending), 'PX', ttl]);
      // A separate command, not a two-key script: every script and transaction here touches one key (Cluster).
      await this.redis.eval(REARM_EMPTY, [this.sessionKey(pending.sessionId)], [now, this.emptyTtlMs]);
    });
  }

  async takePendingOAuth(stateId: string): Promise<PendingOAuth | undefined> {
    return guardStore(async () => {
      const key = this.stateKey(stateId);
      const sealed = await this.redis.command<string | null>(key, ['GETDEL', key]);
      return sealed === null ? undefined : this.open<PendingOAuth>(key, 'state', sealed);
    });
  }

  /** Encrypted like a pending flow (it holds the tokens), and taken with GETDEL so only one instance gets it. */
  async putCompletion(completion: OAuthCompletion): Promise<void> {
    return guardStore(async () => {
      const ttl = completion.expiresAt - this.clock.now();
      if (ttl <= 0) return;
      const key = this.completionKey(completion.completionId);
      await this.redis.command(key, ['SET', key, this.seal(key, 'completion', completion), 'PX', ttl]);
    });
  }

  async takeCompletion(completionId: string): Promise<OAuthCompletion | undefined> {
    return guardStore(async () => {
      const key = this.completionKey(completionId);
      const sealed = await this.redis.command<string | null>(key, ['GETDEL', key]);
      return sealed === null ? undefined : this.open<OAuthCompletion>(key, 'completion', sealed);
    });
  }

  /**
   * Moves a session stored by a version before the hash tags (`session:<id>`) to its tagged key, so an upgrade
   * signs nobody out. Its encrypted fields are bound to the old key name (the GCM context), so they are opened and
   * sealed again for the new one; TTL and plain fields are kept. Answers whether there was one to move.
   */
  private async adoptUntagged(id: string): Promise<boolean> {
    const untagged = `${this.options.keyPrefix}session:${id}`;
    const reply = await this.redis.eval<[number, string[]] | null>(READ_UNTAGGED, [untagged], []);
    if (reply === null) return false;
    const [pttl, flat] = reply;
    const key = this.sessionKey(id);
    const fields: string[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const [field, value] = [flat[i]!, flat[i + 1]!];
      const sealed = field === 'meta' || (PRODUCTS as readonly string[]).includes(field);
      if (!sealed) {
        fields.push(field, value);
        continue;
      }
      const plaintext = this.cipher.decrypt(value, `${untagged}#${field}`);
      // Not ours, or under a retired key: left to expire, never moved half-readable.
      if (plaintext === undefined) return false;
      fields.push(field, this.cipher.encrypt(plaintext, `${key}#${field}`));
    }
    if (pttl <= 0 || fields.length === 0) return false;
    await this.redis.eval(ADOPT, [key], [pttl, ...fields]);
    await this.redis.command(untagged, ['DEL', untagged]);
    return true;
  }

  /**
   * A record no configured key opens (or that is not ours) is deleted rather than left to be read, and failed,
   * on every request that names it — unless it was rewritten since we read it.
   */
  private async discard(key: string, field: string, value: string | undefined): Promise<undefined> {
    if (value === undefined) await this.redis.command(key, ['DEL', key]);
    else await this.redis.eval(DISCARD_UNREADABLE, [key], [field, value]);
    return undefined;
  }


  /**
   * Waits for a replica to hold a write that carries refresh tokens: Atlassian rotates them, so after a refresh
   * the stored token is the only one it still accepts, and a failover to a replica without it would sign the user
   * out. Bounded; when no replica acknowledges in time the write stands on the primary and it is reported.
   */
  private async replicate(key: string): Promise<void> {
    const replication = this.options.replication;
    if (replication === undefined || replication.replicas === 0) return;
    // A connection lost here (the primary died) throws: whether the write survived is unknown, so the caller keeps
    // the tokens and stores them again (TokenRefresher's unsaved tokens) rather than trusting them stored.
    const { wanted, acknowledged } = await this.redis.waitForReplicas(key, replication.replicas, replication.timeoutMs);
    if (acknowledged < wanted) replication.onShortfall?.({ wanted, acknowledged });
  }

  /** The session id is the hash tag: every key of one session lives in one Cluster slot. */
  private sessionKey(id: string): string {
    return `${this.options.keyPrefix}session:{${id}}`;
  }

  private stateKey(stateId: string): string {
    return `${this.options.keyPrefix}state:${stateId}`;
  }

  private completionKey(completionId: string): string {
    return `${this.options.keyPrefix}completion:${completionId}`;
  }

  private seal(key: string, field: string, value: unknown): string {
    return this.cipher.sealJson(value, `${key}#${field}`);
  }

  private open<T>(key: string, field: string, sealed: string): T | undefined {
    return this.cipher.openJson<T>(sealed, `${key}#${field}`);
  }
}
