import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  USER,
  call,
  connectWithOAuth,
  connectWithToken,
  expectError,
  startHarness,
  startOAuthFlow,
  withSession,
  type Harness,
} from '../support/harness.js';
import { deleteKeys, REDIS_URL, requireRedis, uniquePrefix } from '../support/redis.js';

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The samples of a Prometheus text exposition (format 0.0.4). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    if (match === null) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]!] = pair[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

async function scrape(h: Harness): Promise<{ samples: Sample[]; text: string }> {
  const res = await call(h.url('/metrics'));
  expect(res.status).to.equal(200);
  expect(res.headers.get('content-type') ?? '').to.match(/^text\/plain; version=0\.0\.4/);
  const text = String(res.body);
  return { samples: parseExposition(text), text };
}

/** The value of the one sample with this name whose labels include `labels`; 0 when there is none. */
function value(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return found.reduce((sum, s) => sum + s.value, 0);
}

const ROUTE_TEMPLATES = [
  '/',
  '/metrics',
  '/auth/session',
  '/auth/:product',
  '/auth/:product/oauth/start',
  '/auth/oauth/callback',
  '/auth/:product/oauth/callback',
  '/auth/:product/api-token',
  '/jira/projects',
  '/confluence/spaces',
  'unmatched',
];

describe('metrics (GET /metrics, Prometheus)', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ UPSTREAM_RETRY_BASE_MS: '10', UPSTREAM_MAX_RETRIES: '2' }); });
  after(async () => { await h.close(); });
  beforeEach(() => { h.fake.clearFaults(); });

  it('requests by method, route and status, with a latency histogram (buckets, sum, count)', async () => {
    const login = await connectWithToken(h, 'jira');
    const token = login.body.session_token as string;
    expect((await call(h.url('/jira/projects'), withSession(token))).status).to.equal(200);
    expect((await call(h.url('/jira/projects'), withSession(token))).status).to.equal(200);
    expectError(await call(h.url('/jira/projects')), 401, 'missing_session');

    const { samples } = await scrape(h);
    const ok = { method: 'GET', route: '/jira/projects', status: '200' };
    expect(value(samples, 'connector_http_request_duration_seconds_count', ok)).to.be.at.least(2);
    expect(value(samples, 'connector_http_request_duration_seconds_count', { method: 'GET', route: '/jira/projects', status: '401' })).to.be.at.least(1);
    expect(value(samples, 'connector_http_request_duration_seconds_count', { method: 'POST', route: '/auth/:product/api-token', status: '200' })).to.be.at.least(1);
    expect(samples.some((s) => s.name === 'connector_http_request_duration_seconds_sum' && s.labels['route'] === '/jira/projects')).to.equal(true);
    const buckets = samples.filter((s) => s.name === 'connector_http_request_duration_seconds_bucket' && s.labels['route'] === '/jira/projects' && s.labels['status'] === '200');
    expect(buckets.map((s) => s.labels['le'])).to.include('+Inf');
    expect(buckets.length).to.be.at.least(5);
    expect(value(samples, 'connector_http_request_duration_seconds_bucket', { ...ok, le: '+Inf' })).to.equal(value(samples, 'connector_http_request_duration_seconds_count', ok));
  });

  it('upstream calls by product and outcome, with latency; retries by product after an injected 503', async () => {
    const login = await connectWithToken(h, 'jira');
    const token = login.body.session_token as string;
    const before = value((await scrape(h)).samples, 'connector_upstream_retries_total', { product: 'jira' });
    h.fake.injectFault({ match: { path: '/rest/api/3/project/search' }, status: 503, times: 1 });
    expect((await call(h.url('/jira/projects'), withSession(token))).status).to.equal(200);

    const { samples } = await scrape(h);
    expect(value(samples, 'connector_upstream_call_duration_seconds_count', { product: 'jira', outcome: '200' })).to.be.at.least(1);
    expect(samples.some((s) => s.name === 'connector_upstream_call_duration_seconds_bucket' && s.labels['product'] === 'jira')).to.equal(true);
    expect(value(samples, 'connector_upstream_retries_total', { product: 'jira' })).to.equal(before + 1);
  });

  it('a failed identity check is counted with its upstream status', async () => {
    expectError(await connectWithToken(h, 'confluence', { email: USER.email, api_token: 'wrong-token-0123456789', site: 'acme' }), 401, 'invalid_credentials');
    const { samples } = await scrape(h);
    expect(value(samples, 'connector_upstream_call_duration_seconds_count', { product: 'confluence', outcome: '401' })).to.be.at.least(1);
  });

  it('token refreshes by outcome: refreshed after expireAccessTokens + a listing; refused when the grant is revoked', async () => {
    const { sessionToken, callback } = await connectWithOAuth(h, 'jira');
    expect(callback.status).to.equal(200);
    h.fake.expireAccessTokens();
    expect((await call(h.url('/jira/projects'), withSession(sessionToken))).status).to.equal(200);
    let { samples } = await scrape(h);
    expect(value(samples, 'connector_token_refreshes_total', { outcome: 'refreshed' })).to.be.at.least(1);

    const refusedBefore = value(samples, 'connector_token_refreshes_total', { outcome: 'refused' });
    h.fake.revokeGrant(USER.email);
    h.fake.expireAccessTokens();
    // no-cache: the listing read a moment ago would otherwise be answered without asking Atlassian.
    expectError(await call(h.url('/jira/projects'), withSession(sessionToken, { headers: { 'Cache-Control': 'no-cache' } })), 401, 'reauth_required');
    ({ samples } = await scrape(h));
    expect(value(samples, 'connector_token_refreshes_total', { outcome: 'refused' })).to.equal(refusedBefore + 1);
  });

  it('token refresh failures (Atlassian answering 500 to the refresh) are counted as failed', async () => {
    const { sessionToken, callback } = await connectWithOAuth(h, 'confluence');
    expect(callback.status).to.equal(200);
    const failedBefore = value((await scrape(h)).samples, 'connector_token_refreshes_total', { outcome: 'failed' });
    h.fake.expireAccessTokens();
    h.fake.injectFault({ match: { path: '/oauth/token', method: 'POST' }, status: 500, body: { error: 'server_error' }, times: 1 });
    const res = await call(h.url('/confluence/spaces'), withSession(sessionToken));
    expect(res.status, JSON.stringify(res.body)).to.equal(503);
    const { samples } = await scrape(h);
    expect(value(samples, 'connector_token_refreshes_total', { outcome: 'failed' })).to.equal(failedBefore + 1);
  });

  it('unmatched paths are labelled route="unmatched": no raw path, query or user input in any label', async () => {
    const marker = 'secret-looking-path-9f8e7d';
    expectError(await call(h.url(`/${marker}/x?token=${marker}`)), 404, 'not_found');
    expectError(await call(h.url(`/auth/${marker}/oauth/start`)), 404, 'not_found');
    const { samples, text } = await scrape(h);
    expect(value(samples, 'connector_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '404' })).to.be.at.least(1);
    expect(text).not.to.include(marker);
    const routes = new Set(samples.filter((s) => s.name.startsWith('connector_http_request_duration_seconds')).map((s) => s.labels['route']));
    for (const route of routes) expect(ROUTE_TEMPLATES, `route label ${route}`).to.include(route);
  });

  it('the scrape itself is counted under route="/metrics", and the default process metrics are exposed', async () => {
    await scrape(h);
    const { samples } = await scrape(h);
    expect(value(samples, 'connector_http_request_duration_seconds_count', { method: 'GET', route: '/metrics', status: '200' })).to.be.at.least(1);
    expect(samples.some((s) => s.name.startsWith('connector_process_'))).to.equal(true);
  });

  it('every series has HELP and TYPE lines', async () => {
    const { text } = await scrape(h);
    for (const [name, type] of [
      ['connector_http_request_duration_seconds', 'histogram'],
      ['connector_upstream_call_duration_seconds', 'histogram'],
      ['connector_upstream_retries_total', 'counter'],
      ['connector_token_refreshes_total', 'counter'],
      ['connector_live_sessions', 'gauge'],
    ]) {
      expect(text).to.include(`# HELP ${name} `);
      expect(text).to.include(`# TYPE ${name} ${type}`);
    }
  });
});

describe('metrics: connector_live_sessions (memory store)', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });

  async function liveSessions(): Promise<number> {
    const { samples } = await scrape(h);
    const gauge = samples.filter((s) => s.name === 'connector_live_sessions');
    expect(gauge).to.have.length(1);
    return gauge[0]!.value;
  }

  it('equals the number of sessions created, and follows logouts; failed logins create none', async () => {
    expect(await liveSessions()).to.equal(0);
    const a = await connectWithToken(h, 'jira');
    const b = await connectWithToken(h, 'confluence');
    const c = await startOAuthFlow(h, 'jira');
    const d = await connectWithOAuth(h, 'confluence');
    expect([a.status, b.status, d.callback.status]).to.deep.equal([200, 200, 200]);
    // Joining an existing session does not make a new one.
    expect((await connectWithToken(h, 'confluence', undefined, a.body.session_token as string)).status).to.equal(200);
    expect(await liveSessions()).to.equal(4);

    expectError(await connectWithToken(h, 'jira', { email: USER.email, api_token: 'wrong-token-0123456789', site: 'acme' }), 401, 'invalid_credentials');
    expect(await liveSessions()).to.equal(4);

    expect((await call(h.url('/auth/session'), withSession(c.sessionToken, { method: 'DELETE' }))).status).to.equal(204);
    expect(await liveSessions()).to.equal(3);
  });
});

describe('metrics: SESSION_STORE=redis exposes no live-session gauge (the store cannot count cheaply)', function () {
  const prefix = uniquePrefix('metrics');
  let h: Harness;
  let redis: Redis;
  before(async function () {
    await requireRedis(this);
    redis = new Redis(REDIS_URL);
    h = await startHarness({ SESSION_STORE: 'redis', REDIS_URL, REDIS_KEY_PREFIX: prefix, SESSION_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
  });
  after(async () => {
    await h?.close();
    if (redis !== undefined) {
      await deleteKeys(redis, prefix);
      redis.disconnect();
    }
  });

  it('has the request and upstream series but no connector_live_sessions', async () => {
    expect((await connectWithToken(h, 'jira')).status).to.equal(200);
    const { samples, text } = await scrape(h);
    expect(text).not.to.include('connector_live_sessions');
    expect(value(samples, 'connector_http_request_duration_seconds_count', { method: 'POST', route: '/auth/:product/api-token', status: '200' })).to.equal(1);
  });
});

describe('METRICS_ENABLED=false', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ METRICS_ENABLED: 'false' }); });
  after(async () => { await h.close(); });

  it('GET /metrics → 404 not_found, and the service otherwise works', async () => {
    expectError(await call(h.url('/metrics')), 404, 'not_found');
    const login = await connectWithToken(h, 'jira');
    expect(login.status).to.equal(200);
    expect((await call(h.url('/jira/projects'), withSession(login.body.session_token as string))).status).to.equal(200);
    expectError(await call(h.url('/metrics')), 404, 'not_found');
  });
});
