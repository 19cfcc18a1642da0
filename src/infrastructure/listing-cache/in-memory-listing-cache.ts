import type { Clock } from '../../application/ports/clock.js';
import type { CachedListingEntry, ListingCache } from '../../application/ports/listing-cache.js';
import { deepFreeze } from '../deep-freeze.js';

/** Map entry, key and timestamps beside the listing's own JSON: a rough constant, enough for a bound. */
const ENTRY_OVERHEAD_BYTES = 128;

interface Slot {
  readonly entry: CachedListingEntry;
  readonly bytes: number;
  readonly until: number;
}

/**
 * Listings in this process, bounded by an estimate of their bytes (their JSON length): when a put would exceed the
 * bound, the least recently used listings go first. A Map iterates in insertion order, so re-inserting on every
 * read keeps the least recently used at the front.
 */
export class InMemoryListingCache implements ListingCache {
  private readonly slots = new Map<string, Slot>();
  private readonly leases = new Map<string, { owner: symbol; until: number }>();
  private used = 0;

  constructor(
    private readonly clock: Clock,
    private readonly maxBytes: number,
  ) {}

  /** Bytes held now (an estimate: the JSON length of each listing). */
  get size(): number {
    return this.used;
  }

  async get(key: string): Promise<CachedListingEntry | undefined> {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    this.slots.delete(key);
    if (slot.until <= this.clock.now()) {
      this.used -= slot.bytes;
      return undefined;
    }
    this.slots.set(key, slot);
    return slot.entry;
  }

  async put(key: string, entry: CachedListingEntry, retainMs: number): Promise<void> {
    await this.delete(key);
    const text = JSON.stringify(entry.items);
    const bytes = Buffer.byteLength(text) + key.length + ENTRY_OVERHEAD_BYTES;
    if (bytes > this.maxBytes) return;
    for (const [oldest, slot] of this.slots) {
      if (this.used + bytes <= this.maxBytes) break;
      this.slots.delete(oldest);
      this.used -= slot.bytes;
    }
    // A frozen copy, as an out-of-process store would give: no caller can change what the next reader gets,
    // and reads (the hot path) hand it out without copying.
    const stored = deepFreeze({ items: JSON.parse(text) as unknown[], fetchedAt: entry.fetchedAt, version: entry.version });
    this.slots.set(key, { entry: stored, bytes, until: this.clock.now() + retainMs });
    this.used += bytes;
  }

  async delete(key: string): Promise<void> {
    const slot = this.slots.get(key);
    if (slot === undefined) return;
    this.slots.delete(key);
    this.used -= slot.bytes;
  }

  async tryLease(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const now = this.clock.now();
    const current = this.leases.get(key);
    if (current !== undefined && current.until > now) return undefined;
    const owner = Symbol(key);
    this.leases.set(key, { owner, until: now + ttlMs });
    return async () => {
      if (this.leases.get(key)?.owner === owner) this.leases.delete(key);
    };
  }
}
