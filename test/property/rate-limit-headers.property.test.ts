import { expect } from 'chai';
import fc from 'fast-check';
import { nextUtcHour, readRateLimit } from '../../src/infrastructure/atlassian/rate-limit-headers.js';

const RUNS = { numRuns: 1500, seed: 20_260_302 } as const;
const NOW = Date.UTC(2026, 2, 2, 10, 17, 23);

const headers = (values: ReadonlyArray<readonly [string, string]>) => ({
  get(name: string): string | null {
    const found = values.filter(([key]) => key.toLowerCase() === name.toLowerCase()).map(([, value]) => value);
    return found.length === 0 ? null : found.join(', ');
  },
});

const HEADER_NAMES = [
  'RateLimit', 'RateLimit-Policy', 'RateLimit-Reason', 'Retry-After', 'X-RateLimit-Reset',
  'Beta-RateLimit', 'Beta-RateLimit-Policy', 'X-Beta-RateLimit-Reason', 'Beta-Retry-After', 'X-Beta-RateLimit-Reset',
];
const POLICIES = ['global-app-quota', 'tenant-app-quota', 'jira-burst-based', 'some-future-quota'] as const;
const REASONS = ['jira-quota-global-based', 'confluence-quota-global-based', 'jira-quota-tenant-based', 'confluence-quota-tenant-based', 'jira-burst-based', 'jira-per-issue-on-write'];

/** One RateLimit entry, `r` and `t` each optional, extra parameters, name quoted or not, parameters in any order. */
const entry = fc.record({
  name: fc.constantFrom(...POLICIES),
  quoted: fc.boolean(),
  r: fc.option(fc.nat({ max: 200_000 }), { nil: undefined }),
  t: fc.option(fc.nat({ max: 4_000 }), { nil: undefined }),
  extra: fc.array(fc.tuple(fc.constantFrom('q', 'w', 'x', 'pk'), fc.oneof(fc.nat().map(String), fc.constant('"z"'))), { maxLength: 2 }),
}).chain((e) => {
  const params = [
    ...(e.r === undefined ? [] : [`r=${e.r}`]),
    ...(e.t === undefined ? [] : [`t=${e.t}`]),
    ...e.extra.map(([key, value]) => `${key}=${value}`),
  ];
  return fc.shuffledSubarray(params, { minLength: params.length, maxLength: params.length }).map((shuffled) => ({
    ...e,
    text: [e.quoted ? `"${e.name}"` : e.name, ...shuffled].join(';'),
  }));
});

describe('readRateLimit (property)', () => {
  it('never throws, whatever the header values, and answers a reset only in the future', () => {
    const value = fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: fc.constantFrom(...'";=,\\ rtqw0123456789-aZ'.split('')), maxLength: 60 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...HEADER_NAMES), value), { maxLength: 8 }), (values) => {
        const reading = readRateLimit(headers(values), NOW);
        if (reading.resetAt !== undefined) expect(reading.resetAt).to.be.greaterThan(NOW);
        for (const left of Object.values(reading.remaining)) expect(Number.isSafeInteger(left) && left >= 0).to.equal(true);
      }),
      RUNS,
    );
  });

  it('entries in any order with extra entries and optional r: each quota reports its own r, and nothing else does', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 5 }), (entries) => {
        const reading = readRateLimit(headers([['RateLimit', entries.map((e) => e.text).join(', ')]]), NOW);
        const expected: Record<string, number> = {};
        for (const e of entries) {
          if (e.r === undefined) continue;
          if (e.name === 'global-app-quota') expected['global'] = e.r;
          if (e.name === 'tenant-app-quota') expected['tenant'] = e.r;
        }
        expect(reading.remaining).to.deep.equal(expected);
      }),
      RUNS,
    );
  });

  it('a quota reason, in any place of the list and with any other headers, always blocks until a credible time no later than an hour and a minute away', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('global', 'tenant'),
        fc.array(fc.constantFrom(...REASONS), { maxLength: 3 }),
        fc.array(entry, { maxLength: 4 }),
        fc.option(fc.nat({ max: 100_000 }).map(String), { nil: undefined }),
        fc.boolean(),
        (scope, others, entries, retryAfter, beta) => {
          const reason = `jira-quota-${scope}-based`;
          const reasons = [...others.filter((r) => !r.includes('global')), reason];
          const prefix = beta ? 'Beta-' : '';
          const reading = readRateLimit(headers([
            ['RateLimit-Reason', reasons.reverse().join(',')],
            [`${prefix}RateLimit`, entries.map((e) => e.text).join(',')],
            ...(retryAfter === undefined ? [] : [['Retry-After', retryAfter] as const]),
          ]), NOW);
          expect(reading.exhausted).to.equal(scope);
          expect(reading.resetAt).to.be.greaterThan(NOW);
          expect(reading.resetAt).to.be.at.most(Math.max(nextUtcHour(NOW), NOW + 3_660_000));
        },
      ),
      RUNS,
    );
  });

  it('Beta- headers alone never report an enforced limit', () => {
    fc.assert(
      fc.property(fc.constantFrom(...REASONS), fc.array(entry, { maxLength: 3 }), (reason, entries) => {
        const reading = readRateLimit(headers([
          ['X-Beta-RateLimit-Reason', reason],
          ['Beta-RateLimit', entries.map((e) => e.text).join(', ')],
          ['Beta-Retry-After', '60'],
        ]), NOW);
        expect(reading.exhausted).to.equal(undefined);
        expect(reading.resetAt).to.equal(undefined);
      }),
      RUNS,
    );
  });
});
