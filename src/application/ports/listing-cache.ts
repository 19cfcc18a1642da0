/** One listing as read from Atlassian, with what a reader needs to judge and page it. */
export interface CachedListingEntry {
  readonly items: readonly unknown[];
  /** Epoch milliseconds at which the read from Atlassian started: the listing is at least this old. */
  readonly fetchedAt: number;
  /** A fingerprint of the items, so a paging cursor can tell the listing it was cut from. */
  readonly version: string;
}

/**
 * Where listings read from Atlassian are kept between requests, and the lease that lets one request (of any
 * instance sharing the store) read a listing while the others wait for it. Keys are opaque to the cache: the
 * application makes them from a hash of the session, product, connection version and site, so a key can never
 * name another session's or another connection's listing.
 *
 * Contract (test/contract/listing-cache.contract.ts runs it against every adapter):
 * - `get` answers what the last `put` of the key stored, until `retainMs` after that put; then, or after `delete`,
 *   or for a value it cannot read, undefined — never throws for those.
 * - `put` replaces the key's entry. An adapter may drop entries early to stay within its size bound, never return
 *   another key's entry.
 * - `tryLease` tries once: it answers a release function when the lease was taken, undefined while another holder
 *   has it; a lease ends by itself after `ttlMs` (a shared adapter ends it within a short term when its holder is
 *   gone, as the Lock port says). Leases and entries are independent: `delete` keeps a lease.
 * - A backend failure throws `store_unavailable`.
 */
export interface ListingCache {
  get(key: string): Promise<CachedListingEntry | undefined>;
  put(key: string, entry: CachedListingEntry, retainMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  tryLease(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;
}
