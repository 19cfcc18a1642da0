import { expect } from 'chai';
import http from 'node:http';
import {
  USER,
  call,
  connectWithToken,
  expectError,
  rawExchange,
  rawRequest,
  startHarness,
  startOAuthFlow,
  withSession,
  type CallResult,
  type Harness,
  type RawResponse,
} from '../support/harness.js';

const LOGIN = '/auth/jira/api-token';
const VERIFY = '/rest/api/3/myself';

/** A JSON login body of exactly `bytes` bytes (UTF-8), with the right credentials and a padding field. */
function loginBodyOfSize(bytes: number, credentials: Record<string, string> = { email: USER.email, api_token: USER.apiToken, site: 'acme' }): string {
  const empty = JSON.stringify({ ...credentials, pad: '' });
  const padding = bytes - Buffer.byteLength(empty);
  if (padding < 0) throw new Error(`a body of ${bytes} bytes cannot hold the credentials`);
  const body = JSON.stringify({ ...credentials, pad: 'p'.repeat(padding) });
  expect(Buffer.byteLength(body)).to.equal(bytes);
  return body;
}

/** RawResponse in the shape expectError() reads. */
function asCall(res: RawResponse): CallResult {
  let body: unknown = res.text;
  try {
    body = JSON.parse(res.text);
  } catch {
    // keep the text
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(name, value);
  return { status: res.status, headers: headers as unknown as CallResult['headers'], body: body as any };
}

/** POST with Transfer-Encoding: chunked (no Content-Length), the body written in pieces. */
function postChunked(baseUrl: string, path: string, pieces: string[]): Promise<RawResponse> {
  const target = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: target.hostname, port: target.port, method: 'POST', path, agent: false, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      // The service may answer 413 and close before the last piece is written; the answer still arrives.
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    for (const piece of pieces) req.write(piece);
    req.end();
  });
}

async function expectHealthy(h: Harness): Promise<void> {
  const health = await call(h.url('/'));
  expect(health.status).to.equal(200);
  expect(health.body).to.deep.include({ status: 'ok' });
}

describe('limits: MAX_BODY_BYTES=2048', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ MAX_BODY_BYTES: '2048' }); });
  after(async () => { await h.close(); });
  beforeEach(() => { h.fake.clearRequests(); });

  it('a body of MAX_BODY_BYTES + 1 bytes → 413 payload_too_large, and nothing reaches Atlassian', async () => {
    const res = await call(h.url(LOGIN), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: loginBodyOfSize(2049) });
    expectError(res, 413, 'payload_too_large');
    expect(res.headers.get('x-session-token')).to.equal(null);
    expect(h.fake.requests).to.have.length(0);
  });

  it('a body of exactly MAX_BODY_BYTES bytes is read, validated and logs in (200)', async () => {
    const res = await call(h.url(LOGIN), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: loginBodyOfSize(2048) });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.session_token).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(h.fake.countRequests({ path: VERIFY })).to.equal(1);
  });

  it('a body just under the limit with a wrong field passes the size check and is judged by validation (400)', async () => {
    const res = await call(h.url(LOGIN), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: loginBodyOfSize(2047, { email: 'not-an-email', api_token: 't', site: 'acme' }),
    });
    expectError(res, 400, 'validation_error');
    expect(JSON.stringify(res.body.error.fields)).to.include('email');
  });

  it('the limit counts bytes, not characters: 700 three-byte characters (2100 bytes) → 413', async () => {
    const body = JSON.stringify({ email: USER.email, api_token: '€'.repeat(700), site: 'acme' });
    expect(body.length).to.be.below(2048);
    expect(Buffer.byteLength(body)).to.be.above(2048);
    expectError(await call(h.url(LOGIN), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body }), 413, 'payload_too_large');
  });

  it('a chunked body (no Content-Length) over the limit → 413 payload_too_large as well', async () => {
    const body = loginBodyOfSize(4000);
    const res = await postChunked(h.service.baseUrl, LOGIN, [body.slice(0, 1500), body.slice(1500, 3000), body.slice(3000)]);
    expectError(asCall(res), 413, 'payload_too_large');
    expect(h.fake.requests).to.have.length(0);
    await expectHealthy(h);
  });

  it('a Content-Length over the limit is refused before the body is read', async () => {
    const answer = await rawExchange(
      h.service.baseUrl,
      `POST ${LOGIN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\nConnection: close\r\n\r\n{"email":`,
    );
    expect(answer.status).to.equal(413);
    expect(answer.text).to.include('payload_too_large');
    await expectHealthy(h);
  });
});

describe('limits: defaults (MAX_BODY_BYTES 100 KB)', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });
  beforeEach(() => { h.fake.clearRequests(); });

  it('102401 bytes → 413 payload_too_large; 102400 bytes gets past the size check', async () => {
    const over = await call(h.url(LOGIN), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: loginBodyOfSize(100 * 1024 + 1) });
    expectError(over, 413, 'payload_too_large');
    const at = await call(h.url(LOGIN), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: loginBodyOfSize(100 * 1024) });
    expect(at.status, JSON.stringify(at.body)).to.equal(200);
  });

  describe('415 unsupported_media_type for a login that is not JSON, before anything leaves the service', () => {
    const cases: [string, Record<string, string>, string][] = [
      ['text/plain', { 'Content-Type': 'text/plain' }, JSON.stringify({ email: USER.email, api_token: USER.apiToken, site: 'acme' })],
      ['text/plain; charset=utf-8', { 'Content-Type': 'text/plain; charset=utf-8' }, JSON.stringify({ email: USER.email, api_token: USER.apiToken, site: 'acme' })],
      ['application/x-www-form-urlencoded', { 'Content-Type': 'application/x-www-form-urlencoded' }, `email=${encodeURIComponent(USER.email)}&api_token=${USER.apiToken}&site=acme`],
      ['multipart/form-data', { 'Content-Type': 'multipart/form-data; boundary=b' }, `--b\r\nContent-Disposition: form-data; name="email"\r\n\r\n${USER.email}\r\n--b--\r\n`],
      ['application/xml', { 'Content-Type': 'application/xml' }, '<login/>'],
      ['no Content-Type at all', {}, JSON.stringify({ email: USER.email, api_token: USER.apiToken, site: 'acme' })],
      ['no Content-Type and no body', {}, ''],
    ];
    for (const product of ['jira', 'confluence'] as const) {
      for (const [what, headers, body] of cases) {
        it(`${product}: ${what}`, async () => {
          const res = await rawRequest(h.service.baseUrl, { method: 'POST', path: `/auth/${product}/api-token`, headers, ...(body === '' ? {} : { body }) });
          expectError(asCall(res), 415, 'unsupported_media_type');
          expect(res.headers['x-session-token']).to.equal(undefined);
          expect(h.fake.requests).to.have.length(0);
        });
      }
    }

    it('application/json with a charset is still JSON (not 415)', async () => {
      const body = JSON.stringify({ email: USER.email, api_token: USER.apiToken, site: 'acme' });
      const res = await rawRequest(h.service.baseUrl, { method: 'POST', path: LOGIN, headers: { 'Content-Type': 'application/json; charset=utf-8' }, body });
      expect(res.status, res.text).to.equal(200);
    });
  });

  describe('over-long headers and tokens are refused cleanly', () => {
    it('a 20 KB header → 431 from Node without hanging, and the service stays healthy', async () => {
      for (const headers of [{ 'X-Big': 'x'.repeat(20_000) }, { 'X-Session-Token': 'x'.repeat(20_000) }] as Record<string, string>[]) {
        const res = await rawRequest(h.service.baseUrl, { path: '/jira/projects', headers });
        expect(res.status).to.equal(431);
        expect(res.text).not.to.include('    at ');
      }
      const answer = await rawExchange(h.service.baseUrl, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
      expect(answer.status).to.equal(431);
      await expectHealthy(h);
    });

    it('a 20 KB URL → 431 as well, and the service stays healthy', async () => {
      const res = await rawRequest(h.service.baseUrl, { path: `/auth/jira/oauth/start?site=${'a'.repeat(20_000)}` });
      expect(res.status).to.equal(431);
      await expectHealthy(h);
    });

    it('a 10 KB X-Session-Token (under the header limit) → 401 invalid_session, without a call to Atlassian', async () => {
      for (const path of ['/jira/projects', '/confluence/spaces', '/auth/session']) {
        expectError(await call(h.url(path), withSession('A'.repeat(10_000))), 401, 'invalid_session');
      }
      expectError(await call(h.url('/auth/session'), withSession('A'.repeat(10_000), { method: 'DELETE' })), 401, 'invalid_session');
      expect(h.fake.requests).to.have.length(0);
    });

    it('a 10 KB X-Session-Token on a login is not an error: it is ignored and a new session is made', async () => {
      const res = await connectWithToken(h, 'jira', undefined, 'A'.repeat(10_000));
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.session_token).to.match(/^[A-Za-z0-9_-]{43}$/);
    });

    it('over-long fields in the login body → 400 validation_error naming the field, nothing sent upstream', async () => {
      const cases: [string, Record<string, unknown>][] = [
        ['api_token', { email: USER.email, api_token: 'x'.repeat(2049), site: 'acme' }],
        ['email', { email: `${'a'.repeat(250)}@example.com`, api_token: USER.apiToken, site: 'acme' }],
        ['site', { email: USER.email, api_token: USER.apiToken, site: 'a'.repeat(301) }],
      ];
      for (const [field, body] of cases) {
        const res = await connectWithToken(h, 'jira', body);
        expectError(res, 400, 'validation_error');
        expect(JSON.stringify(res.body.error.fields), field).to.include(field);
        expect(JSON.stringify(res.body)).not.to.include('x'.repeat(100));
      }
      expect(h.fake.requests).to.have.length(0);
    });

    it('over-long OAuth parameters → 400 validation_error, without a token exchange', async () => {
      const { state } = await startOAuthFlow(h, 'jira');
      expectError(await call(h.url(`/auth/jira/oauth/callback?code=${'c'.repeat(4097)}&state=${state}`)), 400, 'validation_error');
      expectError(await call(h.url(`/auth/jira/oauth/callback?code=c&state=${'s'.repeat(4097)}`)), 400, 'validation_error');
      expectError(await call(h.url(`/auth/jira/oauth/start?site=${'a'.repeat(301)}`)), 400, 'validation_error');
      expect(h.fake.countRequests({ path: '/oauth/token' })).to.equal(0);
    });
  });
});
