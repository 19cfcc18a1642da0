import type { Clock } from '../../application/ports/clock.js';
import type { SessionLifetimes, SessionStore } from '../../application/ports/session-store.js';
import type { Product } from '../../domain/product.js';
import type { Connection, OAuthCompletion, PendingOAuth, Session } from '../../domain/session.js';
import { deepFreeze } from '../deep-freeze.js';

interface StoredSession {
  createdAt: number;
  expiresAt: number;
  connections: Partial<Record<Product, Connection>>;
}

/** Limits beyond the idle TTL; each defaults to what the service configures by default. */
export interface InMemoryLimits extends Partial<Omit<SessionLifetimes, 'idleTtlSeconds'>> {
  /** Sessions held at most (and pending flows at most); a new one evicts an old one. */
  readonly maxSessions?: number;
}

/** How many expired entries one write may evict, so a write never stalls on a large backlog. */
const SWEEP_BATCH = 64;
export const DEFAULT_MAX_SESSIONS = 100_000;
const DEFAULT_MAX_AGE_SECONDS = 30 * 24 * 3600;

/**
 * Sessions in this process's memory: for development and single-instance use; everything is lost on restart.
 *
 * Sessions sit in two maps, each kept in the order eviction wants: `empty` (no connection; in order of creation
 * or re-arming, all with the same short TTL) and `connected` (in order of last use, every use re-inserts at the
 * end). So expired entries are at the front and each write evicts them in constant time — no timer, no scan. A
 * session cut short by its absolute end may expire behind a live one; `live` never returns it, and the sweep
 * reaches it later. When `maxSessions` is reached, a new session evicts the oldest empty session first (an
 * abandoned or anonymous OAuth start), and only when there is none the least recently used connected one.
 * Values are cloned and deep-frozen on the way in and handed out frozen, so no caller can change stored state,
 * as with an out-of-process store — without a copy on every read, which is the hot path.
 */
export class InMemorySessionStore implements SessionStore {
  private readonly empty = new Map<string, StoredSession>();
  private readonly connected = new Map<string, StoredSession>();
  private readonly pending = new Map<string, PendingOAuth>();
  private readonly completions = new Map<string, OAuthCompletion>();
  private readonly idleTtlMs: number;
  private readonly emptyTtlMs: number;
  private readonly maxAgeMs: number;
  private readonly maxSessions: number;

  constructor(
    private readonly clock: Clock,
    sessionTtlSeconds: number,
    limits: InMemoryLimits = {},
  ) {
    this.idleTtlMs = sessionTtlSeconds * 1000;
    this.emptyTtlMs = (limits.emptyTtlSeconds ?? sessionTtlSeconds) * 1000;
    this.maxAgeMs = (limits.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS) * 1000;
    this.maxSessions = limits.maxSessions ?? DEFAULT_MAX_SESSIONS;
  }

  async get(id: string): Promise<Session | undefined> {
    const stored = this.live(id);
    if (stored === undefined) return undefined;
    // Only a connected session is extended by use: an empty one must not be kept alive by reading it.
    if (hasConnection(stored)) this.arm(id, stored);
    return this.toSession(id, stored);
  }

  async create(id: string): Promise<Session> {
    this.sweep();
    this.remove(id);
    if (this.size >= this.maxSessions) this.evictOne();
    const stored: StoredSession = { createdAt: this.clock.now(), expiresAt: 0, connections: {} };
    this.arm(id, stored);
    return this.toSession(id, stored);
  }

  async putConnection(id: string, connection: Connection, options: { expectedVersion?: string } = {}): Promise<boolean> {
    this.sweep();
    const stored = this.live(id);
    if (stored === undefined) return false;
    if (options.expectedVersion !== undefined && stored.connections[connection.product]?.version !== options.expectedVersion) {
      return false;
    }
    stored.connections[connection.product] = frozenCopy(connection);
    this.arm(id, stored);
    return true;
  }

  async removeConnection(id: string, product: Product, options: { expectedVersion?: string } = {}): Promise<boolean> {
    const stored = this.live(id);
    const current = stored?.connections[product];
    if (current === undefined || (options.expectedVersion !== undefined && current.version !== options.expectedVersion)) return false;
    delete stored!.connections[product];
    if (!hasConnection(stored!)) this.arm(id, stored!);
    return true;
  }

  async delete(id: string): Promise<void> {
    this.remove(id);
  }

  async putPendingOAuth(pending: PendingOAuth): Promise<void> {
    this.sweep();
    this.pending.delete(pending.stateId);
    if (this.pending.size >= this.maxSessions) this.pending.delete(this.pending.keys().next().value!);
    this.pending.set(pending.stateId, frozenCopy(pending));
    const session = this.live(pending.sessionId);
    if (session !== undefined && !hasConnection(session) && this.expiryFor(session) > session.expiresAt) {
      this.arm(pending.sessionId, session);
    }
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
    return this.empty.size + this.connected.size;
  }

  private live(id: string): StoredSession | undefined {
    const stored = this.connected.get(id) ?? this.empty.get(id);
    if (stored === undefined) return undefined;
    if (stored.expiresAt > this.clock.now()) return stored;
    this.remove(id);
    return undefined;
  }

  /** Sets the expiry a session has now and moves it to the end of the map its state belongs in. */
  private arm(id: string, stored: StoredSession): void {
    stored.expiresAt = this.expiryFor(stored);
    this.remove(id);
    (hasConnection(stored) ? this.connected : this.empty).set(id, stored);
  }

  private expiryFor(stored: StoredSession): number {
    const ttl = hasConnection(stored) ? this.idleTtlMs : this.emptyTtlMs;
    return Math.min(this.clock.now() + ttl, stored.createdAt + this.maxAgeMs);
  }

  private remove(id: string): void {
    this.empty.delete(id);
    this.connected.delete(id);
  }

  private evictOne(): void {
    const victims = this.empty.size > 0 ? this.empty : this.connected;
    const oldest = victims.keys().next();
    if (!oldest.done) victims.delete(oldest.value);
  }

  private sweep(): void {
    const now = this.clock.now();
    evictExpired(this.empty, now);
    evictExpired(this.connected, now);
    evictExpired(this.pending, now);
    evictExpired(this.completions, now);
  }

  private toSession(id: string, stored: StoredSession): Session {
    return {
      id,
      createdAt: stored.createdAt,
      expiresAt: stored.expiresAt,
      endsAt: stored.createdAt + this.maxAgeMs,
      connections: { ...stored.connections },
    };
  }
}

function hasConnection(stored: StoredSession): boolean {
  return Object.keys(stored.connections).length > 0;
}

function evictExpired(map: Map<string, { expiresAt: number }>, now: number): void {
  let budget = SWEEP_BATCH;
  for (const [key, value] of map) {
    if (value.expiresAt > now || budget-- === 0) return;
    map.delete(key);
  }
}

function frozenCopy<T>(value: T): T {
  return deepFreeze(structuredClone(value));
}
