/**
 * Parts (f) and (g) of npm run bench: how many Atlassian requests and points listings cost. They count, they do not
 * time, so the fake Atlassian runs in this process (where its request log can be read); every service runs in a
 * process of its own.
 *   (f) 50 concurrent listings of one 2000-project connection, spread over two instances on one Redis
 *   (g) points spent by 1000 listing requests from 100 sessions over 10 connections, cache off against cache on
 */
import { randomBytes } from 'node:crypto';
import fetch from 'node-fetch';
import { Redis } from 'ioredis';
import { FakeAtlassian } from '../fake-atlassian/index.js';
import { startServiceProcess, type Started } from './lib/processes.js';

const PROJECT_SEARCH = '/rest/api/3/project/search';
const PAGE = 50; // the fake's Jira page cap, as Atlassian caps below maxResults

async function login(service: string, email: string, apiToken: string, site: string): Promise<string> {
  const answer = await fetch(`${service}/auth/jira/api-token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, api_token: apiToken, site }),
  });
  const body = (await answer.json()) as { session_token?: string };
  if (body.session_token === undefined) throw new Error(`login failed: ${JSON.stringify(body)}`);
  return body.session_token;
}

async function list(service: string, token: string): Promise<void> {
  const answer = await fetch(`${service}/jira/projects`, { headers: { 'X-Session-Token': token } });
  await answer.arrayBuffer();
  if (answer.status !== 200) throw new Error(`listing answered ${answer.status}`);
}

/** Points as Atlassian counts them (1 per request, 1 per project returned), from the fake's request log. */
function pointsOf(fake: FakeAtlassian, projectsPerSite: number): { requests: number; points: number } {
  const pages = fake.requests.filter((request) => request.path.endsWith(PROJECT_SEARCH) && request.status === 200);
  const objects = pages.reduce((sum, page) => sum + Math.max(0, Math.min(PAGE, projectsPerSite - Number(page.query['startAt'] ?? 0))), 0);
  return { requests: pages.length, points: pages.length + objects };
}

async function withFake<T>(latencyMs: number, work: (fake: FakeAtlassian) => Promise<T>): Promise<T> {
  const fake = new FakeAtlassian({ latencyMs });
  await fake.start();
  try {
    return await work(fake);
  } finally {
    await fake.stop();
  }
}

export async function sharedListing(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
  } catch {
    console.log(`(f) SKIPPED: no Redis at ${redisUrl}`);
    redis.disconnect();
    return;
  }
  const prefix = `bench:${process.pid}:${Date.now().toString(36)}:`;
  await withFake(40, async (fake) => {
    fake.addSite({ host: 'big.atlassian.net', name: 'Big', projects: 2000, spaces: 0 });
    fake.addUser({ email: 'big@example.com', apiToken: 'big-api-token-0123456789', sites: ['big.atlassian.net'] });
    const env = {
      ATLASSIAN_SITE_URL_TEMPLATE: fake.siteUrlTemplate,
      ATLASSIAN_API_URL: fake.apiUrl,
      SESSION_STORE: 'redis',
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: prefix,
      SESSION_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    };
    const instances: Started<{ baseUrl: string }>[] = [];
    try {
      instances.push(await startServiceProcess(env), await startServiceProcess(env));
      const token = await login(instances[0]!.info.baseUrl, 'big@example.com', 'big-api-token-0123456789', 'big');
      fake.clearRequests();
      await Promise.all(Array.from({ length: 50 }, (_, i) => list(instances[i % 2]!.info.baseUrl, token)));
      const { requests } = pointsOf(fake, 2000);
      console.log('(f) 50 concurrent GET /jira/projects of one 2000-project connection, 25 on each of two instances on one Redis, 40 ms upstream');
      console.log(`    upstream page requests: ${requests} (one listing = ${2000 / PAGE} pages; target exactly ${2000 / PAGE}); without sharing: ${50 * (2000 / PAGE)}`);
    } finally {
      await Promise.all(instances.map((instance) => instance.stop()));
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      redis.disconnect();
    }
  });
}

export async function pointsSpent(): Promise<void> {
  const SESSIONS = 100;
  const CONNECTIONS = 10;
  const REQUESTS = 1000;
  const PROJECTS = 200;
  const spend = (cacheTtl: string) =>
    withFake(0, async (fake) => {
      for (let c = 0; c < CONNECTIONS; c++) {
        fake.addSite({ host: `site${c}.atlassian.net`, name: `Site ${c}`, projects: PROJECTS, spaces: 0 });
        fake.addUser({ email: `user${c}@example.com`, apiToken: `api-token-${c}-0123456789`, sites: [`site${c}.atlassian.net`] });
      }
      const service = await startServiceProcess({
        ATLASSIAN_SITE_URL_TEMPLATE: fake.siteUrlTemplate,
        ATLASSIAN_API_URL: fake.apiUrl,
        AUTH_RATE_LIMIT_PER_MINUTE: '0',
        LISTING_CACHE_TTL_SECONDS: cacheTtl,
      });
      try {
        const base = service.info.baseUrl;
        const tokens: string[] = [];
        for (let s = 0; s < SESSIONS; s++) {
          const c = s % CONNECTIONS;
          tokens.push(await login(base, `user${c}@example.com`, `api-token-${c}-0123456789`, `site${c}`));
        }
        fake.clearRequests();
        // Each session lists ten times, in a shuffled order, twenty requests at a time.
        const order = Array.from({ length: REQUESTS }, (_, i) => tokens[i % SESSIONS]!).sort(() => Math.random() - 0.5);
        for (let i = 0; i < order.length; i += 20) await Promise.all(order.slice(i, i + 20).map((token) => list(base, token)));
        return pointsOf(fake, PROJECTS);
      } finally {
        await service.stop();
      }
    });
  const off = await spend('0');
  const on = await spend('60');
  console.log(`(g) ${REQUESTS} GET /jira/projects from ${SESSIONS} sessions over ${CONNECTIONS} connections (${PROJECTS} projects each), points = requests + projects returned`);
  console.log(`    cache off (LISTING_CACHE_TTL_SECONDS=0): ${off.points} points, ${off.requests} page requests`);
  console.log(`    cache on (60 s): ${on.points} points, ${on.requests} page requests; ratio ${(on.points / off.points).toFixed(3)} (target <= 0.100)`);
}
