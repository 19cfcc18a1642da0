import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { CLIENTS, rawRequest, startHarness, type Harness, type RawResponse } from '../support/harness.js';

const TOKEN_ENDPOINT = /^\/oauth\/token$/;

/** One OAuth start on its own TCP connection, from the client the proxy names. */
function start(h: Harness, client: string): Promise<RawResponse> {
  return rawRequest(h.service.baseUrl, { path: '/auth/jira/oauth/start', headers: { 'X-Forwarded-For': client }, timeoutMs: 30_000 });
}

function statuses(answers: readonly RawResponse[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of answers) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

describe('OAuth start limit (OAUTH_START_RATE_LIMIT_PER_MINUTE=5, TRUST_PROXY=1)', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ OAUTH_START_RATE_LIMIT_PER_MINUTE: '5', TRUST_PROXY: '1' }); });
  after(async () => { await h.close(); });

  it('20 concurrent starts from one client: 5 answer 200, 15 answer 429 rate_limited with Retry-After and no session', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => start(h, '198.51.100.1')));
    expect(statuses(answers)).to.deep.equal({ 200: 5, 429: 15 });
    for (const answer of answers.filter(({ status }) => status === 429)) {
      expect(JSON.parse(answer.text).error).to.include({ code: 'rate_limited', limit: 'requests' });
      expect(answer.headers['retry-after']).to.match(/^\d+$/);
      expect(answer.headers['x-session-token']).to.equal(undefined);
    }
    const other = await start(h, '198.51.100.2');
    expect(other.status, 'another client address has its own budget').to.equal(200);
  });

  it('so callbacks with made-up codes send the client secret to the token endpoint at most once per allowed start', async () => {
    h.fake.clearRequests();
    const answers = await Promise.all(Array.from({ length: 20 }, () => start(h, '198.51.100.3')));
    const states = answers.filter(({ status }) => status === 200).map(({ text }) => new URL(JSON.parse(text).auth_url).searchParams.get('state')!);
    expect(states).to.have.length(5);
    const callbacks = await Promise.all(
      states.map((state) => rawRequest(h.service.baseUrl, { path: `/auth/jira/oauth/callback?code=made-up-code&state=${state}` })),
    );
    for (const callback of callbacks) expect(callback.status, callback.text).to.equal(400);
    const tokenRequests = h.fake.requests.filter((request) => TOKEN_ENDPOINT.test(request.path));
    expect(tokenRequests).to.have.length(5);
    for (const request of tokenRequests) expect(request.body).to.include(CLIENTS.jira.secret);
  });

  it('100 concurrent callbacks with unknown states answer 400 invalid_state and never reach the token endpoint', async () => {
    h.fake.clearRequests();
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        rawRequest(h.service.baseUrl, {
          path: `/auth/${i % 2 === 0 ? 'jira' : 'confluence'}/oauth/callback?code=made-up-code&state=${randomBytes(32).toString('base64url')}`,
          timeoutMs: 30_000,
        }),
      ),
    );
    expect(statuses(answers)).to.deep.equal({ 400: 100 });
    for (const answer of answers) expect(JSON.parse(answer.text).error.code).to.equal('invalid_state');
    expect(h.fake.requests, 'requests that reached Atlassian').to.have.length(0);
  });
});

describe('OAuth start limit: default (30 per client per minute)', () => {
  let h: Harness;
  // An empty value means "unset": the default applies.
  before(async () => { h = await startHarness({ OAUTH_START_RATE_LIMIT_PER_MINUTE: '' }); });
  after(async () => { await h.close(); });

  it('30 starts answer 200, the 31st answers 429', async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, () => rawRequest(h.service.baseUrl, { path: '/auth/jira/oauth/start' })));
    expect(statuses(answers)).to.deep.equal({ 200: 30 });
    expect((await rawRequest(h.service.baseUrl, { path: '/auth/confluence/oauth/start' })).status).to.equal(429);
  });
});

describe('OAuth start limit: OAUTH_START_RATE_LIMIT_PER_MINUTE=0 turns it off', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ OAUTH_START_RATE_LIMIT_PER_MINUTE: '0' }); });
  after(async () => { await h.close(); });

  it('60 starts from one client all answer 200', async () => {
    const answers = await Promise.all(Array.from({ length: 60 }, () => rawRequest(h.service.baseUrl, { path: '/auth/jira/oauth/start' })));
    expect(statuses(answers)).to.deep.equal({ 200: 60 });
  });
});
