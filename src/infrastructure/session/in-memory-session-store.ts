import type { Clock } from '../../application/ports/clock.js';
import type { SessionStore } from '../../application/ports/session-store.js';
import type { Product } from '../../domain/product.js';
import type { Connection, OAuthCompletion, PendingOAuth, Session } from '../../domain/session.js';
import { deepFreeze } from '../deep-freeze.js';

interface StoredSession {
  createdAt: number;
  expiresAt: number;
  connections: Partial<Record<Product, Connection>>;
}

/** How many expired entries one write may evict, so a write never stalls on a large backlog. */
const SWEEP_BATCH = 64;

/**
 * Sessions in this process's memory: for development and single-instance use; everything is lost on restart.
 *
 * Both maps are kept in expiry order (every extension re-inserts the entry at the end, and TTLs are constant),
 * so expired entries are always at the front and each write evicts them in constant time — no timer, no scan.
 * Values are cloned and deep-frozen on the way in and handed out frozen, so no caller can change stored state,
 * as with an out-of-process store — without a copy on every read, which is the hot path.
 */
export class InMemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, StoredSession>();
  private readonly pending = new Map<string, PendingOAuth>();
  private readonly completions = new Map<string, OAuthCompletion>();

  constructor(
    private readonly clock: Clock,
    private readonly sessionTtlSeconds: number,
  ) {}

  async get(id: string): Promise<Session | undefined> {
    const stored = this.live(id);
    if (stored === undefined) return undefined;
    this.extend(id, stored);
    return toSession(id, stored);
  }

  async create(id: string): Promise<Session> {
    this.sweep();
    const now = this.clock.now();
    const stored: StoredSession = { createdAt: now, expiresAt: 0, connections: {} };
    this.extend(id, stored);
    return toSession(id, stored);
  }

  async putConnection(id: string, connection: Connection, options: { expectedVersion?: string } = {}): Promise<boolean> {
    this.sweep();
    let stored = this.live(id);
    if (options.expectedVersion !== undefined && stored?.connections[connection.product]?.version !== options.expectedVersion) {
      return false;
    }
    stored ??= { createdAt: this.clock.now(), expiresAt: 0, connections: {} };
    stored.connections[connection.product] = frozenCopy(connection);
    this.extend(id, stored);
    return true;
  }

  async removeConnection(id: string, product: Product, options: { expectedVersion?: string } = {}): Promise<boolean> {
    const connection = this.live(id)?.connections;
    const current = connection?.[product];
    if (current === undefined || (options.expectedVersion !== undefined && current.version !== options.expectedVersion)) return false;
    delete connection![product];
    return true;
  }

  async delete(id: string): Promise<void> {
    this.sessions.delete(id);
  }

  async putPendingOAuth(pending: PendingOAuth): Promise<void> {
    this.sweep();
    this.pending.delete(pending.stateId);
    this.pending.set(pending.stateId, frozenCopy(pending));
  }

  async takePendingOAuth(stateId: string): Promise<PendingOAuth | undefined> {
    const pending = this.pending.get(stateId);
    if (pending === undefined) return undefined;
    this.pending.delete(stateId);
    return pending.expiresAt > this.clock.now() ? pending : undefined;
  }

  async putCompletion(completion: OAuthCompletion): Promise<void> {
    this.sweep();
    this.completions.delete(completion.completionId);
    this.completions.set(completion.completionId, frozenCopy(completion));
  }

  async takeCompletion(completionId: string): Promise<OAuthCompletion | undefined> {
    const completion = this.completions.get(completionId);
    if (completion === undefined) return undefined;
    this.completions.delete(completionId);
    return completion.expiresAt > this.clock.now() ? completion : undefined;
  }

  /** Sessions currently held, expired ones not yet evicted included. */
  get size(): number {
    return this.sessions.size;
  }

  private live(id: string): StoredSession | undefined {
    const stored = this.sessions.get(id);
    if (stored === undefined) return undefined;
    if (stored.expiresAt > this.clock.now()) return stored;
    this.sessions.delete(id);
    return undefined;
  }

  private extend(id: string, stored: StoredSession): void {
    stored.expiresAt = this.clock.now() + this.sessionTtlSeconds * 1000;
    this.sessions.delete(id);
    this.sessions.set(id, stored);
  }

  private sweep(): void {
    const now = this.clock.now();
    evictExpired(this.sessions, now);
    evictExpired(this.pending, now);
    evictExpired(this.completions, now);
  }
}

function evictExpired(map: Map<string, { expiresAt: number }>, now: number): void {
  let budget = SWEEP_BATCH;
  for (const [key, value] of map) {
    if (value.expiresAt > now || budget-- === 0) return;
    map.delete(key);
  }
}

function toSession(id: string, stored: StoredSession): Session {
  return { id, createdAt: stored.createdAt, expiresAt: stored.expiresAt, connections: { ...stored.connections } };
}

function frozenCopy<T>(value: T): T {
  return deepFreeze(structuredClone(value));
}
