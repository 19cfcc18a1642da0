import { expect } from 'chai';
import {
  ACME,
  call,
  callbackUrl,
  connectWithOAuth,
  connectWithToken,
  consent,
  expectError,
  startHarness,
  startOAuthFlow,
  withSession,
  type Harness,
} from '../support/harness.js';

const SPACES = '/wiki/api/v2/spaces';
const PROJECTS = '/rest/api/3/project/search';

function space(id: string): Record<string, unknown> {
  return { id, key: `K${id}`, name: `Space ${id}`, type: 'global', status: 'current', _links: { webui: `/spaces/K${id}` } };
}

/**
 * Links and redirects in Atlassian's answers are data, not instructions: the service builds every upstream URL
 * itself, so a hostile or broken answer cannot send a credential to another host.
 */
describe('upstream links and redirects are not followed', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ UPSTREAM_MAX_RETRIES: '0' }); });
  after(async () => { await h.close(); });
  beforeEach(() => {
    h.fake.clearFaults();
    h.fake.clearRequests();
  });

  for (const method of ['oauth', 'api_token'] as const) {
    const session = async (): Promise<string> => {
      if (method === 'oauth') return (await connectWithOAuth(h, 'confluence')).sessionToken;
      return (await connectWithToken(h, 'confluence')).body.session_token as string;
    };

    it(`${method}: a Confluence next link to another host is read for its cursor only; the next page comes from our own root`, async () => {
      const token = await session();
      h.fake.clearRequests();
      h.fake.injectFault({ match: { path: SPACES }, status: 200, body: { results: [space('1')], _links: { next: `https://evil.example${SPACES}?cursor=abc&limit=250` } } });
      h.fake.injectFault({ match: { path: SPACES }, status: 200, body: { results: [space('2')], _links: {} } });
      const res = await call(h.url('/confluence/spaces'), withSession(token));
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.spaces.map((s: { id: string }) => s.id)).to.deep.equal(['1', '2']);

      const pages = h.fake.requests.filter((r) => r.path.endsWith(SPACES));
      expect(pages).to.have.length(2);
      expect(pages[1]!.query['cursor']).to.equal('abc');
      // Same root (gateway or site) as the first page: the link's host was ignored.
      expect(pages[1]!.path).to.equal(pages[0]!.path);
    });

    it(`${method}: a next link to another path → 502 upstream_error, and no request follows it`, async () => {
      const token = await session();
      h.fake.clearRequests();
      h.fake.injectFault({ match: { path: SPACES }, status: 200, body: { results: [space('1')], _links: { next: `${h.fake.baseUrl}/oauth/token/accessible-resources?cursor=x` } } });
      expectError(await call(h.url('/confluence/spaces'), withSession(token)), 502, 'upstream_error');
      expect(h.fake.requests.filter((r) => r.path.endsWith(SPACES))).to.have.length(1);
      expect(h.fake.countRequests({ path: '/oauth/token/accessible-resources' })).to.equal(0);
    });
  }

  it('a 302 from Atlassian on a listing is not followed: 502 upstream_error, and the Location is never requested', async () => {
    const login = await connectWithToken(h, 'jira');
    h.fake.clearRequests();
    h.fake.injectFault({
      match: { path: PROJECTS },
      status: 302,
      headers: { Location: `${h.fake.siteUrl(ACME)}/rest/api/3/myself?followed=1` },
      times: 5,
    });
    expectError(await call(h.url('/jira/projects'), withSession(login.body.session_token as string)), 502, 'upstream_error');
    expect(h.fake.requests.some((r) => r.query['followed'] === '1')).to.equal(false);
    expect(h.fake.countRequests({ path: '/rest/api/3/myself' })).to.equal(0);
  });

  it('a 307 from the token endpoint is not followed: the code is not re-sent, the callback fails', async () => {
    const flow = await startOAuthFlow(h, 'jira');
    const back = await consent(flow.authUrl);
    h.fake.clearRequests();
    h.fake.injectFault({ match: { path: '/oauth/token', method: 'POST' }, status: 307, headers: { Location: `${h.fake.baseUrl}/oauth/token?followed=1` } });
    const res = await call(back.toString());
    expect(res.status, JSON.stringify(res.body)).to.be.within(400, 599);
    expect(res.body.error.code).to.be.a('string');
    expect(h.fake.countRequests({ path: '/oauth/token', method: 'POST' })).to.equal(1);
    expect(h.fake.requests.some((r) => r.query['followed'] === '1')).to.equal(false);
  });

  it('the OAuth callback never redirects to a URL taken from the request (no open redirect without OAUTH_RETURN_URL)', async () => {
    for (const params of [{ code: 'a', state: 'b', redirect_uri: 'https://evil.test' }, { error: 'access_denied', state: 'x', return_to: '//evil.test' }] as Record<string, string>[]) {
      const res = await call(callbackUrl(h, 'jira', params));
      expect(res.status).to.be.within(400, 499);
      expect(res.headers.get('location')).to.equal(null);
    }
  });
});
