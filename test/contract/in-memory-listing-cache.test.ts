import { expect } from 'chai';
import { InMemoryListingCache } from '../../src/infrastructure/listing-cache/in-memory-listing-cache.js';
import { FixedClock } from '../support/port-fakes.js';
import { listingCacheContract } from './listing-cache.contract.js';

listingCacheContract('InMemoryListingCache', async () => {
  const clock = new FixedClock();
  return { cache: new InMemoryListingCache(clock, 1024 * 1024), advance: async (ms: number) => clock.advance(ms), shortMs: 1_000 };
});

describe('InMemoryListingCache bound and isolation', () => {
  const listing = (n: number, bytes: number) => ({ items: [{ key: `K${n}`, name: 'x'.repeat(bytes) }], fetchedAt: n, version: `v${n}` });

  it('stays within LISTING_CACHE_MAX_BYTES by dropping the least recently used listing first', async () => {
    const cache = new InMemoryListingCache(new FixedClock(), 3_000);
    await cache.put('a', listing(1, 700), 60_000);
    await cache.put('b', listing(2, 700), 60_000);
    await cache.put('c', listing(3, 700), 60_000);
    await cache.get('a'); // now b is the least recently used
    await cache.put('d', listing(4, 700), 60_000);

    expect(cache.size).to.be.at.most(3_000);
    expect(await cache.get('b')).to.equal(undefined);
    for (const key of ['a', 'c', 'd']) expect(await cache.get(key), key).not.to.equal(undefined);
  });

  it('does not keep a listing larger than the whole bound, and keeps the others', async () => {
    const cache = new InMemoryListingCache(new FixedClock(), 2_000);
    await cache.put('small', listing(1, 100), 60_000);
    await cache.put('huge', listing(2, 5_000), 60_000);

    expect(await cache.get('huge')).to.equal(undefined);
    expect(await cache.get('small')).not.to.equal(undefined);
  });

  it('gives back the bytes of replaced, deleted and expired listings', async () => {
    const clock = new FixedClock();
    const reference = new InMemoryListingCache(clock, 1024 * 1024);
    await reference.put('a', listing(1, 500), 60_000);
    const cache = new InMemoryListingCache(clock, 1024 * 1024);
    await cache.put('a', listing(1, 500), 60_000);
    await cache.put('a', listing(1, 500), 60_000);
    await cache.put('b', listing(2, 500), 1_000);
    await cache.put('c', listing(3, 500), 60_000);
    await cache.delete('c');
    clock.advance(2_000);
    await cache.get('b');
    expect(cache.size).to.equal(reference.size);
    await cache.delete('a');
    expect(cache.size).to.equal(0);
  });

  it('hands out a frozen copy: a caller cannot change what the next caller reads', async () => {
    const cache = new InMemoryListingCache(new FixedClock(), 1024 * 1024);
    const original = { items: [{ key: 'ENG', name: 'Engineering' }], fetchedAt: 1, version: 'v' };
    await cache.put('a', original, 60_000);
    original.items[0]!.name = 'changed by the writer';
    const read = await cache.get('a');
    expect(() => {
      (read!.items[0] as { name: string }).name = 'changed by a reader';
    }).to.throw(TypeError);
    expect((await cache.get('a'))!.items[0]).to.deep.equal({ key: 'ENG', name: 'Engineering' });
  });
});
