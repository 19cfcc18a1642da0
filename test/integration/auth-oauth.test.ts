import { expect } from 'chai';
import {
  ACME,
  BETA,
  CLIENTS,
  call,
  callbackUrl,
  completionOf,
  connectWithOAuth,
  consent,
  expectError,
  expectNoStackTrace,
  finishOAuth,
  startHarness,
  startOAuthFlow,
  withSession,
  type Harness,
  resetFake,
} from '../support/harness.js';
import { FixedClock } from '../support/port-fakes.js';

const PRODUCTS = ['jira', 'confluence'] as const;
const SESSION_TOKEN = /^[A-Za-z0-9_-]{43}$/;
const DEFAULT_SCOPES = { jira: ['read:jira-work', 'offline_access'], confluence: ['read:space:confluence', 'offline_access'] } as const;

describe('OAuth 2.0 (3LO) sign-in', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });
  beforeEach(() => {
    resetFake(h.fake);
  });

  for (const product of PRODUCTS) {
    describe(`${product}: start`, () => {
      it('answers 200 with auth_url and a new session token in X-Session-Token', async () => {
        const res = await call(h.url(`/auth/${product}/oauth/start`));
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(res.body.auth_url).to.be.a('string');
        const token = res.headers.get('x-session-token');
        expect(token).to.be.a('string');
        expect(token).to.match(SESSION_TOKEN);
      });

      it('builds the Atlassian authorize URL with every required parameter', async () => {
        const { authUrl } = await startOAuthFlow(h, product);
        expect(`${authUrl.origin}${authUrl.pathname}`).to.equal(`${h.fake.authUrl}/authorize`);
        const q = authUrl.searchParams;
        expect(q.get('audience')).to.equal('api.atlassian.com');
        expect(q.get('client_id')).to.equal(CLIENTS[product].id);
        expect(q.get('redirect_uri')).to.equal(h.url(`/auth/${product}/oauth/callback`));
        expect(q.get('response_type')).to.equal('code');
        expect(q.get('prompt')).to.equal('consent');
        const scopes = (q.get('scope') ?? '').split(' ');
        expect(scopes).to.include.members([...DEFAULT_SCOPES[product]]);
        expect(q.get('state')).to.be.a('string').and.not.equal('');
        // The client secret never goes to the browser.
        expect(authUrl.toString()).not.to.include(CLIENTS[product].secret);
      });

      it('uses a state of at least 128 bits, base64url, different on every start', async () => {
        const a = await startOAuthFlow(h, product);
        const b = await startOAuthFlow(h, product);
        for (const { state } of [a, b]) {
          expect(state).to.match(/^[A-Za-z0-9_-]+$/);
          expect(Buffer.from(state, 'base64url').length).to.be.at.least(16);
        }
        expect(a.state).not.to.equal(b.state);
        expect(a.sessionToken).not.to.equal(b.sessionToken);
      });

      it('with a valid X-Session-Token returns the SAME token', async () => {
        const first = await startOAuthFlow(h, product);
        const again = await call(h.url(`/auth/${product}/oauth/start`), withSession(first.sessionToken));
        expect(again.status, JSON.stringify(again.body)).to.equal(200);
        expect(again.headers.get('x-session-token')).to.equal(first.sessionToken);
      });

      it('with an unknown X-Session-Token makes a new session', async () => {
        for (const unknown of ['A'.repeat(43), 'not-a-token']) {
          const res = await call(h.url(`/auth/${product}/oauth/start`), withSession(unknown));
          expect(res.status, JSON.stringify(res.body)).to.equal(200);
          const token = res.headers.get('x-session-token');
          expect(token).to.match(SESSION_TOKEN);
          expect(token).not.to.equal(unknown);
        }
      });
    });

    describe(`${product}: callback`, () => {
      it('exchanges the code, finds the site and answers with the session token from start', async () => {
        const flow = await startOAuthFlow(h, product);
        const back = await consent(flow.authUrl);
        const code = back.searchParams.get('code');
        expect(code).to.be.a('string');
        const res = await call(back.toString());
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(res.body.session_token).to.equal(flow.sessionToken);
        expect(res.body.product).to.equal(product);

        // The consenting user (ada) reaches both acme and beta.
        const acme = h.fake.getSite(ACME)!;
        const beta = h.fake.getSite(BETA)!;
        const expected = [acme, beta].map((s) => ({ id: s.cloudId, url: s.url, name: s.name }));
        expect(res.body.sites).to.be.an('array');
        expect(res.body.sites).to.have.deep.members(expected);
        expect(res.body.site).to.have.all.keys('id', 'url', 'name');
        expect(expected).to.deep.include(res.body.site);

        // POST /oauth/token with a JSON authorization_code grant.
        const tokenCalls = h.fake.requests.filter((r) => r.path === '/oauth/token');
        expect(tokenCalls).to.have.length(1);
        const tokenCall = tokenCalls[0]!;
        expect(tokenCall.method).to.equal('POST');
        expect(tokenCall.headers['content-type'] ?? '').to.match(/^application\/json/);
        const sent = JSON.parse(tokenCall.body) as Record<string, unknown>;
        expect(sent).to.include({
          grant_type: 'authorization_code',
          code,
          client_id: CLIENTS[product].id,
          redirect_uri: h.url(`/auth/${product}/oauth/callback`),
        });
        // Then the sites, with the fresh access token.
        const resources = h.fake.requests.filter((r) => r.path === '/oauth/token/accessible-resources');
        expect(resources).to.have.length.at.least(1);
        expect(resources.every((r) => r.method === 'GET' && r.authKind === 'bearer')).to.equal(true);
        expect(resources[0]!.time).to.be.at.least(tokenCall.time);
      });

      it('the connection it made works: the listing answers 200', async () => {
        const { sessionToken, callback } = await connectWithOAuth(h, product);
        expect(callback.status, JSON.stringify(callback.body)).to.equal(200);
        const path = product === 'jira' ? '/jira/projects' : '/confluence/spaces';
        const listing = await call(h.url(path), withSession(sessionToken));
        expect(listing.status, JSON.stringify(listing.body)).to.equal(200);
      });

      it('401 invalid_session when the session was logged out before the callback, and the session stays gone', async () => {
        const flow = await startOAuthFlow(h, product);
        const back = await consent(flow.authUrl);
        expect((await call(h.url('/auth/session'), withSession(flow.sessionToken, { method: 'DELETE' }))).status).to.equal(204);

        expectError(await call(back.toString()), 401, 'invalid_session');

        expectError(await call(h.url('/auth/session'), withSession(flow.sessionToken)), 401, 'invalid_session');
        expect(h.fake.countRequests({ path: '/oauth/token' }), 'the code is not redeemed').to.equal(0);
      });

      it('400 invalid_request when code or state is missing', async () => {
        const flow = await startOAuthFlow(h, product);
        const back = await consent(flow.authUrl);
        const code = back.searchParams.get('code') ?? '';
        h.fake.clearRequests();
        expectError(await call(callbackUrl(h, product, { state: flow.state })), 400, 'invalid_request');
        expectError(await call(callbackUrl(h, product, { code })), 400, 'invalid_request');
        expectError(await call(callbackUrl(h, product, {})), 400, 'invalid_request');
        expectError(await call(callbackUrl(h, product, { code: '', state: '' })), 400, 'invalid_request');
        expect(h.fake.countRequests({ path: '/oauth/token' })).to.equal(0);
      });

      it('400 invalid_state for an unknown state, without calling the token endpoint', async () => {
        const flow = await startOAuthFlow(h, product);
        const back = await consent(flow.authUrl);
        h.fake.clearRequests();
        const res = await call(callbackUrl(h, product, { code: back.searchParams.get('code') ?? '', state: 'x'.repeat(43) }));
        expectError(res, 400, 'invalid_state');
        expect(res.headers.get('x-session-token')).to.equal(null);
        expect(h.fake.countRequests({ path: '/oauth/token' })).to.equal(0);
      });

      it('400 invalid_state when the state is used a second time', async () => {
        const flow = await startOAuthFlow(h, product);
        const back = await consent(flow.authUrl);
        const first = await call(back.toString());
        expect(first.status, JSON.stringify(first.body)).to.equal(200);
        h.fake.clearRequests();
        const second = await call(back.toString());
        expectError(second, 400, 'invalid_state');
        expect(second.body.session_token).to.equal(undefined);
        expect(h.fake.countRequests({ path: '/oauth/token' })).to.equal(0);
      });

      it('400 oauth_denied when Atlassian sends error=access_denied', async () => {
        h.fake.setConsent({ deny: true });
        const flow = await startOAuthFlow(h, product);
        const back = await consent(flow.authUrl);
        expect(back.searchParams.get('error')).to.equal('access_denied');
        h.fake.clearRequests();
        const res = await call(back.toString());
        expectError(res, 400, 'oauth_denied');
        expect(h.fake.countRequests({ path: '/oauth/token' })).to.equal(0);
        const listing = await call(h.url(product === 'jira' ? '/jira/projects' : '/confluence/spaces'), withSession(flow.sessionToken));
        expectError(listing, 403, 'not_connected');
      });

      it('400 invalid_grant when Atlassian refuses an invented code (with a fresh, valid state)', async () => {
        const flow = await startOAuthFlow(h, product);
        const res = await call(callbackUrl(h, product, { code: 'invented-code-0123456789', state: flow.state }));
        expectError(res, 400, 'invalid_grant');
        expect(h.fake.countRequests({ path: '/oauth/token', method: 'POST' })).to.equal(1);
      });

      it('400 invalid_grant when an already-used code is replayed with a fresh, valid state', async () => {
        const used = await consent((await startOAuthFlow(h, product)).authUrl);
        expect((await call(used.toString())).status).to.equal(200);
        const fresh = await startOAuthFlow(h, product);
        const res = await call(callbackUrl(h, product, { code: used.searchParams.get('code') ?? '', state: fresh.state }));
        expectError(res, 400, 'invalid_grant');
      });

      it('502 upstream_error when the token endpoint answers 500', async () => {
        const flow = await startOAuthFlow(h, product);
        const back = await consent(flow.authUrl);
        h.fake.injectFault({ match: { method: 'POST', path: '/oauth/token' }, status: 500, body: 'boom', times: 10 });
        expectError(await call(back.toString()), 502, 'upstream_error');
      });

      it('502 upstream_error when accessible-resources answers 500', async () => {
        const flow = await startOAuthFlow(h, product);
        const back = await consent(flow.authUrl);
        h.fake.injectFault({ match: { path: '/oauth/token/accessible-resources' }, status: 500, body: { message: 'down' }, times: 10 });
        expectError(await call(back.toString()), 502, 'upstream_error');
      });
    });
  }

  it('400 invalid_state for a Jira state presented on the Confluence callback (and vice versa)', async () => {
    for (const [issued, presented] of [['jira', 'confluence'], ['confluence', 'jira']] as const) {
      const flow = await startOAuthFlow(h, issued);
      const back = await consent(flow.authUrl);
      h.fake.clearRequests();
      const res = await call(callbackUrl(h, presented, { code: back.searchParams.get('code') ?? '', state: flow.state }));
      expectError(res, 400, 'invalid_state');
      expect(h.fake.countRequests({ path: '/oauth/token' })).to.equal(0);
    }
  });

  it('no error answer carries a client secret', async () => {
    const flow = await startOAuthFlow(h, 'jira');
    h.fake.injectFault({ match: { path: '/oauth/token' }, status: 500, body: { error: 'server_error' }, times: 10 });
    const res = await call((await consent(flow.authUrl)).toString());
    expectNoStackTrace(res);
    expect(JSON.stringify(res.body)).not.to.include(CLIENTS.jira.secret);
  });
});

describe('OAuth state expiry (OAUTH_STATE_TTL_SECONDS=1)', () => {
  let h: Harness;
  const clock = new FixedClock(Date.now());
  before(async () => { h = await startHarness({ OAUTH_STATE_TTL_SECONDS: '1' }, {}, { clock }); });
  after(async () => { await h.close(); });

  it('400 invalid_state once the state is older than its TTL', async () => {
    const jira = await startOAuthFlow(h, 'jira');
    const confluence = await startOAuthFlow(h, 'confluence');
    const jiraBack = await consent(jira.authUrl);
    const confluenceBack = await consent(confluence.authUrl);
    clock.advance(1_100);
    h.fake.clearRequests();
    expectError(await call(jiraBack.toString()), 400, 'invalid_state');
    expectError(await call(confluenceBack.toString()), 400, 'invalid_state');
    expect(h.fake.countRequests({ path: '/oauth/token' })).to.equal(0);
  });
});

describe('OAuth scopes are configurable (JIRA_OAUTH_SCOPES)', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ JIRA_OAUTH_SCOPES: 'read:jira-work offline_access read:me' }); });
  after(async () => { await h.close(); });

  it('sends exactly the configured scopes, space separated', async () => {
    const { authUrl } = await startOAuthFlow(h, 'jira');
    expect((authUrl.searchParams.get('scope') ?? '').split(' ')).to.have.members(['read:jira-work', 'offline_access', 'read:me']);
    // Spaces are encoded as %20 in the URL, as in Atlassian's examples.
    expect(authUrl.search).not.to.match(/scope=[^&]*\+/);
  });

  it('leaves the other product on its defaults', async () => {
    const { authUrl } = await startOAuthFlow(h, 'confluence');
    expect((authUrl.searchParams.get('scope') ?? '').split(' ')).to.include.members(['read:space:confluence', 'offline_access']);
    expect(authUrl.searchParams.get('scope')).not.to.include('read:me');
  });
});

describe('OAuth not configured', () => {
  const cases = [
    { missing: 'CONFLUENCE_OAUTH_CLIENT_SECRET', off: 'confluence', on: 'jira' },
    { missing: 'JIRA_OAUTH_CLIENT_ID', off: 'jira', on: 'confluence' },
    { missing: 'JIRA_OAUTH_REDIRECT_URI', off: 'jira', on: 'confluence' },
  ] as const;
  for (const { missing, off, on } of cases) {
    describe(`with ${missing} empty`, () => {
      let h: Harness;
      before(async () => { h = await startHarness({ [missing]: '' }); });
      after(async () => { await h.close(); });

      it(`503 oauth_not_configured on ${off} start, without a session token or an upstream call`, async () => {
        const res = await call(h.url(`/auth/${off}/oauth/start`));
        expectError(res, 503, 'oauth_not_configured');
        expect(res.body.auth_url).to.equal(undefined);
        expect(h.fake.requests).to.have.length(0);
      });

      it(`${on} start still answers 200`, async () => {
        const res = await call(h.url(`/auth/${on}/oauth/start`));
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(res.body.auth_url).to.be.a('string');
      });
    });
  }
});

describe('OAuth callback with OAUTH_RETURN_URL', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ OAUTH_RETURN_URL: 'http://frontend.test/after' }); });
  after(async () => { await h.close(); });
  beforeEach(() => {
    resetFake(h.fake);
  });

  function expectRedirect(res: Awaited<ReturnType<typeof call>>, params: Record<string, string>): void {
    expect(res.status, JSON.stringify(res.body)).to.equal(302);
    const location = res.headers.get('location');
    expect(location).to.be.a('string');
    const target = new URL(location!);
    expect(`${target.origin}${target.pathname}`).to.equal('http://frontend.test/after');
    expect(Object.fromEntries(target.searchParams)).to.deep.equal(params);
    expectNoStackTrace(res);
  }

  for (const product of PRODUCTS) {
    it(`${product}: success redirects to ?product=${product}&status=pending&completion=…, and the completion step connects`, async () => {
      const flow = await startOAuthFlow(h, product);
      const res = await call((await consent(flow.authUrl)).toString());
      const completion = completionOf(res);
      expectRedirect(res, { product, status: 'pending', completion });
      expect(res.headers.get('location')).to.equal(`http://frontend.test/after?product=${product}&status=pending&completion=${completion}`);
      expect((await finishOAuth(h, completion, flow.sessionToken)).status).to.equal(200);
      const listing = await call(h.url(product === 'jira' ? '/jira/projects' : '/confluence/spaces'), withSession(flow.sessionToken));
      expect(listing.status, JSON.stringify(listing.body)).to.equal(200);
    });

    it(`${product}: a denial redirects with status=error&code=oauth_denied`, async () => {
      h.fake.setConsent({ deny: true });
      const flow = await startOAuthFlow(h, product);
      const res = await call((await consent(flow.authUrl)).toString());
      expectRedirect(res, { product, status: 'error', code: 'oauth_denied' });
    });

    it(`${product}: an unknown state redirects with status=error&code=invalid_state`, async () => {
      const res = await call(callbackUrl(h, product, { code: 'whatever', state: 'unknown-state' }));
      expectRedirect(res, { product, status: 'error', code: 'invalid_state' });
    });
  }

  it('a reused state redirects with code=invalid_state', async () => {
    const flow = await startOAuthFlow(h, 'jira');
    const back = await consent(flow.authUrl);
    const first = await call(back.toString());
    expectRedirect(first, { product: 'jira', status: 'pending', completion: completionOf(first) });
    expectRedirect(await call(back.toString()), { product: 'jira', status: 'error', code: 'invalid_state' });
  });
});
