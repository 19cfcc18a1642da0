import { expect } from 'chai';
import {
  ACME,
  BETA,
  SCOPED_USER,
  USER,
  call,
  connectWithToken,
  expectError,
  startHarness,
  withSession,
  type Harness,
} from '../support/harness.js';
import type { FakeRequest } from '../../fake-atlassian/index.js';
import { SERVICE_NAME } from '../../src/version.js';

/**
 * How the real service behaves when Atlassian is slow, flaky, rate-limiting or large: retries and their count,
 * Retry-After, timeouts and deadlines, paging completeness under failures, the concurrency bound, connection
 * reuse, conditional requests, error messages, and scoped API tokens through the gateway. The service calls the
 * fake Atlassian over loopback; nothing is stubbed.
 */

const PROJECT_SEARCH = '/rest/api/3/project/search';
const SPACES = '/wiki/api/v2/spaces';
const BIG = 'big.atlassian.net';
const BIG_PROJECTS = 2_000;
const BIG_USER = { email: 'big@example.com', apiToken: 'big-api-token-0123456789' } as const;

type Product = 'jira' | 'confluence';

async function tokenSession(h: Harness, product: Product, body: Record<string, unknown> = { email: USER.email, api_token: USER.apiToken, site: 'acme' }): Promise<string> {
  const res = await connectWithToken(h, product, body);
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return res.body.session_token as string;
}

function searchCalls(h: Harness): FakeRequest[] {
  return h.fake.requests.filter((r) => r.path.endsWith(PROJECT_SEARCH));
}

/** Keys of a project listing, asserted complete (no duplicate), strictly increasing, and equal to the site's. */
function expectCompleteAndOrdered(h: Harness, host: string, body: { total: number; projects: { key: string; id: string }[] }): void {
  const expected = h.fake.getSite(host)!.projects.map((p) => p.key).sort();
  expect(body.total).to.equal(expected.length);
  const keys = body.projects.map((p) => p.key);
  expect(keys).to.have.length(expected.length);
  for (let i = 1; i < keys.length; i++) {
    expect(keys[i]! > keys[i - 1]!, `key ${keys[i]} at ${i} follows ${keys[i - 1]}`).to.equal(true);
  }
  expect(new Set(body.projects.map((p) => p.id)).size).to.equal(expected.length);
  expect(keys).to.deep.equal(expected);
}

/** Resolves once the fake has answered a request matching `predicate` (polling the log; the service runs in-process). */
async function whenFakeAnswered(h: Harness, predicate: (r: FakeRequest) => boolean): Promise<void> {
  for (let i = 0; i < 5_000; i++) {
    if (h.fake.requests.some((r) => predicate(r) && r.status !== 0)) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error('the fake never answered the expected request');
}

describe('upstream robustness', () => {
  describe('retries, Retry-After, error messages, 304, scoped API tokens (max 2 retries, base 10 ms)', () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ UPSTREAM_MAX_RETRIES: '2', UPSTREAM_RETRY_BASE_MS: '10' });
    });
    after(async () => { await h.close(); });
    beforeEach(() => {
      h.fake.clearFaults();
      h.fake.clearRequests();
    });

    describe('retries and their count', () => {
      it('503 twice on the project search → 200 with every project; the fake saw exactly 2 extra requests for that page', async () => {
        const token = await tokenSession(h, 'jira');
        h.fake.clearRequests();
        h.fake.injectFault({ match: { path: PROJECT_SEARCH }, status: 503, times: 2 });

        const res = await call(h.url('/jira/projects'), withSession(token));

        expect(res.status, JSON.stringify(res.body).slice(0, 300)).to.equal(200);
        expectCompleteAndOrdered(h, ACME, res.body);
        // 120 projects at 50 a page → 3 pages; the first page (asked first, alone) took both 503s.
        const calls = searchCalls(h);
        expect(calls.map((c) => c.status)).to.deep.equal([503, 503, 200, 200, 200]);
        expect(calls.filter((c) => c.query['startAt'] === '0')).to.have.length(3);
        expect(calls).to.have.length(3 + 2);
      });

      it('503 on every attempt → 502 upstream_error after exactly 1 + UPSTREAM_MAX_RETRIES requests for that page', async () => {
        const token = await tokenSession(h, 'jira');
        h.fake.clearRequests();
        h.fake.injectFault({ match: { path: PROJECT_SEARCH }, status: 503, times: 10 });

        const res = await call(h.url('/jira/projects'), withSession(token));

        // A 503 without Retry-After is not a rate limit: it is Atlassian failing.
        expectError(res, 502, 'upstream_error');
        expect(res.body.error.message).to.include('503');
        const calls = searchCalls(h);
        expect(calls).to.have.length(1 + 2);
        expect(calls.every((c) => c.query['startAt'] === '0' && c.status === 503)).to.equal(true);
      });

      it('a 500 is not retried', async () => {
        const token = await tokenSession(h, 'jira');
        h.fake.clearRequests();
        h.fake.injectFault({ match: { path: PROJECT_SEARCH }, status: 500, times: 10, body: { errorMessages: ['Internal'], errors: {} } });

        const res = await call(h.url('/jira/projects'), withSession(token));

        expectError(res, 502, 'upstream_error');
        expect(searchCalls(h)).to.have.length(1);
      });

      it('a connection reset is retried and the listing completes', async () => {
        const token = await tokenSession(h, 'jira');
        h.fake.clearRequests();
        h.fake.injectFault({ match: { path: PROJECT_SEARCH }, destroySocket: true, times: 1 });

        const res = await call(h.url('/jira/projects'), withSession(token));

        expect(res.status, JSON.stringify(res.body).slice(0, 300)).to.equal(200);
        expectCompleteAndOrdered(h, ACME, res.body);
        expect(searchCalls(h)).to.have.length(4);
      });

      it('upstream calls carry a User-Agent naming the service', async () => {
        await tokenSession(h, 'jira');
        expect(h.fake.requests).to.have.length.at.least(1);
        for (const r of h.fake.requests) expect(r.headers['user-agent'] ?? '').to.include(SERVICE_NAME);
      });
    });

    describe('Retry-After', () => {
      it('429 with Retry-After: 1 once → 200, and the retry came at least 1000 ms after the first attempt', async () => {
        const token = await tokenSession(h, 'jira');
        h.fake.clearRequests();
        h.fake.injectFault({ match: { path: PROJECT_SEARCH }, status: 429, headers: { 'Retry-After': '1' }, times: 1 });

        const res = await call(h.url('/jira/projects'), withSession(token));

        expect(res.status, JSON.stringify(res.body).slice(0, 300)).to.equal(200);
        expectCompleteAndOrdered(h, ACME, res.body);
        const firstPage = searchCalls(h).filter((c) => c.query['startAt'] === '0');
        expect(firstPage.map((c) => c.status)).to.deep.equal([429, 200]);
        expect(firstPage[1]!.time - firstPage[0]!.time).to.be.at.least(1_000);
      });

      it('429 with Retry-After: 120 (over the longest wait) → 429 rate_limited with Retry-After: 120 at once, no retry', async () => {
        const token = await tokenSession(h, 'jira');
        h.fake.clearRequests();
        h.fake.injectFault({ match: { path: PROJECT_SEARCH }, status: 429, headers: { 'Retry-After': '120' }, times: 5 });

        const res = await call(h.url('/jira/projects'), withSession(token));

        expectError(res, 429, 'rate_limited');
        expect(res.headers.get('retry-after')).to.equal('120');
        expect(h.fake.countRequests({ path: PROJECT_SEARCH })).to.equal(1);
      });

      it('503 with Retry-After: 120 → 429 rate_limited with Retry-After: 120 (Atlassian: a resource limit)', async () => {
        const token = await tokenSession(h, 'confluence');
        h.fake.clearRequests();
        h.fake.injectFault({ match: { path: SPACES }, status: 503, headers: { 'Retry-After': '120' }, times: 5 });

        const res = await call(h.url('/confluence/spaces'), withSession(token));

        expectError(res, 429, 'rate_limited');
        expect(res.headers.get('retry-after')).to.equal('120');
        expect(h.fake.countRequests({ path: SPACES })).to.equal(1);
      });
    });

    describe("error mapping: only allow-listed Atlassian words reach the client, free text and HTML do not", () => {
      it("Jira 400 {errorMessages} with free text → 502 upstream_error with the status, without Jira's text", async () => {
        const token = await tokenSession(h, 'jira');
        h.fake.injectFault({
          match: { path: PROJECT_SEARCH },
          status: 400,
          body: { errorMessages: ["The value 'X' is invalid"], errors: {} },
        });

        const res = await call(h.url('/jira/projects'), withSession(token));

        expectError(res, 502, 'upstream_error');
        expect(res.body.error.message).to.include('400');
        expect(res.body.error.message).not.to.include("The value 'X' is invalid");
      });

      it('Confluence 500 {errors:[{title:"Boom"}]} → 502 upstream_error with the status, without "Boom"', async () => {
        const token = await tokenSession(h, 'confluence');
        h.fake.injectFault({
          match: { path: SPACES },
          status: 500,
          body: { errors: [{ status: 500, code: 'INTERNAL', title: 'Boom', detail: null }] },
        });

        const res = await call(h.url('/confluence/spaces'), withSession(token));

        expectError(res, 502, 'upstream_error');
        expect(res.body.error.message).to.include('500');
        expect(res.body.error.message).not.to.include('Boom');
      });

      it('an HTML 500 page → 502 upstream_error with no HTML in the message', async () => {
        const token = await tokenSession(h, 'jira');
        h.fake.injectFault({
          match: { path: PROJECT_SEARCH },
          status: 500,
          headers: { 'Content-Type': 'text/html;charset=UTF-8' },
          body: '<!DOCTYPE html><html><head><title>Oops</title></head><body><h1>Something went wrong</h1><script>x()</script></body></html>',
        });

        const res = await call(h.url('/jira/projects'), withSession(token));

        expectError(res, 502, 'upstream_error');
        expect(res.body.error.message).not.to.match(/<[a-z!/]/i);
        expect(res.body.error.message).not.to.include('Something went wrong');
      });
    });

    describe('conditional requests (ETag / If-None-Match)', () => {
      const cases = [
        {
          product: 'jira' as const,
          path: '/jira/projects',
          grow: (h: Harness) => void h.fake.getSite(BETA)!.projects.push({ id: '29999', key: 'ZNEW', name: 'Brand new' }),
        },
        {
          product: 'confluence' as const,
          path: '/confluence/spaces',
          grow: (h: Harness) => void h.fake.getSite(BETA)!.spaces.push({ id: '987654321', key: 'ZNEW', name: 'Brand new' }),
        },
      ];
      for (const { product, path, grow } of cases) {
        it(`GET ${path}: ETag; If-None-Match → 304 with no body (strong and W/); a changed listing → 200 with a new ETag`, async () => {
          const token = await tokenSession(h, product, { email: USER.email, api_token: USER.apiToken, site: 'beta' });

          const first = await call(h.url(path), withSession(token));
          expect(first.status).to.equal(200);
          const etag = first.headers.get('etag');
          expect(etag).to.be.a('string').and.match(/^"[^"]+"$/);

          const same = await call(h.url(path), withSession(token, { headers: { 'If-None-Match': etag! } }));
          expect(same.status).to.equal(304);
          expect(same.body).to.equal(undefined);
          expect(same.headers.get('etag')).to.equal(etag);

          const weak = await call(h.url(path), withSession(token, { headers: { 'If-None-Match': `W/${etag!}` } }));
          expect(weak.status).to.equal(304);
          expect(weak.body).to.equal(undefined);

          const listed = await call(h.url(path), withSession(token, { headers: { 'If-None-Match': `"something-else", ${etag!}` } }));
          expect(listed.status).to.equal(304);

          const other = await call(h.url(path), withSession(token, { headers: { 'If-None-Match': '"something-else"' } }));
          expect(other.status).to.equal(200);
          expect(other.headers.get('etag')).to.equal(etag);

          grow(h);
          // no-cache: within the listing cache's TTL the old listing (and its ETag) would still be answered.
          const changed = await call(h.url(path), withSession(token, { headers: { 'If-None-Match': etag!, 'Cache-Control': 'no-cache' } }));
          expect(changed.status).to.equal(200);
          expect(changed.body.total).to.equal(first.body.total + 1);
          const newEtag = changed.headers.get('etag');
          expect(newEtag).to.be.a('string').and.not.equal(etag);

          const again = await call(h.url(path), withSession(token, { headers: { 'If-None-Match': newEtag! } }));
          expect(again.status).to.equal(304);
        });
      }
    });

    describe('scoped API tokens (refused on the site, accepted through the gateway)', () => {
      const rest = { jira: '/rest/api/3/myself', confluence: '/wiki/rest/api/user/current' } as const;
      const listing = { jira: { path: '/jira/projects', upstream: PROJECT_SEARCH, field: 'projects', count: 120 }, confluence: { path: '/confluence/spaces', upstream: SPACES, field: 'spaces', count: 60 } } as const;

      for (const product of ['jira', 'confluence'] as const) {
        it(`${product}: site 401 → tenant_info → gateway with Basic; listings go through the gateway; session shows api_token and the cloudId`, async () => {
          const cloudId = h.fake.getSite(ACME)!.cloudId;

          const login = await connectWithToken(h, product, { email: SCOPED_USER.email, api_token: SCOPED_USER.apiToken, site: 'acme' });

          expect(login.status, JSON.stringify(login.body)).to.equal(200);
          expect(login.body.site.url).to.equal(`https://${ACME}`);
          const token = login.body.session_token as string;
          const seen = h.fake.requests.map((r) => ({ path: r.path, status: r.status, authKind: r.authKind }));
          expect(seen).to.deep.equal([
            { path: `/site/${ACME}${rest[product]}`, status: 401, authKind: 'basic' },
            { path: `/site/${ACME}/_edge/tenant_info`, status: 200, authKind: 'none' },
            { path: `/ex/${product}/${cloudId}${rest[product]}`, status: 200, authKind: 'basic' },
          ]);

          h.fake.clearRequests();
          const { path, upstream, field, count } = listing[product];
          const list = await call(h.url(path), withSession(token));
          expect(list.status, JSON.stringify(list.body).slice(0, 300)).to.equal(200);
          expect(list.body.total).to.equal(count);
          expect(list.body[field]).to.have.length(count);
          expect(h.fake.requests).to.have.length.at.least(1);
          for (const r of h.fake.requests) {
            expect(r.path).to.equal(`/ex/${product}/${cloudId}${upstream}`);
            expect(r.authKind).to.equal('basic');
            expect(r.status).to.equal(200);
          }

          const session = await call(h.url('/auth/session'), withSession(token));
          expect(session.status).to.equal(200);
          expect(session.body.products[product]).to.include({ connected: true, method: 'api_token' });
          expect(session.body.products[product].site).to.deep.include({ id: cloudId, url: `https://${ACME}` });
        });
      }

      it('a wrong token for a scoped user → 401 invalid_credentials (site and gateway both refuse)', async () => {
        const res = await connectWithToken(h, 'jira', { email: SCOPED_USER.email, api_token: 'not-the-right-token-0123456789', site: 'acme' });

        expectError(res, 401, 'invalid_credentials');
        const cloudId = h.fake.getSite(ACME)!.cloudId;
        expect(h.fake.requests.map((r) => [r.path, r.status])).to.deep.equal([
          [`/site/${ACME}/rest/api/3/myself`, 401],
          [`/site/${ACME}/_edge/tenant_info`, 200],
          [`/ex/jira/${cloudId}/rest/api/3/myself`, 401],
        ]);
      });

      it('a classic token is verified on the site alone: no tenant_info, no gateway call', async () => {
        const token = await tokenSession(h, 'jira');
        expect(h.fake.requests.map((r) => r.path)).to.deep.equal([`/site/${ACME}/rest/api/3/myself`]);
        const session = await call(h.url('/auth/session'), withSession(token));
        expect(session.body.products.jira.site).not.to.have.property('id');
      });
    });
  });

  describe('timeouts and the deadline (timeout 200 ms, deadline 500 ms, base 300 ms)', () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({
        UPSTREAM_TIMEOUT_MS: '200',
        UPSTREAM_DEADLINE_MS: '500',
        UPSTREAM_RETRY_BASE_MS: '300',
        UPSTREAM_MAX_RETRIES: '3',
      });
    });
    after(async () => { await h.close(); });
    beforeEach(() => {
      h.fake.clearFaults();
      h.fake.clearRequests();
    });

    it('Atlassian never answers → 504 upstream_timeout, after one attempt (a timeout is not retried)', async () => {
      const token = await tokenSession(h, 'jira');
      h.fake.clearRequests();
      h.fake.injectFault({ match: { path: PROJECT_SEARCH }, hang: true, times: 5 });

      const res = await call(h.url('/jira/projects'), withSession(token));

      expectError(res, 504, 'upstream_timeout');
      expect(h.fake.countRequests({ path: PROJECT_SEARCH })).to.equal(1);
    });

    it('Confluence never answers → 504 upstream_timeout', async () => {
      const token = await tokenSession(h, 'confluence');
      h.fake.injectFault({ match: { path: SPACES }, hang: true, times: 5 });

      const res = await call(h.url('/confluence/spaces'), withSession(token));

      expectError(res, 504, 'upstream_timeout');
    });

    it('repeated 503s → ends within the deadline as an error, with fewer attempts than 1 + max retries', async () => {
      const token = await tokenSession(h, 'jira');
      h.fake.clearRequests();
      h.fake.injectFault({ match: { path: PROJECT_SEARCH }, status: 503, times: 20 });

      const res = await call(h.url('/jira/projects'), withSession(token));

      expect([502, 504]).to.include(res.status);
      expect(['upstream_error', 'upstream_timeout']).to.include(res.body?.error?.code);
      const attempts = h.fake.countRequests({ path: PROJECT_SEARCH });
      expect(attempts).to.be.at.least(1);
      // Backoff 300 ms × [0.7, 1.3], doubling: the deadline of 500 ms leaves room for at most one wait.
      expect(attempts).to.be.below(1 + 3);
    });
  });

  describe('large listings: completeness, concurrency, connection reuse (concurrency 4, fake latency 20 ms)', () => {
    let h: Harness;
    let token: string;
    before(async () => {
      // Every listing here must reach the fake: caching (tested in listing-cache.test.ts) is off.
      h = await startHarness({ UPSTREAM_CONCURRENCY: '4', UPSTREAM_RETRY_BASE_MS: '10', LISTING_CACHE_TTL_SECONDS: '0' }, { latencyMs: 20 });
      h.fake.addSite({ host: BIG, name: 'Big', projects: BIG_PROJECTS, spaces: 3 });
      h.fake.addUser({ email: BIG_USER.email, apiToken: BIG_USER.apiToken, sites: [BIG] });
      token = await tokenSession(h, 'jira', { email: BIG_USER.email, api_token: BIG_USER.apiToken, site: BIG });
    });
    after(async () => { await h.close(); });
    beforeEach(() => {
      h.fake.clearFaults();
      h.fake.clearRequests();
    });

    it(`lists all ${BIG_PROJECTS} projects, keys strictly increasing, no duplicates`, async () => {
      const res = await call(h.url('/jira/projects'), withSession(token));

      expect(res.status, JSON.stringify(res.body).slice(0, 300)).to.equal(200);
      expectCompleteAndOrdered(h, BIG, res.body);
      // 50 a page (the fake's cap): 40 pages, each asked exactly once.
      const starts = searchCalls(h).map((c) => Number(c.query['startAt']));
      expect(starts).to.have.length(BIG_PROJECTS / 50);
      expect([...starts].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: BIG_PROJECTS / 50 }, (_, i) => i * 50));
    });

    it('stays complete and ordered when middle pages fail with 503 three times', async () => {
      const listing = call(h.url('/jira/projects'), withSession(token));
      // Once the first page has been answered, the concurrent middle pages are next to hit the fault.
      await whenFakeAnswered(h, (r) => r.path.endsWith(PROJECT_SEARCH) && r.query['startAt'] === '0');
      h.fake.injectFault({ match: { path: PROJECT_SEARCH }, status: 503, times: 3 });
      const res = await listing;

      expect(res.status, JSON.stringify(res.body).slice(0, 300)).to.equal(200);
      expectCompleteAndOrdered(h, BIG, res.body);
      const failed = searchCalls(h).filter((c) => c.status === 503);
      expect(failed).to.have.length(3);
      for (const f of failed) expect(f.query['startAt'], 'a middle page failed').not.to.equal('0');
      // Each failed page was asked again and answered.
      for (const f of failed) {
        expect(searchCalls(h).some((c) => c.query['startAt'] === f.query['startAt'] && c.status === 200)).to.equal(true);
      }
    });

    it('keeps at most UPSTREAM_CONCURRENCY (4) requests in flight at the fake, and does run them concurrently', async () => {
      h.fake.resetMaxInFlight();

      const res = await call(h.url('/jira/projects'), withSession(token));

      expect(res.status).to.equal(200);
      expect(res.body.total).to.equal(BIG_PROJECTS);
      expect(h.fake.maxInFlight).to.be.at.most(4);
      expect(h.fake.maxInFlight).to.be.at.least(2);
    });

    it('reuses kept-alive connections: far fewer TCP connections than requests', async () => {
      const connectionsBefore = h.fake.connectionCount;

      for (let i = 0; i < 2; i++) {
        await tokenSession(h, 'jira', { email: BIG_USER.email, api_token: BIG_USER.apiToken, site: BIG });
        const res = await call(h.url('/jira/projects'), withSession(token));
        expect(res.status).to.equal(200);
      }
      await tokenSession(h, 'confluence', { email: BIG_USER.email, api_token: BIG_USER.apiToken, site: BIG });

      const requests = h.fake.requests.length;
      const opened = h.fake.connectionCount - connectionsBefore;
      expect(requests).to.be.at.least(40);
      expect(opened, `${opened} connections for ${requests} requests`).to.be.at.most(4 + 2);
    });
  });

  describe('UPSTREAM_CONCURRENCY 1', () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ UPSTREAM_CONCURRENCY: '1' }, { latencyMs: 20 });
      h.fake.addSite({ host: BIG, name: 'Big', projects: 500, spaces: 0 });
      h.fake.addUser({ email: BIG_USER.email, apiToken: BIG_USER.apiToken, sites: [BIG] });
    });
    after(async () => { await h.close(); });

    it('fetches one page at a time: maxInFlight 1, listing still complete', async () => {
      const token = await tokenSession(h, 'jira', { email: BIG_USER.email, api_token: BIG_USER.apiToken, site: BIG });
      h.fake.clearRequests();
      h.fake.resetMaxInFlight();

      const res = await call(h.url('/jira/projects'), withSession(token));

      expect(res.status).to.equal(200);
      expectCompleteAndOrdered(h, BIG, res.body);
      expect(searchCalls(h)).to.have.length(10);
      expect(h.fake.maxInFlight).to.equal(1);
    });
  });
});
