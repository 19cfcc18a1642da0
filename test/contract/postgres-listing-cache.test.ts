import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { PostgresListingCache } from '../../src/infrastructure/listing-cache/postgres-listing-cache.js';
import { SessionCipher } from '../../src/infrastructure/session/session-cipher.js';
import { FixedClock } from '../support/port-fakes.js';
import { schemaPerSuite } from '../support/postgres.js';
import { listingCacheContract } from './listing-cache.contract.js';

const key = () => randomBytes(32).toString('base64');

describe('PostgresListingCache (real PostgreSQL)', function () {

  const schema = schemaPerSuite({ migrated: true });

  // Entries expire on the service's clock, which the test moves; leases on the database's (real, short).
  listingCacheContract('PostgresListingCache', async () => {
    const clock = new FixedClock(Date.now());
    return {
      cache: new PostgresListingCache(schema().pool, new SessionCipher([key()]), clock),
      advance: async (ms: number) => {
        clock.advance(ms);
        await new Promise((resolve) => setTimeout(resolve, ms));
      },
      shortMs: 200,
    };
  });

  it('holds nothing readable, and a row copied to another key does not decrypt', async () => {
    const clock = new FixedClock(Date.now());
    const cache = new PostgresListingCache(schema().pool, new SessionCipher([key()]), clock);
    await cache.put('k1', { items: [{ key: 'SECRETKEY', name: 'Secret project name' }], fetchedAt: 1, version: 'v1' }, 60_000);
    const { rows } = await schema().pool.query<{ sealed: string }>('SELECT sealed FROM listing_cache WHERE key = $1', ['k1']);
    expect(rows[0]!.sealed).to.be.a('string').and.not.include('SECRETKEY').and.not.include('Secret project');
    await schema().pool.query('INSERT INTO listing_cache (key, sealed, expires_at) VALUES ($1, $2, $3)', ['k2', rows[0]!.sealed, clock.now() + 60_000]);
    expect(await cache.get('k2')).to.equal(undefined);
    expect(await cache.get('k1')).to.deep.include({ version: 'v1' });
  });
});
