import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { USER, rawRequest, serviceEnv, startHarness, type Harness, type RawResponse } from '../support/harness.js';
import { requireRedisServer, startRedisServer, type RedisServer } from '../support/redis-servers.js';
import { deleteKeys, REDIS_URL, requireRedis, uniquePrefix } from '../support/redis.js';
import { startService, type RunningService } from '../support/start-service.js';

const GOOD = { email: USER.email, api_token: USER.apiToken, site: 'acme' } as const;
const WRONG = { email: USER.email, api_token: 'wrong-token-0123456789', site: 'acme' } as const;
const VERIFY = '/rest/api/3/myself';
/** The first identity call of a login, on the site: one per login that reached Atlassian (a refused token is then tried on the gateway too). */
const SITE_VERIFY = /^\/site\/[^/]+\/rest\/api\/3\/myself$/;

/** One login on its own TCP connection: an independent client, as a botnet's requests would be. */
function login(baseUrl: string, body: Record<string, unknown>): Promise<RawResponse> {
  return rawRequest(baseUrl, {
    method: 'POST',
    path: '/auth/jira/api-token',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    timeoutMs: 30_000,
  });
}

function statuses(answers: readonly RawResponse[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of answers) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

describe('failed-login limit under parallel requests (AUTH_RATE_LIMIT_PER_MINUTE=10, memory)', () => {
  let h: Harness;
  beforeEach(async () => { h = await startHarness({ AUTH_RATE_LIMIT_PER_MINUTE: '10' }); });
  afterEach(async () => { await h.close(); });

  it('100 concurrent wrong-token logins: exactly 10 reach Atlassian (10 × 401), the other 90 answer 429', async () => {
    // Atlassian answers slowly, so every login is in flight before the first answer could be counted.
    h.fake.injectFault({ match: { path: VERIFY }, delayMs: 300, times: 100 });
    const answers = await Promise.all(Array.from({ length: 100 }, () => login(h.service.baseUrl, WRONG)));
    expect(h.fake.countRequests({ path: SITE_VERIFY }), 'logins that reached Atlassian').to.equal(10);
    expect(statuses(answers)).to.deep.equal({ 401: 10, 429: 90 });
    for (const answer of answers.filter(({ status }) => status === 429)) {
      expect(JSON.parse(answer.text).error.code).to.equal('rate_limited');
      expect(answer.headers['retry-after']).to.match(/^\d+$/);
    }
  });

  it('10 concurrent correct logins give their attempts back: 10 failures are still allowed after them, the 11th is 429', async () => {
    h.fake.injectFault({ match: { path: VERIFY }, delayMs: 200, times: 10 });
    const successes = await Promise.all(Array.from({ length: 10 }, () => login(h.service.baseUrl, GOOD)));
    expect(statuses(successes)).to.deep.equal({ 200: 10 });
    for (let i = 0; i < 10; i++) expect((await login(h.service.baseUrl, WRONG)).status).to.equal(401);
    expect((await login(h.service.baseUrl, WRONG)).status).to.equal(429);
  });
});

describe('failed-login limit under parallel requests on Redis: two instances, one count', function () {
  const prefix = uniquePrefix('ratelimit-burst');
  const redisEnv = {
    SESSION_STORE: 'redis',
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    SESSION_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    AUTH_RATE_LIMIT_PER_MINUTE: '10',
  };
  let h: Harness;
  let second: RunningService;
  let redis: Redis;

  before(async function () {
    await requireRedis(this);
    redis = new Redis(REDIS_URL);
    h = await startHarness(redisEnv);
    second = await startService((baseUrl) => ({ ...serviceEnv(h.fake, baseUrl), ...redisEnv }));
  });
  after(async () => {
    await second?.close();
    await h?.close();
    if (redis !== undefined) {
      await deleteKeys(redis, prefix);
      redis.disconnect();
    }
  });

  it('100 concurrent wrong-token logins, half on each instance: exactly 10 reach Atlassian', async () => {
    h.fake.injectFault({ match: { path: VERIFY }, delayMs: 300, times: 100 });
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => login(i % 2 === 0 ? h.service.baseUrl : second.baseUrl, WRONG)),
    );
    expect(h.fake.countRequests({ path: SITE_VERIFY }), 'logins that reached Atlassian').to.equal(10);
    expect(statuses(answers)).to.deep.equal({ 401: 10, 429: 90 });
  });
});

describe('failed-login limit: the limiter store is down (SESSION_STORE=redis on a Redis the test kills)', function () {
  let h: Harness;
  let privateRedis: RedisServer;

  before(async function () {
    await requireRedisServer(this);
    privateRedis = await startRedisServer();
    h = await startHarness({
      SESSION_STORE: 'redis',
      REDIS_URL: privateRedis.url,
      REDIS_KEY_PREFIX: uniquePrefix('ratelimit-outage'),
      SESSION_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      AUTH_RATE_LIMIT_PER_MINUTE: '10',
    });
  });
  after(async () => {
    await h?.close();
    await privateRedis?.kill();
  });

  it('logins answer 503 store_unavailable, correct or not, and nothing is sent to Atlassian', async () => {
    expect((await login(h.service.baseUrl, WRONG)).status, 'with Redis up, the login is checked').to.equal(401);
    await privateRedis.kill();
    h.fake.clearRequests();
    for (const body of [WRONG, GOOD, WRONG]) {
      const answer = await login(h.service.baseUrl, body);
      expect(answer.status, answer.text).to.equal(503);
      expect(JSON.parse(answer.text).error.code).to.equal('store_unavailable');
    }
    const burst = await Promise.all(Array.from({ length: 20 }, () => login(h.service.baseUrl, WRONG)));
    expect(statuses(burst)).to.deep.equal({ 503: 20 });
    expect(h.fake.requests, 'requests that reached Atlassian during the outage').to.have.length(0);
  });
});
