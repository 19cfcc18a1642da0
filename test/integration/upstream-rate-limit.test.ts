import { expect } from 'chai';
import { call, connectWithToken, expectError, resetFake, sessionWithToken, startHarness, withSession, type Harness } from '../support/harness.js';

/**
 * A 429 from Atlassian without Retry-After (docs/atlassian.md §9): wait 5 s, then twice the previous wait up to 30 s;
 * retrying sooner only earns the same or a longer wait. The service treats it as if Atlassian had asked for that
 * wait: with UPSTREAM_MAX_RETRY_WAIT_MS below it, the client gets the 429 at once, told how long to wait.
 */

const UPSTREAM = { jira: '/rest/api/3/project/search', confluence: '/wiki/api/v2/spaces' } as const;
const LISTING = { jira: '/jira/projects', confluence: '/confluence/spaces' } as const;
const IDENTITY = { jira: '/rest/api/3/myself', confluence: '/wiki/rest/api/user/current' } as const;

describe('Atlassian 429 without Retry-After (UPSTREAM_MAX_RETRY_WAIT_MS=1000, 3 retries, base 10 ms)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ UPSTREAM_MAX_RETRY_WAIT_MS: '1000', UPSTREAM_MAX_RETRIES: '3', UPSTREAM_RETRY_BASE_MS: '10' });
  });
  after(async () => { await h.close(); });
  beforeEach(() => resetFake(h.fake));

  for (const product of ['jira', 'confluence'] as const) {
    it(`${product}: the listing answers 429 rate_limited with Retry-After: 5 at once, after one request, not after quick retries`, async () => {
      const token = await sessionWithToken(h, product);
      h.fake.injectFault({ match: { path: UPSTREAM[product] }, status: 429, body: { message: 'Too many requests' }, times: 10 });

      const res = await call(h.url(LISTING[product]), withSession(token));

      expectError(res, 429, 'rate_limited');
      expect(res.body.error, "Atlassian's limit: no `limit` of the service's").not.to.have.property('limit');
      expect(res.headers.get('retry-after')).to.equal('5');
      expect(h.fake.countRequests({ path: UPSTREAM[product] })).to.equal(1);
    });
  }

  it('after one quick retry of a 503, a 429 without Retry-After asks the client to wait 10 s (5 s doubled)', async () => {
    const token = await sessionWithToken(h, 'jira');
    h.fake.injectFault({ match: { path: UPSTREAM.jira }, status: 503, times: 1 });
    h.fake.injectFault({ match: { path: UPSTREAM.jira }, status: 429, times: 10 });

    const res = await call(h.url(LISTING.jira), withSession(token));

    expectError(res, 429, 'rate_limited');
    expect(res.headers.get('retry-after')).to.equal('10');
    expect(h.fake.requests.map((r) => r.status)).to.deep.equal([503, 429]);
  });

  it('the API-token login: a 429 without Retry-After on the identity check → 429 rate_limited, Retry-After: 5, one request', async () => {
    h.fake.injectFault({ match: { path: IDENTITY.confluence }, status: 429, times: 10 });

    const res = await connectWithToken(h, 'confluence');

    expectError(res, 429, 'rate_limited');
    expect(res.headers.get('retry-after')).to.equal('5');
    expect(h.fake.countRequests({ path: IDENTITY.confluence })).to.equal(1);
  });

  it('a 503 without Retry-After is still retried with the short UPSTREAM_RETRY_BASE_MS backoff, and the listing completes', async () => {
    const token = await sessionWithToken(h, 'confluence');
    h.fake.injectFault({ match: { path: UPSTREAM.confluence }, status: 503, times: 2 });

    const res = await call(h.url(LISTING.confluence), withSession(token));

    // Had the 503s been given the 5 s wait of a 429, that wait would exceed UPSTREAM_MAX_RETRY_WAIT_MS (1000) and
    // the listing would have stopped at the first 503 instead of completing.
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).to.equal(200);
    expect(h.fake.requests.map((r) => r.status)).to.deep.equal([503, 503, 200]);
  });
});
