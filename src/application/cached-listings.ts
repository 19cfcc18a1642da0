import { createHash } from 'node:crypto';
import type { Deadline } from '../domain/deadline.js';
import { AppError, RetryableError } from '../domain/errors.js';
import type { Product } from '../domain/product.js';
import type { Connection } from '../domain/session.js';
import type { ConnectionAccess } from './connection-access.js';
import type { AtlassianCredentials } from './ports/atlassian-credentials.js';
import type { Clock } from './ports/clock.js';
import type { CachedListingEntry, ListingCache } from './ports/listing-cache.js';
import type { Metrics } from './ports/metrics.js';
import type { SessionStore } from './ports/session-store.js';
import { loadSession, requireConnection } from './session-access.js';

export interface ListingCacheSettings {
  /** How long a listing is answered as it is; 0 turns caching (and sharing) off. */
  readonly ttlMs: number;
  /** After the TTL, how long the old listing is still answered at once while one refresh runs behind it. */
  readonly staleMs: number;
  /** Outlives the slowest upstream listing, so a lease cannot lapse while its holder is still reading. */
  readonly leaseTtlMs: number;
  /** How long a request waits for another instance's read of the same listing before answering 503. */
  readonly waitTimeoutMs: number;
  readonly pollIntervalMs: number;
}

/**
 * How long a listing is kept beyond its stale window, to be answered while Atlassian refuses every call: an
 * hourly points quota, once spent, blocks the app until the top of the next hour.
 */
export const RATE_LIMITED_RETAIN_MS = 3_600_000;

export interface Listing<T> {
  readonly items: readonly T[];
  /** Fingerprint of the items, for paging cursors. */
  readonly version: string;
  /** Whole seconds since the listing was read from Atlassian. */
  readonly ageSeconds: number;
  /** Set when the listing is older than the freshness rules allow, saying why it was answered anyway. */
  readonly staleBecause?: 'rate_limited';
}

/** Reads a listing from Atlassian; every call it makes ends by `deadline`, the request's (see ConnectionAccess). */
export type ListingFetch<T> = (credentials: AtlassianCredentials, connection: Connection, deadline: Deadline) => Promise<readonly T[]>;

/** One request's listing: whose it is and how to read it from Atlassian. */
interface Read {
  readonly key: string;
  /** The connection the key was made from. */
  readonly connection: Connection;
  readonly sessionId: string;
  readonly sessionToken: string | undefined;
  readonly product: Product;
  /** The request's one upstream deadline (ConnectionAccess's), made when it arrived: waits and reads end by it. */
  readonly deadline: Deadline;
  readonly fetch: ListingFetch<unknown>;
}

/**
 * The cache key of one connection's listing. Everything that decides whose data it is goes in: the session (a
 * listing is never shared between sessions), the product, the connection's version (new on every reconnect and
 * token write) and its site. Hashed, so the cache never holds a session id.
 */
export function listingKey(sessionId: string, connection: Connection): string {
  const parts = [sessionId, connection.product, connection.version, connection.site.id ?? '', connection.site.url];
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
}

/** Two states of one connection: a token refresh keeps when and where it was connected, a reconnect does not. */
function sameConnection(a: Connection, b: Connection): boolean {
  return a.method === b.method && a.connectedAt === b.connectedAt && a.site.url === b.site.url && a.site.id === b.site.id;
}

function versionOf(items: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(items)).digest('base64url').slice(0, 22);
}

/**
 * Listings that cost Atlassian's hourly points once per connection and TTL, not once per request:
 * - within the TTL the cached listing is answered; for `staleMs` after it, the old one is answered at once and one
 *   refresh per key runs behind it (stale-while-revalidate); `fresh` waits for a new read;
 * - concurrent reads of one key share one upstream listing: in this process through `flights`, across instances
 *   through the cache's lease, the others polling the cache for the holder's result;
 * - when Atlassian answers `rate_limited`, any cached copy is answered, however old, marked as such.
 */
export class CachedListings {
  private readonly flights = new Map<string, Promise<CachedListingEntry>>();

  constructor(
    private readonly store: SessionStore,
    private readonly access: ConnectionAccess,
    private readonly cache: ListingCache,
    private readonly clock: Clock,
    private readonly metrics: Pick<Metrics, 'listingCacheAnswer'>,
    private readonly settings: ListingCacheSettings,
  ) {}

  async list<T>(
    sessionToken: string | undefined,
    product: Product,
    fetch: ListingFetch<T>,
    options: { fresh?: boolean } = {},
  ): Promise<Listing<T>> {
    const deadline = this.access.newDeadline();
    if (this.settings.ttlMs === 0) {
      const items = await this.access.run(sessionToken, product, fetch, deadline);
      // Hashed only when a cursor needs it: without the cache every request pays for what it computes.
      return {
        items,
        ageSeconds: 0,
        get version() {
          return versionOf(items);
        },
      };
    }
    const session = await loadSession(this.store, sessionToken);
    const connection = requireConnection(session, product);
    const key = listingKey(session.id, connection);
    const read: Read = { key, connection, sessionId: session.id, sessionToken, product, deadline, fetch };
    const now = this.clock.now();
    const cached = await this.cache.get(key);
    if (cached !== undefined && options.fresh !== true) {
      const age = now - cached.fetchedAt;
      if (age < this.settings.ttlMs) return this.answer<T>(product, 'hit', cached);
      if (age < this.settings.ttlMs + this.settings.staleMs) {
        // Failures are left to the next request: it finds the same stale copy, or none, and says so.
        this.shared(read, now - this.settings.ttlMs + 1).catch(() => undefined);
        return this.answer<T>(product, 'stale', cached);
      }
    }
    try {
      const minFetchedAt = options.fresh === true ? now : now - this.settings.ttlMs + 1;
      return this.answer<T>(product, 'miss', await this.shared(read, minFetchedAt));
    } catch (error) {
      if (cached === undefined || !(error instanceof AppError) || error.code !== 'rate_limited') throw error;
      return { ...this.answer<T>(product, 'stale', cached), staleBecause: 'rate_limited' };
    }
  }

  private answer<T>(product: Product, outcome: 'hit' | 'miss' | 'stale', entry: CachedListingEntry): Listing<T> {
    this.metrics.listingCacheAnswer({ product, outcome });
    const ageSeconds = Math.max(0, Math.floor((this.clock.now() - entry.fetchedAt) / 1000));
    // The cache holds what a ListingFetch<T> returned for this key's product, so the items are T.
    return { items: entry.items as readonly T[], version: entry.version, ageSeconds };
  }

  /** One read of the key at a time in this process; joiners share its result. */
  private shared(read: Read, minFetchedAt: number): Promise<CachedListingEntry> {
    let flight = this.flights.get(read.key);
    if (flight === undefined) {
      flight = this.readOnce(read, minFetchedAt).finally(() => this.flights.delete(read.key));
      this.flights.set(read.key, flight);
    }
    return flight;
  }

  /** Reads the listing under the lease, or waits for the instance holding it to put its result in the cache. */
  private async readOnce(read: Read, minFetchedAt: number): Promise<CachedListingEntry> {
    const { key } = read;
    const maxPolls = Math.ceil(this.settings.waitTimeoutMs / this.settings.pollIntervalMs);
    for (let polls = 0; ; polls++) {
      const release = await this.cache.tryLease(key, this.settings.leaseTtlMs);
      if (release !== undefined) {
        try {
          // The previous holder may have finished between our last look and our lease.
          const done = await this.cache.get(key);
          if (done !== undefined && done.fetchedAt >= minFetchedAt) return done;
          return await this.readUpstream(read);
        } finally {
          await release();
        }
      }
      // A wait past the request's deadline would only end in a read it may no longer start.
      if (polls >= maxPolls || this.clock.now() >= read.deadline) {
        throw new RetryableError('upstream_unavailable', 'Another request is reading this listing from Atlassian. Try again shortly.', 1);
      }
      await new Promise((resolve) => setTimeout(resolve, this.settings.pollIntervalMs));
      const done = await this.cache.get(key);
      if (done !== undefined && done.fetchedAt >= minFetchedAt) return done;
    }
  }

  private async readUpstream({ key, connection, sessionId, sessionToken, product, deadline, fetch }: Read): Promise<CachedListingEntry> {
    const fetchedAt = this.clock.now();
    let used = connection;
    const items = await this.access.run(sessionToken, product, async (credentials, current, deadline) => {
      used = current;
      return fetch(credentials, current, deadline);
    }, deadline);
    const entry: CachedListingEntry = { items, fetchedAt, version: versionOf(items) };
    const retainMs = this.settings.ttlMs + this.settings.staleMs + RATE_LIMITED_RETAIN_MS;
    // The session may have changed since the key was made. A token refresh (same connection, new version): the
    // listing goes under both keys, so the next request (new version) and the waiters (old key) find it. A
    // reconnect or a site switch: only under the new connection's key, never under the old connection's.
    const usedKey = listingKey(sessionId, used);
    await this.cache.put(usedKey, entry, retainMs);
    if (usedKey !== key && sameConnection(connection, used)) await this.cache.put(key, entry, retainMs);
    return entry;
  }
}
