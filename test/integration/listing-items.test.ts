import { expect } from 'chai';
import { ACME, call, expectError, resetFake, sessionWithToken, startHarness, withSession, type Harness } from '../support/harness.js';

/**
 * Atlassian marks every field of a project or space optional (docs/atlassian.md §6): an item it sends without an id
 * or a key is skipped, one without a name is listed under its key, and the rest of the listing is unaffected.
 * The fake answers the page in question with such items, as Atlassian might; the other pages are its own.
 */

const SEARCH = '/rest/api/3/project/search';
const SPACES = '/wiki/api/v2/spaces';

describe('listing items Atlassian describes only in part', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });
  beforeEach(() => resetFake(h.fake));

  it('Jira: projects without an id or a key are skipped, a missing name is the key, and paging is unaffected', async () => {
    const token = await sessionWithToken(h, 'jira');
    const projects = h.fake.getSite(ACME)!.projects;
    // Atlassian's first page (50 of 120, by key), with three projects described in part.
    const values = projects.slice(0, 50).map((p, index): Record<string, unknown> => {
      if (index === 9) return { id: p.id, name: p.name };
      if (index === 19) return { key: p.key, name: p.name };
      if (index === 29) return { id: p.id, key: p.key, projectTypeKey: 'software' };
      return { id: p.id, key: p.key, name: p.name, projectTypeKey: 'software' };
    });
    h.fake.injectFault({ match: { path: SEARCH }, status: 200, body: { startAt: 0, maxResults: 50, total: 120, isLast: false, values } });

    const res = await call(h.url('/jira/projects'), withSession(token));

    expect(res.status, JSON.stringify(res.body).slice(0, 300)).to.equal(200);
    const keys = res.body.projects.map((p: { key: string }) => p.key);
    expect(res.body.total).to.equal(118);
    expect(keys).not.to.include(projects[9]!.key);
    expect(keys).not.to.include(projects[19]!.key);
    expect(keys).to.include(projects[119]!.key);
    const unnamed = res.body.projects.find((p: { key: string }) => p.key === projects[29]!.key);
    expect(unnamed).to.include({ id: projects[29]!.id, name: projects[29]!.key });
    // The skipped items still counted for offsets: pages 50 and 100, no request to fill a gap.
    expect(h.fake.requests.filter((r) => r.path.endsWith(SEARCH)).map((r) => r.query['startAt'])).to.have.members(['0', '50', '100']);
  });

  it('Confluence: spaces without an id or a key are skipped, a missing name is the key', async () => {
    const token = await sessionWithToken(h, 'confluence');
    const spaces = h.fake.getSite(ACME)!.spaces;
    const results = spaces.map((s, index): Record<string, unknown> => {
      if (index === 0) return { key: s.key, name: s.name };
      if (index === 1) return { id: s.id, name: s.name, type: 'global' };
      if (index === 2) return { id: s.id, key: s.key, type: 'global', _links: { webui: `/spaces/${s.key}` } };
      return { id: s.id, key: s.key, name: s.name, type: 'global', status: 'current', _links: { webui: `/spaces/${s.key}` } };
    });
    h.fake.injectFault({ match: { path: SPACES }, status: 200, body: { results, _links: { base: `https://${ACME}/wiki` } } });

    const res = await call(h.url('/confluence/spaces'), withSession(token));

    expect(res.status, JSON.stringify(res.body).slice(0, 300)).to.equal(200);
    expect(res.body.total).to.equal(spaces.length - 2);
    expect(res.body.spaces[0]).to.deep.equal({
      id: spaces[2]!.id, key: spaces[2]!.key, name: spaces[2]!.key, type: 'global', url: `https://${ACME}/wiki/spaces/${spaces[2]!.key}`,
    });
  });

  for (const [product, path, upstream, body] of [
    ['jira', '/jira/projects', SEARCH, { startAt: 0, total: 1, isLast: true, projects: [{ id: '1', key: 'A', name: 'A' }] }],
    ['confluence', '/confluence/spaces', SPACES, { spaces: [{ id: '1', key: 'A', name: 'A' }], _links: {} }],
  ] as const) {
    it(`${product}: a page that is not a listing at all is still 502 upstream_error`, async () => {
      const token = await sessionWithToken(h, product);
      h.fake.injectFault({ match: { path: upstream }, status: 200, body, times: 10 });
      expectError(await call(h.url(path), withSession(token)), 502, 'upstream_error');
    });
  }
});
