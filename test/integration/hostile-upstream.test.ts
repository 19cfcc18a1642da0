import { expect } from 'chai';
import { call, consent, expectError, sessionWithToken, startHarness, startOAuthFlow, withSession, type Harness } from '../support/harness.js';

/**
 * Answers a hostile or broken Atlassian could give, through the real service and the fake on loopback: page counts
 * that would size allocations or request loops (issue 11, point 7); free text and links that must not reach a
 * client (point 14). Each test asserts what reached the fake or the client.
 */

const PROJECT_SEARCH = '/rest/api/3/project/search';
const SPACES = '/wiki/api/v2/spaces';
const MAX_ITEMS = 500;

const projects = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: String(90_000 + from + i), key: `H${from + i}`, name: `Hostile ${from + i}` }));
const spaces = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: String(700_000 + from + i), key: `C${from + i}`, name: `Chain ${from + i}` }));

describe('hostile upstream answers (UPSTREAM_MAX_ITEMS=500)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ UPSTREAM_MAX_ITEMS: String(MAX_ITEMS), UPSTREAM_MAX_RETRIES: '0' });
  });
  after(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.fake.clearFaults();
    h.fake.clearRequests();
  });

  describe('page counts', () => {
    it('a first Jira page claiming total 1e12 → 502 upstream_error after that one request, and the service stays healthy', async () => {
      const token = await sessionWithToken(h, 'jira');
      h.fake.injectFault({
        match: { path: PROJECT_SEARCH },
        status: 200,
        body: { startAt: 0, maxResults: 50, total: 1e12, isLast: false, values: projects(0, 50) },
      });

      const res = await call(h.url('/jira/projects'), withSession(token));

      expectError(res, 502, 'upstream_error');
      expect(h.fake.countRequests({ path: PROJECT_SEARCH })).to.equal(1);
      expect((await call(h.url('/'))).status).to.equal(200);
    });

    it('a Jira total one above UPSTREAM_MAX_ITEMS → 502 after one request; a listing of exactly the bound is served', async () => {
      const token = await sessionWithToken(h, 'jira');
      h.fake.injectFault({
        match: { path: PROJECT_SEARCH },
        status: 200,
        body: { startAt: 0, maxResults: 50, total: MAX_ITEMS + 1, isLast: false, values: projects(0, 50) },
      });

      expectError(await call(h.url('/jira/projects'), withSession(token)), 502, 'upstream_error');
      expect(h.fake.countRequests({ path: PROJECT_SEARCH })).to.equal(1);

      h.fake.clearRequests();
      h.fake.injectFault({
        match: { path: PROJECT_SEARCH },
        status: 200,
        times: 10,
        body: (hit: number) => ({ startAt: hit * 50, maxResults: 50, total: MAX_ITEMS, isLast: hit === 9, values: projects(hit * 50, 50) }),
      });
      const served = await call(h.url('/jira/projects'), withSession(token));
      expect(served.status, JSON.stringify(served.body).slice(0, 300)).to.equal(200);
      expect(served.body.projects).to.have.length(MAX_ITEMS);
    });

    for (const total of [-1, 2.5, '1e12', 1e300]) {
      it(`a Jira total of ${JSON.stringify(total)} does not size the listing: 502 upstream_error after a bounded number of requests`, async () => {
        const token = await sessionWithToken(h, 'jira');
        h.fake.injectFault({
          match: { path: PROJECT_SEARCH },
          status: 200,
          times: Infinity,
          body: (hit: number) => ({ startAt: hit * 50, maxResults: 50, total, isLast: false, values: projects(hit * 50, 50) }),
        });

        const res = await call(h.url('/jira/projects'), withSession(token));

        expectError(res, 502, 'upstream_error');
        // A string total is no total: the listing pages sequentially and stops at the item bound (500 / 50 + 1).
        expect(h.fake.countRequests({ path: PROJECT_SEARCH })).to.be.at.most(MAX_ITEMS / 50 + 1);
      });
    }

    it('a Confluence cursor chain that never ends stops at UPSTREAM_MAX_ITEMS: 502 upstream_error, a bounded number of requests', async () => {
      const token = await sessionWithToken(h, 'confluence');
      h.fake.injectFault({
        match: { path: SPACES },
        status: 200,
        times: Infinity,
        body: (hit: number) => ({
          results: spaces(hit * 25, 25),
          _links: { next: `/wiki/api/v2/spaces?cursor=endless-${hit + 1}&limit=25`, base: 'https://acme.atlassian.net/wiki' },
        }),
      });

      const res = await call(h.url('/confluence/spaces'), withSession(token));

      expectError(res, 502, 'upstream_error');
      // 25 spaces a page: the 21st page passes 500 items.
      expect(h.fake.countRequests({ path: SPACES })).to.equal(MAX_ITEMS / 25 + 1);
    });
  });

  describe("Atlassian's free text and links", () => {
    const FREE_TEXT = 'Your account is locked: call +1 555 0100 or visit https://evil.example/reset';

    it('a 5xx body with free text (JSON or plain text) → 502 upstream_error with the status and a fixed message', async () => {
      const token = await sessionWithToken(h, 'jira');
      for (const body of [{ errorMessages: [FREE_TEXT], errors: {} }, FREE_TEXT, { message: FREE_TEXT }]) {
        h.fake.injectFault({ match: { path: PROJECT_SEARCH }, status: 500, body });

        const res = await call(h.url('/jira/projects'), withSession(token));

        expectError(res, 502, 'upstream_error');
        expect(res.body.error.message).to.equal('Atlassian answered with status 500.');
      }
    });

    it("an allow-listed Atlassian sentence still reaches the client (Confluence's removed v1 endpoint)", async () => {
      const token = await sessionWithToken(h, 'confluence');
      h.fake.injectFault({
        match: { path: SPACES },
        status: 410,
        body: { statusCode: 410, message: 'GoneException: This deprecated endpoint has been removed.', reason: 'Gone' },
      });

      const res = await call(h.url('/confluence/spaces'), withSession(token));

      expectError(res, 502, 'upstream_error');
      expect(res.body.error.message).to.include('This deprecated endpoint has been removed.');
    });

    it("the token endpoint's error_description never reaches the OAuth callback's answer", async () => {
      const flow = await startOAuthFlow(h, 'jira');
      const callback = await consent(flow.authUrl);
      h.fake.injectFault({ match: { method: 'POST', path: '/oauth/token' }, status: 400, body: { error: 'invalid_request', error_description: FREE_TEXT } });

      const res = await call(callback.toString());

      expectError(res, 502, 'upstream_error');
      expect(JSON.stringify(res.body)).not.to.include('evil.example');
      expect(JSON.stringify(res.body)).not.to.include('locked');
    });

    it('only https avatar URLs of sane length reach the listing; others are left out, the project kept', async () => {
      const token = await sessionWithToken(h, 'jira');
      const avatars = [
        'https://acme.atlassian.net/rest/api/3/universal_avatar/view/type/project/avatar/10400',
        'javascript:alert(document.cookie)',
        'http://acme.atlassian.net/avatar.png',
        'data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=',
        `https://acme.atlassian.net/${'a'.repeat(3000)}`,
        'https://user:pass@evil.example/a.png',
      ];
      const values = avatars.map((url, i) => ({ id: String(80_000 + i), key: `AV${i}`, name: `Avatar ${i}`, avatarUrls: { '48x48': url } }));
      h.fake.injectFault({ match: { path: PROJECT_SEARCH }, status: 200, body: { startAt: 0, maxResults: 50, total: values.length, isLast: true, values } });

      const res = await call(h.url('/jira/projects'), withSession(token));

      expect(res.status, JSON.stringify(res.body).slice(0, 300)).to.equal(200);
      expect(res.body.projects).to.have.length(avatars.length);
      expect(res.body.projects.map((p: { avatar_url?: string }) => p.avatar_url)).to.deep.equal([avatars[0], undefined, undefined, undefined, undefined, undefined]);
    });
  });
});
