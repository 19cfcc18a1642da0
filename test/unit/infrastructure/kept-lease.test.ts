import { expect } from 'chai';
import sinon from 'sinon';
import { firstTermMs, keepLease, leaseTermMs, type LeaseHandle } from '../../../src/infrastructure/lock/kept-lease.js';

const TERM_MS = 3_000;
const TTL_MS = 35_000;

/** A store's side of a lease that records what it was asked; `held` says what a renewal finds. */
function fakeHandle() {
  const renewals: number[] = [];
  const state = { held: true, fails: false, releases: 0, pending: undefined as Promise<boolean> | undefined };
  const handle: LeaseHandle = {
    renew: async (ms) => {
      renewals.push(ms);
      if (state.pending !== undefined) return state.pending;
      if (state.fails) throw new Error('store down');
      return state.held;
    },
    release: async () => {
      state.releases++;
      if (state.fails) throw new Error('store down');
    },
  };
  return { handle, renewals, state };
}

describe('keepLease (a lease in renewed terms)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
  });
  afterEach(() => clock.restore());

  it('the term is three store timeouts, at least 1 s; the first term stored is the TTL when shorter', () => {
    expect([leaseTermMs(1_000), leaseTermMs(500), leaseTermMs(100)]).to.deep.equal([3_000, 1_500, 1_000]);
    expect([firstTermMs(TTL_MS, TERM_MS), firstTermMs(200, TERM_MS), firstTermMs(0.4, TERM_MS)]).to.deep.equal([TERM_MS, 200, 1]);
  });

  it('renews a full term every third of a term while held, and the last renewal ends the lease at its TTL', async () => {
    const { handle, renewals } = fakeHandle();
    keepLease(handle, 10_000, TERM_MS);
    await clock.tickAsync(10_000 + 5 * TERM_MS);
    // Ticks at 1 s … 9 s renew a term each, capped by what is left of the TTL; at 10 s the TTL is over: no more.
    expect(renewals).to.deep.equal([3_000, 3_000, 3_000, 3_000, 3_000, 3_000, 3_000, 2_000, 1_000]);
  });

  it('a lease no longer than one term is stored once and never renewed', async () => {
    const { handle, renewals } = fakeHandle();
    keepLease(handle, TERM_MS, TERM_MS);
    await clock.tickAsync(4 * TERM_MS);
    expect(renewals).to.deep.equal([]);
  });

  it('release stops the renewals and ends the lease in the store', async () => {
    const { handle, renewals, state } = fakeHandle();
    const release = keepLease(handle, TTL_MS, TERM_MS);
    await clock.tickAsync(TERM_MS);
    await release();
    const before = renewals.length;
    await clock.tickAsync(4 * TERM_MS);
    expect(before).to.equal(3);
    expect(renewals).to.have.length(before);
    expect(state.releases).to.equal(1);
  });

  it('a renewal that finds the lease taken over stops renewing', async () => {
    const { handle, renewals, state } = fakeHandle();
    keepLease(handle, TTL_MS, TERM_MS);
    await clock.tickAsync(TERM_MS / 3);
    state.held = false;
    await clock.tickAsync(TERM_MS);
    expect(renewals).to.have.length(2);
  });

  it('a failed renewal is tried again at the next tick, not given up', async () => {
    const { handle, renewals, state } = fakeHandle();
    keepLease(handle, TTL_MS, TERM_MS);
    state.fails = true;
    await clock.tickAsync(TERM_MS);
    state.fails = false;
    await clock.tickAsync(TERM_MS);
    expect(renewals).to.have.length(6);
  });

  it('never sends a renewal while the previous one is unanswered (a slow store does not pile them up)', async () => {
    const { handle, renewals, state } = fakeHandle();
    let answer!: (held: boolean) => void;
    state.pending = new Promise<boolean>((resolve) => (answer = resolve));
    keepLease(handle, TTL_MS, TERM_MS);
    await clock.tickAsync(3 * TERM_MS);
    expect(renewals).to.have.length(1);
    answer(true);
    state.pending = undefined;
    await clock.tickAsync(TERM_MS / 3);
    expect(renewals).to.have.length(2);
  });

  it('a failed release is swallowed: the lease ends by itself within a term', async () => {
    const { handle, state } = fakeHandle();
    const release = keepLease(handle, TTL_MS, TERM_MS);
    state.fails = true;
    await release();
    expect(state.releases).to.equal(1);
  });
});
