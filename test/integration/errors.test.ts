import { expect } from 'chai';
import {
  USER,
  call,
  connectWithOAuth,
  connectWithToken,
  expectError,
  expectNoStackTrace,
  startHarness,
  startOAuthFlow,
  withSession,
  type CallResult,
  type Harness,
  resetFake,
} from '../support/harness.js';
import type { FakeUser } from '../../fake-atlassian/index.js';

const PRODUCTS = ['jira', 'confluence'] as const;
const LISTING = { jira: '/jira/projects', confluence: '/confluence/spaces' } as const;
/** The upstream path each listing reads, on the gateway and on the site alike. */
const UPSTREAM = { jira: '/rest/api/3/project/search', confluence: '/wiki/api/v2/spaces' } as const;
const VERIFY = { jira: '/rest/api/3/myself', confluence: '/wiki/rest/api/user/current' } as const;

function expectAllowHeader(res: CallResult, ...methods: string[]): void {
  const allow = res.headers.get('allow');
  expect(allow, 'Allow header').to.be.a('string');
  const listed = allow!.split(',').map((m) => m.trim().toUpperCase());
  expect(listed).to.include.members(methods);
}

describe('errors', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });
  beforeEach(() => {
    resetFake(h.fake);
  });

  async function tokenSession(product: 'jira' | 'confluence', body?: Record<string, unknown>, sessionToken?: string): Promise<string> {
    const res = await connectWithToken(h, product, body, sessionToken);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.session_token as string;
  }

  async function oauthSession(product: 'jira' | 'confluence'): Promise<string> {
    const { sessionToken, callback } = await connectWithOAuth(h, product);
    expect(callback.status, JSON.stringify(callback.body)).to.equal(200);
    return sessionToken;
  }

  describe('routing', () => {
    it('GET / answers 200 {"status":"ok"}', async () => {
      const res = await call(h.url('/'));
      expect(res.status).to.equal(200);
      expect(res.body).to.be.an('object');
      expect(res.body.status).to.equal('ok');
    });

    for (const [method, path] of [
      ['GET', '/nope'],
      ['GET', '/jira'],
      ['GET', '/jira/projects/10000'],
      ['GET', '/confluence/space'],
      ['GET', '/auth/foo/oauth/start'],
      ['GET', '/auth/foo/oauth/callback?code=a&state=b'],
      ['POST', '/auth/foo/api-token'],
      ['GET', '/auth/jira/oauth'],
      ['GET', '/bitbucket/repositories'],
      ['POST', '/nope'],
    ] as const) {
      it(`${method} ${path} → 404 not_found`, async () => {
        const res = await call(h.url(path), {
          method,
          ...(method === 'POST' ? { headers: { 'Content-Type': 'application/json' }, body: '{}' } : {}),
        });
        expectError(res, 404, 'not_found');
      });
    }

    for (const [method, path, allowed] of [
      ['DELETE', '/jira/projects', 'GET'],
      ['POST', '/jira/projects', 'GET'],
      ['PUT', '/confluence/spaces', 'GET'],
      ['DELETE', '/confluence/spaces', 'GET'],
      ['POST', '/', 'GET'],
      ['GET', '/auth/jira/api-token', 'POST'],
      ['PUT', '/auth/confluence/api-token', 'POST'],
      ['POST', '/auth/jira/oauth/start', 'GET'],
      ['POST', '/auth/confluence/oauth/callback', 'GET'],
      ['POST', '/openapi.json', 'GET'],
      ['DELETE', '/docs', 'GET'],
    ] as const) {
      it(`${method} ${path} → 405 method_not_allowed with Allow: ${allowed}`, async () => {
        const res = await call(h.url(path), { method });
        expectError(res, 405, 'method_not_allowed');
        expectAllowHeader(res, allowed);
      });
    }
  });

  for (const product of PRODUCTS) {
    describe(`GET ${LISTING[product]}: session errors`, () => {
      it('401 missing_session without X-Session-Token', async () => {
        expectError(await call(h.url(LISTING[product])), 401, 'missing_session');
        expect(h.fake.requests).to.have.length(0);
      });

      it('401 invalid_session for a malformed or unknown token', async () => {
        for (const token of ['garbage', 'A'.repeat(43), 'A'.repeat(44), `${'A'.repeat(42)}=`, 'x'.repeat(5000)]) {
          expectError(await call(h.url(LISTING[product]), withSession(token)), 401, 'invalid_session');
        }
        expect(h.fake.requests).to.have.length(0);
      });

      it('403 not_connected for a session connected to the other product only', async () => {
        const other = product === 'jira' ? 'confluence' : 'jira';
        const viaToken = await tokenSession(other);
        expectError(await call(h.url(LISTING[product]), withSession(viaToken)), 403, 'not_connected');
        const viaOAuth = await oauthSession(other);
        expectError(await call(h.url(LISTING[product]), withSession(viaOAuth)), 403, 'not_connected');
      });

      it('403 not_connected for a session whose OAuth flow was started but not completed', async () => {
        const { sessionToken } = await startOAuthFlow(h, product);
        expectError(await call(h.url(LISTING[product]), withSession(sessionToken)), 403, 'not_connected');
      });
    });

    describe(`GET ${LISTING[product]}: upstream errors`, () => {
      it('401 upstream_unauthorized when Atlassian no longer accepts the stored API token', async () => {
        const email = `rotating-${product}@example.com`;
        const user: FakeUser = h.fake.addUser({ email, apiToken: 'original-token-0123456789', sites: ['acme.atlassian.net'] });
        const token = await tokenSession(product, { email, api_token: user.apiToken, site: 'acme' });
        expect((await call(h.url(LISTING[product]), withSession(token))).status).to.equal(200);
        user.apiToken = 'rotated-token-9876543210';
        // no-cache: the listing read a moment ago would otherwise be answered without asking Atlassian.
        const res = await call(h.url(LISTING[product]), withSession(token, { headers: { 'Cache-Control': 'no-cache' } }));
        expectError(res, 401, 'upstream_unauthorized');
        expect(JSON.stringify(res.body)).not.to.include('original-token');
      });

      for (const method of ['oauth', 'api_token'] as const) {
        const session = (): Promise<string> => (method === 'oauth' ? oauthSession(product) : tokenSession(product));

        it(`${method}: 429 rate_limited with a numeric Retry-After`, async () => {
          const token = await session();
          h.fake.injectFault({ match: { path: UPSTREAM[product] }, status: 429, headers: { 'Retry-After': '30' }, body: { message: 'Too many requests' }, times: 10 });
          const res = await call(h.url(LISTING[product]), withSession(token));
          expectError(res, 429, 'rate_limited');
          const retryAfter = res.headers.get('retry-after');
          expect(retryAfter, 'Retry-After header').to.be.a('string');
          expect(retryAfter).to.match(/^\d+$/);
          expect(Number(retryAfter)).to.be.at.least(1);
        });

        it(`${method}: 502 upstream_error when Atlassian keeps answering 500`, async () => {
          const token = await session();
          h.fake.injectFault({ match: { path: UPSTREAM[product] }, status: 500, body: { message: 'Internal server error' }, times: 10 });
          expectError(await call(h.url(LISTING[product]), withSession(token)), 502, 'upstream_error');
        });
      }

      it('502 upstream_error when the connection is reset', async () => {
        const token = await tokenSession(product);
        h.fake.injectFault({ match: { path: UPSTREAM[product] }, destroySocket: true, times: 10 });
        expectError(await call(h.url(LISTING[product]), withSession(token)), 502, 'upstream_error');
      });

      it('502 upstream_error when Atlassian answers 200 with a body that is not a listing', async () => {
        const token = await tokenSession(product);
        h.fake.injectFault({
          match: { path: UPSTREAM[product] },
          status: 200,
          body: '<html><body>Maintenance</body></html>',
          headers: { 'Content-Type': 'text/html' },
          times: 10,
        });
        const res = await call(h.url(LISTING[product]), withSession(token));
        expectError(res, 502, 'upstream_error');
        expect(res.body.error.message).not.to.include('<html>');
      });
    });

    describe(`POST /auth/${product}/api-token: upstream errors`, () => {
      it('502 upstream_error, and no session, when the identity check answers 500', async () => {
        h.fake.injectFault({ match: { path: VERIFY[product] }, status: 500, body: 'oops', times: 10 });
        const res = await connectWithToken(h, product);
        expectError(res, 502, 'upstream_error');
        expect(res.headers.get('x-session-token')).to.equal(null);
        expect(res.body.session_token).to.equal(undefined);
      });
    });
  }

  describe('malformed input', () => {
    it('a repeated state parameter is refused with a 400 error', async () => {
      const { state } = await startOAuthFlow(h, 'jira');
      const res = await call(h.url(`/auth/jira/oauth/callback?code=a&state=${state}&state=${state}`));
      expect(res.status, JSON.stringify(res.body)).to.equal(400);
      expect(['validation_error', 'invalid_request', 'invalid_state']).to.include(res.body.error.code);
      expectError(res, 400, res.body.error.code as string);
    });

    it('an oversized API-token body is refused without reaching Atlassian', async () => {
      const res = await call(h.url('/auth/jira/api-token'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: USER.email, api_token: 'x'.repeat(1024 * 1024), site: 'acme' }),
      });
      expect([400, 413], JSON.stringify(res.body)).to.include(res.status);
      expectError(res, res.status, res.status === 413 ? 'payload_too_large' : 'validation_error');
      expect(h.fake.requests).to.have.length(0);
    });

    it('a body that is not JSON is refused with a 4xx error envelope', async () => {
      const res = await call(h.url('/auth/jira/api-token'), {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: `email=${USER.email}&api_token=${USER.apiToken}`,
      });
      expect([400, 415], JSON.stringify(res.body)).to.include(res.status);
      expectError(res, res.status, res.status === 415 ? 'unsupported_media_type' : 'validation_error');
      expect(h.fake.requests).to.have.length(0);
    });

    it('a header value too odd to be a token is just an invalid session', async () => {
      const res = await call(h.url('/jira/projects'), withSession('../../etc/passwd'));
      expectError(res, 401, 'invalid_session');
      expectNoStackTrace(res);
    });
  });
});

describe('errors: OAuth scope mismatch', () => {
  let h: Harness;
  before(async () => {
    // Scopes that pass consent but do not allow the listing calls.
    h = await startHarness({
      JIRA_OAUTH_SCOPES: 'read:jira-user offline_access',
      CONFLUENCE_OAUTH_SCOPES: 'read:confluence-user offline_access',
    });
  });
  after(async () => { await h.close(); });

  for (const product of PRODUCTS) {
    it(`${product}: 401 upstream_unauthorized when the granted scopes do not allow the listing`, async () => {
      const { sessionToken, callback } = await connectWithOAuth(h, product);
      expect(callback.status, JSON.stringify(callback.body)).to.equal(200);
      expectError(await call(h.url(LISTING[product]), withSession(sessionToken)), 401, 'upstream_unauthorized');
    });
  }
});

describe('errors: upstream timeout (UPSTREAM_TIMEOUT_MS=300)', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ UPSTREAM_TIMEOUT_MS: '300' }); });
  after(async () => { await h.close(); });
  beforeEach(() => {
    h.fake.clearFaults();
    h.fake.clearRequests();
  });

  for (const product of PRODUCTS) {
    it(`${product} listing (API token): 504 upstream_timeout when Atlassian hangs`, async () => {
      const login = await connectWithToken(h, product);
      expect(login.status, JSON.stringify(login.body)).to.equal(200);
      h.fake.injectFault({ match: { path: UPSTREAM[product] }, hang: true, times: 10 });
      // A hang past the timeout would fail on mocha's own test timeout; a timeout is never retried.
      expectError(await call(h.url(LISTING[product]), withSession(login.body.session_token)), 504, 'upstream_timeout');
      expect(h.fake.countRequests({ path: UPSTREAM[product] })).to.equal(1);
    });

    it(`${product} listing (OAuth): 504 upstream_timeout when the gateway hangs`, async () => {
      const { sessionToken, callback } = await connectWithOAuth(h, product);
      expect(callback.status, JSON.stringify(callback.body)).to.equal(200);
      h.fake.injectFault({ match: { path: UPSTREAM[product] }, hang: true, times: 10 });
      expectError(await call(h.url(LISTING[product]), withSession(sessionToken)), 504, 'upstream_timeout');
    });
  }

  it('OAuth callback: 504 upstream_timeout when the token endpoint hangs', async () => {
    const flow = await startOAuthFlow(h, 'jira');
    const back = await call(flow.authUrl.toString());
    h.fake.injectFault({ match: { path: '/oauth/token' }, hang: true, times: 10 });
    expectError(await call(back.headers.get('location')!), 504, 'upstream_timeout');
  });

  it('API-token login: 504 upstream_timeout, and no session, when the identity check hangs', async () => {
    h.fake.injectFault({ match: { path: VERIFY.confluence }, hang: true, times: 10 });
    const res = await connectWithToken(h, 'confluence');
    expectError(res, 504, 'upstream_timeout');
    expect(res.headers.get('x-session-token')).to.equal(null);
  });
});
