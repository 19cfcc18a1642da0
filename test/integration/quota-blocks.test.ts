import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { FakeAtlassian, type FakeQuotaOptions } from '../../fake-atlassian/index.js';
import { CLIENTS, USER, call, expectError, withSession } from '../support/harness.js';
import { FixedClock } from '../support/port-fakes.js';
import { createTestSchema, requirePostgres, type TestSchema } from '../support/postgres.js';
import { deleteKeys, REDIS_URL, requireRedis, uniquePrefix } from '../support/redis.js';
import { startService, type RunningService } from '../support/start-service.js';

/**
 * Atlassian's hourly points quota (docs/atlassian.md): once Atlassian says a quota is spent, no instance calls it
 * in that scope until the reset; the service answers 429 rate_limited with the seconds left. Two real service
 * instances share one real Redis (or PostgreSQL) and one clock with the fake Atlassian, which the tests move.
 */

const ACME = 'acme.atlassian.net';
const BETA = 'beta.atlassian.net';
const SEARCH = '/rest/api/3/project/search';
/** 10:40 UTC: the quota resets in 1200 s. */
const START = Date.UTC(2026, 2, 2, 10, 40);

interface World {
  readonly fake: FakeAtlassian;
  readonly clock: FixedClock;
  readonly instances: RunningService[];
  close(): Promise<void>;
}

/**
 * A fake Atlassian with a quota and small sites, and `count` service instances on one store, all on one clock.
 * The listing cache is off unless `env` turns it on: most tests here count the calls that reach Atlassian, which
 * a cached copy would answer instead.
 */
async function world(quota: FakeQuotaOptions, storeEnv: Record<string, string>, count: number, env: Record<string, string> = {}): Promise<World> {
  const clock = new FixedClock(START);
  const fake = new FakeAtlassian({ quota, now: () => clock.now() });
  await fake.start();
  fake.addSite({ host: ACME, projects: 3 });
  fake.addSite({ host: BETA, projects: 2 });
  fake.addUser({ email: USER.email, apiToken: USER.apiToken, sites: [ACME, BETA] });
  const encryptionKey = randomBytes(32).toString('base64');
  const instances: RunningService[] = [];
  for (let i = 0; i < count; i++) {
    instances.push(await startService((baseUrl) => ({
      ...storeEnv,
      SESSION_ENCRYPTION_KEY: encryptionKey,
      ATLASSIAN_AUTH_URL: fake.authUrl,
      ATLASSIAN_API_URL: fake.apiUrl,
      ATLASSIAN_SITE_URL_TEMPLATE: fake.siteUrlTemplate,
      JIRA_OAUTH_CLIENT_ID: CLIENTS.jira.id,
      JIRA_OAUTH_CLIENT_SECRET: CLIENTS.jira.secret,
      JIRA_OAUTH_REDIRECT_URI: `${baseUrl}/auth/jira/oauth/callback`,
      AUTH_RATE_LIMIT_PER_MINUTE: '0',
      LISTING_CACHE_TTL_SECONDS: '0',
      ...env,
    }), { clock }));
  }
  fake.addOAuthClient({
    clientId: CLIENTS.jira.id,
    clientSecret: CLIENTS.jira.secret,
    redirectUris: instances.map((service) => `${service.baseUrl}/auth/jira/oauth/callback`),
  });
  return {
    fake,
    clock,
    instances,
    async close() {
      for (const service of instances) await service.close();
      await fake.stop();
    },
  };
}

/** A session connected to Jira on `site` with OAuth, through `service`. */
async function oauthSession(w: World, service: RunningService, site: string): Promise<string> {
  const started = await call(`${service.baseUrl}/auth/jira/oauth/start?site=${site}`);
  const consent = await call(started.body.auth_url);
  const callback = await call(consent.headers.get('location')!);
  expect(callback.status, JSON.stringify(callback.body)).to.equal(200);
  return callback.body.session_token as string;
}

async function tokenSession(service: RunningService): Promise<string> {
  const res = await call(`${service.baseUrl}/auth/jira/api-token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: USER.email, api_token: USER.apiToken, site: 'acme' }),
  });
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return res.body.session_token as string;
}

const projects = (service: RunningService, token: string) => call(`${service.baseUrl}/jira/projects`, withSession(token));

/** The summed value of the samples named `name` whose labels include `label` (e.g. `scope="global"`). */
async function metric(service: RunningService, name: string, label: string): Promise<number> {
  const text = String((await call(`${service.baseUrl}/metrics`)).body);
  const lines = text.split('\n').filter((line) => line.startsWith(`${name}{`) && line.includes(label));
  return lines.reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

/** The store the instances share; each test gets a fresh key space in it, so no block leaks into the next test. */
interface SharedStore {
  readonly title: string;
  prepare(context: Mocha.Context): Promise<void>;
  env(label: string): Promise<Record<string, string>>;
  cleanUp(): Promise<void>;
}

function onRedis(): SharedStore {
  const prefix = uniquePrefix('quota-blocks');
  let redis: Redis | undefined;
  return {
    title: 'real Redis',
    async prepare(context) {
      await requireRedis(context);
      redis = new Redis(REDIS_URL);
    },
    env: async (label) => ({ SESSION_STORE: 'redis', REDIS_URL, REDIS_KEY_PREFIX: `${prefix}${label}:` }),
    async cleanUp() {
      if (redis === undefined) return;
      await deleteKeys(redis, prefix);
      redis.disconnect();
    },
  };
}

function onPostgres(): SharedStore {
  const schemas: TestSchema[] = [];
  return {
    title: 'real PostgreSQL',
    prepare: (context) => requirePostgres(context),
    async env() {
      const schema = await createTestSchema();
      schemas.push(schema);
      return { SESSION_STORE: 'postgres', DATABASE_URL: schema.url };
    },
    async cleanUp() {
      for (const schema of schemas) await schema.drop();
    },
  };
}

for (const shared of [onRedis(), onPostgres()]) describe(`Atlassian points quota: shared blocks (two instances, ${shared.title})`, function () {
  this.timeout(30_000);
  let w: World | undefined;

  before(async function () {
    await shared.prepare(this);
  });
  afterEach(async () => {
    await w?.close();
    w = undefined;
  });
  after(async () => {
    await shared.cleanUp();
  });

  it('with the listing cache on, a spent quota answers each session\'s last listing, marked X-Listing-Stale, on every instance and without a call', async () => {
    w = await world({ global: 5 }, await shared.env('cached'), 2, { LISTING_CACHE_TTL_SECONDS: '60' });
    const [a, b] = w.instances as [RunningService, RunningService];
    const first = await oauthSession(w, a, ACME);
    const second = await oauthSession(w, a, ACME);
    const third = await oauthSession(w, a, ACME);
    w.fake.clearRequests();
    const fresh = (service: RunningService, token: string) =>
      call(`${service.baseUrl}/jira/projects`, withSession(token, { headers: { 'X-Session-Token': token, 'Cache-Control': 'no-cache' } }));

    expect((await projects(a, first)).status).to.equal(200); // 4 points, cached in Redis
    expect((await projects(a, second)).status).to.equal(200); // 8: over the quota of 5
    w.clock.advance(1_000); // `no-cache` asks for a listing read after now: the copies above are older
    const refused = await fresh(b, first);
    expect(refused.status, JSON.stringify(refused.body)).to.equal(200);
    expect(refused.headers.get('x-listing-stale')).to.equal('rate_limited');
    expect(refused.body.total).to.equal(3);
    expect(w.fake.countRequests({ path: SEARCH }), 'the quota 429 was the third and last call').to.equal(3);

    const blocked = await fresh(a, second);
    expect(blocked.status).to.equal(200);
    expect(blocked.headers.get('x-listing-stale')).to.equal('rate_limited');
    const nothingCached = await projects(b, third);
    expectError(nothingCached, 429, 'rate_limited');
    expect(w.fake.countRequests({ path: SEARCH }), 'blocked instances answer without calling Atlassian').to.equal(3);
  });

  it('a global quota 429 seen by one instance stops the other without any call, until the top of the hour; API tokens go on', async () => {
    w = await world({ global: 5 }, await shared.env('global'), 2);
    const [a, b] = w.instances as [RunningService, RunningService];
    const oauth = await oauthSession(w, a, ACME);
    const apiToken = await tokenSession(a);
    w.fake.clearRequests();

    expect((await projects(a, oauth)).status).to.equal(200); // 4 points
    expect((await projects(a, oauth)).status).to.equal(200); // 8: over the quota of 5
    const spent = await projects(a, oauth);
    expectError(spent, 429, 'rate_limited');
    expect(spent.headers.get('retry-after')).to.equal('1200');
    expect(w.fake.countRequests({ path: SEARCH }), 'a quota 429 is not retried').to.equal(3);

    w.clock.advance(200_000);
    const blocked = await projects(b, oauth);
    expectError(blocked, 429, 'rate_limited');
    expect(blocked.headers.get('retry-after')).to.equal('1000');
    expect(w.fake.countRequests({ path: SEARCH }), 'the other instance made no call').to.equal(3);

    const token = await projects(b, apiToken);
    expect(token.status, 'an API-token connection spends no points: the app-wide block does not stop it').to.equal(200);
    expect(w.fake.countRequests({ path: SEARCH })).to.equal(4);

    expect(await metric(a, 'connector_quota_blocks_total', 'scope="global"')).to.equal(1);
    expect(await metric(a, 'connector_atlassian_points_spent_total', 'product="jira"')).to.equal(8);
    expect(await metric(b, 'connector_quota_refused_calls_total', 'product="jira"')).to.equal(1);

    w.clock.set(Date.UTC(2026, 2, 2, 11, 0, 1));
    const reset = await projects(b, oauth);
    expect(reset.status, 'after the reset the block is over').to.equal(200);
    expect(reset.body.total).to.equal(3);
  });

  it('a tenant quota 429 stops that cloudId only, on every instance', async () => {
    w = await world({ tenant: 5 }, await shared.env('tenant'), 2);
    const [a, b] = w.instances as [RunningService, RunningService];
    const onAcme = await oauthSession(w, a, ACME);
    const onBeta = await oauthSession(w, a, BETA);
    w.fake.clearRequests();

    await projects(a, onAcme);
    await projects(a, onAcme);
    expectError(await projects(a, onAcme), 429, 'rate_limited');
    const acmeCalls = w.fake.countRequests({ path: SEARCH });

    expectError(await projects(b, onAcme), 429, 'rate_limited');
    expect(w.fake.countRequests({ path: SEARCH })).to.equal(acmeCalls);
    const beta = await projects(b, onBeta);
    expect(beta.status, 'another tenant of the same app is not blocked').to.equal(200);
    expect(beta.body.total).to.equal(2);
    expect(await metric(a, 'connector_quota_blocks_total', 'scope="tenant"')).to.equal(1);
  });

  it('Beta- quota headers are a warning only: nothing is blocked', async () => {
    w = await world({ betaTenant: 5 }, await shared.env('beta'), 1);
    const [a] = w.instances as [RunningService];
    const oauth = await oauthSession(w, a, ACME);
    for (let i = 0; i < 3; i++) expect((await projects(a, oauth)).status).to.equal(200);
    expect(a.logs.some((line) => line.includes('would have rate-limited'))).to.equal(true);
  });
});
