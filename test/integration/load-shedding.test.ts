import { expect } from 'chai';
import { call, connectWithToken, expectError, rawRequest, startHarness, withSession, type Harness } from '../support/harness.js';

const PROJECT_SEARCH = /\/rest\/api\/3\/project\/search$/;

/** Waits for a condition the test cannot await directly (requests parked at the fake); a guard, not a timing. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 10_000) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function betaSession(h: Harness): Promise<string> {
  const res = await connectWithToken(h, 'jira', { email: 'ada@example.com', api_token: 'ada-api-token-0123456789', site: 'beta' });
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return res.body.session_token as string;
}

/** A listing on its own connection, with a flag telling whether it has answered yet. */
function pendingListing(h: Harness, token: string): { answered: () => boolean; result: Promise<number> } {
  let done = false;
  const result = rawRequest(h.service.baseUrl, { path: '/jira/projects', headers: { 'X-Session-Token': token }, timeoutMs: 30_000 }).then((answer) => {
    done = true;
    return answer.status;
  });
  return { answered: () => done, result };
}

describe('load shedding: MAX_INFLIGHT_LISTINGS_PER_SESSION (default 4)', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ MAX_INFLIGHT_LISTINGS_PER_SESSION: '', LISTING_CACHE_TTL_SECONDS: '0' }); });
  after(async () => { await h.close(); });

  it('the 5th concurrent listing of one session gets 503 overloaded with Retry-After while the 4 run; another session gets 200', async () => {
    const [a, b] = [await betaSession(h), await betaSession(h)];
    h.fake.clearRequests();
    // Atlassian holds the first 4 listings, so they are all in flight when the 5th arrives.
    h.fake.injectFault({ match: { path: PROJECT_SEARCH }, delayMs: 1_500, times: 4 });
    const running = Array.from({ length: 4 }, () => pendingListing(h, a));
    await until(() => h.fake.countRequests({ path: PROJECT_SEARCH }) === 4, 'four listings at Atlassian');

    const fifth = await call(h.url('/jira/projects'), withSession(a));
    expectError(fifth, 503, 'overloaded');
    expect(fifth.headers.get('retry-after')).to.equal('1');
    expect(running.filter((listing) => listing.answered()), 'the 5th was refused while the 4 were still running').to.have.length(0);
    expect(h.fake.countRequests({ path: PROJECT_SEARCH }), 'the 5th never reached Atlassian').to.equal(4);
    // Spaces of the same session count too: the limit is per session, not per route.
    expectError(await call(h.url('/confluence/spaces'), withSession(a)), 503, 'overloaded');

    const other = await call(h.url('/jira/projects'), withSession(b));
    expect(other.status, 'another session is not affected').to.equal(200);

    expect(await Promise.all(running.map((listing) => listing.result))).to.deep.equal([200, 200, 200, 200]);
    expect((await call(h.url('/jira/projects'), withSession(a))).status, 'the slots are given back').to.equal(200);
  });

  it('/metrics counts the shed requests by route', async () => {
    const metrics = (await call(h.url('/metrics'))).body as string;
    expect(metrics).to.include('connector_requests_shed_total{route="/jira/projects"} 1');
    expect(metrics).to.include('connector_requests_shed_total{route="/confluence/spaces"} 1');
  });
});

describe('load shedding: MAX_INFLIGHT_UPSTREAM=2 (calls to Atlassian per instance)', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ MAX_INFLIGHT_UPSTREAM: '2', LISTING_CACHE_TTL_SECONDS: '0' }); });
  after(async () => { await h.close(); });

  it('a third upstream call while two are in flight is refused at once: 503 overloaded with Retry-After, nothing sent', async () => {
    const [a, b, c] = [await betaSession(h), await betaSession(h), await betaSession(h)];
    h.fake.clearRequests();
    h.fake.injectFault({ match: { path: PROJECT_SEARCH }, delayMs: 1_500, times: 2 });
    const running = [pendingListing(h, a), pendingListing(h, b)];
    await until(() => h.fake.countRequests({ path: PROJECT_SEARCH }) === 2, 'two listings at Atlassian');

    const third = await call(h.url('/jira/projects'), withSession(c));
    expectError(third, 503, 'overloaded');
    expect(third.headers.get('retry-after')).to.equal('1');
    expect(running.filter((listing) => listing.answered()), 'refused while the two were still running').to.have.length(0);
    expect(h.fake.countRequests({ path: PROJECT_SEARCH }), 'the third never reached Atlassian').to.equal(2);

    expect(await Promise.all(running.map((listing) => listing.result))).to.deep.equal([200, 200]);
    expect((await call(h.url('/jira/projects'), withSession(c))).status, 'capacity is given back').to.equal(200);
    expect((await call(h.url('/metrics'))).body).to.include('connector_requests_shed_total{route="/jira/projects"} 1');
  });
});
