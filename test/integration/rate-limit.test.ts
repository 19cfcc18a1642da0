import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  USER,
  call,
  expectError,
  serviceEnv,
  startHarness,
  type CallResult,
  type Harness,
} from '../support/harness.js';
import { createTestSchema, requirePostgres, type TestSchema } from '../support/postgres.js';
import { deleteKeys, REDIS_URL, requireRedis, uniquePrefix } from '../support/redis.js';
import { startService, type RunningService } from '../support/start-service.js';

const GOOD = { email: USER.email, api_token: USER.apiToken, site: 'acme' } as const;
const WRONG = { email: USER.email, api_token: 'wrong-token-0123456789', site: 'acme' } as const;
const VERIFY = '/rest/api/3/myself';

/** POST /auth/{product}/api-token from a base URL, optionally naming the client in X-Forwarded-For. */
function login(baseUrl: string, body: Record<string, unknown>, options: { product?: 'jira' | 'confluence'; forwardedFor?: string; contentType?: string } = {}): Promise<CallResult> {
  return call(`${baseUrl}/auth/${options.product ?? 'jira'}/api-token`, {
    method: 'POST',
    headers: {
      'Content-Type': options.contentType ?? 'application/json',
      ...(options.forwardedFor === undefined ? {} : { 'X-Forwarded-For': options.forwardedFor }),
    },
    body: JSON.stringify(body),
  });
}

/** The 429 of the failed-attempt limit: rate_limited, with a Retry-After of a whole number of seconds in (0, 60]. */
function expectLimited(res: CallResult): void {
  expectError(res, 429, 'rate_limited');
  expect(res.body.error.limit, "the service's own limit, so a client does not blame Atlassian").to.equal('failed_sign_ins');
  const retryAfter = res.headers.get('retry-after');
  expect(retryAfter, 'Retry-After').to.match(/^\d+$/);
  expect(Number(retryAfter)).to.be.above(0).and.at.most(60);
  expect(res.headers.get('x-session-token')).to.equal(null);
}

async function failTimes(baseUrl: string, times: number, options: Parameters<typeof login>[2] = {}): Promise<void> {
  for (let i = 1; i <= times; i++) {
    const res = await login(baseUrl, WRONG, options);
    expectError(res, 401, 'invalid_credentials');
  }
}

describe('rate limit of failed API-token logins: default (10 per client per minute, TRUST_PROXY off)', () => {
  let h: Harness;
  // An empty value means "unset" (README): the limiter runs with its default of 10.
  before(async () => { h = await startHarness({ AUTH_RATE_LIMIT_PER_MINUTE: '' }); });
  after(async () => { await h.close(); });

  it('10 failed logins answer 401 each; the 11th answers 429 rate_limited with Retry-After', async () => {
    await failTimes(h.service.baseUrl, 10);
    h.fake.clearRequests();
    expectLimited(await login(h.service.baseUrl, WRONG));
    expect(h.fake.requests, 'a refused attempt must not reach Atlassian').to.have.length(0);
  });

  it('once limited, even correct credentials get 429, on both products, and nothing reaches Atlassian', async () => {
    h.fake.clearRequests();
    expectLimited(await login(h.service.baseUrl, GOOD));
    expectLimited(await login(h.service.baseUrl, GOOD, { product: 'confluence' }));
    expect(h.fake.requests).to.have.length(0);
  });

  it('without TRUST_PROXY, X-Forwarded-For is ignored: a spoofed client address does not escape the limit', async () => {
    for (const forwardedFor of ['198.51.100.7', '203.0.113.9, 10.0.0.1', '::1']) {
      expectLimited(await login(h.service.baseUrl, GOOD, { forwardedFor }));
    }
  });

  it('only the API-token login is limited: health, OAuth start and listings still answer', async () => {
    expect((await call(h.url('/'))).status).to.equal(200);
    expect((await call(h.url('/auth/jira/oauth/start'))).status).to.equal(200);
    expectError(await call(h.url('/jira/projects')), 401, 'missing_session');
  });
});

describe('rate limit: Jira and Confluence logins share one count per client', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ AUTH_RATE_LIMIT_PER_MINUTE: '' }); });
  after(async () => { await h.close(); });

  it('5 failures on Jira and 5 on Confluence → the 11th attempt, on either, is 429', async () => {
    await failTimes(h.service.baseUrl, 5, { product: 'jira' });
    await failTimes(h.service.baseUrl, 5, { product: 'confluence' });
    expectLimited(await login(h.service.baseUrl, WRONG, { product: 'jira' }));
    expectLimited(await login(h.service.baseUrl, GOOD, { product: 'confluence' }));
  });
});

describe('rate limit with TRUST_PROXY=true: the client is the X-Forwarded-For address', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ AUTH_RATE_LIMIT_PER_MINUTE: '', TRUST_PROXY: 'true' }); });
  after(async () => { await h.close(); });

  it('a client that failed 10 times is limited; another client address is not', async () => {
    await failTimes(h.service.baseUrl, 10, { forwardedFor: '203.0.113.1' });
    expectLimited(await login(h.service.baseUrl, GOOD, { forwardedFor: '203.0.113.1' }));

    const other = await login(h.service.baseUrl, GOOD, { forwardedFor: '203.0.113.2' });
    expect(other.status, JSON.stringify(other.body)).to.equal(200);
    // A third client's failures start from zero too.
    expectError(await login(h.service.baseUrl, WRONG, { forwardedFor: '2001:db8::1' }), 401, 'invalid_credentials');
    // The proxy's own address (no X-Forwarded-For) is yet another client.
    const direct = await login(h.service.baseUrl, GOOD);
    expect(direct.status, JSON.stringify(direct.body)).to.equal(200);
  });
});

describe('rate limit with TRUST_PROXY=1: the client is the right-most X-Forwarded-For entry', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ AUTH_RATE_LIMIT_PER_MINUTE: '', TRUST_PROXY: '1' }); });
  after(async () => { await h.close(); });

  it('a client that writes a new left-most entry on every attempt does not escape the limit', async () => {
    // The proxy appends the address it saw; whatever the client sent stays on the left.
    for (let i = 1; i <= 10; i++) {
      expectError(await login(h.service.baseUrl, WRONG, { forwardedFor: `198.51.100.${i}, 203.0.113.1` }), 401, 'invalid_credentials');
    }
    expectLimited(await login(h.service.baseUrl, GOOD, { forwardedFor: '198.51.100.99, 10.9.8.7, 203.0.113.1' }));
    expectLimited(await login(h.service.baseUrl, GOOD, { forwardedFor: '203.0.113.1' }));
    const other = await login(h.service.baseUrl, GOOD, { forwardedFor: '203.0.113.1, 203.0.113.2' });
    expect(other.status, 'another client, even one that names the limited one on the left').to.equal(200);
  });
});

describe('rate limit with TRUST_PROXY=2 (a CDN, then a load balancer): the client is the second entry from the right', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ AUTH_RATE_LIMIT_PER_MINUTE: '', TRUST_PROXY: '2' }); });
  after(async () => { await h.close(); });

  it('spoofed left-most entries are ignored, and the clients behind one CDN node are told apart', async () => {
    const cdn = '10.0.0.5';
    for (let i = 1; i <= 10; i++) {
      expectError(await login(h.service.baseUrl, WRONG, { forwardedFor: `192.0.2.${i}, 198.51.100.7, ${cdn}` }), 401, 'invalid_credentials');
    }
    expectLimited(await login(h.service.baseUrl, GOOD, { forwardedFor: `198.51.100.7, ${cdn}` }));
    expectLimited(await login(h.service.baseUrl, GOOD, { forwardedFor: `192.0.2.200, 192.0.2.201, 198.51.100.7, ${cdn}` }));
    const other = await login(h.service.baseUrl, GOOD, { forwardedFor: `198.51.100.7, 198.51.100.8, ${cdn}` });
    expect(other.status, 'another client behind the same CDN node').to.equal(200);
  });
});

describe('rate limit: AUTH_RATE_LIMIT_PER_MINUTE=3', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ AUTH_RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: 'true' }); });
  after(async () => { await h.close(); });

  it('the 4th failing attempt is 429', async () => {
    const client = { forwardedFor: '192.0.2.1' };
    await failTimes(h.service.baseUrl, 3, client);
    expectLimited(await login(h.service.baseUrl, WRONG, client));
  });

  it('every 4xx counts as a failure: 400 validation_error, 400 invalid_site and 415 unsupported_media_type', async () => {
    const client = { forwardedFor: '192.0.2.2' };
    expectError(await login(h.service.baseUrl, { email: 'not-an-email', api_token: 'x', site: 'acme' }, client), 400, 'validation_error');
    expectError(await login(h.service.baseUrl, { ...GOOD, site: 'evil.example.com' }, client), 400, 'invalid_site');
    expectError(await login(h.service.baseUrl, GOOD, { ...client, contentType: 'text/plain' }), 415, 'unsupported_media_type');
    expectLimited(await login(h.service.baseUrl, GOOD, client));
  });

  it('successful logins do not count: 2 failures, 5 successes, 1 failure → still allowed until the 4th failure', async () => {
    const client = { forwardedFor: '192.0.2.3' };
    await failTimes(h.service.baseUrl, 2, client);
    for (let i = 0; i < 5; i++) {
      const ok = await login(h.service.baseUrl, GOOD, client);
      expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
    }
    await failTimes(h.service.baseUrl, 1, client);
    expectLimited(await login(h.service.baseUrl, GOOD, client));
  });

  it('a 5xx (Atlassian failing) is not the client\'s failure and does not count', async () => {
    const client = { forwardedFor: '192.0.2.4' };
    h.fake.injectFault({ match: { path: VERIFY }, status: 500, body: 'oops', times: 5 });
    for (let i = 0; i < 5; i++) expectError(await login(h.service.baseUrl, GOOD, client), 502, 'upstream_error');
    h.fake.clearFaults();
    await failTimes(h.service.baseUrl, 3, client);
    expectLimited(await login(h.service.baseUrl, WRONG, client));
  });
});

describe('rate limit: AUTH_RATE_LIMIT_PER_MINUTE=0 turns it off', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ AUTH_RATE_LIMIT_PER_MINUTE: '0' }); });
  after(async () => { await h.close(); });

  it('30 failed logins from one client all answer 401, never 429, and a correct login still works', async () => {
    await failTimes(h.service.baseUrl, 30);
    const ok = await login(h.service.baseUrl, GOOD);
    expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
  });
});

describe('rate limit on Redis (SESSION_STORE=redis): two instances share the count', function () {
  const prefix = uniquePrefix('ratelimit');
  const redisEnv = {
    SESSION_STORE: 'redis',
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    SESSION_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    AUTH_RATE_LIMIT_PER_MINUTE: '4',
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

  it('2 failures on instance A and 2 on instance B → the 5th attempt is 429 on both', async () => {
    await failTimes(h.service.baseUrl, 2);
    await failTimes(second.baseUrl, 2);
    expectLimited(await login(h.service.baseUrl, GOOD));
    expectLimited(await login(second.baseUrl, GOOD));
  });

  it('keeps the count in Redis under REDIS_KEY_PREFIX', async () => {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}auth-fail*`, 'COUNT', 1000);
      keys.push(...found);
      cursor = next;
    } while (cursor !== '0');
    expect(keys, 'limiter keys in Redis').to.have.length.at.least(1);
    const ttl = await redis.pttl(keys[0]!);
    expect(ttl).to.be.above(0).and.at.most(60_000);
  });
});

describe('rate limit on PostgreSQL (SESSION_STORE=postgres): two instances share the count', function () {
  let schema: TestSchema;
  let h: Harness;
  let second: RunningService;

  before(async function () {
    await requirePostgres(this);
    schema = await createTestSchema();
    const postgresEnv = {
      SESSION_STORE: 'postgres',
      DATABASE_URL: schema.url,
      SESSION_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      AUTH_RATE_LIMIT_PER_MINUTE: '4',
    };
    h = await startHarness(postgresEnv);
    second = await startService((baseUrl) => ({ ...serviceEnv(h.fake, baseUrl), ...postgresEnv }));
  });
  after(async () => {
    await second?.close();
    await h?.close();
    await schema?.drop();
  });

  it('2 failures on instance A and 2 on instance B → the 5th attempt is 429 on both', async () => {
    await failTimes(h.service.baseUrl, 2);
    await failTimes(second.baseUrl, 2);
    expectLimited(await login(h.service.baseUrl, GOOD));
    expectLimited(await login(second.baseUrl, GOOD));
  });

  it('keeps the count in the rate_limits table (rate-limiter-flexible\'s PostgreSQL backend), ending within the minute', async () => {
    const { rows } = await schema.pool.query<{ key: string; points: number; expire: string }>(`SELECT * FROM rate_limits WHERE key LIKE 'auth-fail:%'`);
    expect(rows, 'limiter rows').to.have.length.at.least(1);
    expect(rows[0]!.points).to.be.at.least(4);
    expect(Number(rows[0]!.expire) - Date.now()).to.be.above(0).and.at.most(60_000);
  });
});
