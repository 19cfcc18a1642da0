import { expect } from 'chai';
import { nextUtcHour, readRateLimit } from '../../../src/infrastructure/atlassian/rate-limit-headers.js';

/** 2026-03-02T10:30:00Z: half an hour before a quota reset. */
const NOW = Date.UTC(2026, 2, 2, 10, 30);
const TOP_OF_HOUR = Date.UTC(2026, 2, 2, 11, 0);

const headers = (values: Record<string, string>) => {
  const lower = new Map(Object.entries(values).map(([name, value]) => [name.toLowerCase(), value]));
  return { get: (name: string) => lower.get(name.toLowerCase()) ?? null };
};

describe('readRateLimit (Atlassian 2026 rate-limit headers)', () => {
  it('a global quota 429 as documented: the whole app is exhausted until t seconds from now', () => {
    const reading = readRateLimit(headers({
      'RateLimit-Reason': 'jira-quota-global-based',
      RateLimit: '"global-app-quota";r=0;t=1800',
      'Retry-After': '1800',
      'X-RateLimit-Reset': '2026-03-02T11:00Z',
    }), NOW);
    expect(reading.exhausted).to.equal('global');
    expect(reading.resetAt).to.equal(TOP_OF_HOUR);
    expect(reading.remaining).to.deep.equal({ global: 0 });
  });

  it('a tenant quota reason of Confluence names the tenant scope and reads t from the tenant entry, not the global one', () => {
    const reading = readRateLimit(headers({
      'RateLimit-Reason': 'confluence-quota-tenant-based',
      RateLimit: '"global-app-quota";r=40000;t=5, "tenant-app-quota";r=0;t=600',
    }), NOW);
    expect(reading.exhausted).to.equal('tenant');
    expect(reading.resetAt).to.equal(NOW + 600_000);
    expect(reading.remaining).to.deep.equal({ global: 40000, tenant: 0 });
  });

  it('of several announced resets the latest credible one wins; a t beyond the window is not credible', () => {
    const reading = readRateLimit(headers({
      'RateLimit-Reason': 'jira-quota-global-based',
      'RateLimit-Policy': '"global-app-quota";q=65000;w=3600',
      RateLimit: '"global-app-quota";r=0;t=999999',
      'Retry-After': '60',
      'X-RateLimit-Reset': '2026-03-02T10:45Z',
    }), NOW);
    expect(reading.resetAt).to.equal(Date.UTC(2026, 2, 2, 10, 45));
  });

  it('a quota reason with no usable reset (t=0, past date, no Retry-After) blocks until the top of the next UTC hour', () => {
    const reading = readRateLimit(headers({
      'RateLimit-Reason': 'jira-quota-tenant-based',
      RateLimit: '"tenant-app-quota";t=0',
      'X-RateLimit-Reset': '2026-03-02T09:00Z',
    }), NOW);
    expect(reading.resetAt).to.equal(TOP_OF_HOUR);
  });

  it('Retry-After as an HTTP date is read too', () => {
    const reading = readRateLimit(headers({ 'RateLimit-Reason': 'jira-quota-global-based', 'Retry-After': 'Mon, 02 Mar 2026 10:50:00 GMT' }), NOW);
    expect(reading.resetAt).to.equal(Date.UTC(2026, 2, 2, 10, 50));
  });

  it('a burst reason is a burst, with Retry-After first: a minute-precision X-RateLimit-Reset would overstate it', () => {
    const reading = readRateLimit(headers({ 'RateLimit-Reason': 'jira-burst-based', 'Retry-After': '2', 'X-RateLimit-Reset': '2026-03-02T10:31Z' }), NOW);
    expect(reading.exhausted).to.equal('burst');
    expect(reading.resetAt).to.equal(NOW + 2_000);
  });

  it('a burst without any reset has none (the retry policy decides the wait)', () => {
    expect(readRateLimit(headers({ 'RateLimit-Reason': 'jira-burst-based' }), NOW).resetAt).to.equal(undefined);
  });

  it('several reasons: the widest scope wins, in any order', () => {
    const reading = readRateLimit(headers({ 'RateLimit-Reason': 'jira-burst-based, jira-quota-tenant-based, jira-quota-global-based' }), NOW);
    expect(reading.exhausted).to.equal('global');
  });

  it('an unknown or older reason (jira-per-issue-on-write, jira-quota-based) names no scope', () => {
    expect(readRateLimit(headers({ 'RateLimit-Reason': 'jira-per-issue-on-write' }), NOW).exhausted).to.equal(undefined);
    expect(readRateLimit(headers({ 'RateLimit-Reason': 'jira-quota-based' }), NOW).exhausted).to.equal(undefined);
  });

  it('near the limit on a 200: remaining points without any exhaustion', () => {
    const reading = readRateLimit(headers({
      'RateLimit-Policy': '"tenant-app-quota";q=100100;w=3600, "global-app-quota";q=65000;w=3600',
      RateLimit: '"tenant-app-quota";t=2107, "global-app-quota";r=12000;t=2107',
    }), NOW);
    expect(reading).to.deep.equal({ exhausted: undefined, remaining: { global: 12000 }, beta: { remaining: {} } });
  });

  it('Beta- forms are a warning only: they never set `exhausted`, and are reported under `beta`', () => {
    const reading = readRateLimit(headers({
      'X-Beta-RateLimit-Reason': 'jira-quota-tenant-based',
      'Beta-RateLimit': '"tenant-app-quota";r=17842;t=2107',
      'Beta-Retry-After': '2107',
    }), NOW);
    expect(reading.exhausted).to.equal(undefined);
    expect(reading.resetAt).to.equal(undefined);
    expect(reading.beta).to.deep.equal({ exhausted: 'tenant', remaining: { tenant: 17842 } });
  });

  it('unquoted names, upper-case reasons and spaces around parameters are read', () => {
    const reading = readRateLimit(headers({ 'RateLimit-Reason': ' "JIRA-QUOTA-GLOBAL-BASED" ', RateLimit: 'global-app-quota ; r=3 ; t=60' }), NOW);
    expect(reading.exhausted).to.equal('global');
    expect(reading.remaining).to.deep.equal({ global: 3 });
    expect(reading.resetAt).to.equal(NOW + 60_000);
  });

  it('nextUtcHour: the top of the following hour, also exactly on an hour', () => {
    expect(nextUtcHour(NOW)).to.equal(TOP_OF_HOUR);
    expect(nextUtcHour(TOP_OF_HOUR)).to.equal(TOP_OF_HOUR + 3_600_000);
  });
});
