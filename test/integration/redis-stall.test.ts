import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { resolve, TOKENS } from '../../src/composition-root.js';
import { call, connectWithToken, expectError, startHarness, USER, withSession, type Harness } from '../support/harness.js';
import { requireRedisServer, startRedisServer, type RedisServer } from '../support/redis-servers.js';
import { expectAppError } from '../support/port-fakes.js';

/** Far above the bound under test, far below "no answer": a request that hangs fails here instead of waiting on. */
const HANG = 8_000;
const hangGuard = () => ({ signal: AbortSignal.timeout(HANG) });

/**
 * Issue 11 point 10: with Redis paused (SIGSTOP: the connection stays open, nothing answers), every request that
 * needs the store answers 503 store_unavailable once REDIS_COMMAND_TIMEOUT_MS has passed — before the fix none
 * answered within 20 s. The service runs against a redis-server of this test's own, never the shared one.
 */
describe('a paused Redis (REDIS_COMMAND_TIMEOUT_MS=300)', function () {
  this.timeout(30_000);
  let redis: RedisServer;
  let h: Harness;
  let token: string;

  before(async function () {
    await requireRedisServer(this);
    redis = await startRedisServer();
    h = await startHarness({
      SESSION_STORE: 'redis',
      REDIS_URL: redis.url,
      SESSION_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      REDIS_COMMAND_TIMEOUT_MS: '300',
      // The failed-login limiter runs on the same Redis client: it must not hang either.
      AUTH_RATE_LIMIT_PER_MINUTE: '10',
    });
    const login = await connectWithToken(h, 'jira');
    expect(login.status, JSON.stringify(login.body)).to.equal(200);
    token = login.body.session_token as string;
    redis.pause();
  });

  after(async () => {
    if (redis !== undefined) redis.resume();
    if (h !== undefined) await h.close();
    if (redis !== undefined) await redis.stop();
  });

  it('GET /auth/session answers 503 store_unavailable instead of hanging', async () => {
    expectError(await call(h.url('/auth/session'), withSession(token, hangGuard())), 503, 'store_unavailable');
  });

  it('a listing, a logout and a disconnect answer 503 store_unavailable', async () => {
    expectError(await call(h.url('/jira/projects'), withSession(token, hangGuard())), 503, 'store_unavailable');
    expectError(await call(h.url('/auth/session'), withSession(token, { method: 'DELETE', ...hangGuard() })), 503, 'store_unavailable');
    expectError(await call(h.url('/auth/jira'), withSession(token, { method: 'DELETE', ...hangGuard() })), 503, 'store_unavailable');
  });

  it('an OAuth start answers 503 store_unavailable', async () => {
    expectError(await call(h.url('/auth/jira/oauth/start'), hangGuard()), 503, 'store_unavailable');
  });

  it('an API-token login (failed-login limiter and store on the paused Redis) answers 503', async () => {
    const login = await call(h.url('/auth/confluence/api-token'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: USER.email, api_token: USER.apiToken, site: 'acme' }),
      ...hangGuard(),
    });
    expect(login.status, JSON.stringify(login.body)).to.equal(503);
  });

  it('the refresh lock and the limiter fail instead of hanging', async () => {
    await expectAppError(resolve(h.service.container, TOKENS.lock).tryAcquire('refresh:stall:jira', 1_000), 'store_unavailable');
    const limiter = resolve(h.service.container, TOKENS.authLimiter);
    let failed = false;
    await limiter.reserve('127.0.0.1').catch(() => (failed = true));
    expect(failed, 'the limiter answered from a paused Redis').to.equal(true);
  });

  it('after SIGCONT the same session answers 200 again, without a restart', async () => {
    redis.resume();
    const session = await call(h.url('/auth/session'), withSession(token, hangGuard()));
    expect(session.status, JSON.stringify(session.body)).to.equal(200);
    expect(session.body.products.jira).to.include({ connected: true });
    expect((await call(h.url('/jira/projects'), withSession(token, hangGuard()))).status).to.equal(200);
  });
});
