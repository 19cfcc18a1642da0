/**
 * Proves the behaviour (and the traps) of the fake Atlassian Cloud server itself.
 */
import { createHash } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';

import { expect } from 'chai';

import { BASIC_AUTH_FAILED_TEXT, FakeAtlassian } from '../index.js';

const CLIENT_ID = 'client-1';
const CLIENT_SECRET = 'secret-1';
const REDIRECT = 'http://127.0.0.1:9999/oauth/callback';
const ALL_SCOPES = 'read:jira-work read:jira-user read:space:confluence read:confluence-user read:me offline_access';

interface TokenBody {
  access_token: string;
  expires_in: number;
  token_type: string;
  scope: string;
  refresh_token?: string;
  error?: string;
  error_description?: string;
}

function basic(email: string, token: string): string {
  return `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`;
}

function seed(fake: FakeAtlassian): void {
  fake.addSite({ host: 'acme.atlassian.net', name: 'Acme', projects: 120, spaces: 60 });
  fake.addSite({ host: 'beta.atlassian.net', projects: 3, products: ['jira'] });
  fake.addSite({ host: 'other.atlassian.net', projects: 2, spaces: 2 });
  fake.addOAuthClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [REDIRECT] });
  fake.addUser({ email: 'alice@example.com', apiToken: 'alice-token', displayName: 'Alice', sites: ['acme.atlassian.net', 'beta.atlassian.net'] });
  fake.addUser({ email: 'carol@example.com', apiToken: 'carol-token', sites: ['acme.atlassian.net', 'other.atlassian.net'] });
  fake.addUser({ email: 'bot@example.com', apiToken: 'bot-scoped-token', sites: ['acme.atlassian.net'], scopedApiToken: true });
}

function authorizeUrl(fake: FakeAtlassian, over: Record<string, string | null> = {}): string {
  const p: Record<string, string | null> = {
    audience: 'api.atlassian.com',
    client_id: CLIENT_ID,
    scope: ALL_SCOPES,
    redirect_uri: REDIRECT,
    state: 'st-123',
    response_type: 'code',
    prompt: 'consent',
    ...over,
  };
  const qs = Object.entries(p)
    .filter((e): e is [string, string] => e[1] !== null)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
  return `${fake.authUrl}/authorize?${qs}`;
}

async function getCode(fake: FakeAtlassian, scope = ALL_SCOPES): Promise<string> {
  const res = await fetch(authorizeUrl(fake, { scope }), { redirect: 'manual' });
  expect(res.status).to.equal(302);
  const code = new URL(res.headers.get('location') ?? '').searchParams.get('code');
  expect(code).to.be.a('string');
  return code ?? '';
}

async function tokenCall(fake: FakeAtlassian, body: Record<string, string>, form = false): Promise<{ status: number; body: TokenBody }> {
  const res = await fetch(`${fake.authUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: form ? new URLSearchParams(body).toString() : JSON.stringify(body),
  });
  expect(res.headers.get('content-type')).to.match(/^application\/json/);
  return { status: res.status, body: (await res.json()) as TokenBody };
}

async function login(fake: FakeAtlassian, scope = ALL_SCOPES): Promise<TokenBody> {
  const code = await getCode(fake, scope);
  const r = await tokenCall(fake, { grant_type: 'authorization_code', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, code, redirect_uri: REDIRECT });
  expect(r.status).to.equal(200);
  return r.body;
}

function refresh(fake: FakeAtlassian, refreshToken: string): Promise<{ status: number; body: TokenBody }> {
  return tokenCall(fake, { grant_type: 'refresh_token', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, refresh_token: refreshToken });
}

async function getJson(url: string, auth?: string): Promise<{ status: number; body: unknown; res: Response }> {
  const res = await fetch(url, { headers: auth !== undefined ? { Authorization: auth, Accept: 'application/json' } : {} });
  const text = await res.text();
  const ct = res.headers.get('content-type') ?? '';
  return { status: res.status, body: ct.startsWith('application/json') ? JSON.parse(text) : text, res };
}

// Loose view of JSON bodies for assertions.
type J = Record<string, unknown> & { values?: J[]; results?: J[]; _links?: Record<string, string> };

describe('FakeAtlassian', () => {
  // The fake's clock runs with real time plus `skew`: a test moves it past the reuse leeway instead of sleeping.
  let skew = 0;
  const fake = new FakeAtlassian({ refreshReuseLeewayMs: 50, now: () => Date.now() + skew });
  let acmeCloudId = '';
  let otherCloudId = '';

  before(async () => {
    seed(fake);
    await fake.start();
    acmeCloudId = fake.getSite('acme.atlassian.net')?.cloudId ?? '';
    otherCloudId = fake.getSite('other.atlassian.net')?.cloudId ?? '';
  });
  after(async () => {
    await fake.stop();
  });
  beforeEach(() => {
    fake.clearFaults();
    fake.clearRequests();
    fake.setConsent({});
  });

  describe('/authorize', () => {
    it('redirects back with code and state', async () => {
      const res = await fetch(authorizeUrl(fake), { redirect: 'manual' });
      expect(res.status).to.equal(302);
      const loc = res.headers.get('location') ?? '';
      expect(loc.startsWith(`${REDIRECT}?code=`)).to.equal(true);
      expect(new URL(loc).searchParams.get('state')).to.equal('st-123');
    });

    it('redirects with error=access_denied when the user denies', async () => {
      fake.setConsent({ deny: true });
      const res = await fetch(authorizeUrl(fake), { redirect: 'manual' });
      expect(res.status).to.equal(302);
      expect(res.headers.get('location')).to.equal(
        `${REDIRECT}?error=access_denied&error_description=User%20did%20not%20authorize%20the%20request&state=st-123`);
    });

    it('does not redirect to an unregistered redirect_uri, nor with bad params', async () => {
      const cases: Record<string, string | null>[] = [
        { redirect_uri: 'http://evil.example/cb' },
        { client_id: 'nope' },
        { audience: null },
        { prompt: null },
        { state: null },
        { scope: '' },
        { response_type: 'token' },
        { scope: 'read:jira-work,read:jira-user' },
      ];
      for (const over of cases) {
        const res = await fetch(authorizeUrl(fake, over), { redirect: 'manual' });
        expect(res.status, JSON.stringify(over)).to.equal(400);
        expect(res.headers.get('location')).to.equal(null);
        expect(res.headers.get('content-type')).to.match(/^text\/html/);
      }
      const res = await fetch(authorizeUrl(fake, { redirect_uri: 'http://evil.example/cb' }), { redirect: 'manual' });
      expect(await res.text()).to.contain('unauthorized_client');
    });
  });

  describe('/oauth/token', () => {
    it('exchanges a code once; tokens look like Atlassian ones', async () => {
      const code = await getCode(fake);
      const body = { grant_type: 'authorization_code', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, code, redirect_uri: REDIRECT };
      const ok = await tokenCall(fake, body);
      expect(ok.status).to.equal(200);
      expect(ok.body.expires_in).to.equal(3600);
      expect(ok.body.token_type).to.equal('Bearer');
      expect(ok.body.scope).to.equal(ALL_SCOPES);
      expect(ok.body.access_token.split('.')).to.have.length(3);
      expect(ok.body.access_token).to.match(/^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/);
      expect(ok.body.access_token.length).to.be.within(2000, 3200);
      expect(ok.body.refresh_token?.length ?? 0).to.be.greaterThan(500);
      const again = await tokenCall(fake, body);
      expect(again.status).to.equal(400);
      expect(again.body).to.deep.equal({ error: 'invalid_grant', error_description: 'authorization_code is invalid' });
      expect(fake.tokenGrants.authorizationCode).to.be.greaterThan(0);
    });

    it('PKCE: a code issued with an S256 challenge is redeemed only with its verifier (400 invalid_grant otherwise), once', async () => {
      const verifier = 'v'.repeat(20) + 'erifier-0123456789-abcdefgh';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const codeWith = async (): Promise<string> => {
        const res = await fetch(authorizeUrl(fake, { code_challenge: challenge, code_challenge_method: 'S256' }), { redirect: 'manual' });
        expect(res.status).to.equal(302);
        return new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? '';
      };
      const body = (code: string, extra: Record<string, string> = {}) =>
        ({ grant_type: 'authorization_code', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, code, redirect_uri: REDIRECT, ...extra });
      const invalid = { status: 400, body: { error: 'invalid_grant', error_description: 'authorization_code is invalid' } };

      expect(await tokenCall(fake, body(await codeWith())), 'no verifier').to.deep.equal(invalid);
      expect(await tokenCall(fake, body(await codeWith(), { code_verifier: `${verifier}x` })), 'another verifier').to.deep.equal(invalid);
      expect(await tokenCall(fake, body(await codeWith(), { code_verifier: challenge })), 'the challenge itself').to.deep.equal(invalid);
      const code = await codeWith();
      expect((await tokenCall(fake, body(code, { code_verifier: verifier }))).status).to.equal(200);
      expect(await tokenCall(fake, body(code, { code_verifier: verifier })), 'used').to.deep.equal(invalid);
      // Without a challenge, a verifier changes nothing (the check applies when a challenge was sent).
      expect((await tokenCall(fake, body(await getCode(fake), { code_verifier: verifier }))).status).to.equal(200);
    });

    it('PKCE: /authorize refuses a challenge whose method is not S256, or that is not an S256 hash', async () => {
      const challenge = createHash('sha256').update('x'.repeat(43)).digest('base64url');
      const cases: Record<string, string>[] = [
        { code_challenge: challenge },
        { code_challenge: challenge, code_challenge_method: 'plain' },
        { code_challenge: 'short', code_challenge_method: 'S256' },
      ];
      for (const over of cases) {
        const res = await fetch(authorizeUrl(fake, over), { redirect: 'manual' });
        expect(res.status, JSON.stringify(over)).to.equal(400);
        expect(res.headers.get('location')).to.equal(null);
      }
    });

    it('accepts form encoding, omits refresh_token without offline_access', async () => {
      const code = await getCode(fake, 'read:jira-work');
      const r = await tokenCall(fake, { grant_type: 'authorization_code', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, code, redirect_uri: REDIRECT }, true);
      expect(r.status).to.equal(200);
      expect(r.body).to.not.have.property('refresh_token');
    });

    it('rejects bad secret (401 access_denied), redirect mismatch, bad grant types and missing fields', async () => {
      const code = await getCode(fake);
      const bad = await tokenCall(fake, { grant_type: 'authorization_code', client_id: CLIENT_ID, client_secret: 'wrong', code, redirect_uri: REDIRECT });
      expect(bad).to.deep.equal({ status: 401, body: { error: 'access_denied', error_description: 'Unauthorized' } });
      const mismatch = await tokenCall(fake, { grant_type: 'authorization_code', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, code, redirect_uri: `${REDIRECT}/x` });
      expect(mismatch.status).to.equal(400);
      expect(mismatch.body.error).to.equal('invalid_grant');
      const unsupported = await tokenCall(fake, { grant_type: 'password', client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
      expect(unsupported.status).to.equal(400);
      expect(unsupported.body.error).to.equal('unsupported_grant_type');
      const missing = await tokenCall(fake, { grant_type: 'refresh_token', client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
      expect(missing.status).to.equal(400);
      expect(missing.body.error).to.equal('invalid_request');
      const unknown = await refresh(fake, 'not-a-token');
      expect(unknown).to.deep.equal({ status: 403, body: { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' } });
    });

    it('rotates refresh tokens: replay within leeway ok, after leeway revokes the whole grant', async () => {
      const t0 = await login(fake);
      const r0 = t0.refresh_token ?? '';
      const first = await refresh(fake, r0);
      expect(first.status).to.equal(200);
      const r1 = first.body.refresh_token ?? '';
      expect(r1).to.not.equal(r0);
      expect(first.body.access_token).to.not.equal(t0.access_token);
      expect(fake.refreshTokenStatus(r0)).to.equal('rotated');
      const replay = await refresh(fake, r0); // within the 50 ms leeway
      expect(replay.status).to.equal(200);
      const r2 = replay.body.refresh_token ?? '';
      skew += 70;
      const late = await refresh(fake, r0);
      expect(late).to.deep.equal({ status: 403, body: { error: 'unauthorized_client', error_description: 'refresh_token is invalid' } });
      for (const t of [r1, r2]) {
        const dead = await refresh(fake, t);
        expect(dead.status).to.equal(403);
        expect(dead.body.error).to.equal('invalid_grant');
      }
      // a new consent creates a fresh grant
      const t1 = await login(fake);
      expect((await refresh(fake, t1.refresh_token ?? '')).status).to.equal(200);
    });

    it('revokeGrant kills refresh tokens', async () => {
      const t = await login(fake);
      fake.revokeGrant('alice@example.com');
      const r = await refresh(fake, t.refresh_token ?? '');
      expect(r.status).to.equal(403);
      expect(r.body.error).to.equal('invalid_grant');
    });

    it('expires codes after 10 minutes and access tokens after expires_in (clock option)', async () => {
      let now = 1_700_000_000_000;
      const f2 = new FakeAtlassian({ now: () => now });
      seed(f2);
      await f2.start();
      try {
        const code = await getCode(f2);
        now += 10 * 60_000 + 1;
        const late = await tokenCall(f2, { grant_type: 'authorization_code', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, code, redirect_uri: REDIRECT });
        expect(late.status).to.equal(400);
        const t = await login(f2);
        const url = `${f2.apiUrl}/oauth/token/accessible-resources`;
        expect((await getJson(url, `Bearer ${t.access_token}`)).status).to.equal(200);
        now += 3600_000;
        expect((await getJson(url, `Bearer ${t.access_token}`)).status).to.equal(401);
      } finally {
        await f2.stop();
      }
    });
  });

  describe('accessible-resources and gateway', () => {
    it('lists the granted sites with their relevant scopes; 401 for bad/expired tokens', async () => {
      const t = await login(fake);
      const r = await getJson(`${fake.apiUrl}/oauth/token/accessible-resources`, `Bearer ${t.access_token}`);
      expect(r.status).to.equal(200);
      const list = r.body as J[];
      expect(list.map((s) => s['url']).sort()).to.deep.equal(['https://acme.atlassian.net', 'https://beta.atlassian.net']);
      const acme = list.find((s) => s['url'] === 'https://acme.atlassian.net');
      expect(acme?.['id']).to.equal(acmeCloudId);
      expect(acme?.['scopes']).to.have.members(['read:jira-work', 'read:jira-user', 'read:space:confluence', 'read:confluence-user']);
      const beta = list.find((s) => s['url'] === 'https://beta.atlassian.net');
      expect(beta?.['scopes']).to.have.members(['read:jira-work', 'read:jira-user']);
      const bad = await getJson(`${fake.apiUrl}/oauth/token/accessible-resources`, 'Bearer nope');
      expect(bad.status).to.equal(401);
      expect(bad.body).to.deep.equal({ code: 401, message: 'Unauthorized' });
      fake.expireAccessTokens();
      expect((await getJson(`${fake.apiUrl}/oauth/token/accessible-resources`, `Bearer ${t.access_token}`)).status).to.equal(401);
    });

    it('consent limited to some sites, ungranted cloudId → 401, unknown cloudId → 404, scope mismatch → 401', async () => {
      fake.setConsent({ email: 'carol@example.com', sites: ['acme.atlassian.net'] });
      const t = await login(fake, 'read:jira-work offline_access');
      const res = await getJson(`${fake.apiUrl}/oauth/token/accessible-resources`, `Bearer ${t.access_token}`);
      expect(res.body).to.deep.equal([{ id: acmeCloudId, url: 'https://acme.atlassian.net', name: 'Acme', scopes: ['read:jira-work'], avatarUrl: (res.body as J[])[0]?.['avatarUrl'] }]);
      const auth = `Bearer ${t.access_token}`;
      const ok = await getJson(`${fake.apiUrl}/ex/jira/${acmeCloudId}/rest/api/3/project/search`, auth);
      expect(ok.status).to.equal(200);
      const notGranted = await getJson(`${fake.apiUrl}/ex/jira/${otherCloudId}/rest/api/3/project/search`, auth);
      expect(notGranted.status).to.equal(401);
      const unknown = await getJson(`${fake.apiUrl}/ex/jira/00000000-0000-4000-8000-000000000000/rest/api/3/project/search`, auth);
      expect(unknown.status).to.equal(404);
      const conf = await getJson(`${fake.apiUrl}/ex/confluence/${acmeCloudId}/wiki/api/v2/spaces`, auth);
      expect(conf.status).to.equal(401);
      expect(conf.body).to.deep.equal({ code: 401, message: 'Unauthorized; scope does not match' });
      const myself = await getJson(`${fake.apiUrl}/ex/jira/${acmeCloudId}/rest/api/3/myself`, auth);
      expect(myself.body).to.deep.equal({ code: 401, message: 'Unauthorized; scope does not match' });
      // one grant per app and account: a later consent adds scopes and sites, and existing tokens gain them (§3)
      fake.setConsent({ email: 'carol@example.com', sites: ['other.atlassian.net'] });
      const t2 = await login(fake, 'read:space:confluence');
      expect(t2.scope.split(' ')).to.have.members(['read:jira-work', 'offline_access', 'read:space:confluence']);
      expect((await getJson(`${fake.apiUrl}/ex/confluence/${acmeCloudId}/wiki/api/v2/spaces`, auth)).status).to.equal(200);
      expect((await getJson(`${fake.apiUrl}/ex/jira/${otherCloudId}/rest/api/3/project/search`, auth)).status).to.equal(200);
      const noWiki = await getJson(`${fake.apiUrl}/ex/confluence/${acmeCloudId}/api/v2/spaces`, auth);
      expect(noWiki.status).to.equal(404);
    });

    it('Jira project/search caps pages at 50 even when 100 is asked; nextPage is an absolute site URL', async () => {
      const t = await login(fake);
      const base = `${fake.apiUrl}/ex/jira/${acmeCloudId}/rest/api/3/project/search`;
      const keys: string[] = [];
      const pages: J[] = [];
      let startAt = 0;
      for (let i = 0; i < 5; i++) {
        const r = await getJson(`${base}?startAt=${startAt}&maxResults=100`, `Bearer ${t.access_token}`);
        expect(r.status).to.equal(200);
        const page = r.body as J;
        pages.push(page);
        for (const v of page.values ?? []) keys.push(String(v['key']));
        startAt += page.values?.length ?? 0;
        if (page['isLast'] === true) break;
      }
      expect(pages.map((p) => p.values?.length)).to.deep.equal([50, 50, 20]);
      expect(pages.map((p) => p['maxResults'])).to.deep.equal([50, 50, 50]);
      expect(pages.map((p) => p['isLast'])).to.deep.equal([false, false, true]);
      expect(pages.map((p) => p['total'])).to.deep.equal([120, 120, 120]);
      expect(pages[0]?.['nextPage']).to.equal('https://acme.atlassian.net/rest/api/3/project/search?startAt=50&maxResults=50');
      expect(pages[2]).to.not.have.property('nextPage');
      expect(keys).to.have.length(120);
      expect(keys[0]).to.equal('P0001');
      expect([...keys].sort()).to.deep.equal(keys);
      const v = pages[0]?.values?.[0] ?? {};
      expect(v).to.include({ id: '10000', key: 'P0001', self: 'https://acme.atlassian.net/rest/api/3/project/10000', isPrivate: false });
      expect(v).to.have.keys('expand', 'self', 'id', 'key', 'name', 'avatarUrls', 'projectTypeKey', 'simplified', 'style', 'isPrivate', 'properties');
      const bad = await getJson(`${base}?startAt=-1`, `Bearer ${t.access_token}`);
      expect(bad.status).to.equal(400);
      expect(bad.body).to.have.property('errorMessages').that.is.an('array');
    });

    it('Confluence v2 spaces: relative _links.next + Link header, absent on the last page, limit > 250 → 400', async () => {
      const t = await login(fake);
      const root = `${fake.apiUrl}/ex/confluence/${acmeCloudId}`;
      const auth = `Bearer ${t.access_token}`;
      const ids: string[] = [];
      let url = `${root}/wiki/api/v2/spaces?limit=25`;
      const sizes: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await getJson(url, auth);
        expect(r.status).to.equal(200);
        const body = r.body as J;
        sizes.push(body.results?.length ?? 0);
        for (const s of body.results ?? []) ids.push(String(s['id']));
        expect(body._links?.['base']).to.equal('https://acme.atlassian.net/wiki');
        const next = body._links?.['next'];
        if (next === undefined) {
          expect(r.res.headers.get('link')).to.equal(null);
          break;
        }
        expect(next).to.match(/^\/wiki\/api\/v2\/spaces\?cursor=[^&]+&limit=25$/);
        expect(r.res.headers.get('link')).to.equal(`<${next}>; rel="next", <https://acme.atlassian.net/wiki>; rel="base"`);
        url = root + next;
      }
      expect(sizes).to.deep.equal([25, 25, 10]);
      expect(new Set(ids).size).to.equal(60);
      expect([...ids].sort((a, b) => Number(a) - Number(b))).to.deep.equal(ids); // numeric id order
      expect([...ids].sort()).to.not.deep.equal(ids); // ...which is not lexicographic
      const first = await getJson(`${root}/wiki/api/v2/spaces?limit=1`, auth);
      expect((first.body as J).results?.[0]).to.deep.include({ key: 'S0001', type: 'global', status: 'current', description: null, icon: null, _links: { webui: '/spaces/S0001' } });
      const big = await getJson(`${root}/wiki/api/v2/spaces?limit=300`, auth);
      expect(big.status).to.equal(400);
      expect(big.body).to.deep.equal({ errors: [{ status: 400, code: 'INVALID_REQUEST_PARAMETER', title: "Provided value {300} for 'limit' is not the correct type. Expected type is LimitParameterType", detail: null }] });
      const badCursor = await getJson(`${root}/wiki/api/v2/spaces?cursor=${Buffer.from('{"offset":25}').toString('base64')}`, auth);
      expect(badCursor.status).to.equal(400);
      expect(badCursor.body).to.have.nested.property('errors[0].status', 400);
      const v1 = await getJson(`${root}/wiki/rest/api/space`, auth);
      expect(v1.status).to.equal(410);
    });

    it('identity endpoints through the gateway', async () => {
      const t = await login(fake);
      const auth = `Bearer ${t.access_token}`;
      const me = await getJson(`${fake.apiUrl}/ex/jira/${acmeCloudId}/rest/api/3/myself`, auth);
      expect(me.body).to.include({ emailAddress: 'alice@example.com', accountType: 'atlassian', active: true, key: '', name: '' });
      const cu = await getJson(`${fake.apiUrl}/ex/confluence/${acmeCloudId}/wiki/rest/api/user/current`, auth);
      expect(cu.body).to.include({ type: 'known', email: 'alice@example.com' });
      const idp = await getJson(`${fake.apiUrl}/me`, auth);
      expect(idp.body).to.include({ email: 'alice@example.com', account_type: 'atlassian' });
    });
  });

  describe('site host (API token, Basic)', () => {
    const site = (fake2: FakeAtlassian, p: string): string => `${fake2.siteUrlTemplate.replace('{site}', 'acme.atlassian.net')}${p}`;

    it('serves Jira and Confluence with Basic auth', async () => {
      const auth = basic('alice@example.com', 'alice-token');
      const ps = await getJson(site(fake, '/rest/api/3/project/search?maxResults=10'), auth);
      expect(ps.status).to.equal(200);
      expect(ps.body).to.include({ total: 120, maxResults: 10, isLast: false });
      const me = await getJson(site(fake, '/rest/api/3/myself'), auth);
      expect(me.body).to.include({ emailAddress: 'alice@example.com', displayName: 'Alice' });
      const sp = await getJson(site(fake, '/wiki/api/v2/spaces?limit=250'), auth);
      expect((sp.body as J).results).to.have.length(60);
      expect((sp.body as J)._links).to.deep.equal({ base: 'https://acme.atlassian.net/wiki' });
      expect(fake.requests.at(-1)?.authKind).to.equal('basic');
    });

    it('answers 401 text/plain with X-Seraph-LoginReason for wrong credentials, no site access or scoped tokens', async () => {
      for (const auth of [
        basic('alice@example.com', 'wrong'),
        basic('nobody@example.com', 'alice-token'),
        basic('bot@example.com', 'bot-scoped-token'),
      ]) {
        const r = await getJson(site(fake, '/rest/api/3/myself'), auth);
        expect(r.status).to.equal(401);
        expect(r.res.headers.get('content-type')).to.match(/^text\/plain/);
        expect(r.res.headers.get('x-seraph-loginreason')).to.equal('AUTHENTICATED_FAILED');
        expect(r.body).to.equal(BASIC_AUTH_FAILED_TEXT);
      }
      const other = await getJson(`${fake.siteUrlTemplate.replace('{site}', 'other.atlassian.net')}/rest/api/3/project/search`, basic('alice@example.com', 'alice-token'));
      expect(other.status).to.equal(401);
    });

    it('treats missing auth as anonymous', async () => {
      const ps = await getJson(site(fake, '/rest/api/3/project/search'));
      expect(ps.status).to.equal(200);
      expect(ps.body).to.include({ total: 0, isLast: true });
      expect((ps.body as J).values).to.deep.equal([]);
      const me = await getJson(site(fake, '/rest/api/3/myself'));
      expect(me.status).to.equal(401);
      expect(me.body).to.deep.equal({ errorMessages: ['You are not authenticated. Authentication required to perform this operation.'], errors: {} });
      const cu = await getJson(site(fake, '/wiki/rest/api/user/current'));
      expect(cu.status).to.equal(200);
      expect(cu.body).to.include({ type: 'anonymous' });
      expect(cu.body).to.not.have.property('accountId');
      const sp = await getJson(site(fake, '/wiki/api/v2/spaces'));
      expect(sp.status).to.equal(200);
      expect((sp.body as J).results).to.deep.equal([]);
    });

    it('scoped API tokens work only through the gateway', async () => {
      const auth = basic('bot@example.com', 'bot-scoped-token');
      expect((await getJson(`${fake.apiUrl}/ex/jira/${acmeCloudId}/rest/api/3/project/search`, auth)).status).to.equal(200);
      expect((await getJson(`${fake.apiUrl}/ex/confluence/${acmeCloudId}/wiki/api/v2/spaces`, auth)).status).to.equal(200);
      expect((await getJson(site(fake, '/rest/api/3/project/search'), auth)).status).to.equal(401);
      // unscoped tokens are not accepted on the gateway
      const unscoped = await getJson(`${fake.apiUrl}/ex/jira/${acmeCloudId}/rest/api/3/project/search`, basic('alice@example.com', 'alice-token'));
      expect(unscoped.status).to.equal(401);
    });

    it('scoped API tokens created with chosen scopes: the gateway enforces them per endpoint with its scope-mismatch 401', async () => {
      fake.addUser({ email: 'lister@example.com', apiToken: 'lister-token', sites: ['acme.atlassian.net'], apiTokenScopes: ['read:jira-work', 'read:space:confluence'] });
      fake.addUser({ email: 'empty@example.com', apiToken: 'empty-token', sites: ['acme.atlassian.net'], apiTokenScopes: [] });
      const auth = basic('lister@example.com', 'lister-token');
      const gateway = (product: string, path: string, as = auth) => getJson(`${fake.apiUrl}/ex/${product}/${acmeCloudId}${path}`, as);
      const mismatch = { code: 401, message: 'Unauthorized; scope does not match' };

      expect((await gateway('jira', '/rest/api/3/project/search?maxResults=1')).status).to.equal(200);
      expect((await gateway('confluence', '/wiki/api/v2/spaces?limit=1')).status).to.equal(200);
      const myself = await gateway('jira', '/rest/api/3/myself');
      expect([myself.status, myself.body]).to.deep.equal([401, mismatch]);
      const current = await gateway('confluence', '/wiki/rest/api/user/current');
      expect([current.status, current.body]).to.deep.equal([401, mismatch]);
      const none = await gateway('jira', '/rest/api/3/project/search', basic('empty@example.com', 'empty-token'));
      expect([none.status, none.body]).to.deep.equal([401, mismatch]);
      // Still a scoped token: refused on the site host, and a wrong secret is a plain 401 on the gateway.
      expect((await getJson(site(fake, '/rest/api/3/project/search'), auth)).status).to.equal(401);
      const wrong = await gateway('jira', '/rest/api/3/myself', basic('lister@example.com', 'not-the-token'));
      expect([wrong.status, wrong.body]).to.deep.equal([401, { code: 401, message: 'Unauthorized' }]);
    });

    it('tenant_info gives the cloudId without auth; unknown hosts 404; products respected', async () => {
      const ti = await getJson(site(fake, '/_edge/tenant_info'));
      expect(ti.body).to.deep.equal({ cloudId: acmeCloudId });
      const unknown = await getJson(`${fake.siteUrlTemplate.replace('{site}', 'nope.atlassian.net')}/_edge/tenant_info`);
      expect(unknown.status).to.equal(404);
      const betaWiki = await getJson(`${fake.siteUrlTemplate.replace('{site}', 'beta.atlassian.net')}/wiki/api/v2/spaces`, basic('alice@example.com', 'alice-token'));
      expect(betaWiki.status).to.equal(404);
    });
  });

  describe('faults and observation', () => {
    it('injects 429 with Retry-After the given number of times, FIFO', async () => {
      const url = `${fake.siteUrlTemplate.replace('{site}', 'acme.atlassian.net')}/rest/api/3/project/search`;
      fake.injectFault({ match: { path: '/project/search' }, times: 2, status: 429, body: { message: 'Rate limit exceeded' }, headers: { 'Retry-After': '2', 'X-RateLimit-Reset': '2026-01-01T00:00Z', 'RateLimit-Reason': 'jira-burst-based' } });
      fake.injectFault({ match: { method: 'GET', path: /project\/search$/ }, status: 503 });
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 4; i++) {
        const r = await getJson(url);
        statuses.push(r.status);
        if (i === 0) {
          retryAfter = r.res.headers.get('retry-after');
          expect(r.body).to.deep.equal({ message: 'Rate limit exceeded' });
        }
      }
      expect(statuses).to.deep.equal([429, 429, 503, 200]);
      expect(retryAfter).to.equal('2');
      expect(fake.countRequests({ path: '/project/search' })).to.equal(4);
      expect(fake.requests.map((r) => r.status)).to.deep.equal([429, 429, 503, 200]);
    });

    it('destroys sockets and hangs on demand', async () => {
      const url = `${fake.apiUrl}/oauth/token/accessible-resources`;
      fake.injectFault({ match: { path: 'accessible-resources' }, destroySocket: true });
      let err: unknown = null;
      await fetch(url).catch((e: unknown) => { err = e; });
      expect(err).to.be.instanceOf(Error);
      fake.injectFault({ match: { path: 'accessible-resources' }, hang: true });
      err = null;
      await fetch(url, { signal: AbortSignal.timeout(100) }).catch((e: unknown) => { err = e; });
      expect(err).to.be.instanceOf(Error);
      expect((await fetch(url)).status).to.equal(401); // faults used up
    });

    it('tracks in-flight requests and keep-alive connections', async () => {
      fake.resetMaxInFlight();
      fake.injectFault({ match: { path: 'tenant_info' }, times: 5, delayMs: 60 });
      const url = `${fake.siteUrlTemplate.replace('{site}', 'acme.atlassian.net')}/_edge/tenant_info`;
      const pending = Promise.all([1, 2, 3, 4, 5].map(() => fetch(url).then((r) => r.status)));
      while (fake.inFlight < 5) await new Promise((r) => setImmediate(r)); // all five arrived (held by the delay)
      expect(fake.inFlight).to.equal(5);
      expect(await pending).to.deep.equal([200, 200, 200, 200, 200]); // delay-only faults fall through
      expect(fake.maxInFlight).to.equal(5);
      expect(fake.inFlight).to.equal(0);

      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const before = fake.connectionCount;
      for (let i = 0; i < 5; i++) {
        await new Promise<void>((resolve, reject) => {
          httpRequest(url, { agent }, (res) => {
            res.resume();
            res.on('end', () => resolve());
          }).on('error', reject).end();
        });
      }
      expect(fake.connectionCount - before).to.equal(1);
      agent.destroy();
    });

    it('latencyMs delays responses; stop() closes idle keep-alive sockets', async () => {
      const f2 = new FakeAtlassian({ latencyMs: 40 });
      seed(f2);
      await f2.start();
      const agent = new Agent({ keepAlive: true });
      const t0 = Date.now();
      await new Promise<void>((resolve, reject) => {
        httpRequest(`${f2.baseUrl}/nope`, { agent }, (res) => {
          expect(res.statusCode).to.equal(404);
          expect(res.headers['content-type']).to.match(/^application\/json/);
          res.resume();
          res.on('end', () => resolve());
        }).on('error', reject).end();
      });
      expect(Date.now() - t0).to.be.greaterThanOrEqual(35);
      const s0 = Date.now();
      await f2.stop(); // would wait for the idle keep-alive socket if it were not destroyed
      expect(Date.now() - s0).to.be.lessThan(500);
      agent.destroy();
    });
  });
});
