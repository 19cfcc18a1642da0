import { expect } from 'chai';
import type { Clock } from '../../src/application/ports/clock.js';
import { call, connectWithOAuth, connectWithToken, expectError, resetFake, SCOPED_USER, startHarness, withSession, type Harness } from '../support/harness.js';

const DEADLINE_MS = 5_000;
const SEARCH = { method: 'GET', path: '/rest/api/3/project/search' } as const;
const TOKEN_PATH = '/oauth/token';

/**
 * One deadline per client request (UPSTREAM_DEADLINE_MS), against the fake Atlassian: a listing whose token must
 * be refreshed after a slow upstream step cannot wait longer than the one deadline. Slowness is modelled by the
 * service's clock, which a test moves while the fake answers, so nothing sleeps and nothing reads wall time; what
 * is asserted is what happened (which requests reached the fake) and the answer.
 */
describe(`one deadline per client request (UPSTREAM_DEADLINE_MS=${DEADLINE_MS})`, () => {
  let h: Harness;
  /** How far the service's clock is ahead of real time: a test moves it to make an upstream step "slow". */
  let ahead = 0;
  /** When set, the clock jumps this far once the token endpoint has been asked: a slow refresh. */
  let slowRefreshMs = 0;
  const clock: Clock = {
    now: () => Date.now() + ahead + (slowRefreshMs > 0 && tokenRequests() > 0 ? slowRefreshMs : 0),
  };

  function tokenRequests(): number {
    return h.fake.requests.filter((r) => r.method === 'POST' && r.path === TOKEN_PATH).length;
  }
  function searches(): number {
    return h.fake.requests.filter((r) => r.method === 'GET' && r.path.endsWith(SEARCH.path)).length;
  }

  before(async () => {
    h = await startHarness({ UPSTREAM_DEADLINE_MS: String(DEADLINE_MS) }, {}, { clock });
  });
  after(async () => {
    await h.close();
  });
  beforeEach(() => {
    resetFake(h.fake);
    ahead = 0;
    slowRefreshMs = 0;
  });

  async function oauthSession(): Promise<string> {
    const { sessionToken, callback } = await connectWithOAuth(h, 'jira');
    expect(callback.status, JSON.stringify(callback.body)).to.equal(200);
    h.fake.clearRequests();
    return sessionToken;
  }

  it('a 401 that arrives after the deadline answers 504 upstream_timeout: no refresh is sent, nothing is retried', async () => {
    const sessionToken = await oauthSession();
    h.fake.injectFault({
      match: SEARCH,
      status: 401,
      body: () => {
        // The page took the whole deadline to come back.
        ahead += DEADLINE_MS;
        return { code: 401, message: 'Unauthorized' };
      },
    });

    const res = await call(h.url('/jira/projects'), withSession(sessionToken));

    expectError(res, 504, 'upstream_timeout');
    expect(tokenRequests(), 'token refreshes sent').to.equal(0);
    expect(searches(), 'project searches sent').to.equal(1);
  });

  it('a refresh that ends after the deadline answers 504: the listing is not asked again, and the new tokens are kept', async () => {
    const sessionToken = await oauthSession();
    h.fake.injectFault({ match: SEARCH, status: 401, body: { code: 401, message: 'Unauthorized' } });
    slowRefreshMs = DEADLINE_MS;

    const res = await call(h.url('/jira/projects'), withSession(sessionToken));

    expectError(res, 504, 'upstream_timeout');
    expect(tokenRequests(), 'token refreshes sent').to.equal(1);
    expect(searches(), 'project searches sent').to.equal(1);

    // The refresh itself finished: the next request uses its tokens without refreshing again.
    h.fake.clearRequests();
    ahead += DEADLINE_MS;
    const next = await call(h.url('/jira/projects'), withSession(sessionToken));
    expect(next.status, JSON.stringify(next.body)).to.equal(200);
    expect(tokenRequests(), 'token refreshes sent by the next request').to.equal(0);
  });

  it('within the deadline, a 401 is still refreshed and repeated once (the deadline is shared, not shortened)', async () => {
    const sessionToken = await oauthSession();
    h.fake.injectFault({ match: SEARCH, status: 401, body: { code: 401, message: 'Unauthorized' } });

    const res = await call(h.url('/jira/projects'), withSession(sessionToken));

    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.total).to.equal(120);
    expect(tokenRequests(), 'token refreshes sent').to.equal(1);
  });

  it('an API-token login whose site check ends after the deadline answers 504: the cloudId and the gateway are not asked', async () => {
    h.fake.injectFault({
      match: { method: 'GET', path: '/rest/api/3/myself' },
      status: 401,
      body: () => {
        ahead += DEADLINE_MS;
        return { message: 'Client must be authenticated to access this resource.' };
      },
    });

    const res = await connectWithToken(h, 'jira', { email: SCOPED_USER.email, api_token: SCOPED_USER.apiToken, site: 'acme' });

    expectError(res, 504, 'upstream_timeout');
    expect(h.fake.requests.map((r) => r.path)).to.deep.equal(['/site/acme.atlassian.net/rest/api/3/myself']);
  });
});
