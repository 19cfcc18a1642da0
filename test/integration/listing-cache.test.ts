import { expect } from 'chai';
import type { FakeRequest } from '../../fake-atlassian/index.js';
import {
  ACME,
  call,
  connectWithToken,
  expectError,
  sessionWithToken,
  startHarness,
  USER,
  withSession,
  type Harness,
} from '../support/harness.js';
import { FixedClock } from '../support/port-fakes.js';
import { startService } from '../support/start-service.js';

const PROJECT_SEARCH = '/rest/api/3/project/search';
const TTL_MS = 60_000;
const STALE_MS = 600_000;

const searches = (h: Harness): FakeRequest[] => h.fake.requests.filter((r) => r.path.endsWith(PROJECT_SEARCH));

/** Waits until the fake has answered `count` project pages (a background refresh finishing). */
async function whenPagesAnswered(h: Harness, count: number): Promise<void> {
  for (let i = 0; i < 5_000; i++) {
    if (searches(h).filter((r) => r.status !== 0).length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`the fake answered ${searches(h).length} pages, not ${count}`);
}

function metric(text: string, outcome: string): number {
  const line = text.split('\n').find((l) => l.startsWith('connector_listing_cache_answers_total{') && l.includes(`outcome="${outcome}"`) && l.includes('product="jira"'));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

describe('listing cache over HTTP (memory store, a clock the test moves)', () => {
  let h: Harness;
  let clock: FixedClock;
  before(async () => {
    clock = new FixedClock(Date.now());
    // No retries: a 429 here must reach the cache logic at once.
    h = await startHarness({ UPSTREAM_MAX_RETRIES: '0' }, {}, { clock });
  });
  after(async () => { await h.close(); });
  beforeEach(() => {
    h.fake.clearFaults();
    h.fake.clearRequests();
  });

  const projects = (token: string, headers: Record<string, string> = {}, query = '') =>
    call(h.url(`/jira/projects${query}`), withSession(token, { headers }));

  it('within the TTL: answered from the cache, no upstream call, Age counts, browsers still told no-store', async () => {
    const token = await sessionWithToken(h, 'jira');
    const first = await projects(token);
    expect(first.status).to.equal(200);
    expect(first.headers.get('age')).to.equal('0');
    expect(searches(h)).to.have.length(3);
    h.fake.clearRequests();
    clock.advance(42_000);

    const second = await projects(token);

    expect(second.status).to.equal(200);
    expect(second.body).to.deep.equal(first.body);
    expect(Object.keys(second.body)).to.deep.equal(['projects', 'total']);
    expect(second.headers.get('age')).to.equal('42');
    expect(second.headers.get('cache-control')).to.equal('no-store');
    expect(second.headers.get('x-listing-stale')).to.equal(null);
    expect(searches(h)).to.have.length(0);
  });

  it('Cache-Control: no-cache waits for a listing read now', async () => {
    const token = await sessionWithToken(h, 'jira');
    await projects(token);
    h.fake.getSite(ACME)!.projects.push({ id: '99001', key: 'NEW', name: 'Added upstream' });
    clock.advance(1_000);
    try {
      expect((await projects(token)).body.total, 'cached').to.equal(120);
      const fresh = await projects(token, { 'Cache-Control': 'no-cache' });
      expect(fresh.body.total).to.equal(121);
      expect(fresh.headers.get('age')).to.equal('0');
      expect((await projects(token)).body.total, 'the cache now holds the new listing').to.equal(121);
    } finally {
      h.fake.getSite(ACME)!.projects.pop();
    }
  });

  it('after the TTL, within LISTING_STALE_SECONDS: the stale listing at once, then one background refresh', async () => {
    const token = await sessionWithToken(h, 'jira');
    await projects(token);
    h.fake.clearRequests();
    clock.advance(TTL_MS + 10_000);

    const stale = await Promise.all([projects(token), projects(token), projects(token)]);
    for (const answer of stale) {
      expect(answer.status).to.equal(200);
      expect(answer.headers.get('age')).to.equal('70');
    }
    await whenPagesAnswered(h, 3);
    expect(searches(h).map((r) => r.query['startAt'])).to.have.members(['0', '50', '100']);
    const after = await projects(token);
    expect(after.headers.get('age')).to.equal('0');
    expect(searches(h)).to.have.length(3);
  });

  it('rate_limited: an old copy (past LISTING_STALE_SECONDS) is answered with X-Listing-Stale; without one the 429 passes through', async () => {
    const token = await sessionWithToken(h, 'jira');
    await projects(token);
    clock.advance(TTL_MS + STALE_MS + 120_000);
    const tooMany = { match: { path: PROJECT_SEARCH }, status: 429, headers: { 'Retry-After': '1800' }, body: { message: 'quota' }, times: 10 };
    h.fake.injectFault(tooMany);

    const answer = await projects(token);

    expect(answer.status).to.equal(200);
    expect(answer.body.total).to.equal(120);
    expect(answer.headers.get('x-listing-stale')).to.equal('rate_limited');
    expect(answer.headers.get('age')).to.equal(String((TTL_MS + STALE_MS + 120_000) / 1000));

    const uncached = await sessionWithToken(h, 'jira');
    const refused = await projects(uncached);
    expectError(refused, 429, 'rate_limited');
    expect(refused.headers.get('retry-after')).to.equal('1800');
  });

  it('a reconnect, a site switch, a disconnect or a logout never answers the previous connection\'s listing', async () => {
    const token = await sessionWithToken(h, 'jira');
    expect((await projects(token)).body.total).to.equal(120);

    // Site switch: the same session logs in to beta.
    expect((await connectWithToken(h, 'jira', { email: USER.email, api_token: USER.apiToken, site: 'beta' }, token)).status).to.equal(200);
    expect((await projects(token)).body.total).to.equal(3);

    // Reconnect to acme (a new connection), then a change upstream: the new connection reads it.
    expect((await connectWithToken(h, 'jira', undefined, token)).status).to.equal(200);
    h.fake.clearRequests();
    expect((await projects(token)).body.total).to.equal(120);
    expect(searches(h), 'the reconnected connection read its own listing').to.have.length(3);

    // Disconnect: nothing to list; connect again: read again, not the old copy.
    expect((await call(h.url('/auth/jira'), withSession(token, { method: 'DELETE' }))).status).to.equal(204);
    expectError(await projects(token), 403, 'not_connected');
    expect((await connectWithToken(h, 'jira', undefined, token)).status).to.equal(200);
    h.fake.clearRequests();
    expect((await projects(token)).status).to.equal(200);
    expect(searches(h)).to.have.length(3);

    // Logout.
    expect((await call(h.url('/auth/session'), withSession(token, { method: 'DELETE' }))).status).to.equal(204);
    expectError(await projects(token), 401, 'invalid_session');
  });

  it('q, limit and cursor page through the cached listing with no upstream call; total counts the matches', async () => {
    h.fake.getSite(ACME)!.projects.push({ id: '99002', key: 'EQD', name: 'Équipe Données' });
    try {
      const token = await sessionWithToken(h, 'jira');
      expect((await projects(token)).body.total).to.equal(121);
      h.fake.clearRequests();

      const accents = await projects(token, {}, '?q=EQUIPE%20donnees');
      expect(accents.body.projects.map((p: { key: string }) => p.key)).to.deep.equal(['EQD']);
      expect(accents.body.total).to.equal(1);
      expect(accents.body).not.to.have.property('next_cursor');

      const keys: string[] = [];
      let page = await projects(token, {}, '?q=project%20001&limit=4');
      const etags = new Set<string>();
      for (;;) {
        expect(page.status, JSON.stringify(page.body)).to.equal(200);
        expect(page.body.total).to.equal(10);
        expect(page.headers.get('age')).to.be.a('string');
        etags.add(page.headers.get('etag')!);
        keys.push(...page.body.projects.map((p: { key: string }) => p.key));
        if (page.body.next_cursor === undefined) break;
        page = await projects(token, {}, `?q=project%20001&limit=4&cursor=${page.body.next_cursor}`);
      }
      expect(keys).to.deep.equal(['P0010', 'P0011', 'P0012', 'P0013', 'P0014', 'P0015', 'P0016', 'P0017', 'P0018', 'P0019']);
      expect(etags.size, 'an ETag per page: it is over the bytes sent').to.equal(3);
      expect(searches(h), 'paging costs no upstream call').to.have.length(0);

      // ETag and If-None-Match still hold for one page.
      const first = await projects(token, {}, '?q=project%20001&limit=4');
      const again = await projects(token, { 'If-None-Match': first.headers.get('etag')! }, '?q=project%20001&limit=4');
      expect(again.status).to.equal(304);
    } finally {
      h.fake.getSite(ACME)!.projects.pop();
    }
  });

  it('refuses a bad limit or cursor with 400, and a cursor from a changed listing with invalid_cursor', async () => {
    const token = await sessionWithToken(h, 'jira');
    for (const query of ['?limit=0', '?limit=1001', '?limit=ten', '?limit=1.5', '?cursor=***', `?q=${'x'.repeat(201)}`, '?q=a&q=b']) {
      expectError(await projects(token, {}, query), 400, 'validation_error');
    }
    const page = await projects(token, {}, '?limit=10');
    expectError(await projects(token, {}, `?limit=10&q=x&cursor=${page.body.next_cursor}`), 400, 'invalid_cursor');
    expectError(await projects(token, {}, '?cursor=bm90LWEtY3Vyc29y'), 400, 'invalid_cursor');

    h.fake.getSite(ACME)!.projects.push({ id: '99003', key: 'ZZZ', name: 'Changed' });
    clock.advance(1_000);
    try {
      expect((await projects(token, { 'Cache-Control': 'no-cache' })).body.total).to.equal(121);
      expectError(await projects(token, {}, `?limit=10&cursor=${page.body.next_cursor}`), 400, 'invalid_cursor');
    } finally {
      h.fake.getSite(ACME)!.projects.pop();
    }
  });

  it('spaces have the same cache, search and paging', async () => {
    const token = await sessionWithToken(h, 'confluence');
    const all = await call(h.url('/confluence/spaces'), withSession(token));
    expect(Object.keys(all.body)).to.deep.equal(['spaces', 'total']);
    h.fake.clearRequests();
    const page = await call(h.url('/confluence/spaces?limit=25'), withSession(token));
    expect(page.body.spaces).to.have.length(25);
    expect(page.body.total).to.equal(all.body.total);
    expect(page.body.next_cursor).to.be.a('string');
    expect(page.headers.get('age')).to.equal('0');
    expect(h.fake.requests.filter((r) => r.path.includes('/spaces'))).to.have.length(0);
  });

  it('counts hits, misses and stale answers in /metrics', async () => {
    const before = String((await call(h.url('/metrics'))).body);
    const token = await sessionWithToken(h, 'jira');
    await projects(token);
    await projects(token);
    clock.advance(TTL_MS + 1);
    await projects(token);
    await whenPagesAnswered(h, 6);
    const text = String((await call(h.url('/metrics'))).body);
    for (const outcome of ['miss', 'hit', 'stale']) expect(metric(text, outcome) - metric(before, outcome), outcome).to.equal(1);
  });

  it('a restart of a memory-store service loses the cache with the sessions: nothing cached is answered', async () => {
    const token = await sessionWithToken(h, 'jira');
    await projects(token);
    const restarted = await startService({ ATLASSIAN_API_URL: h.fake.apiUrl, ATLASSIAN_SITE_URL_TEMPLATE: h.fake.siteUrlTemplate });
    try {
      h.fake.clearRequests();
      expectError(await call(`${restarted.baseUrl}/jira/projects`, withSession(token)), 401, 'invalid_session');
      expect(searches(h)).to.have.length(0);
    } finally {
      await restarted.close();
    }
  });
});
