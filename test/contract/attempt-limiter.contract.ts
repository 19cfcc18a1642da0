import { expect } from 'chai';
import type { AttemptLimiter, Reservation } from '../../src/application/ports/attempt-limiter.js';

export interface LimiterUnderTest {
  /** A limiter of `perMinute` attempts, under `name` (limits of different names do not share counts). */
  make(perMinute: number, name: string): AttemptLimiter;
  /** Ends the current window of `key` under `name`, as a minute passing would. */
  endWindow(name: string, key: string): Promise<void>;
}

async function granted(limiter: AttemptLimiter, key: string): Promise<Extract<Reservation, { granted: true }>> {
  const reservation = await limiter.reserve(key);
  expect(reservation.granted, `a reservation of ${key}`).to.equal(true);
  return reservation as Extract<Reservation, { granted: true }>;
}

async function expectRefused(limiter: AttemptLimiter, key: string): Promise<void> {
  const reservation = await limiter.reserve(key);
  expect(reservation.granted, `a reservation of ${key} past the limit`).to.equal(false);
  const wait = (reservation as Extract<Reservation, { granted: false }>).retryAfterSeconds;
  expect(wait).to.be.a('number').above(0).and.at.most(60);
}

/** The promises of the AttemptLimiter port (src/application/ports/attempt-limiter.ts), for every adapter. */
export function attemptLimiterContract(name: string, setup: () => LimiterUnderTest): void {
  describe(`AttemptLimiter contract: ${name}`, () => {
    let sut: LimiterUnderTest;
    beforeEach(() => { sut = setup(); });

    it('grants perMinute reservations, then refuses with a wait of at most the window', async () => {
      const limiter = sut.make(3, 'grant');
      for (let i = 0; i < 3; i++) await granted(limiter, 'client');
      await expectRefused(limiter, 'client');
    });

    it('grants exactly perMinute of 50 concurrent reservations', async () => {
      const limiter = sut.make(5, 'burst');
      const answers = await Promise.all(Array.from({ length: 50 }, () => limiter.reserve('client')));
      expect(answers.filter((answer) => answer.granted)).to.have.length(5);
    });

    it('a released reservation gives its attempt back; releasing it again gives nothing more', async () => {
      const limiter = sut.make(2, 'release');
      const first = await granted(limiter, 'client');
      await granted(limiter, 'client');
      await first.release();
      await first.release();
      await granted(limiter, 'client');
      await expectRefused(limiter, 'client');
    });

    it('keys, and limits of different names, count apart', async () => {
      const logins = sut.make(1, 'logins');
      const starts = sut.make(1, 'starts');
      await granted(logins, 'a');
      await expectRefused(logins, 'a');
      await granted(logins, 'b');
      await granted(starts, 'a');
    });

    it('a new window grants again', async () => {
      const limiter = sut.make(1, 'window');
      await granted(limiter, 'client');
      await expectRefused(limiter, 'client');
      await sut.endWindow('window', 'client');
      await granted(limiter, 'client');
    });

    it('a release after its window ended gives no extra attempt in the next one', async () => {
      const limiter = sut.make(2, 'late');
      const early = await granted(limiter, 'client');
      await sut.endWindow('late', 'client');
      await early.release();
      await granted(limiter, 'client');
      await granted(limiter, 'client');
      await expectRefused(limiter, 'client');
    });
  });
}
