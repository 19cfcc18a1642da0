import nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import fc from 'fast-check';
import zlib from 'node:zlib';
import {
  USER,
  call,
  connectWithToken,
  rawExchange,
  rawRequest,
  startHarness,
  withSession,
  type Harness,
  type RawResponse,
} from '../support/harness.js';

/**
 * Throws a few hundred malformed requests at every route of the real service (on loopback, against the fake
 * Atlassian) and checks each answer: never a 5xx, never a stack trace or a source path, errors always in the
 * `{"error":{"code","message"}}` shape — and afterwards: no prototype pollution, the service still healthy.
 * Deterministic: fixed seed and run count.
 */
const SEED = 20_066;
const RUNS = 400;

/** Every route with the method it serves. */
const ROUTES: readonly (readonly [string, string])[] = [
  ['GET', '/'],
  ['GET', '/auth/jira/oauth/start'],
  ['GET', '/auth/confluence/oauth/start'],
  ['GET', '/auth/oauth/callback'],
  ['GET', '/auth/jira/oauth/callback'],
  ['GET', '/auth/confluence/oauth/callback'],
  ['POST', '/auth/jira/api-token'],
  ['POST', '/auth/confluence/api-token'],
  ['POST', '/auth/oauth/complete'],
  ['GET', '/jira/projects'],
  ['GET', '/confluence/spaces'],
  ['GET', '/auth/session'],
  ['DELETE', '/auth/session'],
  ['DELETE', '/auth/jira'],
  ['DELETE', '/auth/confluence'],
  ['GET', '/metrics'],
  ['GET', '/openapi.json'],
  ['GET', '/docs'],
  ['GET', '/docs/'],
  ['HEAD', '/docs-assets/local/swagger-ui.min.css'],
  ['GET', '/docs-assets/local/nope.js'],
];
const METHODS = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND'] as const;

/** Percent-encodes every byte outside the unreserved set: any string, lone surrogates included, becomes a valid path. */
function pct(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((byte) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

const oddText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '..', '.', '%', '%00', '\u0000', '\u202E', '\uFEFF', '𝔧𝔦𝔯𝔞', 'ﬁ', 'İ', 'JIRA'),
);

const segment = fc.oneof(
  fc.constantFrom('jira', 'confluence', '__proto__', 'constructor', 'prototype', 'JIRA', 'toString', '..', '%2e%2e', '%00', '%', '%E0%A4%A', 'session'),
  oddText.map(pct),
);

const path = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...ROUTES.map(([, route]) => route)) },
  { weight: 2, arbitrary: segment.map((s) => `/auth/${s}/api-token`) },
  { weight: 1, arbitrary: segment.map((s) => `/auth/${s}/oauth/start`) },
  { weight: 1, arbitrary: segment.map((s) => `/auth/${s}/oauth/callback`) },
  { weight: 1, arbitrary: segment.map((s) => `/auth/${s}`) },
  { weight: 1, arbitrary: segment.map((s) => `/${s}/projects`) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '/%',
      '/%00',
      '/..%2f..%2fetc%2fpasswd',
      '/docs-assets/local/..%2f..%2f..%2fpackage.json',
      '/docs-assets/local/../../package.json',
      '//jira/projects',
      '/jira/projects/',
      '/JIRA/PROJECTS',
      '/jira/projects;x=1',
      '/jira//projects',
      '/auth/session/',
      '/metrics/',
      '/openapi.json/x',
      `/${'a'.repeat(4000)}`,
      `/auth/${'j'.repeat(3000)}/api-token`,
    ),
  },
);

const queryKey = fc.oneof(
  fc.constantFrom('site', 'code', 'state', 'error', 'error_description', '__proto__', '__proto__[polluted]', 'constructor[prototype][polluted]', 'constructor', 'toString'),
  oddText,
);
const queryValue = fc.oneof(oddText, fc.constantFrom('acme', 'beta', 'https://evil.com', '1', ''), fc.integer({ min: 4000, max: 5000 }).map((n) => 'q'.repeat(n)));
const query = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  {
    weight: 3,
    arbitrary: fc
      .array(fc.tuple(queryKey, queryValue), { minLength: 1, maxLength: 5 })
      .map((pairs) => `?${pairs.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&')}`),
  },
  { weight: 1, arbitrary: fc.constantFrom('?', '?&&&', '?=', '?state', '?code=a&state=b&state=c', '?site=a&site=b', '?%', '?a=%', '?%E0%A4%A=1') },
);

/** Header values node:http will frame: tab, printable ASCII and Latin-1. */
const headerValue = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength: 60 }) },
  { weight: 3, arbitrary: fc.constantFrom('<script>alert(1)</script>', '../../etc/passwd', '${jndi:ldap://x}', "' OR 1=1 --", 'null', 'undefined', '__proto__', '') },
  // Long values; several of them together pass Node's 16 KB header limit (431).
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 9000 }).map((n) => 'h'.repeat(n)) },
);

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=nope',
  'application/merge-patch+json',
  'application/vnd.api+json',
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/octet-stream',
  'json',
  '*/*',
  ';;;',
  '',
] as const;

interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  /** Index into the pool of live session tokens, or a literal token. */
  readonly session?: number | string;
  readonly body?: string | Buffer;
}

const body = fc.oneof(
  // broken JSON
  fc.constantFrom('{', '{"a":', '{"email":}', '[1,2', '{"a":1,}', 'NaN', 'undefined', "{'a':1}", '\u0000', '{"a":"\\ud800"}', '\uFEFF{}', '', 'null', '[]', '"text"', '42', 'true'),
  // deeply nested JSON, arrays and objects
  fc.integer({ min: 1000, max: 45_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 1000, max: 15_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  fc.integer({ min: 1000, max: 20_000 }).map((n) => '['.repeat(n)),
  // prototype pollution attempts
  fc.constantFrom(
    '{"__proto__":{"polluted":1}}',
    '{"constructor":{"prototype":{"polluted":1}}}',
    `{"__proto__":{"polluted":1},"email":"${USER.email}","api_token":"wrong","site":"beta"}`,
    `{"email":"${USER.email}","api_token":"wrong","site":"beta","constructor":{"prototype":{"polluted":1}}}`,
    '{"email":{"__proto__":{"polluted":1}},"api_token":{"constructor":{"prototype":{"polluted":1}}},"site":{"__proto__":{"toString":1}}}',
    '[{"__proto__":{"polluted":1}}]',
  ),
  // huge and odd unicode strings in every field
  fc
    .tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), fc.integer({ min: 10, max: 12_000 }), fc.constantFrom('email', 'api_token', 'site'))
    .map(([unit, n, field]) => JSON.stringify({ email: USER.email, api_token: 'wrong-token', site: 'beta', [field]: unit.repeat(n) })),
  fc
    .record({ email: oddText, api_token: oddText, site: fc.oneof(oddText, fc.constantFrom('beta', 'acme', 'evil.com', 'https://beta.atlassian.net/', '127.0.0.1', 'beta.atlassian.net@evil.com')) }, { requiredKeys: [] })
    .map((value) => JSON.stringify(value)),
  // plausible logins with the wrong token: reach the fake and fail there
  fc.string({ minLength: 1, maxLength: 40 }).map((token) => JSON.stringify({ email: USER.email, api_token: token, site: 'beta' })),
  fc.string({ minLength: 1, maxLength: 40 }).map((token) => JSON.stringify({ email: USER.email, api_token: token, site: 'beta' })),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  fc.constant(`email=${USER.email}&api_token=x&site=beta`),
  // over the default 100 KB limit
  fc.integer({ min: 110_000, max: 150_000 }).map((n) => JSON.stringify({ email: USER.email, api_token: 'x'.repeat(n), site: 'beta' })),
);

const randomHeaderName = fc
  .stringMatching(/^[a-z][a-z0-9-]{0,20}$/)
  .filter((name) => !['host', 'content-length', 'transfer-encoding', 'connection', 'expect', 'upgrade', 'te', 'trailer', 'keep-alive'].includes(name));

const headers = fc.record(
  {
    'content-type': fc.oneof({ weight: 3, arbitrary: fc.constant('application/json') }, { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) }),
    'x-request-id': headerValue,
    'x-forwarded-for': fc.oneof(headerValue, fc.ipV4(), fc.ipV6(), fc.constantFrom('1.2.3.4, 5.6.7.8', 'unknown', ', ,')),
    origin: fc.oneof(headerValue, fc.webUrl(), fc.constant('null')),
    'access-control-request-method': fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'X'),
    'access-control-request-headers': fc.oneof(fc.constantFrom('x-session-token', 'content-type, x-session-token', 'x-evil'), headerValue),
    accept: fc.oneof(headerValue, fc.constantFrom('application/json', 'text/html', '*/*', 'application/xml;q=0.9')),
    'if-none-match': fc.oneof(headerValue, fc.constantFrom('*', '"x"', 'W/"x"', '"a", "b"')),
    authorization: fc.oneof(headerValue, fc.constantFrom('Bearer x', 'Basic Zm9vOmJhcg==', `Basic ${Buffer.from(`${USER.email}:${USER.apiToken}`).toString('base64')}`)),
    cookie: headerValue,
    'content-encoding': fc.oneof({ weight: 8, arbitrary: fc.constant('identity') }, { weight: 1, arbitrary: fc.constantFrom('foo', 'gzip, foo') }),
    'accept-encoding': fc.constantFrom('gzip', 'br', 'identity;q=0', '*'),
    range: fc.constantFrom('bytes=0-10', 'bytes=-1', 'bytes=99999999-'),
  },
  { requiredKeys: [] },
);

const request: fc.Arbitrary<FuzzRequest> = fc
  .record({
    // Mostly a route with the method it serves, so requests get past routing; otherwise anything.
    target: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...ROUTES) },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...METHODS), path) },
    ),
    query,
    headers,
    extra: fc.dictionary(randomHeaderName, headerValue, { maxKeys: 3 }),
    session: fc.option(
      fc.oneof({ weight: 3, arbitrary: fc.nat({ max: 9 }) }, { weight: 1, arbitrary: headerValue }, { weight: 1, arbitrary: fc.constantFrom('A'.repeat(43), 'a'.repeat(44), `${'A'.repeat(42)}=`) }),
      { nil: undefined, freq: 3 },
    ),
    body: fc.option(body, { nil: undefined, freq: 2 }),
  })
  .map(({ target: [method, p], query: q, headers: h, extra, session, body: b }) => ({
    method,
    path: `${p}${q}`,
    headers: { ...extra, ...h },
    ...(session === undefined ? {} : { session }),
    ...(b === undefined ? {} : { body: b }),
  }));

/** Where the service's files live on this machine: no answer may name it. */
const PROJECT_ROOT = nodePath.resolve(nodePath.dirname(fileURLToPath(import.meta.url)), '../..');

/** Node's default --max-http-header-size. */
const NODE_MAX_HEADER_BYTES = 16 * 1024;

function headerBytes(path: string, headers: Record<string, string>): number {
  return Object.entries(headers).reduce((sum, [name, value]) => sum + name.length + value.length + 4, path.length + 16);
}

const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();
const PROTOTYPES = [Object.prototype, Array.prototype, Function.prototype, String.prototype];

function isAsset(res: RawResponse): boolean {
  return res.status === 200 && /^(?:text\/css|application\/javascript)/.test(String(res.headers['content-type'] ?? ''));
}

function describeRequest(req: FuzzRequest): string {
  const shown = { ...req, body: req.body === undefined ? undefined : String(req.body).slice(0, 200) };
  return JSON.stringify(shown).slice(0, 600);
}

/** What must hold for every answer, whatever was asked. */
function checkAnswer(req: FuzzRequest, res: RawResponse): void {
  const what = `${describeRequest(req)} → ${res.status} ${res.text.slice(0, 300)}`;
  expect(res.status, what).to.be.within(100, 499);
  if (!isAsset(res)) {
    expect(res.text, `stack trace in ${what}`).not.to.include('    at ');
    expect(res.text, `file path in ${what}`).not.to.include(PROJECT_ROOT);
    expect(res.text, `source location in ${what}`).not.to.include('.ts:');
    expect(res.text, `module path in ${what}`).not.to.include('node_modules');
  }
  const type = String(res.headers['content-type'] ?? '');
  if (res.status >= 400 && type.startsWith('application/json') && req.method !== 'HEAD') {
    const parsed = JSON.parse(res.text) as { error?: { code?: unknown; message?: unknown } };
    expect(parsed.error, what).to.be.an('object');
    expect(parsed.error!.code, what).to.be.a('string').and.match(/^[a-z_]+$/);
    expect(parsed.error!.message, what).to.be.a('string').and.not.equal('');
  }
  // Anything Koa answered (it stamps a request id) carries the security headers, errors included.
  if (res.headers['x-request-id'] !== undefined) {
    expect(res.headers['x-content-type-options'], what).to.equal('nosniff');
    expect(res.headers['referrer-policy'], what).to.equal('no-referrer');
    expect(res.headers['content-security-policy'], what).to.be.a('string');
  }
}

function expectNoPollution(): void {
  expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).to.deep.equal(PROTOTYPE_KEYS);
  for (const proto of PROTOTYPES) {
    expect(Object.prototype.hasOwnProperty.call(proto, 'polluted'), proto.constructor.name).to.equal(false);
  }
}

describe('fuzz: malformed requests at every route', () => {
  let h: Harness;
  const sessions: string[] = [];
  before(async () => {
    h = await startHarness();
    // Live sessions for fuzzed requests to act on (listings of beta are one page, so the fuzz stays quick).
    for (let i = 0; i < 10; i++) {
      const product = i % 2 === 0 ? 'jira' : 'confluence';
      const login = await connectWithToken(h, product, { email: USER.email, api_token: USER.apiToken, site: 'beta' });
      expect(login.status, JSON.stringify(login.body)).to.equal(200);
      sessions.push(login.body.session_token as string);
    }
  });
  after(async () => { await h.close(); });

  it(`${RUNS} generated requests (seed ${SEED}): no 5xx, no stack or path, errors in the error shape`, async function () {
    this.timeout(120_000);
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const headersToSend: Record<string, string> = { ...req.headers };
        if (req.session !== undefined) {
          headersToSend['x-session-token'] = typeof req.session === 'number' ? (sessions[req.session % sessions.length] ?? '') : req.session;
        }
        const res = await rawRequest(h.service.baseUrl, { method: req.method, path: req.path, headers: headersToSend, ...(req.body === undefined ? {} : { body: req.body }) })
          .catch((error: NodeJS.ErrnoException) => {
            // Over Node's header limit its parser answers 431 and closes before the service sees the request;
            // Node 24 closes while a client may still be writing its body, and that client sees a reset.
            if (error.code === 'ECONNRESET' && headerBytes(req.path, headersToSend) > NODE_MAX_HEADER_BYTES) return undefined;
            throw error;
          });
        sent++;
        if (res !== undefined) checkAnswer(req, res);
        expectNoPollution();
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    expect(sent).to.be.at.least(RUNS);
  });

  it('malformed HTTP on the wire (no client would send it) gets a 4xx or a closed connection, never a 5xx', async () => {
    const messages = [
      'GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nX-Session-Token: a\u0000b\r\n\r\n',
      'GET /jira/projects HTTP/1.1\r\nHost: x\r\nX-Session-Token: \u00e9\u00e9\u00e9\r\n\r\n',
      'POST /auth/jira/api-token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":1}',
      'POST /auth/jira/api-token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'POST /auth/jira/api-token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
      'POST /auth/jira/api-token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n',
      'POST /auth/jira/api-token HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
      'GET /\r\n\r\n',
      'GET / HTTP/9.9\r\nHost: x\r\n\r\n',
      'BREW /jira/projects HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /jira/projects HTTP/1.1\r\n\r\n',
      `GET /jira/projects HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`,
      '\r\n\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue-please\r\n\r\n',
    ];
    for (const message of messages) {
      const answer = await rawExchange(h.service.baseUrl, message);
      if (answer.status !== undefined) expect(answer.status, JSON.stringify(message.slice(0, 120))).to.be.within(100, 499);
      expect(answer.text).not.to.include('    at ');
      expect(answer.text).not.to.include(PROJECT_ROOT);
    }
    expectNoPollution();
    expect((await call(h.url('/'))).status).to.equal(200);
  });

  it('a body that does not decompress under its Content-Encoding answers 4xx, not 500', async () => {
    const garbage = Buffer.from('this is not compressed');
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const res = await rawRequest(h.service.baseUrl, {
        method: 'POST',
        path: '/auth/jira/api-token',
        headers: { 'Content-Type': 'application/json', 'Content-Encoding': encoding },
        body: garbage,
      });
      expect(res.status, `${encoding}: ${res.text}`).to.be.within(400, 499);
    }
    // A truncated gzip stream too.
    const truncated = zlib.gzipSync(JSON.stringify({ email: USER.email, api_token: 'x', site: 'beta' })).subarray(0, 12);
    const res = await rawRequest(h.service.baseUrl, {
      method: 'POST',
      path: '/auth/jira/api-token',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body: truncated,
    });
    expect(res.status, res.text).to.be.within(400, 499);
  });

  it('a gzip-compressed JSON body is read like a plain one, and a gzip bomb is refused as too large', async () => {
    const ok = await rawRequest(h.service.baseUrl, {
      method: 'POST',
      path: '/auth/jira/api-token',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body: zlib.gzipSync(JSON.stringify({ email: USER.email, api_token: USER.apiToken, site: 'beta' })),
    });
    expect(ok.status, ok.text).to.equal(200);
    const bomb = await rawRequest(h.service.baseUrl, {
      method: 'POST',
      path: '/auth/jira/api-token',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body: zlib.gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20)),
    });
    expect(bomb.status, bomb.text).to.equal(413);
    expect((JSON.parse(bomb.text) as { error: { code: string } }).error.code).to.equal('payload_too_large');
  });

  describe('after the fuzz', () => {
    it('no prototype was polluted: ({}).polluted is undefined and Object.prototype has no new keys', () => {
      expectNoPollution();
      expect((Object.create(null) as Record<string, unknown>)['polluted']).to.equal(undefined);
      expect(([] as unknown as Record<string, unknown>)['polluted']).to.equal(undefined);
    });

    it('the service is still healthy: GET / answers 200, and a normal API-token login and listing still work', async () => {
      const health = await call(h.url('/'));
      expect(health.status).to.equal(200);
      expect(health.body).to.deep.include({ status: 'ok' });
      const login = await connectWithToken(h, 'jira');
      expect(login.status, JSON.stringify(login.body)).to.equal(200);
      const projects = await call(h.url('/jira/projects'), withSession(login.body.session_token as string));
      expect(projects.status, JSON.stringify(projects.body)).to.equal(200);
      expect(projects.body.total).to.equal(120);
    });

    it('no request ended in an unhandled error: nothing was logged at error level as "request failed" with a 5xx', () => {
      const failures = h.service.logs
        .map((line) => JSON.parse(line) as { msg?: string; status?: number; route?: string })
        .filter((entry) => entry.msg === 'request' && typeof entry.status === 'number' && entry.status >= 500);
      expect(failures, JSON.stringify(failures.slice(0, 3))).to.deep.equal([]);
    });
  });
});
