import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { FakeAtlassian } from '../../fake-atlassian/index.js';
import { ACME, CLIENTS, USER, call } from '../support/harness.js';
import { createTestSchema, requirePostgres, type TestSchema } from '../support/postgres.js';
import { deleteKeys, REDIS_URL, requireRedis, uniquePrefix } from '../support/redis.js';
import { spawnService, type ServiceProcess } from '../support/spawn-service.js';

/** Both instances sit behind one public origin in production; the test plays the load balancer. */
const PUBLIC_ORIGIN = 'http://connector.test';

/** What the instances share, and how the suite gets and cleans it. */
interface SharedStore {
  readonly title: string;
  /** Checks the backend is there (or skips loudly), prepares it, and answers the service's environment for it. */
  setUp(context: Mocha.Context): Promise<Record<string, string>>;
  tearDown(): Promise<void>;
}

function onRedis(): SharedStore {
  const prefix = uniquePrefix('multi');
  let redis: Redis | undefined;
  return {
    title: 'Redis',
    async setUp(context) {
      await requireRedis(context);
      redis = new Redis(REDIS_URL);
      return { SESSION_STORE: 'redis', REDIS_URL, REDIS_KEY_PREFIX: prefix };
    },
    async tearDown() {
      if (redis === undefined) return;
      await deleteKeys(redis, prefix);
      redis.disconnect();
    },
  };
}

/** A fresh schema, not migrated: the two instances start at once and migrate it themselves. */
function onPostgres(): SharedStore {
  let schema: TestSchema | undefined;
  return {
    title: 'PostgreSQL',
    async setUp(context) {
      await requirePostgres(context);
      schema = await createTestSchema();
      return { SESSION_STORE: 'postgres', DATABASE_URL: schema.url };
    },
    async tearDown() {
      await schema?.drop();
    },
  };
}

for (const shared of [onRedis(), onPostgres()]) describe(`several instances on one ${shared.title} (separate processes)`, function () {
  this.timeout(60_000);
  const encryptionKey = randomBytes(32).toString('base64');
  let storeEnv: Record<string, string>;
  let fake: FakeAtlassian;
  let a: ServiceProcess;
  let b: ServiceProcess;
  const running: ServiceProcess[] = [];

  const env = (): Record<string, string> => ({
    ...storeEnv,
    SESSION_ENCRYPTION_KEY: encryptionKey,
    ATLASSIAN_AUTH_URL: fake.authUrl,
    ATLASSIAN_API_URL: fake.apiUrl,
    ATLASSIAN_SITE_URL_TEMPLATE: fake.siteUrlTemplate,
    JIRA_OAUTH_CLIENT_ID: CLIENTS.jira.id,
    JIRA_OAUTH_CLIENT_SECRET: CLIENTS.jira.secret,
    JIRA_OAUTH_REDIRECT_URI: `${PUBLIC_ORIGIN}/auth/jira/oauth/callback`,
    // The refresh storm is 24 listings of one session at once; the per-session bound has its own tests.
    MAX_INFLIGHT_LISTINGS_PER_SESSION: '0',
  });
  const start = async (): Promise<ServiceProcess> => {
    const service = await spawnService(env());
    running.push(service);
    return service;
  };
  const PROJECT_SEARCH = '/rest/api/3/project/search';
  const apiTokenLogin = async (service: ServiceProcess, product: 'jira' | 'confluence'): Promise<string> => {
    const login = await call(`${service.baseUrl}/auth/${product}/api-token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: USER.email, api_token: USER.apiToken, site: 'acme' }),
    });
    expect(login.status, JSON.stringify(login.body)).to.equal(200);
    return login.body.session_token as string;
  };
  const projects = (service: ServiceProcess, token: string) => call(`${service.baseUrl}/jira/projects`, { headers: { 'X-Session-Token': token } });

  /** start on one instance, consent at Atlassian, callback routed to the other instance. */
  async function oauthAcross(first: ServiceProcess, second: ServiceProcess): Promise<string> {
    const started = await call(`${first.baseUrl}/auth/jira/oauth/start`);
    const consent = await call(started.body.auth_url);
    const location = new URL(consent.headers.get('location')!);
    expect(location.origin).to.equal(PUBLIC_ORIGIN);
    const callback = await call(`${second.baseUrl}${location.pathname}${location.search}`);
    expect(callback.status, JSON.stringify(callback.body)).to.equal(200);
    expect(callback.body.session_token).to.equal(started.headers.get('x-session-token'));
    return callback.body.session_token as string;
  }

  before(async function () {
    storeEnv = await shared.setUp(this);
    fake = new FakeAtlassian();
    await fake.start();
    fake.addSite({ host: ACME, name: 'Acme', projects: 120, spaces: 10 });
    fake.addUser({ email: USER.email, apiToken: USER.apiToken, sites: [ACME] });
    fake.addOAuthClient({ clientId: CLIENTS.jira.id, clientSecret: CLIENTS.jira.secret, redirectUris: [`${PUBLIC_ORIGIN}/auth/jira/oauth/callback`] });
    [a, b] = await Promise.all([start(), start()]);
  });

  after(async () => {
    await Promise.all(running.map((service) => service.stop('SIGKILL')));
    await fake?.stop();
    await shared.tearDown();
  });

  it('OAuth started on one instance completes on the other, and both list with the session', async () => {
    const token = await oauthAcross(a, b);
    const [fromA, fromB] = await Promise.all([projects(a, token), projects(b, token)]);
    expect(fromA.status).to.equal(200);
    expect(fromB.status).to.equal(200);
    expect(fromA.body.total).to.equal(120);
    expect(fromB.body).to.deep.equal(fromA.body);
  });

  it('a refresh storm split across both instances reaches Atlassian as one refresh', async () => {
    const token = await oauthAcross(b, a);
    const refreshesBefore = fake.tokenGrants.refreshToken;
    fake.expireAccessTokens();

    const storm = Array.from({ length: 24 }, (_, i) => projects(i % 2 === 0 ? a : b, token));
    const answers = await Promise.all(storm);

    expect(answers.map((answer) => answer.status)).to.deep.equal(answers.map(() => 200));
    expect(fake.tokenGrants.refreshToken - refreshesBefore).to.equal(1);
    // And the rotated refresh token was stored: the next expiry refreshes again, without reuse of the old one.
    fake.expireAccessTokens();
    // no-cache: the listing the storm read would otherwise be answered without asking Atlassian.
    const fresh = await call(`${b.baseUrl}/jira/projects`, { headers: { 'X-Session-Token': token, 'Cache-Control': 'no-cache' } });
    expect(fresh.status).to.equal(200);
    expect(fake.tokenGrants.refreshToken - refreshesBefore).to.equal(2);
  });

  it('50 concurrent listings of one connection on both instances make one upstream listing', async () => {
    const token = await apiTokenLogin(a, 'jira');
    fake.clearRequests();
    // Slow pages keep the first read in flight while every other request arrives, on both instances.
    fake.injectFault({ match: { path: PROJECT_SEARCH }, delayMs: 300, times: 3 });

    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => projects(i % 2 === 0 ? a : b, token)));

    expect(answers.map((answer) => answer.status)).to.deep.equal(answers.map(() => 200));
    for (const answer of answers) expect(answer.body).to.deep.equal(answers[0]!.body);
    expect(answers[0]!.body.total).to.equal(120);
    const pages = fake.requests.filter((request) => request.path.endsWith(PROJECT_SEARCH)).map((request) => request.query['startAt']);
    expect(pages, 'one listing: 3 pages of 50, each once').to.have.members(['0', '50', '100']);
  });

  it('sessions survive a restart of every instance', async () => {
    const token = await oauthAcross(a, b);
    expect((await Promise.all([a.stop('SIGTERM'), b.stop('SIGTERM')]))).to.deep.equal([0, 0]);
    [a, b] = await Promise.all([start(), start()]);

    const [fromA, fromB] = await Promise.all([projects(a, token), projects(b, token)]);
    expect(fromA.status, JSON.stringify(fromA.body)).to.equal(200);
    expect(fromB.status, JSON.stringify(fromB.body)).to.equal(200);
  });

  it('a restarted instance finds its sessions, and shuts down cleanly with exit code 0', async () => {
    const login = await call(`${a.baseUrl}/auth/confluence/api-token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: USER.email, api_token: USER.apiToken, site: 'acme' }),
    });
    expect(login.status, JSON.stringify(login.body)).to.equal(200);

    expect(await a.stop('SIGTERM')).to.equal(0);
    expect(a.output.some((line) => line.includes('"msg":"stopped"'))).to.equal(true);
    a = await start();

    const spaces = await call(`${a.baseUrl}/confluence/spaces`, { headers: { 'X-Session-Token': login.body.session_token } });
    expect(spaces.status, JSON.stringify(spaces.body)).to.equal(200);
    expect(spaces.body.total).to.equal(10);
  });

  it('cached listings survive a restart: the restarted instance answers without asking Atlassian', async () => {
    const token = await apiTokenLogin(b, 'jira');
    expect((await projects(b, token)).status).to.equal(200);
    fake.clearRequests();

    expect(await b.stop('SIGTERM')).to.equal(0);
    b = await start();
    const again = await projects(b, token);

    expect(again.status, JSON.stringify(again.body)).to.equal(200);
    expect(again.body.total).to.equal(120);
    expect(fake.countRequests({ path: PROJECT_SEARCH })).to.equal(0);
    expect(Number(again.headers.get('age'))).to.be.at.least(0);
  });
});
