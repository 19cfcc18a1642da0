import { expect } from 'chai';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RetryableError } from '../../../src/domain/errors.js';
import { AtlassianHttp, failure } from '../../../src/infrastructure/atlassian/atlassian-http.js';
import { QuotaGuard } from '../../../src/infrastructure/atlassian/quota-guard.js';
import { InMemoryQuotaBlocks } from '../../../src/infrastructure/quota/in-memory-quota-blocks.js';
import type { QuotaBlocks } from '../../../src/infrastructure/quota/quota-blocks.js';
import { expectAppError, FixedClock, silentLogger } from '../../support/port-fakes.js';

/** 2026-03-02T10:30Z: the quota resets at 11:00. */
const NOW = Date.UTC(2026, 2, 2, 10, 30);
const BEARER = 'Bearer access-token';
const BASIC = `Basic ${Buffer.from('ada@example.com:token').toString('base64')}`;
const QUOTA_429 = (reason: string, t = 1800) => ({
  status: 429,
  headers: { 'RateLimit-Reason': reason, RateLimit: `"${reason.includes('global') ? 'global' : 'tenant'}-app-quota";r=0;t=${t}`, 'Retry-After': String(t) },
});

type Answer = { status: number; headers?: Record<string, string>; body?: unknown };

/** Loopback server answering scripted answers in order, then 200 with three values. */
class Upstream {
  readonly paths: string[] = [];
  readonly script: Answer[] = [];
  private readonly server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    this.paths.push(req.url ?? '');
    req.resume();
    const answer = this.script.shift() ?? { status: 200, body: { values: [1, 2, 3] } };
    res.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers });
    res.end(JSON.stringify(answer.body ?? { message: 'limited' }));
  });

  async start(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('QuotaGuard in AtlassianHttp (points quotas and burst limits)', () => {
  let upstream: Upstream;
  let clock: FixedClock;
  let http: AtlassianHttp;
  let sleeps: number[];
  let counted: { blocks: string[]; refused: string[]; points: [string, number][]; remaining: [string, number][] };

  const jira = (cloudId: string) => upstream.url(`/ex/jira/${cloudId}/rest/api/3/project/search?startAt=0`);
  const site = (host: string) => upstream.url(`/site/${host}/rest/api/3/project/search`);

  function build(blocks: QuotaBlocks = new InMemoryQuotaBlocks(clock), maxRetries = 3): void {
    const metrics = {
      quotaBlocked: (scope: string) => void counted.blocks.push(scope),
      quotaRefusedCall: (product: string) => void counted.refused.push(product),
      atlassianPointsSpent: (product: string, points: number) => void counted.points.push([product, points]),
      atlassianQuotaRemaining: (scope: string, points: number) => void counted.remaining.push([scope, points]),
    };
    const guard = new QuotaGuard(blocks, clock, silentLogger(), metrics, { clientIds: { jira: 'app-1', confluence: 'app-1' }, maxBurstWaitMs: 5_000 });
    http = new AtlassianHttp(
      { timeoutMs: 2_000, deadlineMs: 10_000, retry: { maxRetries, maxRetryWaitMs: 5_000, baseDelayMs: 100, rateLimitBaseMs: 1_000 }, userAgent: 'test' },
      silentLogger(),
      () => undefined,
      // A sleep that moves the clock, as real time would.
      async (ms) => {
        sleeps.push(ms);
        clock.advance(ms);
      },
      guard,
    );
  }

  beforeEach(async () => {
    upstream = new Upstream();
    await upstream.start();
    clock = new FixedClock(NOW);
    sleeps = [];
    counted = { blocks: [], refused: [], points: [], remaining: [] };
    build();
  });
  afterEach(async () => {
    http.close();
    await upstream.stop();
  });

  it('a global quota 429 is not retried, answers rate_limited with the seconds to the reset, and blocks every OAuth call of the app', async () => {
    upstream.script.push(QUOTA_429('jira-quota-global-based'));
    const first = await http.get(jira('cloud-a'), { authorization: BEARER, product: 'jira' });
    expect(upstream.paths).to.have.length(1);
    expect(sleeps).to.deep.equal([]);
    const error = failure(first);
    expect(error).to.be.instanceOf(RetryableError);
    expect((error as RetryableError).retryAfterSeconds).to.equal(1800);
    expect(counted.blocks).to.deep.equal(['global']);

    clock.advance(600_000);
    for (const cloudId of ['cloud-a', 'cloud-b']) {
      const refused = await expectAppError(http.get(jira(cloudId), { authorization: BEARER, product: 'jira' }), 'rate_limited');
      expect((refused as RetryableError).retryAfterSeconds).to.equal(1200);
    }
    // Confluence is served by the same OAuth app here: its pool is spent too.
    await expectAppError(http.get(upstream.url('/ex/confluence/cloud-b/wiki/api/v2/spaces'), { authorization: BEARER, product: 'confluence' }), 'rate_limited');
    expect(upstream.paths).to.have.length(1);
    expect(counted.refused).to.deep.equal(['jira', 'jira', 'confluence']);
  });

  it('a global block never stops an API-token call, on the site or through the gateway', async () => {
    upstream.script.push(QUOTA_429('jira-quota-global-based'));
    await http.get(jira('cloud-a'), { authorization: BEARER, product: 'jira' });
    expect((await http.get(site('acme.atlassian.net'), { authorization: BASIC, product: 'jira' })).status).to.equal(200);
    expect((await http.get(jira('cloud-a'), { authorization: BASIC, product: 'jira' })).status).to.equal(200);
    expect(upstream.paths).to.have.length(3);
  });

  it('a tenant quota 429 blocks that cloudId only', async () => {
    upstream.script.push(QUOTA_429('jira-quota-tenant-based', 900));
    await http.get(jira('cloud-a'), { authorization: BEARER, product: 'jira' });
    await expectAppError(http.get(jira('cloud-a'), { authorization: BEARER, product: 'jira' }), 'rate_limited');
    expect((await http.get(jira('cloud-b'), { authorization: BEARER, product: 'jira' })).status).to.equal(200);
    expect(counted.blocks).to.deep.equal(['tenant']);
    expect(upstream.paths.map((path) => path.split('/')[3])).to.deep.equal(['cloud-a', 'cloud-b']);
  });

  it('once the clock passes the reset, calls go out again', async () => {
    upstream.script.push(QUOTA_429('jira-quota-global-based', 60));
    await http.get(jira('cloud-a'), { authorization: BEARER, product: 'jira' });
    clock.advance(59_000);
    await expectAppError(http.get(jira('cloud-a'), { authorization: BEARER, product: 'jira' }), 'rate_limited');
    clock.advance(1_000);
    expect((await http.get(jira('cloud-a'), { authorization: BEARER, product: 'jira' })).status).to.equal(200);
  });

  it('a quota 429 on an API-token call is not retried either, but blocks nothing', async () => {
    upstream.script.push(QUOTA_429('jira-quota-tenant-based', 900));
    const answer = await http.get(site('acme.atlassian.net'), { authorization: BASIC, product: 'jira' });
    expect((failure(answer) as RetryableError).retryAfterSeconds).to.equal(900);
    expect(counted.blocks).to.deep.equal([]);
    expect((await http.get(site('acme.atlassian.net'), { authorization: BASIC, product: 'jira' })).status).to.equal(200);
  });

  it('a burst 429 pauses that endpoint of that site: the next call waits out the pause, another site does not', async () => {
    build(undefined, 0);
    upstream.script.push({ status: 429, headers: { 'RateLimit-Reason': 'jira-burst-based', 'Retry-After': '2' } });
    expect((await http.get(jira('cloud-a'), { authorization: BEARER, product: 'jira' })).status).to.equal(429);
    await http.get(jira('cloud-b'), { authorization: BEARER, product: 'jira' });
    expect(sleeps).to.deep.equal([]);
    clock.advance(500);
    expect((await http.get(jira('cloud-a'), { authorization: BEARER, product: 'jira' })).status).to.equal(200);
    expect(sleeps).to.deep.equal([1_500]);
    expect(counted.blocks).to.deep.equal([]);
  });

  it('a burst pause longer than may be waited answers 429 at once, without a request, for API tokens too', async () => {
    upstream.script.push({ status: 429, headers: { 'RateLimit-Reason': 'jira-burst-based', 'Retry-After': '30' } });
    await http.get(site('acme.atlassian.net'), { authorization: BASIC, product: 'jira' });
    const refused = await expectAppError(http.get(site('acme.atlassian.net'), { authorization: BASIC, product: 'jira' }), 'rate_limited');
    expect((refused as RetryableError).retryAfterSeconds).to.equal(30);
    expect(upstream.paths).to.have.length(1);
    expect((await http.get(site('beta.atlassian.net'), { authorization: BASIC, product: 'jira' })).status).to.equal(200);
  });

  it('counts estimated points (1 + objects listed) of OAuth calls only, and the remaining points reported', async () => {
    upstream.script.push({ status: 200, headers: { RateLimit: '"tenant-app-quota";t=100, "global-app-quota";r=812;t=100' }, body: { values: [1, 2, 3, 4] } });
    await http.get(jira('cloud-a'), { authorization: BEARER, product: 'jira' });
    await http.get(upstream.url('/ex/confluence/cloud-a/wiki/api/v2/spaces'), { authorization: BEARER, product: 'confluence' });
    await http.get(site('acme.atlassian.net'), { authorization: BASIC, product: 'jira' });
    expect(counted.points).to.deep.equal([['jira', 5], ['confluence', 4]]);
    expect(counted.remaining).to.deep.equal([['global', 812]]);
  });

  it('a block store that fails blocks nothing: the call is made (Atlassian still enforces its quota)', async () => {
    build({ block: () => Promise.reject(new Error('down')), blockedUntil: () => Promise.reject(new Error('down')) });
    upstream.script.push(QUOTA_429('jira-quota-global-based'));
    const first = await http.get(jira('cloud-a'), { authorization: BEARER, product: 'jira' });
    expect(first.status).to.equal(429);
    expect((await http.get(jira('cloud-a'), { authorization: BEARER, product: 'jira' })).status).to.equal(200);
  });
});
