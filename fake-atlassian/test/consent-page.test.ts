/**
 * The fake's optional consent page (`consentPage: true`, used by the sandbox): GET /authorize shows a page,
 * POST /authorize/decision answers it and redirects as auto-consent does. Without the option nothing changes.
 */
import { expect } from 'chai';

import { FakeAtlassian } from '../index.js';

const REDIRECT = 'http://127.0.0.1:9999/oauth/callback';
const JIRA_SCOPES = 'read:jira-work read:jira-user offline_access';
const CONFLUENCE_SCOPES = 'read:space:confluence offline_access';
const ACME = 'acme.atlassian.net';
const BETA = 'beta.atlassian.net';

function seed(fake: FakeAtlassian): void {
  fake.addSite({ host: ACME, name: 'Acme', projects: 3, spaces: 2 });
  fake.addSite({ host: BETA, name: 'Beta', projects: 2, products: ['jira'] });
  fake.addSite({ host: 'other.atlassian.net', projects: 1, spaces: 1 });
  fake.addOAuthClient({ name: 'Connector <test>', clientId: 'client-1', clientSecret: 'secret-1', redirectUris: [REDIRECT] });
  fake.addUser({ email: 'alice@example.com', apiToken: 'alice-token', displayName: 'Alice', sites: [ACME, BETA] });
  fake.addUser({ email: 'carol@example.com', apiToken: 'carol-token', displayName: 'Carol', sites: [ACME] });
}

function authorizeUrl(fake: FakeAtlassian, scope = JIRA_SCOPES, over: Record<string, string> = {}): string {
  const params = new URLSearchParams({
    audience: 'api.atlassian.com',
    client_id: 'client-1',
    scope,
    redirect_uri: REDIRECT,
    state: 'st-1',
    response_type: 'code',
    prompt: 'consent',
    ...over,
  });
  return `${fake.authUrl}/authorize?${params.toString()}`;
}

async function consentPage(fake: FakeAtlassian, scope = JIRA_SCOPES): Promise<{ html: string; request: string; res: Response }> {
  const res = await fetch(authorizeUrl(fake, scope), { redirect: 'manual' });
  const html = await res.text();
  const request = /name="request" value="([^"]+)"/.exec(html)?.[1] ?? '';
  return { html, request, res };
}

function decide(fake: FakeAtlassian, form: Record<string, string>): Promise<Response> {
  return fetch(`${fake.authUrl}/authorize/decision`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
  });
}

async function sitesOfCode(fake: FakeAtlassian, code: string): Promise<string[]> {
  const token = await fetch(`${fake.authUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ grant_type: 'authorization_code', client_id: 'client-1', client_secret: 'secret-1', code, redirect_uri: REDIRECT }),
  });
  expect(token.status).to.equal(200);
  const { access_token } = (await token.json()) as { access_token: string };
  const resources = await fetch(`${fake.apiUrl}/oauth/token/accessible-resources`, { headers: { Authorization: `Bearer ${access_token}` } });
  return ((await resources.json()) as { url: string }[]).map((r) => new URL(r.url).host);
}

describe('FakeAtlassian consent page', () => {
  describe('without the option (the default)', () => {
    const fake = new FakeAtlassian();
    before(async () => {
      seed(fake);
      await fake.start();
    });
    after(() => fake.stop());

    it('consents at once and has no decision endpoint', async () => {
      const res = await fetch(authorizeUrl(fake), { redirect: 'manual' });
      expect(res.status).to.equal(302);
      const decision = await decide(fake, { request: 'x', decision: 'allow' });
      expect(decision.status).to.equal(404);
      expect(await decision.json()).to.deep.equal({ code: 404, message: 'Not Found' });
    });
  });

  describe('with consentPage: true', () => {
    const fake = new FakeAtlassian({ consentPage: true });
    before(async () => {
      seed(fake);
      await fake.start();
    });
    after(() => fake.stop());
    beforeEach(() => fake.setConsent({}));

    it('shows the app, the user, the scopes and the sites that have the product', async () => {
      const { res, html, request } = await consentPage(fake);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^text\/html/);
      expect(res.headers.get('x-frame-options')).to.equal('DENY');
      expect(res.headers.get('location')).to.equal(null);
      expect(html).to.contain('Connector &lt;test&gt; wants access to your Atlassian account');
      expect(html).to.contain('Signed in as Alice (alice@example.com)');
      expect(html).to.contain('View Jira issue data').and.to.contain('read:jira-user');
      expect(html).to.contain(`<option value="${ACME}" selected>`).and.to.contain(`<option value="${BETA}">`);
      expect(html).not.to.contain('other.atlassian.net');
      expect(request).to.match(/^[A-Za-z0-9_-]{32}$/);
    });

    it('lists only the sites with a requested product, and preselects setConsent sites', async () => {
      const confluence = await consentPage(fake, CONFLUENCE_SCOPES);
      expect(confluence.html).to.contain(`<option value="${ACME}" selected>`).and.not.to.contain(BETA);
      fake.setConsent({ email: 'carol@example.com' });
      expect((await consentPage(fake)).html).to.contain('Signed in as Carol').and.not.to.contain(BETA);
      fake.setConsent({ sites: [BETA] });
      expect((await consentPage(fake)).html).to.contain(`<option value="${BETA}" selected>`);
    });

    it('Allow redirects with a code for the chosen site only', async () => {
      const { request } = await consentPage(fake);
      const res = await decide(fake, { request, decision: 'allow', site: BETA });
      expect(res.status).to.equal(302);
      const location = new URL(res.headers.get('location') ?? '');
      expect(`${location.origin}${location.pathname}`).to.equal(REDIRECT);
      expect(location.searchParams.get('state')).to.equal('st-1');
      expect(await sitesOfCode(fake, location.searchParams.get('code') ?? '')).to.deep.equal([BETA]);
    });

    it('Deny redirects with access_denied, as auto-consent does', async () => {
      const { request } = await consentPage(fake);
      const res = await decide(fake, { request, decision: 'deny', site: ACME });
      expect(res.status).to.equal(302);
      expect(res.headers.get('location')).to.equal(
        `${REDIRECT}?error=access_denied&error_description=User%20did%20not%20authorize%20the%20request&state=st-1`);
    });

    it('answers each request once, and refuses a site that is not offered', async () => {
      const { request } = await consentPage(fake);
      expect((await decide(fake, { request, decision: 'allow', site: ACME })).status).to.equal(302);
      const again = await decide(fake, { request, decision: 'allow', site: ACME });
      expect(again.status).to.equal(400);
      expect(await again.text()).to.contain('unknown, expired or already answered');
      expect((await decide(fake, { request: 'made-up', decision: 'allow', site: ACME })).status).to.equal(400);

      const other = await consentPage(fake);
      const foreign = await decide(fake, { request: other.request, decision: 'allow', site: 'other.atlassian.net' });
      expect(foreign.status).to.equal(400);
      expect(foreign.headers.get('location')).to.equal(null);
      const confluence = await consentPage(fake, CONFLUENCE_SCOPES);
      expect((await decide(fake, { request: confluence.request, decision: 'allow', site: BETA })).status).to.equal(400);
    });

    it('still refuses bad requests with the error page, before any consent', async () => {
      const res = await fetch(authorizeUrl(fake, JIRA_SCOPES, { redirect_uri: 'http://evil.example/cb' }), { redirect: 'manual' });
      expect(res.status).to.equal(400);
      expect(await res.text()).to.contain('unauthorized_client').and.not.to.contain('wants access');
      const get = await fetch(`${fake.authUrl}/authorize/decision`);
      expect(get.status).to.equal(405);
    });
  });
});
