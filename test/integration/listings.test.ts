import { expect } from 'chai';
import fetch from 'node-fetch';
import {
  ACME,
  call,
  connectWithOAuth,
  connectWithToken,
  startHarness,
  withSession,
  type Harness,
  resetFake,
} from '../support/harness.js';
import type { FakeRequest } from '../../fake-atlassian/index.js';

/** A site with enough spaces to need several pages even at Confluence's largest page size (250). */
const WIDE = 'wide.atlassian.net';
const WIDE_SPACES = 600;
/** Users whose OAuth grants can only ever cover one site, so the connected site is known. */
const ACME_ONLY = { email: 'acme-only@example.com', apiToken: 'acme-only-token-0123456789' } as const;
const WIDE_USER = { email: 'wide@example.com', apiToken: 'wide-token-0123456789' } as const;

type Method = 'oauth' | 'api_token';

describe('listings', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    h.fake.addSite({ host: WIDE, name: 'Wide', projects: 0, spaces: WIDE_SPACES });
    h.fake.addUser({ email: ACME_ONLY.email, apiToken: ACME_ONLY.apiToken, sites: [ACME] });
    h.fake.addUser({ email: WIDE_USER.email, apiToken: WIDE_USER.apiToken, sites: [WIDE] });
  });
  after(async () => { await h.close(); });
  beforeEach(() => {
    resetFake(h.fake);
  });

  /** A session connected to `product` on `host` by `method`. */
  async function connect(product: 'jira' | 'confluence', method: Method, user: { email: string; apiToken: string }, host: string): Promise<string> {
    if (method === 'oauth') {
      h.fake.setConsent({ email: user.email });
      const { sessionToken, callback } = await connectWithOAuth(h, product);
      expect(callback.status, JSON.stringify(callback.body)).to.equal(200);
      expect(callback.body.site.url).to.equal(`https://${host}`);
      return sessionToken;
    }
    const res = await connectWithToken(h, product, { email: user.email, api_token: user.apiToken, site: host });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.session_token as string;
  }

  /** Where each method must send listing calls, and with which Authorization scheme. */
  function route(product: 'jira' | 'confluence', method: Method, host: string): { path: string; authKind: string } {
    const site = h.fake.getSite(host)!;
    const rest = product === 'jira' ? '/rest/api/3/project/search' : '/wiki/api/v2/spaces';
    return method === 'oauth'
      ? { path: `/ex/${product}/${site.cloudId}${rest}`, authKind: 'bearer' }
      : { path: `/site/${host}${rest}`, authKind: 'basic' };
  }

  function listingCalls(product: 'jira' | 'confluence'): FakeRequest[] {
    const rest = product === 'jira' ? '/rest/api/3/project/search' : '/wiki/api/v2/spaces';
    return h.fake.requests.filter((r) => r.path.endsWith(rest));
  }

  for (const method of ['oauth', 'api_token'] as const) {
    describe(`GET /jira/projects (${method})`, () => {
      it('returns every project of acme across all upstream pages (120 at 50 a page → 3 calls), keys distinct and in order', async () => {
        const token = await connect('jira', method, ACME_ONLY, ACME);
        h.fake.clearRequests();
        const res = await call(h.url('/jira/projects'), withSession(token));
        expect(res.status, JSON.stringify(res.body).slice(0, 300)).to.equal(200);
        expect(res.body.total).to.equal(120);
        expect(res.body.projects).to.be.an('array').with.length(120);
        for (const p of res.body.projects) {
          expect(p.id).to.be.a('string').and.not.equal('');
          expect(p.key).to.be.a('string').and.not.equal('');
          expect(p.name).to.be.a('string').and.not.equal('');
        }
        const keys = (res.body.projects as { key: string }[]).map((p) => p.key);
        const expected = h.fake.getSite(ACME)!.projects.map((p) => p.key).sort();
        expect(keys).to.deep.equal(expected);
        expect(new Set(keys).size).to.equal(120);
        expect(new Set((res.body.projects as { id: string }[]).map((p) => p.id)).size).to.equal(120);
        const first = res.body.projects[0];
        expect(first).to.include({ id: '10000', key: 'P0001', name: 'Project 0001' });

        const calls = listingCalls('jira');
        expect(calls).to.have.length(3);
        const { path, authKind } = route('jira', method, ACME);
        for (const c of calls) {
          expect(c.method).to.equal('GET');
          expect(c.path).to.equal(path);
          expect(c.authKind).to.equal(authKind);
          expect(c.status).to.equal(200);
        }
        // Paging follows what came back (the fake caps pages at 50 whatever maxResults asks).
        expect(calls.map((c) => c.query['startAt'] ?? '0')).to.deep.equal(['0', '50', '100']);
        // Nothing went anywhere else: one route only.
        expect(h.fake.requests.every((r) => r.path === path)).to.equal(true);
      });
    });

    describe(`GET /confluence/spaces (${method})`, () => {
      it('returns every space of acme (60)', async () => {
        const token = await connect('confluence', method, ACME_ONLY, ACME);
        h.fake.clearRequests();
        const res = await call(h.url('/confluence/spaces'), withSession(token));
        expect(res.status, JSON.stringify(res.body).slice(0, 300)).to.equal(200);
        expect(res.body.total).to.equal(60);
        expect(res.body.spaces).to.be.an('array').with.length(60);
        for (const s of res.body.spaces) {
          expect(s.id).to.be.a('string').and.not.equal('');
          expect(s.key).to.be.a('string').and.not.equal('');
          expect(s.name).to.be.a('string').and.not.equal('');
        }
        const ids = (res.body.spaces as { id: string }[]).map((s) => s.id);
        expect(ids).to.have.members(h.fake.getSite(ACME)!.spaces.map((s) => s.id));
        const { path, authKind } = route('confluence', method, ACME);
        const calls = listingCalls('confluence');
        expect(calls).to.have.length.at.least(1);
        for (const c of calls) {
          expect(c.path).to.equal(path);
          expect(c.authKind).to.equal(authKind);
        }
      });

      it(`returns all ${WIDE_SPACES} spaces of a large site over several pages, following the cursor of _links.next`, async () => {
        const token = await connect('confluence', method, WIDE_USER, WIDE);
        h.fake.clearRequests();
        const res = await call(h.url('/confluence/spaces'), withSession(token));
        expect(res.status, JSON.stringify(res.body).slice(0, 300)).to.equal(200);
        expect(res.body.total).to.equal(WIDE_SPACES);
        const ids = (res.body.spaces as { id: string }[]).map((s) => s.id);
        expect(ids).to.have.length(WIDE_SPACES);
        expect(new Set(ids).size).to.equal(WIDE_SPACES);
        expect(ids).to.have.members(h.fake.getSite(WIDE)!.spaces.map((s) => s.id));

        const calls = [...listingCalls('confluence')];
        expect(calls.length, 'several upstream pages').to.be.at.least(3);
        const { path, authKind } = route('confluence', method, WIDE);
        for (const c of calls) {
          // Through the gateway the relative next link must be re-rooted under /ex/confluence/{cloudId}.
          expect(c.path).to.equal(path);
          expect(c.authKind).to.equal(authKind);
          expect(c.status).to.equal(200);
        }
        expect(Number(calls[0]!.query['limit'])).to.equal(250);
        expect(calls[0]!.query['cursor']).to.equal(undefined);

        // Replay each page the service asked for and check the next call carried the cursor of its _links.next.
        const basic = `Basic ${Buffer.from(`${WIDE_USER.email}:${WIDE_USER.apiToken}`).toString('base64')}`;
        for (let i = 0; i < calls.length; i++) {
          const query = new URLSearchParams(calls[i]!.query).toString();
          const page = await fetch(`${h.fake.siteUrl(WIDE)}/wiki/api/v2/spaces?${query}`, { headers: { Authorization: basic } });
          const body = (await page.json()) as { _links?: { next?: string } };
          const next = body._links?.next;
          if (i === calls.length - 1) {
            expect(next, 'the last call was the last page').to.equal(undefined);
          } else {
            expect(next, `page ${i + 1} has a next link`).to.be.a('string');
            expect(next!.startsWith('/wiki/api/v2/spaces?'), 'the next link is relative').to.equal(true);
            const cursor = new URL(next!, 'https://x.invalid').searchParams.get('cursor');
            expect(calls[i + 1]!.query['cursor'], `call ${i + 2} carries the cursor of page ${i + 1}`).to.equal(cursor);
          }
        }
      });
    });
  }

  it('Jira and Confluence listings of one session each use their own connection', async () => {
    const jira = await connect('jira', 'oauth', ACME_ONLY, ACME);
    const conf = await connectWithToken(h, 'confluence', { email: WIDE_USER.email, api_token: WIDE_USER.apiToken, site: WIDE }, jira);
    expect(conf.status, JSON.stringify(conf.body)).to.equal(200);
    expect(conf.body.session_token).to.equal(jira);
    h.fake.clearRequests();
    const projects = await call(h.url('/jira/projects'), withSession(jira));
    const spaces = await call(h.url('/confluence/spaces'), withSession(jira));
    expect(projects.body.total).to.equal(120);
    expect(spaces.body.total).to.equal(WIDE_SPACES);
    expect(listingCalls('jira').every((r) => r.authKind === 'bearer' && r.path.startsWith('/ex/jira/'))).to.equal(true);
    expect(listingCalls('confluence').every((r) => r.authKind === 'basic' && r.path.startsWith(`/site/${WIDE}/`))).to.equal(true);
  });
});
