import { expect } from 'chai';
import { createHash } from 'node:crypto';
import {
  USER,
  call,
  connectWithOAuth,
  connectWithToken,
  consent,
  expectError,
  startHarness,
  startOAuthFlow,
  withSession,
  type CallResult,
  type Harness,
} from '../support/harness.js';

function header(res: CallResult, name: string): string {
  return res.headers.get(name) ?? '';
}

/** The headers every answer of the API carries, success or error. */
function expectApiSecurityHeaders(res: CallResult, what: string): void {
  expect(header(res, 'x-content-type-options'), `${what}: X-Content-Type-Options`).to.equal('nosniff');
  expect(header(res, 'referrer-policy'), `${what}: Referrer-Policy`).to.equal('no-referrer');
  expect(header(res, 'cache-control'), `${what}: Cache-Control`).to.equal('no-store');
  const csp = header(res, 'content-security-policy');
  expect(csp, `${what}: CSP`).to.include("default-src 'none'");
  expect(csp, `${what}: CSP`).to.include("frame-ancestors 'none'");
  expect(csp, `${what}: CSP`).not.to.include('unsafe-inline');
}

/** The CSP directives as a map: name → sources. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((parts) => parts[0] !== undefined && parts[0] !== '')
      .map(([name, ...sources]) => [name!, sources]),
  );
}

describe('security headers', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ MAX_BODY_BYTES: '2048' }); });
  after(async () => { await h.close(); });

  it('every answer that carries a session token has nosniff, no-referrer, no-store and the API CSP', async () => {
    const start = await call(h.url('/auth/jira/oauth/start'));
    expect(start.headers.get('x-session-token')).to.match(/^[A-Za-z0-9_-]{43}$/);
    expectApiSecurityHeaders(start, 'OAuth start (token in X-Session-Token)');

    const flow = await startOAuthFlow(h, 'confluence');
    const callback = await call((await consent(flow.authUrl)).toString());
    expect(callback.body.session_token).to.equal(flow.sessionToken);
    expectApiSecurityHeaders(callback, 'OAuth callback (token in the body)');

    const login = await connectWithToken(h, 'jira');
    expect(login.body.session_token).to.be.a('string');
    expectApiSecurityHeaders(login, 'API-token login (token in body and header)');
  });

  it('every answer that carries account data has them too: listings, session, 304, disconnect and logout', async () => {
    const { sessionToken } = await connectWithOAuth(h, 'jira');
    expect((await connectWithToken(h, 'confluence', undefined, sessionToken)).status).to.equal(200);
    const projects = await call(h.url('/jira/projects'), withSession(sessionToken));
    expect(projects.status).to.equal(200);
    expectApiSecurityHeaders(projects, 'GET /jira/projects');
    const spaces = await call(h.url('/confluence/spaces'), withSession(sessionToken));
    expectApiSecurityHeaders(spaces, 'GET /confluence/spaces');
    const notModified = await call(h.url('/jira/projects'), withSession(sessionToken, { headers: { 'If-None-Match': header(projects, 'etag') } }));
    expect(notModified.status).to.equal(304);
    expectApiSecurityHeaders(notModified, '304 Not Modified');
    const session = await call(h.url('/auth/session'), withSession(sessionToken));
    expect(session.status).to.equal(200);
    expectApiSecurityHeaders(session, 'GET /auth/session');
    expectApiSecurityHeaders(await call(h.url('/auth/confluence'), withSession(sessionToken, { method: 'DELETE' })), 'DELETE /auth/confluence');
    expectApiSecurityHeaders(await call(h.url('/auth/session'), withSession(sessionToken, { method: 'DELETE' })), 'DELETE /auth/session');
  });

  it('errors and the health check carry them as well (401, 404, 405, 413, 415, 400)', async () => {
    const cases: [string, CallResult][] = [
      ['GET /', await call(h.url('/'))],
      ['401', await call(h.url('/jira/projects'))],
      ['404', await call(h.url('/nope'))],
      ['405', await call(h.url('/jira/projects'), { method: 'POST' })],
      ['413', await call(h.url('/auth/jira/api-token'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ api_token: 'x'.repeat(4000) }) })],
      ['415', await call(h.url('/auth/jira/api-token'), { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'x' })],
      ['400', await connectWithToken(h, 'jira', { email: USER.email, api_token: 'x', site: 'evil.com' })],
    ];
    for (const [what, res] of cases) expectApiSecurityHeaders(res, what);
  });

  it('/openapi.json is served with nosniff and no-referrer as well', async () => {
    const res = await call(h.url('/openapi.json'));
    expect(res.status).to.equal(200);
    expect(header(res, 'x-content-type-options')).to.equal('nosniff');
    expect(header(res, 'referrer-policy')).to.equal('no-referrer');
  });

  it('/docs: a CSP that allows its inline script by its sha256 hash, never by unsafe-inline, and same-origin assets', async () => {
    const page = await call(h.url('/docs'));
    expect(page.status).to.equal(200);
    expect(header(page, 'content-type')).to.match(/^text\/html/);
    expect(header(page, 'x-content-type-options')).to.equal('nosniff');
    expect(header(page, 'referrer-policy')).to.equal('no-referrer');
    const html = String(page.body);
    const inline = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1] ?? '');
    expect(inline, 'the page has an inline script').to.have.length.at.least(1);

    const policy = directives(header(page, 'content-security-policy'));
    const scripts = policy.get('script-src') ?? [];
    for (const script of inline) {
      const hash = `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`;
      expect(scripts, 'script-src allows the inline script by hash').to.include(hash);
    }
    expect(scripts).to.include("'self'");
    expect(scripts).not.to.include("'unsafe-inline'");
    expect(policy.get('default-src')).to.deep.equal(["'none'"]);
    expect(policy.get('frame-ancestors')).to.deep.equal(["'none'"]);
    expect(policy.get('connect-src')).to.deep.equal(["'self'"]);

    // Every external script the page loads is on this origin, and is served.
    const sources = [...html.matchAll(/<script src="([^"]+)"/g)].map((match) => match[1] ?? '');
    expect(sources).to.have.length.at.least(1);
    for (const src of sources) {
      expect(src.startsWith('/'), `${src} is same-origin`).to.equal(true);
      const asset = await call(h.url(src));
      expect(asset.status, src).to.equal(200);
      expect(header(asset, 'x-content-type-options'), src).to.equal('nosniff');
    }
  });

  it('/docs/ (trailing slash) gets the same hash-based CSP', async () => {
    const page = await call(h.url('/docs/'));
    expect(page.status).to.equal(200);
    const inline = [...String(page.body).matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1] ?? '');
    const scripts = directives(header(page, 'content-security-policy')).get('script-src') ?? [];
    for (const script of inline) expect(scripts).to.include(`'sha256-${createHash('sha256').update(script).digest('base64')}'`);
  });
});

describe('security headers: the OAuth redirect (OAUTH_RETURN_URL) carries no-referrer and no-store', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ OAUTH_RETURN_URL: 'http://frontend.test/connected' }); });
  after(async () => { await h.close(); });

  it('the 302 to the frontend has Referrer-Policy: no-referrer (the callback URL holds code and state, the target a completion) and no-store', async () => {
    const flow = await startOAuthFlow(h, 'jira');
    const res = await call((await consent(flow.authUrl)).toString());
    expect(res.status).to.equal(302);
    expect(header(res, 'location')).to.match(/^http:\/\/frontend\.test\/connected\?product=jira&status=pending&completion=[A-Za-z0-9_-]{43}$/);
    expect(header(res, 'referrer-policy')).to.equal('no-referrer');
    expect(header(res, 'cache-control')).to.equal('no-store');
    expect(header(res, 'x-content-type-options')).to.equal('nosniff');
  });

  it('the redirect goes only to the configured URL, whatever the callback query says', async () => {
    for (const query of ['?code=a&state=b&redirect_uri=https://evil.test', '?return_to=https://evil.test&next=//evil.test', '?state=x&error=access_denied']) {
      const res = await call(h.url(`/auth/jira/oauth/callback${query}`));
      expect(res.status).to.equal(302);
      const location = new URL(header(res, 'location'));
      expect(location.origin + location.pathname).to.equal('http://frontend.test/connected');
    }
  });
});

describe('DOCS_ENABLED=false', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ DOCS_ENABLED: 'false' }); });
  after(async () => { await h.close(); });

  for (const path of ['/docs', '/docs/', '/openapi.json', '/docs-assets/local/swagger-ui-bundle.js', '/docs-assets/local/swagger-ui.min.css']) {
    it(`GET ${path} → 404 not_found`, async () => {
      expectError(await call(h.url(path)), 404, 'not_found');
    });
  }

  it('the API itself still answers', async () => {
    expect((await call(h.url('/'))).status).to.equal(200);
    expect((await connectWithToken(h, 'jira')).status).to.equal(200);
  });
});
