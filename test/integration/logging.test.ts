import { expect } from 'chai';
import {
  CLIENTS,
  SCOPED_USER,
  USER,
  call,
  callbackUrl,
  connectWithToken,
  consent,
  rawExchange,
  rawRequest,
  startHarness,
  startOAuthFlow,
  withSession,
  type Harness,
} from '../support/harness.js';

interface LogLine {
  readonly level: number;
  readonly msg?: string;
  readonly requestId?: string;
  readonly [field: string]: unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const WRONG_TOKEN = 'wrong-api-token-must-not-be-logged-42';

function parsed(h: Harness): LogLine[] {
  return h.service.logs.map((line) => JSON.parse(line) as LogLine);
}

/** Byte arrays in the output (a Buffer serialised as {"type":"Buffer","data":[…]}), decoded: a secret must not hide there either. */
function decodedBuffers(output: string): string[] {
  return [...output.matchAll(/"data":\[([\d,]*)\]/g)].map((match) => Buffer.from((match[1] ?? '').split(',').filter(Boolean).map(Number)).toString('latin1'));
}

function expectNoSecretIn(output: string, secrets: ReadonlyMap<string, string>): void {
  const buffers = decodedBuffers(output);
  for (const [secret, what] of secrets) {
    expect(secret.length, `${what} is long enough to search for`).to.be.at.least(8);
    expect(output.includes(secret), `${what} appears in the log output`).to.equal(false);
    expect(buffers.some((text) => text.includes(secret)), `${what} appears in a logged byte array`).to.equal(false);
  }
}

/** Every credential the fake saw the service send: bearer tokens, Basic credentials, and the token endpoint's form. */
function credentialsSentUpstream(h: Harness, secrets: Map<string, string>): { access: number; refresh: number } {
  const access = new Set<string>();
  const refresh = new Set<string>();
  for (const request of h.fake.requests) {
    const authorization = request.headers['authorization'] ?? '';
    if (authorization.startsWith('Bearer ')) access.add(authorization.slice('Bearer '.length));
    if (authorization.startsWith('Basic ')) secrets.set(authorization.slice('Basic '.length), 'Basic credentials');
    if (request.path === '/oauth/token' && request.body !== '') {
      const body = JSON.parse(request.body) as Record<string, unknown>;
      if (typeof body['refresh_token'] === 'string') refresh.add(body['refresh_token']);
      if (typeof body['code'] === 'string') secrets.set(body['code'], 'an OAuth code sent to the token endpoint');
      if (typeof body['client_secret'] === 'string') secrets.set(body['client_secret'], 'a client secret sent to the token endpoint');
    }
  }
  for (const token of access) secrets.set(token, 'an access token');
  for (const token of refresh) secrets.set(token, 'a refresh token');
  return { access: access.size, refresh: refresh.size };
}

describe('structured logs (LOG_LEVEL=debug)', () => {
  let h: Harness;
  // Listing cache off: every listing here must reach Atlassian, so its refreshes and faults are logged.
  before(async () => { h = await startHarness({ LOG_LEVEL: 'debug', UPSTREAM_RETRY_BASE_MS: '10', UPSTREAM_MAX_RETRIES: '2', LISTING_CACHE_TTL_SECONDS: '0' }); });
  after(async () => { await h.close(); });
  beforeEach(() => {
    h.fake.clearFaults();
    h.fake.setConsent({});
  });

  it('full OAuth and API-token flows, refreshes and error paths leave no secret anywhere in the output', async () => {
    h.fake.clearRequests();
    const secrets = new Map<string, string>([
      [CLIENTS.jira.secret, 'the Jira client secret'],
      [CLIENTS.confluence.secret, 'the Confluence client secret'],
      [USER.apiToken, 'the API token'],
      [SCOPED_USER.apiToken, 'the scoped API token'],
      [WRONG_TOKEN, 'a wrong API token'],
    ]);
    const sessionTokens = new Set<string>();

    // OAuth: Jira, then Confluence into the same session; both listings.
    const jira = await startOAuthFlow(h, 'jira');
    const jiraBack = await consent(jira.authUrl);
    secrets.set(jira.state, 'an OAuth state').set(jiraBack.searchParams.get('code') ?? '', 'an OAuth code');
    const jiraDone = await call(jiraBack.toString());
    expect(jiraDone.status, JSON.stringify(jiraDone.body)).to.equal(200);
    sessionTokens.add(jira.sessionToken).add(jiraDone.body.session_token as string);
    const session = jira.sessionToken;

    const confluence = await startOAuthFlow(h, 'confluence', session);
    const confluenceBack = await consent(confluence.authUrl);
    secrets.set(confluence.state, 'an OAuth state').set(confluenceBack.searchParams.get('code') ?? '', 'an OAuth code');
    expect((await call(confluenceBack.toString())).status).to.equal(200);
    expect((await call(h.url('/jira/projects'), withSession(session))).status).to.equal(200);
    expect((await call(h.url('/confluence/spaces'), withSession(session))).status).to.equal(200);

    // Refreshes: twice for Jira (so the rotated refresh token is sent too), once for Confluence.
    for (const paths of [['/jira/projects', '/confluence/spaces'], ['/jira/projects']]) {
      h.fake.expireAccessTokens();
      for (const path of paths) expect((await call(h.url(path), withSession(session))).status, path).to.equal(200);
    }
    expect((await call(h.url('/auth/session'), withSession(session))).status).to.equal(200);
    // A refresh that fails (Atlassian answers 500): logged as a warning, credentials kept.
    h.fake.expireAccessTokens();
    h.fake.injectFault({ match: { path: '/oauth/token', method: 'POST' }, status: 500, body: { error: 'server_error' }, times: 1 });
    expect((await call(h.url('/confluence/spaces'), withSession(session))).status, 'upstream_unavailable').to.equal(503);

    // API token: Jira in a new session, Confluence into it, listings; a scoped token (gateway route).
    const tokenLogin = await connectWithToken(h, 'jira');
    expect(tokenLogin.status, JSON.stringify(tokenLogin.body)).to.equal(200);
    const tokenSession = tokenLogin.body.session_token as string;
    sessionTokens.add(tokenSession);
    expect((await connectWithToken(h, 'confluence', undefined, tokenSession)).status).to.equal(200);
    expect((await call(h.url('/jira/projects'), withSession(tokenSession))).status).to.equal(200);
    const scoped = await connectWithToken(h, 'confluence', { email: SCOPED_USER.email, api_token: SCOPED_USER.apiToken, site: 'acme' });
    expect(scoped.status, JSON.stringify(scoped.body)).to.equal(200);
    sessionTokens.add(scoped.body.session_token as string);

    // Error paths.
    expect((await connectWithToken(h, 'jira', { email: USER.email, api_token: WRONG_TOKEN, site: 'acme' }, tokenSession)).status).to.equal(401);
    const stray = await consent((await startOAuthFlow(h, 'jira')).authUrl);
    secrets.set(stray.searchParams.get('code') ?? '', 'an OAuth code');
    expect((await call(callbackUrl(h, 'jira', { code: stray.searchParams.get('code') ?? '', state: 'x'.repeat(43) }))).status, 'invalid_state').to.equal(400);
    expect((await call(jiraBack.toString())).status, 'a replayed state').to.equal(400);
    const fresh = await startOAuthFlow(h, 'jira');
    secrets.set(fresh.state, 'an OAuth state');
    sessionTokens.add(fresh.sessionToken);
    expect((await call(callbackUrl(h, 'jira', { code: 'invented-code-0123456789', state: fresh.state }))).status, 'invalid_grant').to.equal(400);
    h.fake.setConsent({ deny: true });
    const denied = await startOAuthFlow(h, 'confluence');
    secrets.set(denied.state, 'an OAuth state');
    sessionTokens.add(denied.sessionToken);
    expect((await call((await consent(denied.authUrl)).toString())).status, 'oauth_denied').to.equal(400);
    h.fake.setConsent({});
    // A refused refresh: the grant is revoked, the access token expires, the listing needs a refresh that fails.
    const doomed = await startOAuthFlow(h, 'jira');
    const doomedBack = await consent(doomed.authUrl);
    secrets.set(doomed.state, 'an OAuth state').set(doomedBack.searchParams.get('code') ?? '', 'an OAuth code');
    sessionTokens.add(doomed.sessionToken);
    expect((await call(doomedBack.toString())).status).to.equal(200);
    h.fake.revokeGrant(USER.email);
    h.fake.expireAccessTokens();
    expect((await call(h.url('/jira/projects'), withSession(doomed.sessionToken))).status, 'reauth_required').to.equal(401);
    // An upstream fault and a retry.
    h.fake.injectFault({ match: { path: '/rest/api/3/project/search' }, status: 503, times: 1 });
    expect((await call(h.url('/jira/projects'), withSession(tokenSession))).status).to.equal(200);
    // An unexpected failure (logged with its error), on a request that carries a session token.
    await rawRequest(h.service.baseUrl, {
      method: 'POST',
      path: '/auth/jira/api-token',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'X-Session-Token': tokenSession },
      body: 'not gzip',
    });
    // Ending things.
    expect((await call(h.url('/auth/confluence'), withSession(tokenSession, { method: 'DELETE' }))).status).to.equal(204);
    expect((await call(h.url('/auth/session'), withSession(tokenSession, { method: 'DELETE' }))).status).to.equal(204);

    for (const token of sessionTokens) secrets.set(token, 'a session token');
    const seen = credentialsSentUpstream(h, secrets);
    // The flows really produced what is searched for.
    expect(seen.access, 'distinct access tokens sent upstream').to.be.at.least(4);
    expect(seen.refresh, 'distinct refresh tokens sent upstream').to.be.at.least(3);
    expect(sessionTokens.size).to.be.at.least(5);
    const lines = parsed(h);
    expect(lines.filter((line) => line.msg === 'upstream call').length).to.be.at.least(10);
    expect(lines.some((line) => line.msg === 'access token refreshed')).to.equal(true);
    expect(lines.some((line) => line.level >= 40 && line.msg === 'token refresh failed; credentials kept')).to.equal(true);

    expectNoSecretIn(h.service.logs.join('\n'), secrets);
  });

  it('every line written while serving a request carries its requestId; each request line has method, route, status and ms', async () => {
    const lines = parsed(h);
    expect(lines.length).to.be.at.least(20);
    for (const line of lines) {
      expect(line.requestId, JSON.stringify(line)).to.be.a('string').and.not.equal('');
    }
    const requests = lines.filter((line) => line.msg === 'request');
    expect(requests.length).to.be.at.least(20);
    for (const line of requests) {
      expect(line['method'], JSON.stringify(line)).to.be.oneOf(['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD']);
      expect(line['route'], JSON.stringify(line)).to.be.a('string').and.match(/^(?:\/|unmatched$)/);
      expect(line['status'], JSON.stringify(line)).to.be.a('number').within(100, 599);
      expect(line['ms'], JSON.stringify(line)).to.be.a('number').at.least(0);
    }
    // Routes are templates, never raw paths with user input.
    const routes = new Set(requests.map((line) => line['route']));
    expect(routes).to.include('/auth/:product/oauth/callback');
    expect(routes).to.include('/auth/:product/api-token');
    expect(routes).to.include('/jira/projects');
  });

  it('upstream calls are logged with product, outcome (the status), duration and retries; an injected 503 shows retries: 1', async () => {
    const login = await connectWithToken(h, 'jira');
    h.fake.injectFault({ match: { path: '/rest/api/3/project/search' }, status: 503, times: 1 });
    const res = await call(h.url('/jira/projects'), withSession(login.body.session_token as string, { headers: { 'X-Request-Id': 'retry-check-1' } }));
    expect(res.status).to.equal(200);
    const upstream = parsed(h).filter((line) => line.msg === 'upstream call');
    for (const line of upstream) {
      expect(line['product'], JSON.stringify(line)).to.be.a('string');
      expect(line['outcome'], JSON.stringify(line)).to.be.a('string').and.match(/^(?:\d{3}|timeout|network_error)$/);
      expect(line['retries'], JSON.stringify(line)).to.be.a('number').at.least(0);
      expect(line['ms'], JSON.stringify(line)).to.be.a('number').at.least(0);
      expect(String(line['url'] ?? ''), 'no query string in a logged URL').not.to.include('?');
    }
    const mine = upstream.filter((line) => line.requestId === 'retry-check-1');
    expect(mine.some((line) => line['product'] === 'jira' && line['outcome'] === '200' && line['retries'] === 1), JSON.stringify(mine)).to.equal(true);
    expect(parsed(h).some((line) => line.requestId === 'retry-check-1' && line.msg === 'retrying upstream call')).to.equal(true);
  });

  it("a caller's X-Request-Id (abc-123) is echoed and tags every line of that request", async () => {
    const login = await connectWithToken(h, 'jira');
    const res = await call(h.url('/jira/projects'), withSession(login.body.session_token as string, { headers: { 'X-Request-Id': 'abc-123' } }));
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-request-id')).to.equal('abc-123');
    const mine = parsed(h).filter((line) => line.requestId === 'abc-123');
    expect(mine.map((line) => line.msg)).to.include.members(['request', 'upstream call']);
    const request = mine.find((line) => line.msg === 'request')!;
    expect(request).to.include({ method: 'GET', route: '/jira/projects', status: 200 });
  });

  it('without X-Request-Id each request gets a fresh UUID, returned in the header and used in its lines', async () => {
    const a = await call(h.url('/'));
    const b = await call(h.url('/'));
    const idA = a.headers.get('x-request-id') ?? '';
    const idB = b.headers.get('x-request-id') ?? '';
    expect(idA).to.match(UUID);
    expect(idB).to.match(UUID);
    expect(idA).not.to.equal(idB);
    expect(parsed(h).some((line) => line.requestId === idA && line.msg === 'request' && line['route'] === '/')).to.equal(true);
  });

  for (const [what, value] of [
    ['a <script> tag', '<script>alert(1)</script>'],
    ['500 characters', 'a'.repeat(500)],
    ['a path', '../../etc/passwd'],
    ['spaces and quotes', 'abc 123 "x"'],
    ['a JSON fragment', '","level":60,"msg":"forged'],
  ] as const) {
    it(`a malicious X-Request-Id (${what}) is replaced by a fresh UUID and never logged`, async () => {
      const res = await rawRequest(h.service.baseUrl, { path: '/', headers: { 'X-Request-Id': value } });
      expect(res.status).to.equal(200);
      const id = String(res.headers['x-request-id']);
      expect(id).to.match(UUID);
      expect(h.service.logs.join('\n')).not.to.include(value);
      expect(parsed(h).some((line) => line.requestId === id && line.msg === 'request')).to.equal(true);
    });
  }
});

/** Polls the in-process service's log lines: a wait for an event, bounded by mocha's timeout. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe('structured logs: Node parser errors', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ LOG_LEVEL: 'debug' }); });
  after(async () => { await h.close(); });

  it('a malformed request following one that carries a session token does not put the token in the logs', async () => {
    const login = await connectWithToken(h, 'jira');
    const token = login.body.session_token as string;
    await rawExchange(h.service.baseUrl, `GET /auth/session HTTP/1.1\r\nHost: x\r\nX-Session-Token: ${token}\r\n\r\n{"a":`);
    await rawExchange(
      h.service.baseUrl,
      `GET /auth/session HTTP/1.1\r\nHost: x\r\nX-Session-Token: ${token}\r\nContent-Length: 0\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n`,
    );
    // A marker request after the malformed ones: once its log line is written, what the server did with the
    // sockets before it (a parser error, a log line) is behind us; no fixed wait.
    const marker = await call(h.url('/health/live'), { headers: { 'X-Request-Id': 'after-the-malformed-requests' } });
    expect(marker.status).to.equal(200);
    await until(() => h.service.logs.some((line) => line.includes('after-the-malformed-requests')));
    expectNoSecretIn(h.service.logs.join('\n'), new Map([[token, 'a session token']]));
  });
});
