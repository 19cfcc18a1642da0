import type { Redis } from 'ioredis';
import type { Clock } from '../../application/ports/clock.js';
import type { SessionStore } from '../../application/ports/session-store.js';
import { AppError } from '../../domain/errors.js';
import { PRODUCTS, type Product } from '../../domain/product.js';
import { storeUnavailable } from '../store-unavailable.js';
import type { Connection, OAuthCompletion, PendingOAuth, Session } from '../../domain/session.js';
import type { SessionCipher } from './session-cipher.js';

/**
 * Writes one product's connection and its version; with an expected version, only if the stored one matches.
 * Creates the session's meta field when absent. KEYS[1] session hash; ARGV: product, expected version ('' for
 * none), encrypted connection, new version, ttl ms, encrypted meta.
 */
const PUT_CONNECTION = `
if ARGV[2] ~= '' and redis.call('HGET', KEYS[1], ARGV[1] .. ':version') ~= ARGV[2] then return 0 end
if redis.call('HEXISTS', KEYS[1], 'meta') == 0 then redis.call('HSET', KEYS[1], 'meta', ARGV[6]) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3], ARGV[1] .. ':version', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;

/** Removes one product's connection, with the same optional version check. ARGV: product, expected version. */
const REMOVE_CONNECTION = `
local current = redis.call('HGET', KEYS[1], ARGV[1] .. ':version')
if not current or (ARGV[2] ~= '' and current ~= ARGV[2]) then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1], ARGV[1] .. ':version')
return 1`;

interface Meta {
  createdAt: number;
}

/**
 * Sessions in Redis, shared by every instance. One hash per session (`<prefix>session:<hash of token>`) with an
 * encrypted field per product, so writes to Jira and Confluence never overwrite each other; the key's TTL is the
 * idle timeout and every read extends it. Versions sit in plain fields beside the encrypted connections so the
 * compare-and-set runs inside Redis; they are random ids and reveal nothing.
 */
export class RedisSessionStore implements SessionStore {
  private readonly ttlMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly cipher: SessionCipher,
    private readonly clock: Clock,
    private readonly options: { readonly ttlSeconds: number; readonly keyPrefix: string },
  ) {
    this.ttlMs = options.ttlSeconds * 1000;
  }

  async get(id: string): Promise<Session | undefined> {
    return this.guard(async () => {
      const key = this.sessionKey(id);
      const results = await this.redis.multi().hgetall(key).pexpire(key, this.ttlMs).exec();
      if (results?.[0]?.[0]) throw results[0][0];
      const fields = results?.[0]?.[1] as Record<string, string> | undefined;
      if (fields === undefined || fields['meta'] === undefined) return undefined;
      const meta = this.open<Meta>(key, 'meta', fields['meta']);
      if (meta === undefined) return undefined;
      const connections: Partial<Record<Product, Connection>> = {};
      const stale: Connection[] = [];
      for (const product of PRODUCTS) {
        const sealed = fields[product];
        if (sealed === undefined) continue;
        const connection = this.open<Connection>(key, product, sealed);
        // A record we cannot read is no session at all, never a half-trusted one.
        if (connection === undefined) return undefined;
        connections[product] = connection;
        if (!this.cipher.isCurrent(sealed)) stale.push(connection);
      }
      await this.reseal(id, key, fields['meta'], meta, stale);
      return { id, createdAt: meta.createdAt, expiresAt: this.clock.now() + this.ttlMs, connections };
    });
  }

  async create(id: string): Promise<Session> {
    return this.guard(async () => {
      const key = this.sessionKey(id);
      const createdAt = this.clock.now();
      await this.redis.multi().del(key).hset(key, 'meta', this.seal(key, 'meta', { createdAt })).pexpire(key, this.ttlMs).exec();
      return { id, createdAt, expiresAt: createdAt + this.ttlMs, connections: {} };
    });
  }

  async putConnection(id: string, connection: Connection, options: { expectedVersion?: string } = {}): Promise<boolean> {
    return this.guard(async () => {
      const key = this.sessionKey(id);
      const written = await this.redis.eval(
        PUT_CONNECTION,
        1,
        key,
        connection.product,
        options.expectedVersion ?? '',
        this.seal(key, connection.product, connection),
        connection.version,
        this.ttlMs,
        this.seal(key, 'meta', { createdAt: this.clock.now() }),
      );
      return written === 1;
    });
  }

  async removeConnection(id: string, product: Product, options: { expectedVersion?: string } = {}): Promise<boolean> {
    return this.guard(async () => {
      const removed = await this.redis.eval(REMOVE_CONNECTION, 1, this.sessionKey(id), product, options.expectedVersion ?? '');
      return removed === 1;
    });
  }

  async delete(id: string): Promise<void> {
    return this.guard(async () => {
      await this.redis.del(this.sessionKey(id));
    });
  }

  async putPendingOAuth(pending: PendingOAuth): Promise<void> {
    return this.guard(async () => {
      const ttl = pending.expiresAt - this.clock.now();
      if (ttl <= 0) return;
      const key = this.stateKey(pending.stateId);
      await this.redis.set(key, this.seal(key, 'state', pending), 'PX', ttl);
    });
  }

  async takePendingOAuth(stateId: string): Promise<PendingOAuth | undefined> {
    return this.guard(async () => {
      const key = this.stateKey(stateId);
      const sealed = await this.redis.getdel(key);
      return sealed === null ? undefined : this.open<PendingOAuth>(key, 'state', sealed);
    });
  }

  /** Encrypted like a pending flow (it holds the tokens), and taken with GETDEL so only one instance gets it. */
  async putCompletion(completion: OAuthCompletion): Promise<void> {
    return this.guard(async () => {
      const ttl = completion.expiresAt - this.clock.now();
      if (ttl <= 0) return;
      const key = this.completionKey(completion.completionId);
      await this.redis.set(key, this.seal(key, 'completion', completion), 'PX', ttl);
    });
  }

  async takeCompletion(completionId: string): Promise<OAuthCompletion | undefined> {
    return this.guard(async () => {
      const key = this.completionKey(completionId);
      const sealed = await this.redis.getdel(key);
      return sealed === null ? undefined : this.open<OAuthCompletion>(key, 'completion', sealed);
    });
  }

  /**
   * After a key rotation, rewrites what was read under an older key, so a session in use never depends on a key
   * an operator is about to retire. Connections go through the compare-and-set, so a concurrent write wins.
   */
  private async reseal(id: string, key: string, sealedMeta: string, meta: Meta, stale: readonly Connection[]): Promise<void> {
    if (!this.cipher.isCurrent(sealedMeta)) await this.redis.hset(key, 'meta', this.seal(key, 'meta', meta));
    for (const connection of stale) await this.putConnection(id, connection, { expectedVersion: connection.version });
  }

  /** Redis being down is the service's fault, not the client's: 503, never a 500 with a driver message. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw storeUnavailable();
    }
  }

  private sessionKey(id: string): string {
    return `${this.options.keyPrefix}session:${id}`;
  }

  private stateKey(stateId: string): string {
    return `${this.options.keyPrefix}state:${stateId}`;
  }

  private completionKey(completionId: string): string {
    return `${this.options.keyPrefix}completion:${completionId}`;
  }

  private seal(key: string, field: string, value: unknown): string {
    return this.cipher.encrypt(JSON.stringify(value), `${key}#${field}`);
  }

  private open<T>(key: string, field: string, sealed: string): T | undefined {
    const plaintext = this.cipher.decrypt(sealed, `${key}#${field}`);
    if (plaintext === undefined) return undefined;
    try {
      return JSON.parse(plaintext) as T;
    } catch {
      return undefined;
    }
  }
}
