import { expect } from 'chai';
import { decideRetry, retryAfterMs, type AttemptOutcome, type RetrySettings } from '../../../src/infrastructure/atlassian/retry-policy.js';

const SETTINGS: RetrySettings = { maxRetries: 3, maxRetryWaitMs: 5_000, baseDelayMs: 100, rateLimitBaseMs: 1_000 };
/** Plenty of time left before the deadline. */
const FAR = 60_000;
const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);

const answer = (status: number, retryAfter: string | null = null): AttemptOutcome => ({ kind: 'answer', status, retryAfter });
/** A jitter source fixed at one value, so backoff is exact. */
const fixed = (value: number) => () => value;
/** 0.5 → jitter factor 0.7 + 0.6 × 0.5 = 1.0: the plain exponential backoff. */
const NO_JITTER = fixed(0.5);

describe('decideRetry', () => {
  describe('what is retried', () => {
    for (const status of [429, 502, 503, 504]) {
      it(`retries a ${status} answer`, () => {
        expect(decideRetry(0, answer(status), SETTINGS, FAR, NO_JITTER, NOW).retry).to.equal(true);
      });
    }

    it('retries a network error (no answer at all)', () => {
      expect(decideRetry(0, { kind: 'network-error' }, SETTINGS, FAR, NO_JITTER, NOW).retry).to.equal(true);
    });

    for (const status of [200, 301, 400, 401, 403, 404, 500]) {
      it(`never retries a ${status} answer`, () => {
        expect(decideRetry(0, answer(status), SETTINGS, FAR, NO_JITTER, NOW)).to.deep.equal({ retry: false });
      });
    }

    it('never retries a 400 even when it carries Retry-After', () => {
      expect(decideRetry(0, answer(400, '1'), SETTINGS, FAR, NO_JITTER, NOW)).to.deep.equal({ retry: false });
    });

    it('never retries a timeout: the caller already waited a full timeout', () => {
      expect(decideRetry(0, { kind: 'timeout' }, SETTINGS, FAR, NO_JITTER, NOW)).to.deep.equal({ retry: false });
    });
  });

  describe('how many times', () => {
    it('retries while fewer than maxRetries retries were done, and stops at maxRetries', () => {
      for (let done = 0; done < SETTINGS.maxRetries; done++) {
        expect(decideRetry(done, answer(503), SETTINGS, FAR, NO_JITTER, NOW).retry, `after ${done} retries`).to.equal(true);
      }
      expect(decideRetry(SETTINGS.maxRetries, answer(503), SETTINGS, FAR, NO_JITTER, NOW)).to.deep.equal({ retry: false });
      expect(decideRetry(SETTINGS.maxRetries + 5, { kind: 'network-error' }, SETTINGS, FAR, NO_JITTER, NOW)).to.deep.equal({ retry: false });
    });

    it('maxRetries 0 means no retry at all', () => {
      const none = { ...SETTINGS, maxRetries: 0 };
      expect(decideRetry(0, answer(503), none, FAR, NO_JITTER, NOW)).to.deep.equal({ retry: false });
      expect(decideRetry(0, answer(429, '1'), none, FAR, NO_JITTER, NOW)).to.deep.equal({ retry: false });
      expect(decideRetry(0, answer(429), none, FAR, NO_JITTER, NOW)).to.deep.equal({ retry: false, impliedRetryAfterMs: 1_000 });
    });
  });

  describe('Retry-After', () => {
    it('waits exactly the seconds Atlassian asks for, whatever the jitter', () => {
      expect(decideRetry(0, answer(429, '2'), SETTINGS, FAR, fixed(0), NOW)).to.deep.equal({ retry: true, waitMs: 2_000 });
      expect(decideRetry(2, answer(429, '2'), SETTINGS, FAR, fixed(1), NOW)).to.deep.equal({ retry: true, waitMs: 2_000 });
      expect(decideRetry(0, answer(503, '0'), SETTINGS, FAR, NO_JITTER, NOW)).to.deep.equal({ retry: true, waitMs: 0 });
    });

    it('accepts an HTTP date, measured from `now`', () => {
      const at = new Date(NOW + 3_000).toUTCString();
      expect(decideRetry(0, answer(429, at), SETTINGS, FAR, NO_JITTER, NOW)).to.deep.equal({ retry: true, waitMs: 3_000 });
    });

    it('does not retry when Retry-After is longer than maxRetryWaitMs: the call ends at once', () => {
      expect(decideRetry(0, answer(429, '6'), SETTINGS, FAR, NO_JITTER, NOW)).to.deep.equal({ retry: false });
      expect(decideRetry(0, answer(503, '120'), SETTINGS, FAR, NO_JITTER, NOW)).to.deep.equal({ retry: false });
      expect(decideRetry(0, answer(429, new Date(NOW + 60_000).toUTCString()), SETTINGS, FAR, NO_JITTER, NOW)).to.deep.equal({ retry: false });
    });

    it('a Retry-After equal to maxRetryWaitMs is still honoured', () => {
      expect(decideRetry(0, answer(429, '5'), SETTINGS, FAR, NO_JITTER, NOW)).to.deep.equal({ retry: true, waitMs: 5_000 });
    });

    it('an unreadable Retry-After counts as none', () => {
      expect(decideRetry(0, answer(503, 'soon'), SETTINGS, FAR, NO_JITTER, NOW)).to.deep.equal({ retry: true, waitMs: 100 });
      expect(decideRetry(0, answer(429, 'soon'), SETTINGS, FAR, NO_JITTER, NOW)).to.deep.equal({ retry: true, waitMs: 1_000 });
    });
  });

  describe('backoff of a 502/503/504 or connection failure without Retry-After', () => {
    it('doubles from baseDelayMs on each retry', () => {
      const waits = [0, 1, 2].map((done) => decideRetry(done, answer(503), { ...SETTINGS, maxRetries: 5 }, FAR, NO_JITTER, NOW));
      expect(waits).to.deep.equal([
        { retry: true, waitMs: 100 },
        { retry: true, waitMs: 200 },
        { retry: true, waitMs: 400 },
      ]);
    });

    it('applies jitter within [0.7, 1.3] of the backoff (random 0 → lower bound, random 1 → upper bound)', () => {
      expect(decideRetry(0, answer(503), SETTINGS, FAR, fixed(0), NOW)).to.deep.equal({ retry: true, waitMs: 70 });
      expect(decideRetry(0, answer(503), SETTINGS, FAR, fixed(1), NOW)).to.deep.equal({ retry: true, waitMs: 130 });
      expect(decideRetry(2, answer(502), SETTINGS, FAR, fixed(0), NOW)).to.deep.equal({ retry: true, waitMs: 280 });
      expect(decideRetry(2, { kind: 'network-error' }, SETTINGS, FAR, fixed(1), NOW)).to.deep.equal({ retry: true, waitMs: 520 });
    });

    it('with Math.random, every wait lies within the jitter bounds', () => {
      for (let i = 0; i < 200; i++) {
        const decision = decideRetry(1, answer(504), SETTINGS, FAR, Math.random, NOW);
        expect(decision.retry).to.equal(true);
        if (decision.retry) expect(decision.waitMs).to.be.within(140, 260);
      }
    });

    it('caps the backoff at maxRetryWaitMs (before jitter)', () => {
      const settings: RetrySettings = { maxRetries: 10, maxRetryWaitMs: 1_000, baseDelayMs: 300, rateLimitBaseMs: 5_000 };
      // 300 × 2^3 = 2400 → capped to 1000.
      expect(decideRetry(3, answer(503), settings, FAR, NO_JITTER, NOW)).to.deep.equal({ retry: true, waitMs: 1_000 });
      expect(decideRetry(3, answer(503), settings, FAR, fixed(0), NOW)).to.deep.equal({ retry: true, waitMs: 700 });
      expect(decideRetry(3, answer(503), settings, FAR, fixed(1), NOW)).to.deep.equal({ retry: true, waitMs: 1_300 });
      expect(decideRetry(9, { kind: 'network-error' }, settings, FAR, NO_JITTER, NOW)).to.deep.equal({ retry: true, waitMs: 1_000 });
    });

    it('does not use the rate-limit wait, however large', () => {
      const settings: RetrySettings = { ...SETTINGS, rateLimitBaseMs: 60_000 };
      expect(decideRetry(0, answer(502), settings, FAR, NO_JITTER, NOW)).to.deep.equal({ retry: true, waitMs: 100 });
      expect(decideRetry(1, answer(504), settings, FAR, NO_JITTER, NOW)).to.deep.equal({ retry: true, waitMs: 200 });
      expect(decideRetry(2, { kind: 'network-error' }, settings, FAR, NO_JITTER, NOW)).to.deep.equal({ retry: true, waitMs: 400 });
    });
  });

  describe('429 without Retry-After: as if Atlassian asked for rateLimitBaseMs × 2^retries, at most 30 s', () => {
    const ROOMY: RetrySettings = { maxRetries: 10, maxRetryWaitMs: 60_000, baseDelayMs: 100, rateLimitBaseMs: 1_000 };

    it('waits rateLimitBaseMs, doubling on each retry, not the short 5xx backoff', () => {
      const waits = [0, 1, 2, 3].map((done) => decideRetry(done, answer(429), ROOMY, FAR, NO_JITTER, NOW));
      expect(waits).to.deep.equal([
        { retry: true, waitMs: 1_000 },
        { retry: true, waitMs: 2_000 },
        { retry: true, waitMs: 4_000 },
        { retry: true, waitMs: 8_000 },
      ]);
    });

    it('applies jitter within [0.7, 1.3]', () => {
      expect(decideRetry(1, answer(429), ROOMY, FAR, fixed(0), NOW)).to.deep.equal({ retry: true, waitMs: 1_400 });
      expect(decideRetry(1, answer(429), ROOMY, FAR, fixed(1), NOW)).to.deep.equal({ retry: true, waitMs: 2_600 });
    });

    it('with Atlassian\'s 5 s base: 5 s, 10 s, 20 s, then 30 s at most', () => {
      const atlassian: RetrySettings = { ...ROOMY, rateLimitBaseMs: 5_000 };
      const waits = [0, 1, 2, 3, 6].map((done) => decideRetry(done, answer(429), atlassian, FAR, NO_JITTER, NOW));
      expect(waits.map((w) => (w.retry ? w.waitMs : undefined))).to.deep.equal([5_000, 10_000, 20_000, 30_000, 30_000]);
    });

    it('never waits longer than maxRetryWaitMs, jitter included', () => {
      const settings: RetrySettings = { ...ROOMY, maxRetryWaitMs: 1_000 };
      expect(decideRetry(0, answer(429), settings, FAR, fixed(1), NOW)).to.deep.equal({ retry: true, waitMs: 1_000 });
    });

    it('stops at once when the implied wait is longer than maxRetryWaitMs, and says how long to wait', () => {
      expect(decideRetry(0, answer(429), { ...SETTINGS, rateLimitBaseMs: 5_000, maxRetryWaitMs: 1_000 }, FAR, NO_JITTER, NOW))
        .to.deep.equal({ retry: false, impliedRetryAfterMs: 5_000 });
      // 1000 × 2^3 = 8000 > 5000
      expect(decideRetry(3, answer(429), { ...SETTINGS, maxRetries: 5 }, FAR, NO_JITTER, NOW))
        .to.deep.equal({ retry: false, impliedRetryAfterMs: 8_000 });
      expect(decideRetry(6, answer(429), { ...ROOMY, rateLimitBaseMs: 5_000, maxRetryWaitMs: 1_000 }, FAR, NO_JITTER, NOW))
        .to.deep.equal({ retry: false, impliedRetryAfterMs: 30_000 });
    });

    it('when the retries are used up, says how long the next wait would have been', () => {
      expect(decideRetry(2, answer(429), { ...ROOMY, maxRetries: 2 }, FAR, NO_JITTER, NOW))
        .to.deep.equal({ retry: false, impliedRetryAfterMs: 4_000 });
    });

    it('does not wait past the deadline, and says how long to wait', () => {
      expect(decideRetry(0, answer(429), ROOMY, 1_000, NO_JITTER, NOW)).to.deep.equal({ retry: false, impliedRetryAfterMs: 1_000 });
      expect(decideRetry(0, answer(429), ROOMY, 1_001, NO_JITTER, NOW)).to.deep.equal({ retry: true, waitMs: 1_000 });
    });

    it('a 429 with Retry-After is unaffected: Atlassian\'s number, no implied wait', () => {
      expect(decideRetry(3, answer(429, '2'), ROOMY, FAR, fixed(1), NOW)).to.deep.equal({ retry: true, waitMs: 2_000 });
      expect(decideRetry(0, answer(429, '120'), ROOMY, FAR, NO_JITTER, NOW)).to.deep.equal({ retry: false });
    });
  });

  describe('deadline', () => {
    it('does not retry when the wait would reach the remaining time before the deadline', () => {
      expect(decideRetry(0, answer(429, '2'), SETTINGS, 2_000, NO_JITTER, NOW)).to.deep.equal({ retry: false });
      expect(decideRetry(0, answer(429, '2'), SETTINGS, 1_500, NO_JITTER, NOW)).to.deep.equal({ retry: false });
      expect(decideRetry(0, answer(503), SETTINGS, 100, NO_JITTER, NOW)).to.deep.equal({ retry: false });
      expect(decideRetry(0, { kind: 'network-error' }, SETTINGS, 0, NO_JITTER, NOW)).to.deep.equal({ retry: false });
      expect(decideRetry(0, answer(503), SETTINGS, -5, NO_JITTER, NOW)).to.deep.equal({ retry: false });
    });

    it('retries when the wait ends before the deadline', () => {
      expect(decideRetry(0, answer(429, '2'), SETTINGS, 2_001, NO_JITTER, NOW)).to.deep.equal({ retry: true, waitMs: 2_000 });
      expect(decideRetry(0, answer(503), SETTINGS, 101, NO_JITTER, NOW)).to.deep.equal({ retry: true, waitMs: 100 });
    });
  });
});

describe('retryAfterMs', () => {
  it('reads seconds', () => {
    expect(retryAfterMs('7', NOW)).to.equal(7_000);
    expect(retryAfterMs(' 7 ', NOW)).to.equal(7_000);
    expect(retryAfterMs('0', NOW)).to.equal(0);
    expect(retryAfterMs('120', NOW)).to.equal(120_000);
  });

  it('reads an HTTP date relative to `now`', () => {
    expect(retryAfterMs(new Date(NOW + 10_000).toUTCString(), NOW)).to.equal(10_000);
    expect(retryAfterMs('Wed, 01 Jan 2025 12:00:05 GMT', NOW)).to.equal(5_000);
  });

  it('a date in the past means no wait (0), never a negative wait', () => {
    expect(retryAfterMs(new Date(NOW - 10_000).toUTCString(), NOW)).to.equal(0);
    expect(retryAfterMs('Thu, 01 Jan 1970 00:00:00 GMT', NOW)).to.equal(0);
  });

  it('absent or garbage → undefined', () => {
    expect(retryAfterMs(null, NOW)).to.equal(undefined);
    expect(retryAfterMs('', NOW)).to.equal(undefined);
    expect(retryAfterMs('   ', NOW)).to.equal(undefined);
    expect(retryAfterMs('soon', NOW)).to.equal(undefined);
    expect(retryAfterMs('not a date at all', NOW)).to.equal(undefined);
  });

  it('negative or fractional seconds never become a negative wait', () => {
    for (const value of ['-5', '1.5']) {
      const ms = retryAfterMs(value, NOW);
      expect(ms === undefined || ms >= 0, `${value} → ${String(ms)}`).to.equal(true);
    }
  });

  // Pending: today V8's lenient Date.parse reads these as (past) dates, so they come out as 0 ms — an immediate
  // retry — instead of undefined (which would fall back to backoff). Not a valid delay-seconds nor an HTTP date.
  it('garbage that Date.parse leniently accepts ("soon 5", "1.5", "-5") → undefined', () => {
    for (const value of ['soon 5', '1.5', '-5']) expect(retryAfterMs(value, NOW), value).to.equal(undefined);
  });
});
