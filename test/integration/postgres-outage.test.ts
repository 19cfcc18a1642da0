import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { call, connectWithToken, expectError, startHarness, USER, withSession, type Harness } from '../support/harness.js';
import { startOwnPostgres, type OwnPostgres } from '../support/own-postgres.js';
import { freePort } from '../support/own-redis.js';
import { spawnService } from '../support/spawn-service.js';

/** Far above the bound under test, far below "no answer": a request that hangs fails here instead of waiting on. */
const HANG = 8_000;
const hangGuard = () => ({ signal: AbortSignal.timeout(HANG) });

/**
 * Issue 16 point 4: with the database stopped, every request that needs the store answers 503 store_unavailable
 * within DATABASE_TIMEOUT_MS, and once it is back the same session works again without restarting the service.
 * The service runs against a PostgreSQL cluster of this test's own (initdb + pg_ctl), never the shared server.
 */
describe('a stopped PostgreSQL (SESSION_STORE=postgres, DATABASE_TIMEOUT_MS=500)', function () {
  this.timeout(60_000);
  let database: OwnPostgres | undefined;
  let h: Harness;
  let token: string;

  before(async function () {
    try {
      database = await startOwnPostgres();
    } catch (error) {
      if (process.env['CI']) throw error;
      const banner = '!'.repeat(100);
      console.warn(`\n${banner}\n!!! SKIPPED: "${this.test?.parent?.fullTitle()}" — cannot start a PostgreSQL cluster (initdb, pg_ctl):`);
      console.warn(`!!! ${(error as Error).message.split('\n')[0]}\n${banner}\n`);
      this.skip();
    }
    h = await startHarness({
      SESSION_STORE: 'postgres',
      DATABASE_URL: database!.url,
      SESSION_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      DATABASE_TIMEOUT_MS: '500',
      AUTH_RATE_LIMIT_PER_MINUTE: '10',
    });
    const login = await connectWithToken(h, 'jira');
    expect(login.status, JSON.stringify(login.body)).to.equal(200);
    token = login.body.session_token as string;
    await database!.stop();
  });

  after(async () => {
    if (h !== undefined) await h.close();
    await database?.destroy();
  });

  it('GET /auth/session, a listing, a logout and a disconnect answer 503 store_unavailable', async () => {
    expectError(await call(h.url('/auth/session'), withSession(token, hangGuard())), 503, 'store_unavailable');
    expectError(await call(h.url('/jira/projects'), withSession(token, hangGuard())), 503, 'store_unavailable');
    expectError(await call(h.url('/auth/session'), withSession(token, { method: 'DELETE', ...hangGuard() })), 503, 'store_unavailable');
    expectError(await call(h.url('/auth/jira'), withSession(token, { method: 'DELETE', ...hangGuard() })), 503, 'store_unavailable');
  });

  it('an OAuth start and an API-token login (limiter and store on the stopped database) answer 503', async () => {
    expectError(await call(h.url('/auth/jira/oauth/start'), hangGuard()), 503, 'store_unavailable');
    const login = await call(h.url('/auth/confluence/api-token'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: USER.email, api_token: USER.apiToken, site: 'acme' }),
      ...hangGuard(),
    });
    expect(login.status, JSON.stringify(login.body)).to.equal(503);
  });

  it('readiness names the store; liveness does not depend on it', async () => {
    const ready = await call(h.url('/health/ready'), hangGuard());
    expect(ready.status).to.equal(503);
    expect(ready.body.error.failing).to.deep.equal(['session_store']);
    expect((await call(h.url('/health/live'), hangGuard())).status).to.equal(200);
  });

  it('once the database is back, the same session answers 200 again, without a restart', async () => {
    await database!.start();
    const session = await call(h.url('/auth/session'), withSession(token, hangGuard()));
    expect(session.status, JSON.stringify(session.body)).to.equal(200);
    expect(session.body.products.jira).to.include({ connected: true });
    expect((await call(h.url('/jira/projects'), withSession(token, hangGuard()))).status).to.equal(200);
    expect((await call(h.url('/health/ready'), hangGuard())).status).to.equal(200);
  });
});

describe('SESSION_STORE=postgres at start (separate process)', function () {
  this.timeout(30_000);
  const key = randomBytes(32).toString('base64');

  /** The output of a service that must exit before it listens. */
  async function failedStart(env: Record<string, string>): Promise<string> {
    const error = await spawnService(env).then(
      async (service) => {
        await service.stop('SIGKILL');
        return undefined;
      },
      (caught: unknown) => caught as Error,
    );
    expect(error, 'the service started').to.be.instanceOf(Error);
    expect(error!.message).to.include('service exited with 1 before listening');
    return error!.message;
  }

  it('an unreachable database stops the start (exit 1, never listening), without logging the password', async () => {
    const port = await freePort();
    const output = await failedStart({ SESSION_STORE: 'postgres', DATABASE_URL: `postgres://connector:hunter2@127.0.0.1:${port}/x`, SESSION_ENCRYPTION_KEY: key });
    expect(output).to.include('the session store cannot be reached');
    expect(output).to.include('"store":"postgres"');
    expect(output).not.to.include('hunter2');
  });

  it('a missing DATABASE_URL stops the start with a message naming it', async () => {
    const output = await failedStart({ SESSION_STORE: 'postgres', SESSION_ENCRYPTION_KEY: key });
    expect(output).to.include('DATABASE_URL: required when SESSION_STORE=postgres');
  });
});
