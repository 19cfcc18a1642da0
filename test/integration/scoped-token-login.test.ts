import { expect } from 'chai';
import { ACME, SCOPED_USER, call, connectWithToken, expectError, resetFake, startHarness, withSession, type Harness } from '../support/harness.js';

/**
 * API-token login with scoped tokens (docs/atlassian.md §5, §8): refused on the site, tried through the gateway with
 * the cloudId from the site's public `/_edge/tenant_info`. The fake issues scoped tokens with chosen scopes and
 * enforces them per endpoint with the gateway's scope-mismatch 401.
 */

const PRODUCTS = ['jira', 'confluence'] as const;
const IDENTITY = { jira: '/rest/api/3/myself', confluence: '/wiki/rest/api/user/current' } as const;
const LISTING = {
  jira: { path: '/jira/projects', upstream: '/rest/api/3/project/search', probe: { maxResults: '1' }, scope: 'read:jira-work', count: 120 },
  confluence: { path: '/confluence/spaces', upstream: '/wiki/api/v2/spaces', probe: { limit: '1' }, scope: 'read:space:confluence', count: 60 },
} as const;
const TENANT_INFO = '/_edge/tenant_info';
/** Scoped tokens that can list but not read the current user (no read:jira-user / read:confluence-user). */
const LISTER = { email: 'lister@example.com', apiToken: 'lister-scoped-token-0123456789' } as const;
/** A scoped token with neither the identity nor the listing scopes. */
const BYSTANDER = { email: 'bystander@example.com', apiToken: 'bystander-scoped-token-0123456789' } as const;

describe('API-token login with scoped tokens', () => {
  let h: Harness;
  let cloudId: string;
  before(async () => {
    h = await startHarness({ UPSTREAM_TIMEOUT_MS: '300', UPSTREAM_MAX_RETRIES: '1', UPSTREAM_RETRY_BASE_MS: '10', UPSTREAM_MAX_RETRY_WAIT_MS: '1000' });
    h.fake.addUser({ ...LISTER, sites: [ACME], apiTokenScopes: ['read:jira-work', 'read:space:confluence'] });
    h.fake.addUser({ ...BYSTANDER, sites: [ACME], apiTokenScopes: ['read:me'] });
    cloudId = h.fake.getSite(ACME)!.cloudId;
  });
  after(async () => { await h.close(); });
  beforeEach(() => resetFake(h.fake));

  const login = (product: 'jira' | 'confluence', user: { email: string; apiToken: string }) =>
    connectWithToken(h, product, { email: user.email, api_token: user.apiToken, site: 'acme' });

  describe('a token without the identity scope', () => {
    for (const product of PRODUCTS) {
      const { path, upstream, probe, scope, count } = LISTING[product];

      it(`${product}: holding only ${scope}, it connects: the gateway's listing of one item proves it, and the listings work`, async () => {
        const res = await login(product, LISTER);

        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(h.fake.requests.map((r) => [r.path, r.status])).to.deep.equal([
          [`/site/${ACME}${IDENTITY[product]}`, 401],
          [`/site/${ACME}${TENANT_INFO}`, 200],
          [`/ex/${product}/${cloudId}${IDENTITY[product]}`, 401],
          [`/ex/${product}/${cloudId}${upstream}`, 200],
        ]);
        expect(h.fake.requests[3]!.query).to.deep.equal(probe);
        const token = res.body.session_token as string;
        const session = await call(h.url('/auth/session'), withSession(token));
        expect(session.body.products[product]).to.deep.include({ connected: true, method: 'api_token' });
        expect(session.body.products[product].site).to.deep.include({ id: cloudId });
        const listing = await call(h.url(path), withSession(token));
        expect(listing.status, JSON.stringify(listing.body).slice(0, 300)).to.equal(200);
        expect(listing.body.total).to.equal(count);
      });

      it(`${product}: lacking ${scope} too, the login answers 403 insufficient_scope naming ${scope}, and no session`, async () => {
        const res = await login(product, BYSTANDER);

        expectError(res, 403, 'insufficient_scope');
        expect(res.body.error.message).to.include(scope);
        expect(res.body.error.message).not.to.include('did not accept');
        expect(res.headers.get('x-session-token')).to.equal(null);
      });

      it(`${product}: a wrong secret is still 401 invalid_credentials, and no listing is tried anywhere`, async () => {
        const res = await login(product, { email: LISTER.email, apiToken: 'not-the-token-0123456789' });

        expectError(res, 401, 'invalid_credentials');
        expect(h.fake.countRequests({ path: upstream })).to.equal(0);
      });
    }
  });

  describe('reading the cloudId: only "the site does not say" reads as a refusal', () => {
    it('tenant_info 429 with Retry-After: 60 → 429 rate_limited with Retry-After: 60', async () => {
      h.fake.injectFault({ match: { path: TENANT_INFO }, status: 429, headers: { 'Retry-After': '60' }, times: 5 });

      const res = await login('jira', SCOPED_USER);

      expectError(res, 429, 'rate_limited');
      expect(res.headers.get('retry-after')).to.equal('60');
      expect(h.fake.countRequests({ path: TENANT_INFO })).to.equal(1);
    });

    it('tenant_info 503 with Retry-After (a resource limit) → 429 rate_limited', async () => {
      h.fake.injectFault({ match: { path: TENANT_INFO }, status: 503, headers: { 'Retry-After': '120' }, times: 5 });
      const res = await login('confluence', SCOPED_USER);
      expectError(res, 429, 'rate_limited');
      expect(res.headers.get('retry-after')).to.equal('120');
    });

    it('tenant_info 503 on every attempt → 502 upstream_error after the retries', async () => {
      h.fake.injectFault({ match: { path: TENANT_INFO }, status: 503, times: 5 });
      expectError(await login('jira', SCOPED_USER), 502, 'upstream_error');
      expect(h.fake.countRequests({ path: TENANT_INFO })).to.equal(2);
    });

    it('tenant_info never answering → 504 upstream_timeout', async () => {
      h.fake.injectFault({ match: { path: TENANT_INFO }, hang: true, times: 5 });
      expectError(await login('confluence', SCOPED_USER), 504, 'upstream_timeout');
    });

    it('tenant_info resetting the connection → 502 upstream_error', async () => {
      h.fake.injectFault({ match: { path: TENANT_INFO }, destroySocket: true, times: 5 });
      expectError(await login('jira', SCOPED_USER), 502, 'upstream_error');
    });

    it('tenant_info 404, or 200 without a cloudId → the site\'s 401 invalid_credentials, and no gateway call', async () => {
      for (const fault of [{ status: 404, body: '<html>Not found</html>', headers: { 'Content-Type': 'text/html' } }, { status: 200, body: { tenant: 'x' } }]) {
        h.fake.clearRequests();
        h.fake.injectFault({ match: { path: TENANT_INFO }, ...fault });
        expectError(await login('jira', SCOPED_USER), 401, 'invalid_credentials');
        expect(h.fake.requests.filter((r) => r.path.startsWith('/ex/'))).to.have.length(0);
      }
    });
  });
});
