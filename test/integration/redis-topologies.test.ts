import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { FakeAtlassian } from '../../fake-atlassian/index.js';
import { ACME, CLIENTS, USER, call, type CallResult } from '../support/harness.js';
import {
  redisCli,
  requireRedisServer,
  sentinelPrimaryPort,
  startCluster,
  startPrimaryWithReplica,
  startSentinels,
  stopAllRedisServers,
  until,
  type RedisServer,
} from '../support/redis-servers.js';
import { startService, type RunningService } from '../support/start-service.js';

/**
 * The service on the Redis topologies operators run (issue 15): a Cluster of three primaries, and a primary with
 * a replica watched by three sentinels, each on servers of this test's own (never the Redis on 6379). Two
 * service instances share each topology, as a load balancer would spread them.
 */
const PUBLIC_ORIGIN = 'http://connector.test';
const COMMAND_TIMEOUT_MS = 500;
/**
 * The stated bound for one answer while a primary is gone: a store call waits at most the command timeout, and
 * one request makes a few of them in sequence (session read, lease, write); a lease whose release was lost with the
 * dead primary ends within one term (three command timeouts). Past this the request hangs.
 */
const ANSWER_BOUND_MS = COMMAND_TIMEOUT_MS * 6 + 1_000;
/**
 * Listings ask for a fresh read (`Cache-Control: no-cache`): each one reaches Atlassian and needs a valid token,
 * which is what proves the refresh counts, and each still writes the listing cache on the topology.
 */

interface Pair {
  a: RunningService;
  b: RunningService;
}

function topologyTests(title: string, startTopology: () => Promise<Record<string, string>>, failover?: (pair: () => Pair, fake: () => FakeAtlassian) => void): void {
  describe(title, function () {
    this.timeout(120_000);
    let fake: FakeAtlassian;
    let a: RunningService;
    let b: RunningService;

    const projects = (service: RunningService, token: string, signal?: AbortSignal) =>
      call(`${service.baseUrl}/jira/projects`, { headers: { 'X-Session-Token': token, 'Cache-Control': 'no-cache' }, ...(signal ? { signal } : {}) });

    before(async function () {
      await requireRedisServer(this);
      const redisEnv = await startTopology();
      // Rotated refresh tokens are single-use here: a lost rotated token would show as a failed refresh.
      fake = new FakeAtlassian({ refreshReuseLeewayMs: 0 });
      await fake.start();
      fake.addSite({ host: ACME, name: 'Acme', projects: 30, spaces: 10 });
      fake.addUser({ email: USER.email, apiToken: USER.apiToken, sites: [ACME] });
      fake.addOAuthClient({ clientId: CLIENTS.jira.id, clientSecret: CLIENTS.jira.secret, redirectUris: [`${PUBLIC_ORIGIN}/auth/jira/oauth/callback`] });
      const env = {
        SESSION_STORE: 'redis',
        REDIS_KEY_PREFIX: 'topology-test:',
        REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
        SESSION_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        ATLASSIAN_AUTH_URL: fake.authUrl,
        ATLASSIAN_API_URL: fake.apiUrl,
        ATLASSIAN_SITE_URL_TEMPLATE: fake.siteUrlTemplate,
        JIRA_OAUTH_CLIENT_ID: CLIENTS.jira.id,
        JIRA_OAUTH_CLIENT_SECRET: CLIENTS.jira.secret,
        JIRA_OAUTH_REDIRECT_URI: `${PUBLIC_ORIGIN}/auth/jira/oauth/callback`,
        AUTH_RATE_LIMIT_PER_MINUTE: '3',
        MAX_INFLIGHT_LISTINGS_PER_SESSION: '0',
        LOG_LEVEL: 'warn',
        ...redisEnv,
      };
      [a, b] = await Promise.all([startService(env), startService(env)]);
    });

    after(async () => {
      await Promise.all([a?.close(), b?.close()]);
      await fake?.stop();
      await stopAllRedisServers();
    });

    /** Starts OAuth on one instance, consents, and lands the callback on the other. */
    async function oauthAcross(first: RunningService, second: RunningService): Promise<string> {
      const started = await call(`${first.baseUrl}/auth/jira/oauth/start`);
      expect(started.status, JSON.stringify(started.body)).to.equal(200);
      const consent = await call(started.body.auth_url);
      const location = new URL(consent.headers.get('location')!);
      const callback = await call(`${second.baseUrl}${location.pathname}${location.search}`);
      expect(callback.status, JSON.stringify(callback.body)).to.equal(200);
      return callback.body.session_token as string;
    }

    async function tokenLogin(service: RunningService, apiToken: string): Promise<CallResult> {
      return call(`${service.baseUrl}/auth/confluence/api-token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: USER.email, api_token: apiToken, site: 'acme' }),
      });
    }

    it('both flows across two instances: OAuth started on one completes on the other, an API-token session lists on both', async () => {
      const oauth = await oauthAcross(a, b);
      const [fromA, fromB] = await Promise.all([projects(a, oauth), projects(b, oauth)]);
      expect([fromA.status, fromB.status]).to.deep.equal([200, 200]);
      expect(fromA.body.total).to.equal(30);

      const login = await tokenLogin(b, USER.apiToken);
      expect(login.status, JSON.stringify(login.body)).to.equal(200);
      const spaces = await call(`${a.baseUrl}/confluence/spaces`, { headers: { 'X-Session-Token': login.body.session_token } });
      expect(spaces.status, JSON.stringify(spaces.body)).to.equal(200);
      expect(spaces.body.total).to.equal(10);
    });

    it('a refresh storm across both instances makes exactly one refresh, and the rotated token is stored', async () => {
      const token = await oauthAcross(a, b);
      const before = fake.tokenGrants.refreshToken;
      fake.expireAccessTokens();
      const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => projects(i % 2 === 0 ? a : b, token)));
      expect(answers.map((answer) => answer.status)).to.deep.equal(answers.map(() => 200));
      expect(fake.tokenGrants.refreshToken - before).to.equal(1);
      // The rotated token is the only one Atlassian accepts now: a second refresh proves it was stored.
      fake.expireAccessTokens();
      expect((await projects(b, token)).status).to.equal(200);
      expect(fake.tokenGrants.refreshToken - before).to.equal(2);
    });

    it('the failed-login limiter counts across both instances on this topology', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await tokenLogin(i % 2 === 0 ? a : b, 'wrong-token-0123456789')).status);
      expect(statuses).to.deep.equal([401, 401, 401, 429, 429, 429]);
    });

    it('readiness and metrics name the topology, connected', async () => {
      expect((await call(`${a.baseUrl}/health/ready`)).status).to.equal(200);
      const metrics = await fetch(`${b.baseUrl}/metrics`).then((res) => res.text());
      const topology = title.includes('Cluster') ? 'cluster' : 'sentinel';
      expect(metrics).to.include(`connector_store_up{topology="${topology}"} 1`);
    });

    failover?.(() => ({ a, b }), () => fake);
  });
}

topologyTests('on a Redis Cluster of three primaries', async () => {
  const nodes = await startCluster(3);
  // Two of the three: the third is discovered.
  return { REDIS_CLUSTER_NODES: nodes.slice(0, 2).map((node) => `127.0.0.1:${node.port}`).join(',') };
});

let replicated: { primary: RedisServer; replica: RedisServer } | undefined;
let sentinels: RedisServer[] = [];
const SENTINEL_NAME = 'connector';

topologyTests(
  'on a primary with a replica behind three sentinels',
  async () => {
    replicated = await startPrimaryWithReplica();
    sentinels = await startSentinels(SENTINEL_NAME, replicated.primary.port);
    return { REDIS_SENTINELS: sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(','), REDIS_SENTINEL_NAME: SENTINEL_NAME };
  },
  (pair, fakeOf) => {
    it('the primary killed during traffic: every answer is 200 or 503 store_unavailable in bound, the service recovers without a restart, and nothing written before is lost', async () => {
      const { a, b } = pair();
      const fake = fakeOf();
      const { primary, replica } = replicated!;
      const login = async (service: RunningService) => {
        const started = await call(`${service.baseUrl}/auth/jira/oauth/start`);
        const location = new URL((await call(started.body.auth_url)).headers.get('location')!);
        return (await call(`${service.baseUrl}${location.pathname}${location.search}`)).body.session_token as string;
      };
      const token = await login(a);
      // A refresh just before the kill: the rotated refresh token is the only one Atlassian still accepts.
      fake.expireAccessTokens();
      const refreshesBefore = fake.tokenGrants.refreshToken;
      expect((await call(`${b.baseUrl}/jira/projects`, { headers: { 'X-Session-Token': token, 'Cache-Control': 'no-cache' } })).status).to.equal(200);
      expect(fake.tokenGrants.refreshToken - refreshesBefore).to.equal(1);

      // Each answer names its path and when it came: a failure report then says which requests hung, and when.
      const answers: Array<{ path: string; status: number | 'hang'; code?: string; at: number }> = [];
      let stop = false;
      const killedAt = { ms: 0 };
      const traffic = async (service: RunningService) => {
        while (!stop) {
          const signal = AbortSignal.timeout(ANSWER_BOUND_MS);
          const path = answers.length % 2 === 0 ? '/auth/session' : '/jira/projects';
          try {
            const res = await call(`${service.baseUrl}${path}`, { headers: { 'X-Session-Token': token, 'Cache-Control': 'no-cache' }, signal });
            answers.push({ path, status: res.status, code: res.body?.error?.code, at: Date.now() });
          } catch {
            answers.push({ path, status: 'hang', at: Date.now() });
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      const running = [traffic(a), traffic(b)];
      await new Promise((resolve) => setTimeout(resolve, 300));
      killedAt.ms = Date.now();
      await primary.kill();
      // Promotion: the sentinels name the replica, and both instances answer 200 again, with no restart.
      await until('the sentinels to promote the replica', async () => (await sentinelPrimaryPort(sentinels[0]!, SENTINEL_NAME)) === replica.port, 20_000, 200);
      // Settled: three rounds in a row in which both instances answer 200 to a session read and a listing (the
      // client may still switch connections once while the sentinels finish reconfiguring).
      let healthyRounds = 0;
      let lastRound = '';
      await until('both instances to answer 200 after the promotion', async () => {
        const paths = ['/auth/session', '/jira/projects'];
        const rounds = await Promise.all(
          [a, b].flatMap((service) => paths.map((path) => call(`${service.baseUrl}${path}`, { headers: { 'X-Session-Token': token, 'Cache-Control': 'no-cache' } }))),
        );
        rounds.forEach((answer, i) => answers.push({ path: paths[i % 2]!, status: answer.status, code: answer.body?.error?.code, at: Date.now() }));
        lastRound = rounds.map((answer) => `${answer.status}${answer.body?.error?.code === undefined ? '' : ` ${answer.body.error.code}`}`).join(', ');
        healthyRounds = rounds.every((answer) => answer.status === 200) ? healthyRounds + 1 : 0;
        return healthyRounds >= 3;
      }, 45_000, 200).catch((error: Error) => {
        throw new Error(`${error.message}; last round (a session, a listing, b session, b listing): ${lastRound}`);
      });
      const recoveredAt = Date.now();
      stop = true;
      await Promise.all(running);

      const during = answers.filter((answer) => answer.at >= killedAt.ms);
      expect(during.length).to.be.greaterThan(0);
      const unexpected = during.filter((answer) => !(answer.status === 200 || (answer.status === 503 && answer.code === 'store_unavailable')));
      expect(unexpected, 'every answer during the failover is 200 or 503 store_unavailable, within the bound').to.deep.equal([]);
      console.log(`      failover: ${recoveredAt - killedAt.ms} ms from kill to both instances answering 200 (three rounds in a row); ${during.filter((x) => x.status === 503).length} of ${during.length} answers were 503`);

      // What was written before the kill is on the promoted replica: the session and the rotated refresh token.
      const session = await call(`${a.baseUrl}/auth/session`, { headers: { 'X-Session-Token': token, 'Cache-Control': 'no-cache' } });
      expect(session.status).to.equal(200);
      expect(session.body.products.jira.connected, JSON.stringify(session.body)).to.equal(true);
      fake.expireAccessTokens();
      const storm = await Promise.all(Array.from({ length: 12 }, (_, i) => call(`${(i % 2 === 0 ? a : b).baseUrl}/jira/projects`, { headers: { 'X-Session-Token': token, 'Cache-Control': 'no-cache' } })));
      expect(storm.map((answer) => answer.status), JSON.stringify(storm.map((answer) => answer.body?.error))).to.deep.equal(storm.map(() => 200));
      expect(fake.tokenGrants.refreshToken - refreshesBefore, 'one refresh before the kill, one storm refresh after').to.equal(2);
      // The new primary is a primary.
      expect(await redisCli(replica.port, 'ROLE')).to.match(/^master/);
    });
  },
);
