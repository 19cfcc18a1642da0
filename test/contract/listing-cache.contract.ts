import { expect } from 'chai';
import type { CachedListingEntry, ListingCache } from '../../src/application/ports/listing-cache.js';

export interface ListingCacheFixture {
  readonly cache: ListingCache;
  /** Lets `ms` pass for the cache: a clock move for memory, real time for Redis. */
  advance(ms: number): Promise<void>;
  /** A retention long enough to outlive the test and short enough that `advance` past it is quick. */
  readonly shortMs: number;
}

const entry = (name: string, fetchedAt = 1_000): CachedListingEntry => ({
  items: [{ id: '1', key: 'ENG', name }, { id: '2', key: 'OPS', name: 'Opérations' }],
  fetchedAt,
  version: `v-${name}`,
});

let keys = 0;
const freshKey = () => `key-${process.pid}-${Date.now()}-${++keys}`;

/** The ListingCache port's promises (src/application/ports/listing-cache.ts), for every adapter. */
export function listingCacheContract(name: string, make: () => Promise<ListingCacheFixture>): void {
  describe(`${name} (ListingCache contract)`, () => {
    let f: ListingCacheFixture;
    beforeEach(async () => {
      f = await make();
    });

    it('answers undefined for a key never put', async () => {
      expect(await f.cache.get(freshKey())).to.equal(undefined);
    });

    it('answers what was put, items, time and version alike', async () => {
      const key = freshKey();
      await f.cache.put(key, entry('Engineering'), 60_000);
      expect(await f.cache.get(key)).to.deep.equal(entry('Engineering'));
    });

    it('a put replaces the entry of its key and no other', async () => {
      const [a, b] = [freshKey(), freshKey()];
      await f.cache.put(a, entry('first'), 60_000);
      await f.cache.put(b, entry('other'), 60_000);
      await f.cache.put(a, entry('second', 2_000), 60_000);
      expect(await f.cache.get(a)).to.deep.equal(entry('second', 2_000));
      expect(await f.cache.get(b)).to.deep.equal(entry('other'));
    });

    it('forgets an entry once its retention has passed', async () => {
      const key = freshKey();
      await f.cache.put(key, entry('Engineering'), f.shortMs);
      await f.advance(f.shortMs + 50);
      expect(await f.cache.get(key)).to.equal(undefined);
    });

    it('delete removes the entry of its key only', async () => {
      const [a, b] = [freshKey(), freshKey()];
      await f.cache.put(a, entry('a'), 60_000);
      await f.cache.put(b, entry('b'), 60_000);
      await f.cache.delete(a);
      await f.cache.delete(freshKey());
      expect(await f.cache.get(a)).to.equal(undefined);
      expect(await f.cache.get(b)).to.deep.equal(entry('b'));
    });

    it('a lease is held once: the second try answers undefined until the first is released', async () => {
      const key = freshKey();
      const release = await f.cache.tryLease(key, 60_000);
      expect(release).to.be.a('function');
      expect(await f.cache.tryLease(key, 60_000)).to.equal(undefined);
      expect(await f.cache.tryLease(freshKey(), 60_000), 'another key is free').to.be.a('function');
      await release!();
      expect(await f.cache.tryLease(key, 60_000)).to.be.a('function');
    });

    it('a lease ends by itself after its TTL, and a late release does not end the next holder\'s', async () => {
      const key = freshKey();
      const stale = await f.cache.tryLease(key, f.shortMs);
      await f.advance(f.shortMs + 50);
      const next = await f.cache.tryLease(key, 60_000);
      expect(next).to.be.a('function');
      await stale!();
      expect(await f.cache.tryLease(key, 60_000)).to.equal(undefined);
      await next!();
    });

    it('delete keeps a lease: leases and entries are independent', async () => {
      const key = freshKey();
      const release = await f.cache.tryLease(key, 60_000);
      await f.cache.delete(key);
      expect(await f.cache.tryLease(key, 60_000)).to.equal(undefined);
      await release!();
    });
  });
}
