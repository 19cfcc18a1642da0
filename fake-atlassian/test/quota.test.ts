/**
 * The fake's points quotas (docs/atlassian.md §9): ledgers per OAuth app and per tenant, 2026 headers, and a reset at
 * the top of the hour of a clock the test controls.
 */
import { expect } from 'chai';
import { FakeAtlassian, type FakeQuotaOptions } from '../index.js';

const CLIENT_ID = 'quota-app';
const OTHER_CLIENT = 'other-app';
const REDIRECT = 'http://127.0.0.1:9999/cb';
const ACME = 'acme.atlassian.net';
const BETA = 'beta.atlassian.net';
/** 10:40 UTC: 20 minutes (1200 s) before the quotas reset. */
const START = Date.UTC(2026, 2, 2, 10, 40);

async function token(fake: FakeAtlassian, clientId = CLIENT_ID): Promise<string> {
  const query = new URLSearchParams({
    audience: 'api.atlassian.com', client_id: clientId, scope: 'read:jira-work read:space:confluence offline_access',
    redirect_uri: REDIRECT, state: 's', response_type: 'code', prompt: 'consent',
  });
  const authorize = await fetch(`${fake.authUrl}/authorize?${query}`, { redirect: 'manual' });
  const code = new URL(authorize.headers.get('location') ?? '').searchParams.get('code') ?? '';
  const res = await fetch(`${fake.authUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ grant_type: 'authorization_code', client_id: clientId, client_secret: 'secret', code, redirect_uri: REDIRECT }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

describe('FakeAtlassian points quotas', () => {
  let now = START;
  let fake: FakeAtlassian;
  let bearer: string;
  let acme: string;
  let beta: string;

  async function setup(quota: FakeQuotaOptions): Promise<void> {
    now = START;
    fake = new FakeAtlassian({ quota, now: () => now, jiraPageCap: 100 });
    await fake.start();
    acme = fake.addSite({ host: ACME, projects: 10, spaces: 4 }).cloudId;
    beta = fake.addSite({ host: BETA, projects: 2 }).cloudId;
    for (const clientId of [CLIENT_ID, OTHER_CLIENT]) fake.addOAuthClient({ clientId, clientSecret: 'secret', redirectUris: [REDIRECT] });
    fake.addUser({ email: 'ada@example.com', apiToken: 'ada-token', sites: [ACME, BETA] });
    bearer = `Bearer ${await token(fake)}`;
  }
  afterEach(async () => {
    await fake.stop();
  });

  const projects = (cloudId: string, authorization = bearer) =>
    fetch(`${fake.apiUrl}/ex/jira/${cloudId}/rest/api/3/project/search?maxResults=100`, { headers: { Authorization: authorization } });

  it('an OAuth listing costs 1 + objects listed, to the app and to the tenant; API-token calls cost nothing', async () => {
    await setup({ global: 1_000 });
    expect((await projects(acme)).status).to.equal(200);
    expect(fake.pointsSpent(CLIENT_ID)).to.equal(11);
    expect(fake.pointsSpent(CLIENT_ID, acme)).to.equal(11);
    await fetch(`${fake.apiUrl}/ex/confluence/${acme}/wiki/api/v2/spaces?limit=250`, { headers: { Authorization: bearer } });
    expect(fake.pointsSpent(CLIENT_ID)).to.equal(16);
    const basic = `Basic ${Buffer.from('ada@example.com:ada-token').toString('base64')}`;
    expect((await fetch(fake.siteUrl(ACME) + '/rest/api/3/project/search', { headers: { Authorization: basic } })).status).to.equal(200);
    expect(fake.pointsSpent(CLIENT_ID)).to.equal(16);
  });

  it('headers: the policy always, RateLimit without r until 80 % is spent, then with r; entries in both orders', async () => {
    await setup({ global: 40, tenant: 25 });
    const first = await projects(acme);
    const policy = first.headers.get('ratelimit-policy') ?? '';
    expect(policy).to.match(/"global-app-quota";q=40;w=3600/).and.to.match(/"tenant-app-quota";q=25;w=3600/);
    expect(first.headers.get('ratelimit')).to.equal(policy.startsWith('"global') ? '"global-app-quota";t=1200, "tenant-app-quota";t=1200' : '"tenant-app-quota";t=1200, "global-app-quota";t=1200');
    const second = await projects(acme); // 22 spent: past 80 % of the tenant quota (25), not of the global one (40)
    expect(second.headers.get('ratelimit')).to.include('"tenant-app-quota";r=3;t=1200').and.to.include('"global-app-quota";t=1200');
    expect(second.headers.get('ratelimit-policy')).not.to.equal(policy);
  });

  it('a spent global quota refuses every tenant of the app with the documented 429, not other apps, until the top of the hour', async () => {
    await setup({ global: 12 });
    await projects(acme); // 11
    await projects(beta); // 14: spent
    for (const cloudId of [acme, beta]) {
      const refused = await projects(cloudId);
      expect(refused.status).to.equal(429);
      expect(refused.headers.get('ratelimit-reason')).to.equal('jira-quota-global-based');
      expect(refused.headers.get('retry-after')).to.equal('1200');
      expect(refused.headers.get('x-ratelimit-reset')).to.equal('2026-03-02T11:00Z');
      expect(refused.headers.get('ratelimit')).to.equal('"global-app-quota";r=0;t=1200');
      expect(refused.headers.get('ratelimit-policy')).to.equal(null);
    }
    expect(fake.pointsSpent(CLIENT_ID)).to.equal(14);
    expect((await projects(acme, `Bearer ${await token(fake, OTHER_CLIENT)}`)).status).to.equal(200);
    now = Date.UTC(2026, 2, 2, 11, 0);
    expect((await projects(acme)).status).to.equal(200);
    expect(fake.pointsSpent(CLIENT_ID)).to.equal(11);
  });

  it('a spent tenant quota refuses that cloudId only, with the Confluence reason on Confluence', async () => {
    await setup({ tenant: 5 });
    await fetch(`${fake.apiUrl}/ex/confluence/${acme}/wiki/api/v2/spaces`, { headers: { Authorization: bearer } }); // 5
    const refused = await fetch(`${fake.apiUrl}/ex/confluence/${acme}/wiki/api/v2/spaces`, { headers: { Authorization: bearer } });
    expect(refused.status).to.equal(429);
    expect(refused.headers.get('ratelimit-reason')).to.equal('confluence-quota-tenant-based');
    expect((await projects(acme)).status).to.equal(429);
    expect((await projects(beta)).status).to.equal(200);
  });

  it('a Beta- tenant quota is announced, never enforced', async () => {
    await setup({ betaTenant: 12 });
    await projects(acme); // 11
    const over = await projects(acme); // 22
    expect(over.status).to.equal(200);
    expect(over.headers.get('beta-ratelimit-policy')).to.equal('"tenant-app-quota";q=12;w=3600');
    expect(over.headers.get('x-beta-ratelimit-reason')).to.equal('jira-quota-tenant-based');
    expect(over.headers.get('ratelimit-reason')).to.equal(null);
    expect((await projects(acme)).status).to.equal(200);
  });

  it('without quota options, no quota headers and nothing refused', async () => {
    await setup({});
    const res = await projects(acme);
    expect(res.headers.get('ratelimit-policy')).to.equal(null);
    expect(res.headers.get('ratelimit')).to.equal(null);
  });
});
