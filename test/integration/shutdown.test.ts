import { expect } from 'chai';
import { FakeAtlassian } from '../support/fake-atlassian.js';
import { ACME, USER, call } from '../support/harness.js';
import { spawnService, type ServiceProcess } from '../support/spawn-service.js';

describe('graceful shutdown (separate process)', function () {
  this.timeout(30_000);
  let fake: FakeAtlassian;
  let service: ServiceProcess | undefined;

  before(async () => {
    fake = new FakeAtlassian();
    await fake.start();
    fake.addSite({ host: ACME, projects: 5 });
    fake.addUser({ email: USER.email, apiToken: USER.apiToken, sites: [ACME] });
  });
  after(async () => {
    await service?.stop('SIGKILL');
    await fake.stop();
  });

  const start = (extra: Record<string, string> = {}) =>
    spawnService({ ATLASSIAN_SITE_URL_TEMPLATE: fake.siteUrlTemplate, ATLASSIAN_DEFAULT_SITE: 'acme', ...extra });
  const login = async (baseUrl: string): Promise<string> => {
    const answer = await call(`${baseUrl}/auth/jira/api-token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: USER.email, api_token: USER.apiToken }),
    });
    return answer.body.session_token as string;
  };

  it('on SIGTERM finishes the request in flight, refuses new ones, and exits 0', async () => {
    service = await start();
    const token = await login(service.baseUrl);
    fake.injectFault({ match: { path: '/project/search' }, delayMs: 1_000 });

    const inFlight = call(`${service.baseUrl}/jira/projects`, { headers: { 'X-Session-Token': token } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    service.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));

    const refused = await call(`${service.baseUrl}/`).then(
      () => 'answered',
      (error: Error) => error.message,
    );
    const answer = await inFlight;
    expect(answer.status).to.equal(200);
    expect(answer.body.total).to.equal(5);
    expect(refused).to.match(/ECONNREFUSED/);
    expect(await service.exited).to.equal(0);
  });

  it('bounds the wait: a request that never ends is cut after SHUTDOWN_TIMEOUT_MS and the process still exits 0', async () => {
    service = await start({ SHUTDOWN_TIMEOUT_MS: '500', UPSTREAM_TIMEOUT_MS: '60000' });
    const token = await login(service.baseUrl);
    fake.injectFault({ match: { path: '/project/search' }, hang: true });

    const stuck = call(`${service.baseUrl}/jira/projects`, { headers: { 'X-Session-Token': token } }).catch((error: Error) => error);
    await new Promise((resolve) => setTimeout(resolve, 200));
    service.child.kill('SIGTERM');

    // Without the bound this would wait for the 60 s upstream timeout and fail on the suite's 30 s timeout.
    expect(await service.exited).to.equal(0);
    expect(await stuck).to.be.instanceOf(Error);
    fake.clearFaults();
  });
});
