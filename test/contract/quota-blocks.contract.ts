import { expect } from 'chai';
import type { QuotaBlocks } from '../../src/infrastructure/quota/quota-blocks.js';
import { FixedClock } from '../support/port-fakes.js';

/** The promises of QuotaBlocks (src/infrastructure/quota/quota-blocks.ts), run against every adapter. */
export function quotaBlocksContract(name: string, make: (clock: FixedClock) => Promise<QuotaBlocks> | QuotaBlocks): void {
  describe(`${name} (QuotaBlocks contract)`, () => {
    let clock: FixedClock;
    let blocks: QuotaBlocks;
    // Each test uses its own scopes, so adapters sharing a key space across tests cannot leak into one another.
    let n = 0;
    let scope: (label: string) => string;

    beforeEach(async () => {
      clock = new FixedClock(Date.now());
      blocks = await make(clock);
      const run = ++n;
      scope = (label) => `${label}:${run}`;
    });

    it('a block holds while the clock is before its end, and no longer', async () => {
      await blocks.block(scope('global:app'), clock.now() + 60_000);
      expect(await blocks.blockedUntil([scope('global:app')])).to.equal(clock.now() + 60_000);
      clock.advance(59_999);
      expect(await blocks.blockedUntil([scope('global:app')])).to.be.a('number');
      clock.advance(1);
      expect(await blocks.blockedUntil([scope('global:app')])).to.equal(undefined);
    });

    it('only the scopes asked about count; of several, the latest end wins', async () => {
      const now = clock.now();
      await blocks.block(scope('tenant:app:a'), now + 30_000);
      await blocks.block(scope('global:app'), now + 10_000);
      expect(await blocks.blockedUntil([scope('tenant:app:b')])).to.equal(undefined);
      expect(await blocks.blockedUntil([scope('global:app'), scope('tenant:app:b')])).to.equal(now + 10_000);
      expect(await blocks.blockedUntil([scope('global:app'), scope('tenant:app:a')])).to.equal(now + 30_000);
      expect(await blocks.blockedUntil([])).to.equal(undefined);
    });

    it('a later block replaces the earlier one, shorter or longer', async () => {
      const now = clock.now();
      await blocks.block(scope('global:app'), now + 60_000);
      await blocks.block(scope('global:app'), now + 5_000);
      expect(await blocks.blockedUntil([scope('global:app')])).to.equal(now + 5_000);
      await blocks.block(scope('global:app'), now + 90_000);
      expect(await blocks.blockedUntil([scope('global:app')])).to.equal(now + 90_000);
    });

    it('a block ending now or earlier records nothing', async () => {
      await blocks.block(scope('global:app'), clock.now());
      await blocks.block(scope('tenant:app:a'), clock.now() - 1_000);
      expect(await blocks.blockedUntil([scope('global:app'), scope('tenant:app:a')])).to.equal(undefined);
    });
  });
}
