import type { Connection, OAuthConnection } from '../domain/session.js';
import { BackgroundRetries } from './background-retries.js';
import type { Logger } from './ports/logger.js';
import type { SessionStore } from './ports/session-store.js';

/** New tokens that the store refused to take: the only copy of a rotated refresh token until it does. */
interface Held {
  readonly sessionId: string;
  /** The stored version they replace: the compare-and-set's expected version. */
  readonly from: string;
  readonly next: OAuthConnection;
}

/**
 * Refreshed connections the store failed to write, by session and product. Atlassian has already disabled the
 * refresh token they replace, so this process uses them in place of the stored connection and keeps writing them
 * in the background (compare-and-set on the replaced version: a reconnection made meanwhile wins), bounded by the
 * retry delays; once more at shutdown.
 */
export class UnsavedConnections {
  private readonly held = new Map<string, Held>();
  private readonly writes: BackgroundRetries;

  constructor(
    private readonly store: SessionStore,
    private readonly logger: Logger,
    retryDelaysMs: readonly number[],
  ) {
    this.writes = new BackgroundRetries(retryDelaysMs);
  }

  /** The connection to use for a stored one: itself, or the newer tokens held for it. */
  current(sessionId: string, stored: Connection): Connection {
    // Asked on every upstream call, and almost always of an empty map: no key is built for that.
    if (this.held.size === 0) return stored;
    const held = this.held.get(keyOf(sessionId, stored.product));
    return held !== undefined && held.from === stored.version ? held.next : stored;
  }

  /** The version the store has for `connection`: its own, or the one it replaces while it is held here. */
  storedVersion(sessionId: string, connection: OAuthConnection): string {
    const held = this.held.get(keyOf(sessionId, connection.product));
    return held !== undefined && held.next.version === connection.version ? held.from : connection.version;
  }

  /** Holds `next` in place of the stored version `from`, and starts writing it in the background. */
  keep(sessionId: string, from: string, next: OAuthConnection): void {
    const key = keyOf(sessionId, next.product);
    const product = next.product;
    this.held.set(key, { sessionId, from, next });
    this.logger.warn({ product }, 'refreshed tokens could not be stored; kept in memory while the write is retried');
    this.writes.start(
      key,
      async () => {
        const current = this.held.get(key);
        if (current === undefined) return true;
        const written = await this.store.putConnection(current.sessionId, current.next, { expectedVersion: current.from });
        if (this.held.get(key) === current) this.held.delete(key);
        this.logger.info({ product }, written ? 'refreshed tokens stored after a store failure' : 'refreshed tokens not stored: the connection changed meanwhile');
        return true;
      },
      () => this.logger.error({ product }, 'refreshed tokens still not stored after the background attempts; kept in this process only'),
    );
  }

  /** The store has something newer than what is held (written by us or by someone else): let it go. */
  forget(sessionId: string, product: Connection['product']): void {
    const key = keyOf(sessionId, product);
    this.held.delete(key);
    this.writes.cancel(key);
  }

  /** Stops the background writes and tries once more to store what is held. */
  async close(): Promise<void> {
    this.writes.cancelAll();
    await Promise.allSettled(
      [...this.held.values()].map((held) => this.store.putConnection(held.sessionId, held.next, { expectedVersion: held.from })),
    );
  }
}

function keyOf(sessionId: string, product: string): string {
  return `${sessionId}:${product}`;
}
