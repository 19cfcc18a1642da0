import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { FakeAtlassian } from '../../fake-atlassian/index.js';
import { ACME, USER, call } from '../support/harness.js';
import { schemaPerSuite } from '../support/postgres.js';
import { REDIS_URL, requireRedis, uniquePrefix } from '../support/redis.js';
import { spawnService } from '../support/spawn-service.js';

/**
 * The artifact production runs — `node dist/main.js`, tsc's output bundled with its dependencies into chunks that
 * load on first use — serves every path that loads a chunk of its own: a login (the JSON body parser, the rate
 * limiter of its store), a listing (node-fetch to Atlassian), the API docs (koa2-swagger-ui, left outside the
 * bundle), metrics, and traces (the OpenTelemetry SDK). The other integration tests run the TypeScript sources,
 * where a module that breaks only once bundled would go unseen.
 */
describe('the compiled, bundled service serves every lazily loaded path (separate process)', function () {
  this.timeout(30_000);
  let fake: FakeAtlassian;

  before(async () => {
    fake = new FakeAtlassian();
    await fake.start();
    fake.addSite({ host: ACME, projects: 3 });
    fake.addUser({ email: USER.email, apiToken: USER.apiToken, sites: [ACME] });
  });
  after(() => fake.stop());

  async function exercise(env: Record<string, string>): Promise<void> {
    const atlassian = { ATLASSIAN_SITE_URL_TEMPLATE: fake.siteUrlTemplate, ATLASSIAN_API_URL: fake.apiUrl, ATLASSIAN_AUTH_URL: fake.authUrl };
    const service = await spawnService({ ...atlassian, ...env }, 15_000, 'compiled');
    try {
      const login = (apiToken: string) =>
        call(`${service.baseUrl}/auth/jira/api-token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ email: USER.email, api_token: apiToken, site: ACME }),
        });
      const refused = await login('not-the-token');
      expect(refused.status, JSON.stringify(refused.body)).to.equal(401);
      const accepted = await login(USER.apiToken);
      expect(accepted.status, JSON.stringify(accepted.body)).to.equal(200);
      const listing = await call(`${service.baseUrl}/jira/projects`, { headers: { 'X-Session-Token': accepted.body.session_token as string } });
      expect(listing.status).to.equal(200);
      expect(listing.body.total).to.equal(3);
      expect((await call(`${service.baseUrl}/openapi.json`)).body.openapi).to.match(/^3\./);
      const docs = await fetch(`${service.baseUrl}/docs`);
      expect(docs.status).to.equal(200);
      expect(await docs.text()).to.include('swagger');
      const metrics = await fetch(`${service.baseUrl}/metrics`);
      expect(await metrics.text()).to.include('connector_http_request_duration_seconds_count{method="GET",route="/jira/projects",status="200"} 1');
    } finally {
      expect(await service.stop(), service.output.join('\n')).to.equal(0);
    }
  }

  it('memory store', () => exercise({ SESSION_STORE: 'memory' }));

  it('Redis store', async function () {
    await requireRedis(this);
    await exercise({
      SESSION_STORE: 'redis',
      REDIS_URL,
      REDIS_KEY_PREFIX: uniquePrefix('compiled-artifact'),
      SESSION_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    });
  });

  describe('PostgreSQL store', () => {
    const schema = schemaPerSuite();

    it('serves them', () =>
      exercise({ SESSION_STORE: 'postgres', DATABASE_URL: schema().url, SESSION_ENCRYPTION_KEY: randomBytes(32).toString('base64') }));
  });

  describe('with tracing on', () => {
    let collector: Server;
    const exports: string[] = [];
    before(async () => {
      collector = createServer((req, res) => {
        exports.push(req.url ?? '');
        req.resume().on('end', () => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}'));
      });
      await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    });
    after(() => new Promise<void>((resolve) => collector.close(() => resolve())));

    it('exports the spans to the OTLP endpoint by the time it has stopped', async () => {
      const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
      await exercise({ SESSION_STORE: 'memory', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
      expect(exports).to.include('/v1/traces');
    });
  });
});
